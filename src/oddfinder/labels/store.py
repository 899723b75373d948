"""The durable label store: every 0-5 label written to SQLite the moment it is given.

One SQLite file per workspace (``WS/labels.sqlite``) in WAL mode, one label set per researcher.
Labels are appended, never updated in place: the latest label a researcher gave a galaxy is
the one that counts, and :meth:`LabelStore.undo_last` deletes the most recent row. Each row
also records its ``source``: ``"label"`` (given in a round) or ``"example"`` (a galaxy the
researcher gave up front as what they want, :mod:`oddfinder.labels.seeds`). Each call
opens its own connection with a busy timeout, so threads and processes (two researchers, two
app servers) can write at once without losing a label.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pandas as pd

from oddfinder.errors import LabelError

__all__ = [
    "MAX_SCORE",
    "MIN_SCORE",
    "SOURCES",
    "LabelStore",
    "check_researcher",
    "check_score",
    "label_sources",
]

logger = logging.getLogger(__name__)

MIN_SCORE = 0
MAX_SCORE = 5
SOURCES = ("label", "example")  # how a label was given: in a round, or as an up-front example

T = TypeVar("T")

_RETRIES = 6
_INSERT = (
    "INSERT INTO labels (researcher, galaxy_id, score, round, time, source) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_RESEARCHER = re.compile(r"[A-Za-z0-9 ._-]{1,64}")
_BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS labels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    researcher TEXT NOT NULL,
    galaxy_id TEXT NOT NULL,
    score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 5),
    round INTEGER NOT NULL DEFAULT 0,
    time TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'label'
);
CREATE INDEX IF NOT EXISTS labels_researcher ON labels (researcher, id);
CREATE TABLE IF NOT EXISTS batches (
    researcher TEXT PRIMARY KEY,
    round INTEGER NOT NULL,
    galaxy_ids TEXT NOT NULL,
    time TEXT NOT NULL
);
"""


def check_researcher(name: str) -> str:
    """Return the researcher name stripped of surrounding spaces, or raise :class:`LabelError`.

    A name is 1-64 characters of letters, digits, spaces and ``-_.``.

    Examples
    --------
    >>> check_researcher("  Ada Lovelace ")
    'Ada Lovelace'
    """
    cleaned = str(name).strip() if name is not None else ""
    if not _RESEARCHER.fullmatch(cleaned):
        raise LabelError(
            f"invalid researcher name {name!r}: use 1-64 letters, digits, spaces or -_."
        )
    return cleaned


def check_score(galaxy_id: str, score: object) -> int:
    """Return ``score`` as an int if it is a whole number 0-5, else raise :class:`LabelError`.

    Examples
    --------
    >>> check_score("g1", 4)
    4
    """
    if isinstance(score, bool):
        ok = False
    else:
        try:
            as_float = float(score)  # type: ignore[arg-type]
            ok = as_float.is_integer() and MIN_SCORE <= as_float <= MAX_SCORE
        except (TypeError, ValueError):
            ok = False
    if not ok:
        raise LabelError(
            f"invalid label for galaxy {galaxy_id!r}: score {score!r} is not a whole number "
            f"{MIN_SCORE}-{MAX_SCORE}"
        )
    return int(float(score))  # type: ignore[arg-type]


def _check_source(source: str) -> str:
    if source not in SOURCES:
        raise LabelError(f"label source {source!r} is not one of {', '.join(SOURCES)}")
    return source


def label_sources(ids, labelled, examples: set[str]) -> pd.arrays.StringArray:
    """The source of each galaxy's label: ``"example"``, ``"label"``, or missing if unlabelled.

    Parameters
    ----------
    ids : sequence of str
        Galaxy ids.
    labelled : sequence of bool
        Whether each has a label.
    examples : set of str
        The ids given as examples (:meth:`LabelStore.examples`).

    Examples
    --------
    >>> list(label_sources(["a", "b", "c"], [True, True, False], {"b"}))
    ['label', 'example', <NA>]
    """
    values = [
        ("example" if str(g) in examples else "label") if bool(known) else None
        for g, known in zip(ids, labelled, strict=True)
    ]
    return pd.array(values, dtype="string")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class LabelStore:
    """Labels of every researcher in one SQLite file, written the moment they are given.

    Parameters
    ----------
    path : path-like
        The SQLite file, usually ``Workspace.labels_path``; created (with its folder) if missing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> store = LabelStore(pathlib.Path(tempfile.mkdtemp()) / "labels.sqlite")
    >>> store.add("ada", "g1", 5)
    >>> store.add("ada", "g1", 3)
    >>> store.labels("ada")
    {'g1': 3}
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

        def setup(conn: sqlite3.Connection) -> None:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(labels)")}
            if "source" not in columns:  # a store from before label sources: all were labels
                try:
                    conn.execute(
                        "ALTER TABLE labels ADD COLUMN source TEXT NOT NULL DEFAULT 'label'"
                    )
                    logger.info("%s: added the label source column", self.path)
                except sqlite3.OperationalError as error:
                    if "duplicate column" not in str(error).lower():
                        raise  # (a duplicate: another process added it first, which is fine)

        self._run(setup)

    def __repr__(self) -> str:
        return f"LabelStore({str(self.path)!r})"

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One connection per call (autocommit), closed afterwards; waits while others write."""
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA synchronous=NORMAL")
            yield conn
        finally:
            conn.close()

    def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` on a fresh connection, retrying if SQLite still reports a lock.

        The busy timeout makes SQLite wait for other writers; a few operations (opening a
        WAL database while another process checkpoints it) can still fail at once with
        "database is locked", so those are retried. A failed attempt changed nothing: every
        write is one statement or one explicit transaction.
        """
        for attempt in range(_RETRIES):
            try:
                with self._connect() as conn:
                    return work(conn)
            except sqlite3.OperationalError as error:
                message = str(error).lower()
                if attempt == _RETRIES - 1 or ("locked" not in message and "busy" not in message):
                    raise
                logger.debug("label store busy (%s), retrying", error)
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    # --- writing ----------------------------------------------------------------------------
    def add(
        self, researcher: str, galaxy_id: str, score: int, *, round: int = 0, source: str = "label"
    ) -> None:
        """Record that ``researcher`` gave ``galaxy_id`` the label ``score`` (0-5).

        Raises
        ------
        LabelError
            If the researcher name, the score or the source is invalid.
        """
        researcher = check_researcher(researcher)
        galaxy_id = str(galaxy_id)
        if not galaxy_id:
            raise LabelError(f"invalid label by {researcher!r}: empty galaxy id")
        value = check_score(galaxy_id, score)
        row = (researcher, galaxy_id, value, int(round), _now(), _check_source(source))
        self._run(lambda conn: conn.execute(_INSERT, row))
        logger.debug("label %s %s=%d (round %d)", researcher, galaxy_id, value, round)

    def add_many(
        self,
        researcher: str,
        labels: dict[str, int] | Sequence[tuple[str, int]],
        *,
        round: int = 0,
        source: str = "label",
    ) -> None:
        """Record several labels in one transaction (all or none), all from ``source``."""
        researcher = check_researcher(researcher)
        source = _check_source(source)
        items = list(labels.items()) if isinstance(labels, dict) else list(labels)
        rows = [
            (researcher, str(g), check_score(str(g), s), int(round), _now(), source)
            for g, s in items
        ]

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(_INSERT, rows)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

        self._run(work)

    def undo_last(self, researcher: str) -> tuple[str, int] | None:
        """Delete ``researcher``'s most recent label; return ``(galaxy_id, score)`` or None."""
        researcher = check_researcher(researcher)

        def work(conn: sqlite3.Connection) -> tuple[str, int] | None:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute(
                "SELECT id, galaxy_id, score FROM labels WHERE researcher = ? "
                "ORDER BY id DESC LIMIT 1",
                (researcher,),
            ).fetchone()
            if row is not None:
                conn.execute("DELETE FROM labels WHERE id = ?", (row[0],))
            conn.execute("COMMIT")
            return None if row is None else (str(row[1]), int(row[2]))

        return self._run(work)

    def save_batch(self, researcher: str, round: int, galaxy_ids: Sequence[str]) -> None:
        """Remember the batch shown to ``researcher`` in ``round``, so a restart resumes it."""
        researcher = check_researcher(researcher)
        payload = json.dumps([str(g) for g in galaxy_ids])
        self._run(
            lambda conn: conn.execute(
                "INSERT INTO batches (researcher, round, galaxy_ids, time) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(researcher) DO UPDATE SET round = excluded.round, "
                "galaxy_ids = excluded.galaxy_ids, time = excluded.time",
                (researcher, int(round), payload, _now()),
            )
        )

    # --- reading ----------------------------------------------------------------------------
    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._run(lambda conn: conn.execute(sql, params).fetchall())

    def current_batch(self, researcher: str) -> tuple[int, list[str]] | None:
        """The last batch saved for ``researcher`` as ``(round, galaxy_ids)``, or None."""
        researcher = check_researcher(researcher)
        rows = self._query(
            "SELECT round, galaxy_ids FROM batches WHERE researcher = ?", (researcher,)
        )
        if not rows:
            return None
        saved_round, payload = rows[0]
        return int(saved_round), [str(g) for g in json.loads(payload)]

    def labels(self, researcher: str) -> dict[str, int]:
        """The latest label ``researcher`` gave each galaxy, as ``{galaxy_id: score}``."""
        researcher = check_researcher(researcher)
        rows = self._query(
            "SELECT galaxy_id, score FROM labels WHERE researcher = ? ORDER BY id",
            (researcher,),
        )
        return {str(g): int(s) for g, s in rows}

    def examples(self, researcher: str) -> set[str]:
        """The galaxies whose latest label by ``researcher`` was given as an example."""
        researcher = check_researcher(researcher)
        rows = self._query(
            "SELECT galaxy_id, source FROM labels WHERE researcher = ? ORDER BY id",
            (researcher,),
        )
        return {g for g, source in dict(rows).items() if source == "example"}

    def history(self, researcher: str) -> pd.DataFrame:
        """Every label ``researcher`` gave, oldest first.

        Columns ``id, researcher, galaxy_id, score, round, time, source`` (time is UTC; source
        ``"label"`` or ``"example"``).
        """
        researcher = check_researcher(researcher)
        rows = self._query(
            "SELECT id, researcher, galaxy_id, score, round, time, source FROM labels "
            "WHERE researcher = ? ORDER BY id",
            (researcher,),
        )
        table = pd.DataFrame(
            rows, columns=["id", "researcher", "galaxy_id", "score", "round", "time", "source"]
        )
        table["time"] = pd.to_datetime(table["time"], utc=True, format="ISO8601")
        return table.astype({"id": "int64", "score": "int64", "round": "int64"})

    def researchers(self) -> list[str]:
        """Names of everyone who has given a label or been shown a batch, sorted."""
        rows = self._query("SELECT researcher FROM labels UNION SELECT researcher FROM batches")
        return sorted(str(r[0]) for r in rows)

    def rounds(self, researcher: str) -> list[int]:
        """The distinct round numbers of ``researcher``'s labels, ascending."""
        researcher = check_researcher(researcher)
        rows = self._query(
            "SELECT DISTINCT round FROM labels WHERE researcher = ? ORDER BY round",
            (researcher,),
        )
        return [int(r[0]) for r in rows]

    def count(self, researcher: str) -> int:
        """How many galaxies ``researcher`` has labelled (latest label per galaxy)."""
        return len(self.labels(researcher))
