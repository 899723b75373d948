"""Workspaces of other versions: older ones migrate in place, newer ones get a clear message."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from oddfinder.cli import main
from oddfinder.errors import WorkspaceError
from oddfinder.io import migrate as migrate_module
from oddfinder.io.migrate import detect_version, migrate_workspace
from oddfinder.io.workspace import FORMAT_VERSION, Workspace


def _v0_workspace(path):
    """The version-0 layout: no format_version, float64 arrays, numeric ids, umap.parquet."""
    path.mkdir()
    rng = np.random.default_rng(0)
    ids = np.arange(100, 130)
    (path / "workspace.json").write_text(json.dumps({"n": 30, "encoder": "bundled"}))
    pd.DataFrame({"id": ids, "ra": rng.uniform(0, 1, 30), "dec": 0.0}).to_parquet(
        path / "catalog.parquet"
    )
    embeddings = rng.normal(size=(30, 6))
    np.save(path / "embeddings.npy", embeddings)
    np.save(path / "features.npy", embeddings[:, :3])
    pd.DataFrame({"id": ids, "x": 0.0, "y": 1.0}).to_parquet(path / "umap.parquet")
    return embeddings


def test_a_version_0_workspace_is_refused_with_advice_then_migrated(tmp_path, capsys):
    ws_path = tmp_path / "old"
    embeddings = _v0_workspace(ws_path)
    with pytest.raises(WorkspaceError, match="oddfinder migrate"):
        Workspace.open(ws_path)
    assert main(["migrate", str(ws_path), "--dry-run"]) == 0
    assert detect_version(ws_path) == 0
    assert main(["migrate", str(ws_path)]) == 0
    assert "0 -> 1" in capsys.readouterr().out
    ws = Workspace.open(ws_path)
    assert ws.embeddings().dtype == np.float32
    np.testing.assert_allclose(ws.embeddings(), embeddings, rtol=1e-6)
    assert ws.features().dtype == np.float32
    assert ws.ids[0] == "100" and ws.read_table("map")["id"].iloc[0] == "100"
    assert not (ws_path / "umap.parquet").exists()
    assert ws.meta["migrated_from"] == 0
    assert migrate_workspace(ws_path) == []  # already current
    assert not [p.name for p in ws_path.iterdir() if p.name.startswith(".")]


def test_an_interrupted_migration_leaves_a_workspace_that_migrates_again(tmp_path, monkeypatch):
    ws_path = tmp_path / "old"
    _v0_workspace(ws_path)

    def crash(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(migrate_module, "_string_ids", crash)
    with pytest.raises(KeyboardInterrupt):
        migrate_workspace(ws_path)
    assert detect_version(ws_path) == 0  # the version is bumped last
    monkeypatch.undo()
    migrate_workspace(ws_path)
    assert Workspace.open(ws_path).ids[-1] == "129"


def test_a_workspace_from_a_newer_version_gets_a_clear_message(tmp_path, capsys):
    ws_path = tmp_path / "new"
    _v0_workspace(ws_path)
    meta = json.loads((ws_path / "workspace.json").read_text())
    (ws_path / "workspace.json").write_text(json.dumps({**meta, "format_version": 7}))
    with pytest.raises(WorkspaceError, match="upgrade oddfinder"):
        Workspace.open(ws_path)
    assert main(["migrate", str(ws_path)]) == 2
    err = capsys.readouterr().err
    assert "newer oddfinder" in err and err.count("\n") == 1
    assert detect_version(ws_path) == 7 > FORMAT_VERSION


@pytest.mark.parametrize("meta", ['{"format_version": "one"}', "[1, 2]", "{not json"])
def test_a_garbled_workspace_json_is_a_one_line_error(tmp_path, meta):
    (tmp_path / "workspace.json").write_text(meta)
    with pytest.raises(WorkspaceError):
        migrate_workspace(tmp_path)
    with pytest.raises(WorkspaceError):
        Workspace.open(tmp_path)
