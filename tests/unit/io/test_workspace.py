"""Workspace: opening, metadata, arrays and tables, paths."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oddfinder.errors import WorkspaceError
from oddfinder.io.workspace import FORMAT_VERSION, Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace(tmp_path / "ws")
    workspace.path.mkdir()
    workspace.update_meta(n=3)
    workspace.write_table("catalog", pd.DataFrame({"id": ["a", "007", "c"], "ra": [1.0, 2, 3]}))
    return workspace


def test_open_checks_the_folder_and_version(tmp_path: Path, ws: Workspace) -> None:
    assert Workspace.open(ws.path).meta["format_version"] == FORMAT_VERSION
    with pytest.raises(WorkspaceError, match=r"no workspace\.json"):
        Workspace.open(tmp_path)
    (ws.path / "workspace.json").write_text("{not json")
    with pytest.raises(WorkspaceError, match=r"unreadable workspace\.json"):
        Workspace.open(ws.path)
    (ws.path / "workspace.json").write_text(json.dumps({"format_version": 99}))
    with pytest.raises(WorkspaceError, match="format version 99"):
        Workspace.open(ws.path)


def test_update_meta_merges(ws: Workspace) -> None:
    ws.update_meta(encoder={"name": "x"})
    ws.update_meta(n=4)
    assert ws.meta["encoder"] == {"name": "x"}
    assert ws.meta["n"] == 4
    assert not list(ws.path.glob(".workspace.json.*"))  # no temporary files left


def test_catalog_ids_and_rows_refresh_after_write(ws: Workspace) -> None:
    assert ws.n == 3
    assert ws.ids.tolist() == ["a", "007", "c"]
    assert ws.row_of["007"] == 1
    ws.write_table("catalog", pd.DataFrame({"id": ["z"]}))
    assert ws.n == 1 and ws.row_of == {"z": 0}


def test_arrays_are_float32_and_memory_mapped(ws: Workspace) -> None:
    assert not ws.has("features")
    with pytest.raises(WorkspaceError, match=r"no features\.npy"):
        ws.features()
    ws.write_array("features", np.arange(6, dtype=np.float64).reshape(3, 2))
    assert ws.has("features")
    features = ws.features()
    assert isinstance(features, np.memmap) and features.dtype == np.float32
    assert not features.flags.writeable
    assert ws.features(mmap=False).sum() == 15


def test_tables_and_paths(ws: Workspace) -> None:
    with pytest.raises(WorkspaceError, match=r"no prior\.parquet"):
        ws.read_table("prior")
    ws.write_table("prior", pd.DataFrame({"score": [0.1, 0.2, 0.3]}))
    assert ws.has("prior") and ws.read_table("prior")["score"].iloc[2] == pytest.approx(0.3)
    assert ws.thumb_path(0) == ws.path / "thumbs" / "00000" / "0.jpg"
    assert ws.thumb_path(12345) == ws.path / "thumbs" / "00012" / "12345.jpg"
    assert ws.labels_path.name == "labels.sqlite"
    assert ws.exports_dir == ws.path / "exports"
    assert repr(ws).startswith("Workspace(")
