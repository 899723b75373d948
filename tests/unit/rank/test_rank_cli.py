"""``oddfinder rank``: labels from the store or a CSV, the top-N export, the next batch."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from oddfinder.cli import main
from oddfinder.io.workspace import FORMAT_VERSION, Workspace


@pytest.fixture()
def ws(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6)).astype(np.float32)
    x[:8] = 3.0 + 0.2 * rng.normal(size=(8, 6))
    path = tmp_path / "ws"
    path.mkdir()
    (path / "workspace.json").write_text(json.dumps({"format_version": FORMAT_VERSION}))
    workspace = Workspace.open(path)
    workspace.write_table(
        "catalog",
        pd.DataFrame(
            {
                "id": [f"g{i:03d}" for i in range(300)],
                "ra": np.linspace(10, 20, 300),
                "dec": np.linspace(-5, 5, 300),
                "mag": np.arange(300, dtype=float),
            }
        ),
    )
    workspace.write_array("features", x)
    return workspace


def test_rank_from_csv_writes_export_and_prints_batch(ws, tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    labels.write_text("id,score\ng000,5\ng001,5\ng100,0\ng101,0\ng102,1\n")
    out = tmp_path / "top.parquet"
    status = main(
        [
            "rank",
            str(ws.path),
            "--researcher",
            "ada",
            "--labels",
            str(labels),
            "--export",
            str(out),
            "--top",
            "20",
        ]
    )
    assert status == 0
    table = pd.read_parquet(out)
    assert list(table.columns[:9]) == [
        "rank",
        "id",
        "ra",
        "dec",
        "label",
        "label_source",
        "interest_mean",
        "interest_std",
        "prior",
    ]
    assert "mag" in table.columns and len(table) == 20
    assert set(table["id"].iloc[:2]) == {"g000", "g001"}
    # The other cluster members follow the two labelled ones.
    assert set(table["id"].iloc[2:8]) <= {f"g{i:03d}" for i in range(8)}
    printed = capsys.readouterr().out
    batch = printed.strip().splitlines()[-1].removeprefix("next batch: ").split()
    assert len(batch) == 10 and not set(batch) & {"g000", "g001", "g100", "g101", "g102"}
    assert ws.has("prior")


def test_rank_from_the_label_store(ws, capsys):
    from oddfinder.labels.store import LabelStore

    store = LabelStore(ws.labels_path)
    store.add("ada", "g003", 5, round=0)
    store.add("ada", "g200", 0, round=0)
    assert main(["rank", str(ws.path), "--researcher", "ada", "--method", "neighbourscore"]) == 0
    export = ws.exports_dir / "top100_ada.csv"
    table = pd.read_csv(export)
    assert table["id"].iloc[0] == "g003" and len(table) == 100


@pytest.mark.parametrize(
    ("content", "message"),
    [("id,score\ng000,7\n", "0 to 5"), ("id,score\nnope,3\n", "nope"), ("id\ng000\n", "score")],
)
def test_rank_bad_labels_exit_2(ws, tmp_path, capsys, content, message):
    labels = tmp_path / "bad.csv"
    labels.write_text(content)
    assert main(["rank", str(ws.path), "--researcher", "ada", "--labels", str(labels)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
