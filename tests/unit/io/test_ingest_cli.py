"""`oddfinder ingest`: both forms, exit status 2 with a one-line error on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _ingest_fixtures import make_images, write_manifest

from oddfinder.cli import main
from oddfinder.io.workspace import Workspace


def test_ingest_images_command(tmp_path: Path) -> None:
    manifest = write_manifest(make_images(tmp_path), tmp_path / "manifest.csv")
    out = tmp_path / "ws"
    assert (
        main(["ingest", str(manifest), "--out", str(out), "--thumb-size", "24", "--workers", "1"])
        == 0
    )
    ws = Workspace.open(out)
    assert ws.n == 5 and ws.meta["thumb_size"] == 24
    assert main(["ingest", str(manifest), "--out", str(out)]) == 2
    assert main(["ingest", str(manifest), "--out", str(out), "--force", "--workers", "1"]) == 0


def test_bad_row_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    frame = make_images(tmp_path)
    frame.loc[1, "path"] = "images/gone.png"
    manifest = write_manifest(frame, tmp_path / "manifest.csv")
    assert main(["ingest", str(manifest), "--out", str(tmp_path / "ws"), "--workers", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("oddfinder ingest: error: ")
    assert f"{manifest} row 2 (id '007'): image not found: " in err[-1]
    assert not (tmp_path / "ws").exists()
    code = main(
        ["ingest", str(manifest), "--out", str(tmp_path / "ws"), "--skip-bad", "--workers", "1"]
    )
    assert code == 0
    report = json.loads((tmp_path / "ws" / "ingest_report.json").read_text())
    assert [item["id"] for item in report] == ["007"]


def test_ingest_embeddings_command(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"galaxy": [f"g{i}" for i in range(20)], "other": ["x"] * 20})
    for j in range(4):
        frame[f"f{j}"] = rng.normal(size=20)
    frame.to_parquet(tmp_path / "emb.parquet")
    out = tmp_path / "ws"
    args = [
        "ingest",
        "--embeddings",
        str(tmp_path / "emb.parquet"),
        "--out",
        str(out),
        "--id-column",
        "galaxy",
        "--feature-columns",
        "f0,f2",
    ]
    assert main(args) == 0
    ws = Workspace.open(out)
    assert ws.embeddings().shape == (20, 2)
    assert ws.meta["feature_columns"] == ["f0", "f2"]
    assert (
        main([*args[:4], str(tmp_path / "ws2"), "--id-column", "galaxy", "--feature-columns", "f"])
        == 0
    )
    assert Workspace.open(tmp_path / "ws2").embeddings().shape == (20, 4)

    np.save(tmp_path / "emb.npy", rng.normal(size=(3, 2)))
    (tmp_path / "ids.txt").write_text("a\nb\nc\n")
    assert (
        main(
            [
                "ingest",
                "--embeddings",
                str(tmp_path / "emb.npy"),
                "--ids",
                str(tmp_path / "ids.txt"),
                "--out",
                str(tmp_path / "ws3"),
            ]
        )
        == 0
    )
    assert Workspace.open(tmp_path / "ws3").ids.tolist() == ["a", "b", "c"]


@pytest.mark.parametrize(
    "args",
    [
        ["--out", "ws"],  # neither form
        ["m.csv", "--embeddings", "e.parquet", "--out", "ws"],  # both forms
        ["m.csv", "--ids", "ids.txt", "--out", "ws"],  # embeddings flag on images
    ],
)
def test_usage_errors(tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture) -> None:
    assert main(["ingest", *[str(tmp_path / a) if "." in a else a for a in args]]) == 2
    assert "oddfinder ingest: error:" in capsys.readouterr().err
