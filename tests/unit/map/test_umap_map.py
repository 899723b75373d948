"""The UMAP map keeps clusters apart and is written atomically into the workspace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oddfinder.cli import main
from oddfinder.errors import WorkspaceError
from oddfinder.io.workspace import Workspace
from oddfinder.map.umap_map import UmapMap, map_workspace


def _workspace(path, features):
    ws = Workspace(path)
    path.mkdir(parents=True, exist_ok=True)
    ws.update_meta()
    n = len(features)
    ws.write_table("catalog", pd.DataFrame({"id": [f"g{i}" for i in range(n)]}))
    ws.write_array("features", features)
    return ws


def test_bad_input_is_refused_before_importing_umap():
    with pytest.raises(ValueError, match="shape"):
        UmapMap().fit(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        UmapMap().fit(np.full((10, 4), np.nan))


def test_row_mismatch_is_a_workspace_error(tmp_path):
    ws = _workspace(tmp_path / "ws", np.zeros((10, 4), dtype=np.float32))
    ws.write_table("catalog", pd.DataFrame({"id": [f"g{i}" for i in range(11)]}))
    with pytest.raises(WorkspaceError, match=r"features\.npy"):
        map_workspace(Workspace.open(ws.path))
    assert not (ws.path / "map.parquet").exists()


def test_cli_reports_missing_workspace(tmp_path, capsys):
    assert main(["map", str(tmp_path / "nowhere")]) == 2
    assert "workspace.json" in capsys.readouterr().err


@pytest.mark.slow
def test_map_separates_clusters_and_writes_parquet(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.normal(0.0, 1.0, size=(150, 10))
    b = rng.normal(8.0, 1.0, size=(150, 10))
    features = np.vstack([a, b]).astype(np.float32)
    ws = _workspace(tmp_path / "ws", features)
    assert main(["map", str(ws.path), "--seed", "1"]) == 0
    table = pd.read_parquet(ws.path / "map.parquet")
    assert list(table.columns) == ["id", "x", "y"]
    assert len(table) == 300
    assert table["id"].tolist()[:2] == ["g0", "g1"]
    xy = table[["x", "y"]].to_numpy()
    assert np.isfinite(xy).all()
    # Each point's nearest map neighbour is in its own cluster.
    dist = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    np.fill_diagonal(dist, np.inf)
    nearest = dist.argmin(axis=1)
    assert np.mean((nearest < 150) == (np.arange(300) < 150)) > 0.98
    assert Workspace.open(ws.path).meta["map"]["seed"] == 1
