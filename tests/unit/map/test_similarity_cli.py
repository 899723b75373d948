"""`oddfinder similar` and similarity_features on a small embedded workspace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oddfinder.cli import main
from oddfinder.embed.reduce import reduce_features
from oddfinder.errors import WorkspaceError
from oddfinder.io.embeddings_file import ingest_embeddings
from oddfinder.map.similarity import find_similar, similarity_features


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("similar")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 24)).astype(np.float32)
    x[30:] += 4.0  # two clusters: rows 0-29 and 30-59
    table = pd.DataFrame(x, columns=[f"f{i}" for i in range(24)])
    table.insert(0, "id", [f"G{i:03d}" for i in range(60)])
    table.to_parquet(root / "emb.parquet")
    workspace = ingest_embeddings(root / "emb.parquet", root / "ws", id_column="id")
    reduce_features(workspace, n_components=12)
    return workspace


def test_similarity_features_are_the_leading_components(ws):
    ten = similarity_features(ws, n_components=10)
    assert ten.shape == (60, 10)
    assert np.allclose(ten, np.asarray(ws.features())[:, :10])
    assert similarity_features(ws, n_components=None).shape == (60, 12)


def test_find_similar_stays_in_the_cluster(ws):
    table = find_similar(ws, "G035", k=5, metric="euclidean")
    assert table["rank"].tolist() == [1, 2, 3, 4, 5]
    assert "G035" not in table["id"].tolist()
    assert all(int(g[1:]) >= 30 for g in table["id"])
    with pytest.raises(WorkspaceError, match="no galaxy with id 'nope'"):
        find_similar(ws, "nope")


def test_cli_prints_neighbours(ws, capsys):
    assert main(["similar", str(ws.path), "G001", "-k", "4"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["rank", "id", "distance"]
    assert len(lines) == 5
    assert all(int(line.split()[1][1:]) < 30 for line in lines[1:])


def test_cli_unknown_id_is_one_line_exit_2(ws, capsys):
    assert main(["similar", str(ws.path), "G999"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no galaxy with id 'G999'" in err
