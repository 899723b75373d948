"""Many writers at once on one label store: threads and processes, two researchers."""

from __future__ import annotations

import multiprocessing
import threading

from oddfinder.labels.store import LabelStore

PER_WRITER = 40


def _write(path: str, researcher: str, writer: int, with_many: bool) -> None:
    store = LabelStore(path)
    for i in range(PER_WRITER):
        gid = f"{researcher[0]}{writer:02d}-{i:03d}"
        if with_many and i % 10 == 0:
            store.add_many(researcher, {gid: i % 6, gid + "b": (i + 1) % 6})
        else:
            store.add(researcher, gid, i % 6)


def test_threads_and_processes_of_two_researchers_lose_and_duplicate_nothing(tmp_path):
    path = str(tmp_path / "labels.sqlite")
    LabelStore(path)
    jobs = [("ada", w, w % 2 == 0) for w in range(4)] + [("bob", w, w % 2 == 1) for w in range(4)]
    context = multiprocessing.get_context("fork")  # started before any thread
    processes = [context.Process(target=_write, args=(path, r, w + 10, m)) for r, w, m in jobs[::2]]
    threads = [threading.Thread(target=_write, args=(path, r, w, m)) for r, w, m in jobs]
    for worker in [*processes, *threads]:
        worker.start()
    for worker in [*processes, *threads]:
        worker.join(timeout=120)
    assert all(p.exitcode == 0 for p in processes)

    store = LabelStore(path)
    assert store.researchers() == ["ada", "bob"]
    for researcher in ("ada", "bob"):
        history = store.history(researcher)
        writers = [(w, m) for r, w, m in jobs if r == researcher]
        writers += [(w + 10, m) for r, w, m in jobs[::2] if r == researcher]
        expected = {}
        for w, with_many in writers:
            for i in range(PER_WRITER):
                gid = f"{researcher[0]}{w:02d}-{i:03d}"
                expected[gid] = i % 6
                if with_many and i % 10 == 0:
                    expected[gid + "b"] = (i + 1) % 6
        assert len(history) == len(expected)  # nothing lost, nothing written twice
        assert history["galaxy_id"].is_unique
        assert store.labels(researcher) == expected
