"""The label store keeps every label, across threads and processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

import pandas as pd
import pytest

from oddfinder.errors import LabelError
from oddfinder.labels.store import LabelStore, check_researcher


@pytest.fixture
def store(tmp_path):
    return LabelStore(tmp_path / "labels.sqlite")


def test_latest_label_per_galaxy_and_history(store):
    store.add("ada", "g1", 5, round=0)
    store.add("ada", "g2", 0, round=0)
    store.add("ada", "g1", 2, round=1)
    assert store.labels("ada") == {"g1": 2, "g2": 0}
    history = store.history("ada")
    assert list(history["galaxy_id"]) == ["g1", "g2", "g1"]
    assert list(history["score"]) == [5, 0, 2]
    assert list(history.columns) == [
        *("id", "researcher", "galaxy_id", "score", "round", "time", "source")
    ]
    assert set(history["source"]) == {"label"}
    assert str(history["time"].dt.tz) == "UTC"
    assert store.rounds("ada") == [0, 1]
    assert store.count("ada") == 2


def test_researchers_are_separate(store):
    store.add("ada", "g1", 5)
    store.add("bob", "g1", 1)
    assert store.labels("ada") == {"g1": 5}
    assert store.labels("bob") == {"g1": 1}
    assert store.researchers() == ["ada", "bob"]
    assert store.labels("nobody") == {}


def test_undo_last_removes_only_the_latest(store):
    assert store.undo_last("ada") is None
    store.add("ada", "g1", 5)
    store.add("ada", "g1", 1)
    store.add("bob", "g9", 3)
    assert store.undo_last("ada") == ("g1", 1)
    assert store.labels("ada") == {"g1": 5}
    assert store.labels("bob") == {"g9": 3}


def test_wal_mode_and_reopen(tmp_path):
    path = tmp_path / "sub" / "labels.sqlite"
    LabelStore(path).add("ada", "g1", 4)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert LabelStore(path).labels("ada") == {"g1": 4}


@pytest.mark.parametrize("score", [-1, 6, 2.5, "x", None, True, float("nan")])
def test_bad_scores_are_refused_naming_id_and_score(store, score):
    with pytest.raises(LabelError, match="g7") as info:
        store.add("ada", "g7", score)
    assert "\n" not in str(info.value)
    assert repr(score) in str(info.value)
    assert store.labels("ada") == {}


def test_whole_float_and_numpy_scores_are_accepted(store):
    import numpy as np

    store.add("ada", "g1", 3.0)
    store.add("ada", "g2", np.int64(4))
    assert store.labels("ada") == {"g1": 3, "g2": 4}


@pytest.mark.parametrize("name", ["", "   ", "a/b", "x" * 65, "'; DROP TABLE labels; --", None])
def test_bad_researcher_names_are_refused(store, name):
    with pytest.raises(LabelError, match="researcher"):
        store.add(name, "g1", 1)


def test_researcher_name_is_stripped(store):
    assert check_researcher(" Ada L.-x_1 ") == "Ada L.-x_1"
    store.add(" ada ", "g1", 1)
    assert store.labels("ada") == {"g1": 1}


def test_batches_resume(store):
    assert store.current_batch("ada") is None
    store.save_batch("ada", 0, ["a", "b"])
    store.save_batch("ada", 1, ["c"])
    assert store.current_batch("ada") == (1, ["c"])
    assert store.researchers() == ["ada"]


def test_add_many_is_all_or_nothing(store):
    with pytest.raises(LabelError):
        store.add_many("ada", [("g1", 1), ("g2", 9)])
    assert store.labels("ada") == {}
    store.add_many("ada", {"g1": 1, "g2": 2}, round=3)
    assert store.labels("ada") == {"g1": 1, "g2": 2}
    assert store.rounds("ada") == [3]


def test_threads_writing_at_once_lose_nothing(store):
    def work(who):
        for i in range(40):
            store.add(who, f"g{i}", i % 6)

    threads = [threading.Thread(target=work, args=(f"r{t}",)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for t in range(4):
        assert len(store.labels(f"r{t}")) == 40
    assert len(pd.concat([store.history(f"r{t}") for t in range(4)])) == 160


_WRITER = """
import sys
from oddfinder.labels.store import LabelStore
store = LabelStore(sys.argv[1])
for i in range(int(sys.argv[3])):
    store.add(sys.argv[2], f"g{i}", i % 6)
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "labels.sqlite"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), f"p{k}", "60"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(2)
    ]
    errors = [proc.communicate(timeout=120)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], errors
    store = LabelStore(path)
    assert len(store.history("p0")) == 60
    assert len(store.history("p1")) == 60


def test_a_transient_lock_is_retried_and_other_errors_are_not(store, monkeypatch):
    real = LabelStore._connect
    failures = iter([sqlite3.OperationalError("database is locked")])

    def flaky(self):
        error = next(failures, None)
        if error is not None:
            raise error
        return real(self)

    monkeypatch.setattr(LabelStore, "_connect", flaky)
    store.add("ada", "g1", 3)
    assert store.labels("ada") == {"g1": 3}

    def broken(self):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(LabelStore, "_connect", broken)
    with pytest.raises(sqlite3.OperationalError, match="disk"):
        store.add("ada", "g2", 3)


def test_a_store_from_before_label_sources_gains_the_column(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE labels (id INTEGER PRIMARY KEY AUTOINCREMENT, researcher TEXT NOT NULL,
            galaxy_id TEXT NOT NULL, score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 5),
            round INTEGER NOT NULL DEFAULT 0, time TEXT NOT NULL);
        INSERT INTO labels (researcher, galaxy_id, score, round, time)
            VALUES ('ada', 'g1', 4, 0, '2026-01-01T00:00:00+00:00');
        """
    )
    conn.commit()
    conn.close()
    store = LabelStore(path)
    assert store.labels("ada") == {"g1": 4}  # nothing lost
    assert store.history("ada")["source"].tolist() == ["label"]
    store.add("ada", "g2", 5, source="example")
    assert store.examples("ada") == {"g2"}
    assert LabelStore(path).labels("ada") == {"g1": 4, "g2": 5}  # reopening is idempotent


def test_unknown_label_source_is_refused_and_nothing_written(store):
    with pytest.raises(LabelError, match="label source 'guess' is not one of label, example"):
        store.add("ada", "g1", 5, source="guess")
    with pytest.raises(LabelError, match="label source"):
        store.add_many("ada", {"g1": 5, "g2": 0}, source="")
    assert store.labels("ada") == {}
