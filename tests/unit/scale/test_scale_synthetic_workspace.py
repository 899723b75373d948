"""``oddfinder simulate --embeddings-only``: a ready, memory-mapped workspace at scale."""

from __future__ import annotations

import numpy as np
import pytest

from oddfinder.cli import main
from oddfinder.errors import WorkspaceError
from oddfinder.io.workspace import Workspace
from oddfinder.labels.loop import LabellingLoop
from oddfinder.labels.store import LabelStore
from oddfinder.survey.synthetic_embeddings import synthetic_workspace


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Workspace:
    out = tmp_path_factory.mktemp("scale") / "ws"
    assert main(["simulate", str(out), "-n", "10000", "--embeddings-only", "--seed", "3"]) == 0
    return Workspace.open(out)


def test_the_workspace_is_complete_memory_mapped_and_float32(ws):
    assert ws.n == 10_000 and ws.ids[0] == "syn0000000"
    embeddings, features = ws.embeddings(), ws.features()
    assert isinstance(embeddings, np.memmap) and isinstance(features, np.memmap)
    assert embeddings.shape == (10_000, 512) and features.shape == (10_000, 40)
    assert embeddings.dtype == features.dtype == np.float32
    assert np.isfinite(embeddings[::97]).all()
    for table in ("prior", "map"):
        assert (ws.read_table(table)["id"].to_numpy() == ws.ids).all()
    assert "not UMAP" in ws.meta["map"]["method"]
    assert not (ws.path / "thumbs").exists()
    assert not [p.name for p in ws.path.parent.iterdir() if p.name.startswith(".")]


def test_the_rare_cluster_is_found_by_the_prior_and_a_ranking_round(ws):
    interesting = ws.catalog["interesting"].to_numpy()
    assert 5 <= interesting.sum() <= 50
    prior = ws.read_table("prior")["prior"].to_numpy()
    assert np.median(prior[interesting]) > 0.95
    store = LabelStore(ws.labels_path)
    loop = LabellingLoop(
        store, "ada", ids=ws.ids, features=ws.features(), prior=prior, batch_size=10
    )
    for row in loop.batch:
        loop.label(ws.ids[row], 5 if interesting[row] else 0)
    batch = loop.next_round()
    assert interesting[batch].mean() >= 0.5


def test_same_seed_same_files_and_an_existing_workspace_is_kept(tmp_path):
    a = synthetic_workspace(tmp_path / "a", 300, dim=8, n_features=4, seed=1, chunk_rows=64)
    b = synthetic_workspace(tmp_path / "b", 300, dim=8, n_features=4, seed=1, chunk_rows=64)
    np.testing.assert_array_equal(a.embeddings(), b.embeddings())
    before = (tmp_path / "a" / "embeddings.npy").read_bytes()
    with pytest.raises(WorkspaceError, match="already exists"):
        synthetic_workspace(tmp_path / "a", 50, dim=8, n_features=4)
    assert (tmp_path / "a" / "embeddings.npy").read_bytes() == before


def test_a_bad_size_is_a_one_line_cli_error(tmp_path, capsys):
    assert main(["simulate", str(tmp_path / "ws"), "-n", "1", "--embeddings-only"]) == 2
    assert "need at least 2" in capsys.readouterr().err
    assert not (tmp_path / "ws").exists()
