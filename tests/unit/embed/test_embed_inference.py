"""Chunked, resumable embedding of a workspace, and the PCA step."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from _embed_helpers import make_workspace

from oddfinder.embed.inference import CHUNK_DIR, embed_workspace, load_answers
from oddfinder.embed.reduce import reduce_features
from oddfinder.errors import ImageError, WorkspaceError
from oddfinder.io.workspace import Workspace


class _Stop(Exception):
    pass


def _embed(ws, checkpoint, **kwargs):
    options = {"encoder": f"file:{checkpoint}", "device": "cpu", "batch_size": 4}
    options.update(workers=0, chunk_size=8, progress=False)
    options.update(kwargs)
    return embed_workspace(ws, **options)


def test_embed_writes_float32_embeddings_features_answers_and_meta(tmp_path, tiny_checkpoint):
    ws = make_workspace(tmp_path, 20)
    embeddings = _embed(ws, tiny_checkpoint, components=5)
    assert embeddings.shape == (20, 24) and embeddings.dtype == np.float32
    assert np.isfinite(embeddings).all()
    assert np.load(ws.path / "embeddings.npy").dtype == np.float32
    features = ws.features()
    assert features.shape == (20, 5) and features.dtype == np.float32
    meta = ws.meta
    assert meta["embedding_dim"] == 24 and meta["feature_dim"] == 5
    assert meta["encoder"] == "file:tiny.pt" and meta["encoder_version"] == "test-1"
    assert 0 < meta["pca_explained_variance_total"] <= 1.0 + 1e-6
    assert len(meta["pca_explained_variance_ratio"]) == 5
    answers = load_answers(ws)
    assert list(answers["id"]) == list(ws.ids)
    kind = answers[[c for c in answers.columns if c.startswith("kind_")]].to_numpy()
    assert np.allclose(kind.sum(1), 1, atol=1e-4)
    assert answers["merging"].between(0, 1).all()
    assert not (ws.path / CHUNK_DIR).exists()
    assert not [p for p in ws.path.iterdir() if p.name.startswith(".embeddings")]


def test_interrupted_embed_resumes_only_missing_chunks(tmp_path, tiny_checkpoint):
    ws = make_workspace(tmp_path, 30)  # chunks of 8: 0, 1, 2, 3 (last has 6 rows)
    reference = np.array(_embed(ws, tiny_checkpoint, components=None))
    (ws.path / "embeddings.npy").unlink()

    def stop_after_two(k: int) -> None:
        if k == 1:
            raise _Stop

    with pytest.raises(_Stop):
        _embed(ws, tiny_checkpoint, on_chunk=stop_after_two, components=None)
    assert not (ws.path / "embeddings.npy").exists()
    chunks = sorted(p.name for p in (ws.path / CHUNK_DIR).rglob("chunk_*.npy"))
    assert chunks == ["chunk_000000.npy", "chunk_000001.npy"]

    computed: list[int] = []
    resumed = _embed(ws, tiny_checkpoint, on_chunk=computed.append, components=None)
    assert computed == [2, 3]
    np.testing.assert_allclose(resumed, reference, rtol=1e-5, atol=1e-6)


def test_chunks_of_another_encoder_are_not_reused(tmp_path, tiny_checkpoint):
    ws = make_workspace(tmp_path, 12)

    def stop(k: int) -> None:
        raise _Stop

    with pytest.raises(_Stop):
        _embed(ws, tiny_checkpoint, on_chunk=stop)
    import torch

    from oddfinder.embed.encoders import load_checkpoint, save_checkpoint

    model, _ = load_checkpoint(tiny_checkpoint)
    other = tiny_checkpoint.with_name("other.pt")
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1)
    save_checkpoint(other, model, version="test-2", half=False)
    computed: list[int] = []
    _embed(ws, other, on_chunk=computed.append, components=None)
    assert computed == [0, 1]
    assert ws.meta["encoder_version"] == "test-2"


def test_workers_give_the_same_embeddings(tmp_path, tiny_checkpoint):
    ws = make_workspace(tmp_path, 10)
    serial = np.array(_embed(ws, tiny_checkpoint, components=None))
    parallel = np.array(_embed(ws, tiny_checkpoint, components=None, workers=2))
    np.testing.assert_allclose(serial, parallel, atol=1e-6)


def test_unreadable_image_names_the_row_and_keeps_finished_chunks(tmp_path, tiny_checkpoint):
    ws = make_workspace(tmp_path, 20)
    bad = ws.catalog["path"][13]
    with open(bad, "wb") as handle:
        handle.write(b"not a jpeg")
    with pytest.raises(ImageError, match=r"row 13 \(id g00013\)"):
        _embed(ws, tiny_checkpoint)
    assert len(list((ws.path / CHUNK_DIR).rglob("chunk_*.npy"))) == 1
    assert not ws.has("embeddings")


def test_precomputed_embeddings_only_run_pca(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.path.mkdir()
    ws.update_meta(format_version=1)
    ws.write_table("catalog", pd.DataFrame({"id": [f"x{i}" for i in range(50)]}))
    rng = np.random.default_rng(0)
    ws.write_array("embeddings", rng.normal(size=(50, 64)))
    embed_workspace(ws, encoder="no-such-encoder", components=40, progress=False)
    assert ws.features().shape == (50, 40)
    assert "encoder" not in ws.meta


def test_reduce_caps_components_and_orders_variance(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.path.mkdir()
    ws.update_meta(format_version=1)
    ws.write_table("catalog", pd.DataFrame({"id": [str(i) for i in range(30)]}))
    rng = np.random.default_rng(1)
    ws.write_array("embeddings", rng.normal(size=(30, 12)) * np.arange(1, 13))
    features = reduce_features(ws, n_components=40)
    assert features.shape == (30, 12)
    ratio = ws.meta["pca_explained_variance_ratio"]
    assert all(a >= b for a, b in itertools.pairwise(ratio))
    assert ws.meta["pca_explained_variance_total"] == pytest.approx(1.0, abs=1e-4)


def test_incremental_pca_matches_exact_pca_subspace(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.path.mkdir()
    ws.update_meta(format_version=1)
    ws.write_table("catalog", pd.DataFrame({"id": [str(i) for i in range(600)]}))
    rng = np.random.default_rng(2)
    ws.write_array("embeddings", rng.normal(size=(600, 16)) * np.linspace(5, 0.1, 16))
    exact = np.array(reduce_features(ws, n_components=4))
    incremental = np.array(
        reduce_features(ws, n_components=4, incremental_above=100, batch_rows=128)
    )
    for j in range(4):  # same components up to sign
        corr = abs(np.corrcoef(exact[:, j], incremental[:, j])[0, 1])
        assert corr > 0.98


def test_embed_without_images_or_embeddings_is_a_clear_error(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.path.mkdir()
    ws.update_meta(format_version=1)
    ws.write_table("catalog", pd.DataFrame({"id": ["a", "b"]}))
    with pytest.raises(WorkspaceError, match="neither image paths nor embeddings"):
        embed_workspace(ws, progress=False)
