"""Metrics, the oracle, and the benchmark runner on a small synthetic survey."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from oddfinder.errors import OddfinderError
from oddfinder.evaluate.benchmark import run_benchmark
from oddfinder.evaluate.metrics import average_precision, precision_at, rank_weighted_score
from oddfinder.evaluate.oracle import truth_from_catalog
from oddfinder.io.workspace import FORMAT_VERSION, Workspace


def test_metrics_by_hand():
    truth = np.array([True, False, True, False, False])
    ranking = np.array([2, 1, 0, 3, 4])
    assert precision_at(ranking, truth, 2) == 0.5
    assert average_precision(ranking, truth) == pytest.approx((1 / 1 + 2 / 3) / 2)
    # RWS over the top 3: weights 3, 2, 1; hits at ranks 1 and 3 -> (3 + 1) / 6
    assert rank_weighted_score(ranking, truth, n=3) == pytest.approx(4 / 6)
    perfect = np.array([0, 2, 1, 3, 4])
    assert rank_weighted_score(perfect, truth, n=2) == 1.0


def test_truth_from_catalog():
    df = pd.DataFrame({"is_merger": [1, 0, 1], "grade": [0.0, 2.5, 9.0]})
    assert truth_from_catalog(df, interesting="is_merger == 1").tolist() == [5, 0, 5]
    assert truth_from_catalog(df, score_column="grade").tolist() == [0, 2.5, 5]
    with pytest.raises(OddfinderError, match="nope"):
        truth_from_catalog(df, interesting="nope == 1")
    with pytest.raises(OddfinderError, match="exactly one"):
        truth_from_catalog(df)


def _synthetic(seed=0, n=1500, d=8):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    pos = rng.choice(n, 30, replace=False)
    x[pos] = 2.5 + 0.3 * rng.normal(size=(30, d))
    truth = np.zeros(n, bool)
    truth[pos] = True
    return x, truth


def test_run_benchmark_schema_and_gp_beats_random():
    from oddfinder.score.workspace import score_features

    x, truth = _synthetic()
    res = run_benchmark(
        x,
        truth,
        prior=score_features(x),
        methods=["gp", "random"],
        labels=[10, 30, 60],
        batch=10,
        seeds=2,
    )
    assert res["n"] == 1500 and res["n_interesting"] == 30 and res["labels"] == [10, 30, 60]
    for method in ("gp", "random"):
        summary = res["methods"][method]
        for metric in ("p@50", "p@100", "p@200", "ap", "ap_unlabelled", "rws", "found"):
            assert len(summary[metric]) == 3 and len(summary[f"{metric}_min"]) == 3
            assert len(summary["per_seed"][metric]) == 2
    gp, rnd = res["methods"]["gp"], res["methods"]["random"]
    assert gp["ap_min"][-1] > rnd["ap"][-1] + 0.3
    # Random finds few by labelling, and ranks the rest at chance (30 in 1,500: AP ~ 0.02).
    assert rnd["ap_unlabelled"][-1] < 0.1
    assert all(0.0 <= v <= 1.0 for v in gp["ap_unlabelled"])
    assert gp["found"][-1] > 3 * max(rnd["found"][-1], 1)
    json.dumps(res)  # serialisable


def test_cli_benchmark_on_a_workspace(tmp_path, capsys):
    from oddfinder.cli import main

    x, truth = _synthetic(1, n=600)
    ws_path = tmp_path / "ws"
    ws_path.mkdir()
    (ws_path / "workspace.json").write_text(json.dumps({"format_version": FORMAT_VERSION}))
    ws = Workspace.open(ws_path)
    ws.write_table(
        "catalog",
        pd.DataFrame({"id": [f"g{i}" for i in range(600)], "kind": np.where(truth, "odd", "x")}),
    )
    ws.write_array("features", x)
    out = tmp_path / "bench"
    status = main(
        [
            "benchmark",
            str(ws_path),
            "--interesting",
            "kind == 'odd'",
            "--labels",
            "20",
            "--seeds",
            "1",
            "--methods",
            "prior,neighbourscore",
            "--out",
            str(out),
        ]
    )
    assert status == 0
    res = json.loads((out / "results.json").read_text())
    assert res["labels"] == [10, 20] and set(res["methods"]) == {"prior", "neighbourscore"}
    assert (out / "precision_top100.png").stat().st_size > 1000
    assert (
        main(
            [
                "benchmark",
                str(ws_path),
                "--interesting",
                "kind == 'odd'",
                "--methods",
                "magic",
                "--out",
                str(out),
            ]
        )
        == 2
    )
