"""Embedding on a Dask LocalCluster: equal to one process, survives a killed worker and client."""

from __future__ import annotations

import os
import shutil
import signal
import time

import numpy as np
import pytest
from _reliability_helpers import make_image_workspace

from oddfinder.embed.inference import CHUNK_DIR, embed_workspace
from oddfinder.errors import OddfinderError
from oddfinder.io.workspace import Workspace

distributed = pytest.importorskip("distributed")

OPTIONS = {"encoder": "bundled", "device": "cpu", "batch_size": 4, "chunk_size": 8}


class _ClientDied(Exception):
    pass


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_embedding_equals_single_process_despite_killed_worker_and_client(tmp_path, client):
    from oddfinder.embed.dask_embed import embed_workspace_dask

    ws = make_image_workspace(tmp_path, 64)
    shutil.copytree(ws.path, tmp_path / "ref")
    reference = embed_workspace(
        Workspace.open(tmp_path / "ref"), workers=0, components=None, progress=False, **OPTIONS
    )

    # 1. The client dies after two partitions: their chunk files stay, nothing else is there.
    finished = []

    def die(k):
        finished.append(k)
        if len(finished) == 2:
            raise _ClientDied

    with pytest.raises(_ClientDied):
        embed_workspace_dask(ws, client, components=None, on_chunk=die, **OPTIONS)
    chunks = list((ws.path / CHUNK_DIR).rglob("chunk_*.npy"))
    assert len(chunks) >= 2
    assert not (ws.path / "embeddings.npy").exists()
    client.cancel(list(client.futures))

    # 2. Rerun, and SIGKILL a worker that is busy with a partition after the first one.
    for path in chunks[1:]:
        path.unlink()  # leave work to do
    killed = []
    busy_at_kill = []

    def kill_a_worker(k):
        if killed:
            return
        processing = client.processing()
        busy = [w for w, keys in processing.items() if keys]
        busy_at_kill.append(bool(busy))
        busy = busy or list(processing)
        pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    embeddings = embed_workspace_dask(ws, client, components=5, on_chunk=kill_a_worker, **OPTIONS)
    assert killed
    # Equal up to float32 rounding: a worker's BLAS may sum in another order (thread count).
    np.testing.assert_allclose(np.asarray(embeddings), np.asarray(reference), rtol=1e-4, atol=1e-5)
    assert ws.features().shape == (64, 5)
    assert ws.meta["embedded_on"] == "dask"
    assert not (ws.path / CHUNK_DIR).exists()
    # The nanny replaces the killed worker; the scheduler may still list the dead one briefly.
    deadline = time.monotonic() + 60
    while True:
        pids = set(client.run(os.getpid, on_error="ignore").values())
        if len(pids) == 2 and killed[0] not in pids:
            break
        assert time.monotonic() < deadline, f"killed worker not replaced: {pids}"
        time.sleep(0.5)


def test_bad_local_cluster_spec_is_a_one_line_error():
    from oddfinder.embed.dask_embed import connect

    with pytest.raises(OddfinderError, match="local:N"):
        connect("local:zero")


def test_embed_cli_takes_dask_and_reports_a_bad_spec_on_one_line(tmp_path, capsys):
    from oddfinder.cli import main

    ws = make_image_workspace(tmp_path, 8)
    assert main(["embed", str(ws.path), "--dask", "local:zero", "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "local:N" in err and err.count("\n") == 1
    assert not (ws.path / "embeddings.npy").exists()
    assert not (ws.path / CHUNK_DIR).exists()


def test_an_unreadable_image_is_a_one_line_error_and_finished_chunks_stay(tmp_path, client):
    from oddfinder.embed.dask_embed import embed_workspace_dask
    from oddfinder.errors import ImageError

    ws = make_image_workspace(tmp_path, 16)
    (tmp_path / "images" / "g0013.png").write_bytes(b"not a png")
    with pytest.raises(ImageError, match="row 13") as info:
        embed_workspace_dask(ws, client, components=None, **OPTIONS)
    assert "\n" not in str(info.value)
    assert not (ws.path / "embeddings.npy").exists()
    assert len(list((ws.path / CHUNK_DIR).rglob("chunk_000000.npy"))) == 1
