"""``oddfinder rank --seed-ids``: seed examples are recorded as label 5, then the survey ranked."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from oddfinder.cli import main
from oddfinder.io.workspace import FORMAT_VERSION, Workspace
from oddfinder.labels.store import LabelStore


@pytest.fixture()
def ws(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6)).astype(np.float32)
    x[:8] = 3.0 + 0.2 * rng.normal(size=(8, 6))  # the interesting cluster: g000-g007
    path = tmp_path / "ws"
    path.mkdir()
    (path / "workspace.json").write_text(json.dumps({"format_version": FORMAT_VERSION}))
    workspace = Workspace.open(path)
    workspace.write_table("catalog", pd.DataFrame({"id": [f"g{i:03d}" for i in range(300)]}))
    workspace.write_array("features", x)
    return workspace


def test_seed_ids_are_recorded_and_rank_their_cluster_first(ws, capsys):
    status = main(["rank", str(ws.path), "--researcher", "ada", "--seed-ids", "g000,g001"])
    assert status == 0
    assert LabelStore(ws.labels_path).labels("ada") == {"g000": 5, "g001": 5}
    out = capsys.readouterr().out
    assert "recorded 2 seed example(s) for ada (label 5): g000 g001" in out
    table = pd.read_csv(ws.exports_dir / "top100_ada.csv")
    assert set(table["id"].iloc[:2]) == {"g000", "g001"}
    # The export says which labels were given as examples.
    assert table["label_source"].iloc[:2].tolist() == ["example", "example"]
    assert table["label_source"].iloc[2:].isna().all()
    # The other members of the seeds' cluster follow them.
    assert set(table["id"].iloc[2:8]) <= {f"g{i:03d}" for i in range(8)}


def test_seed_ids_from_a_file_join_earlier_labels(ws, tmp_path):
    LabelStore(ws.labels_path).add("ada", "g200", 0)
    seeds = tmp_path / "seeds.csv"
    seeds.write_text("id,why\ng002,ring\ng003,ring\n")
    argv = ["rank", str(ws.path), "--researcher", "ada", "--seed-ids", str(seeds), "--top", "300"]
    assert main(argv) == 0
    assert LabelStore(ws.labels_path).labels("ada") == {"g200": 0, "g002": 5, "g003": 5}
    table = pd.read_csv(ws.exports_dir / "top300_ada.csv").set_index("id")
    assert table.loc[["g002", "g003"], "label_source"].tolist() == ["example", "example"]
    assert table.loc["g200", "label_source"] == "label"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("g000\nnope\n", "unknown galaxy id 'nope' ({file} line 2)"),
        ("", "lists no galaxy ids"),
        ("g000\ng000\n", "'g000' is given twice"),
    ],
)
def test_bad_seed_files_exit_2_with_one_line(ws, tmp_path, capsys, content, message):
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(content)
    assert main(["rank", str(ws.path), "--researcher", "ada", "--seed-ids", str(seeds)]) == 2
    err = capsys.readouterr().err
    assert message.format(file=seeds) in err and len(err.strip().splitlines()) == 1
    assert not ws.labels_path.exists() or LabelStore(ws.labels_path).labels("ada") == {}


def test_seed_ids_with_a_labels_csv_is_refused(ws, tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    labels.write_text("id,score\ng000,5\n")
    argv = ["rank", str(ws.path), "--researcher", "ada", "--labels", str(labels)]
    assert main([*argv, "--seed-ids", "g001"]) == 2
    assert "--seed-ids" in capsys.readouterr().err
