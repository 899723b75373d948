"""Seed examples: "start from an example" of the galaxies a researcher wants more of.

A researcher may open a ranking session with one or a few galaxies they know are interesting.
Each seed example is an ordinary label of 5 ("exactly what I want") in the researcher's label
set, so the interest model's first round already knows what to look for. The label store has
no column for where a label came from, so a seed is stored like any other label of 5.

Seeds are given as comma-separated ids (``G1,G2``), or as a text file of ids (one per line,
blank lines and ``#`` comments skipped, an optional ``id`` header) or a CSV file with an ``id``
column. :func:`resolve_seed_examples` turns either into workspace rows, with a one-line
:class:`~oddfinder.errors.LabelError` naming any unknown or repeated id and where it was given.
"""

from __future__ import annotations

import csv
import io
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from oddfinder.errors import LabelError
from oddfinder.labels.store import MAX_SCORE, LabelStore, check_researcher

__all__ = [
    "SEED_SCORE",
    "add_seed_examples",
    "parse_seed_ids",
    "record_seed_examples",
    "resolve_seed_examples",
]

logger = logging.getLogger(__name__)

SEED_SCORE = MAX_SCORE  # a seed example is "exactly what I want"

_FILE_SUFFIXES = (".txt", ".csv", ".tsv", ".lst", ".list", ".ids")


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LabelError(f"cannot read seed examples file {name}: it is not UTF-8 text") from None


def _is_csv(text: str, name: str) -> bool:
    if name.lower().endswith((".csv", ".tsv")):
        return True
    first = next((line for line in text.splitlines() if line.strip()), "")
    return "," in first or "\t" in first


def _parse_csv(text: str, name: str) -> list[tuple[str, str]]:
    dialect = (
        "excel-tab" if name.lower().endswith(".tsv") or "\t" in text.split("\n", 1)[0] else "excel"
    )
    reader = csv.reader(io.StringIO(text), dialect=dialect)
    header: list[str] | None = None
    column = -1
    entries: list[tuple[str, str]] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip() for cell in row]
            lowered = [cell.lower() for cell in header]
            if "id" not in lowered:
                shown = ", ".join(header[:8])
                raise LabelError(
                    f"seed examples file {name} has no 'id' column (line {line}: {shown})"
                )
            column = lowered.index("id")
            continue
        gid = row[column].strip() if column < len(row) else ""
        if not gid:
            raise LabelError(f"seed examples file {name} line {line}: empty id")
        entries.append((gid, f"{name} line {line}"))
    return entries


def _parse_lines(text: str, name: str) -> list[tuple[str, str]]:
    entries: list[tuple[str, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        gid = raw.strip()
        if not gid or gid.startswith("#"):
            continue
        if not entries and gid.lower() == "id":  # a one-column header
            continue
        entries.append((gid, f"{name} line {number}"))
    return entries


def parse_seed_ids(
    spec: str | os.PathLike | bytes | Sequence[str], *, name: str | None = None
) -> list[tuple[str, str]]:
    """Read seed example ids, each with where it was given, without checking them.

    Parameters
    ----------
    spec : str, path-like, bytes or sequence of str
        Comma-separated ids (``"G1,G2"``); the path of a text or CSV file of ids (a ``str``
        that names an existing file, or that ends in ``.txt`` or ``.csv``, is read as one);
        the bytes of such a file (an upload); or ids one by one.
    name : str, optional
        The file's name, for messages and to tell CSV from text when ``spec`` is bytes.

    Returns
    -------
    list of (id, where)
        ``where`` names the source for messages: ``"seeds.csv line 3"``, ``"seed example 2"``.

    Raises
    ------
    LabelError
        If the file is missing, unreadable, has no ``id`` column, or lists no ids.

    Examples
    --------
    >>> parse_seed_ids(" G1, G2 ,")
    [('G1', 'seed example 1'), ('G2', 'seed example 2')]
    """
    if isinstance(spec, bytes):
        label = name or "uploaded file"
        text = _decode(spec, label)
    elif isinstance(spec, os.PathLike) or (
        isinstance(spec, str)
        and (Path(spec).is_file() or spec.strip().lower().endswith(_FILE_SUFFIXES))
    ):
        path = Path(spec).expanduser()
        label = name or str(path)
        if not path.is_file():
            raise LabelError(f"seed examples file not found: {path}")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise LabelError(f"cannot read seed examples file {path}: {error.strerror}") from None
        text = _decode(data, label)
    else:
        pieces: Iterable[str] = spec.split(",") if isinstance(spec, str) else spec
        ids = [str(p).strip() for p in pieces]
        entries = [(g, f"seed example {i}") for i, g in enumerate((g for g in ids if g), 1)]
        if not entries:
            raise LabelError("no seed example ids given: give ids like G1,G2 or a file of ids")
        return entries
    entries = _parse_csv(text, label) if _is_csv(text, label) else _parse_lines(text, label)
    if not entries:
        raise LabelError(f"seed examples file {label} lists no galaxy ids")
    return entries


def resolve_seed_examples(
    ws, spec: str | os.PathLike | bytes | Sequence[str], *, name: str | None = None
) -> np.ndarray:
    """The workspace rows of the seed examples in ``spec`` (see :func:`parse_seed_ids`).

    Parameters
    ----------
    ws : Workspace
        The survey the ids belong to (its ``row_of`` and ``path`` are used).
    spec : str, path-like, bytes or sequence of str
        Comma-separated ids, a file of ids, an uploaded file's bytes, or ids one by one.
    name : str, optional
        The uploaded file's name (with ``bytes``).

    Returns
    -------
    numpy.ndarray
        int64 rows, in the order given.

    Raises
    ------
    LabelError
        On an unknown id (naming it and its file and line, or its place in the list), an id
        given twice, or an empty or unreadable file.
    """
    entries = parse_seed_ids(spec, name=name)
    row_of = ws.row_of
    unknown = [(g, where) for g, where in entries if g not in row_of]
    if unknown:
        gid, where = unknown[0]
        more = f" (and {len(unknown) - 1} more unknown)" if len(unknown) > 1 else ""
        raise LabelError(
            f"unknown galaxy id {gid!r} ({where}): it is not in {ws.path / 'catalog.parquet'}"
            + more
        )
    first: dict[str, str] = {}
    for gid, where in entries:
        if gid in first:
            raise LabelError(f"galaxy id {gid!r} is given twice ({first[gid]} and {where})")
        first[gid] = where
    return np.array([row_of[g] for g, _ in entries], dtype=np.int64)


def _current_round(store: LabelStore, researcher: str) -> int:
    saved = store.current_batch(researcher)
    if saved is not None:
        return saved[0]
    rounds = store.rounds(researcher)
    return rounds[-1] if rounds else 0


def add_seed_examples(
    store: LabelStore,
    researcher: str,
    galaxy_ids: Iterable[str],
    *,
    round: int | None = None,
) -> list[str]:
    """Record ``galaxy_ids`` as the researcher's seed examples: labels of 5, in one transaction.

    Parameters
    ----------
    store : LabelStore
        The workspace's label store.
    researcher : str
        Whose examples they are.
    galaxy_ids : iterable of str
        The examples (check them first with :func:`resolve_seed_examples`); an id given more
        than once is recorded once.
    round : int, optional
        The round to record them in; default the researcher's current round (that of the
        batch last shown, else of their latest label, else 0).

    Returns
    -------
    list of str
        The ids recorded, in order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> store = LabelStore(pathlib.Path(tempfile.mkdtemp()) / "labels.sqlite")
    >>> add_seed_examples(store, "ada", ["G7", "G27"])
    ['G7', 'G27']
    >>> store.labels("ada")
    {'G7': 5, 'G27': 5}
    """
    researcher = check_researcher(researcher)
    ids = list(dict.fromkeys(str(g).strip() for g in galaxy_ids))
    if not ids or not all(ids):
        raise LabelError(f"no seed examples to record for {researcher!r} (empty galaxy id)")
    if round is None:
        round = _current_round(store, researcher)
    store.add_many(researcher, [(g, SEED_SCORE) for g in ids], round=int(round), source="example")
    logger.info("%s: %d seed example(s) recorded as label %d", researcher, len(ids), SEED_SCORE)
    return ids


def record_seed_examples(
    ws,
    researcher: str,
    spec: str | os.PathLike | bytes | Sequence[str],
    *,
    name: str | None = None,
    store: LabelStore | None = None,
    round: int | None = None,
) -> list[str]:
    """Resolve ``spec`` against the workspace and record the seeds in its label store.

    The one call behind ``oddfinder rank --seed-ids`` and the app's "Start from examples".
    Nothing is recorded unless every id is valid.

    Returns
    -------
    list of str
        The ids recorded.
    """
    researcher = check_researcher(researcher)
    rows = resolve_seed_examples(ws, spec, name=name)
    store = store if store is not None else LabelStore(ws.labels_path)
    return add_seed_examples(store, researcher, [str(g) for g in ws.ids[rows]], round=round)
