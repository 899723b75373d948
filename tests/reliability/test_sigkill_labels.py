"""The labelling process killed with SIGKILL mid-labelling, then restarted: no label is lost."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

from oddfinder.labels.loop import LabellingLoop
from oddfinder.labels.store import LabelStore
from oddfinder.survey.synthetic_embeddings import synthetic_workspace

# A labelling process doing what the app's callbacks do: one LabellingLoop per researcher,
# loop.label() on every click, loop.next_round() every ten labels. It prints each label after
# the call returned (what the researcher saw acknowledged), then the parent kills it.
_LABELLER = textwrap.dedent(
    """
    import sys
    from oddfinder.io.workspace import Workspace
    from oddfinder.labels.loop import LabellingLoop
    from oddfinder.labels.store import LabelStore

    ws = Workspace.open(sys.argv[1])
    loop = LabellingLoop(LabelStore(ws.labels_path), sys.argv[2], ids=ws.ids,
                         features=ws.features(), batch_size=10, method="random")
    print("ready", flush=True)
    i = 0
    while True:
        for row in list(loop.batch):
            gid = str(loop.ids[row])
            score = (i * 7) % 6
            loop.label(gid, score)
            print(f"{gid} {score} {loop.round}", flush=True)
            i += 1
        loop.next_round()
    """
)


def _run_and_kill(ws_path, researcher, n_acknowledged):
    process = subprocess.Popen(
        [sys.executable, "-c", _LABELLER, str(ws_path), researcher],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    given = []
    try:
        assert process.stdout.readline().strip() == "ready"
        while len(given) < n_acknowledged:
            line = process.stdout.readline()
            assert line, "the labelling process exited early"
            gid, score, round_ = line.split()
            given.append((gid, int(score), int(round_)))
    finally:
        os.kill(process.pid, signal.SIGKILL)  # mid-labelling: it never stops on its own
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    return given


def test_every_acknowledged_label_survives_sigkill_and_restart(tmp_path):
    ws = synthetic_workspace(tmp_path / "ws", 2000, dim=16, n_features=8)
    given = _run_and_kill(ws.path, "ada", 37)
    time.sleep(0.05)

    # Restart: a fresh store and loop, as the restarted app builds them.
    store = LabelStore(ws.labels_path)
    labels = store.labels("ada")
    expected = {}
    for gid, score, _ in given:
        expected[gid] = score
    for gid, score in expected.items():
        assert labels[gid] == score
    # Labels given after the last acknowledgement may or may not be there; never more than one.
    assert len(labels) - len(expected) in (0, 1)
    with sqlite3.connect(ws.labels_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    loop = LabellingLoop(store, "ada", ids=ws.ids, features=ws.features(), method="random")
    assert loop.round == given[-1][2]  # resumes in the round it was killed in
    assert set(loop.labels()) >= set(expected)

    # Killed again, after the restart: the labels of both runs are all there.
    more = _run_and_kill(ws.path, "ada", 15)
    final = LabelStore(ws.labels_path).labels("ada")
    for gid, score, _ in more:
        assert final[gid] == score
    assert len(final) >= len(expected | {g: s for g, s, _ in more})
    history = LabelStore(ws.labels_path).history("ada")
    assert history["id"].is_unique
    json.dumps(final)  # plain ids and ints
