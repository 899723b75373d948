"""Anomaly priors: injected outliers score highest; the workspace gets prior.parquet."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from oddfinder.io.workspace import FORMAT_VERSION, Workspace
from oddfinder.score import IsolationPrior, LofPrior, read_prior, scale_scores, score_workspace


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(500, 8)).astype(np.float32)
    outliers = np.array([7, 123, 400])
    x[outliers] += 6.0
    return x, outliers


@pytest.mark.parametrize("prior", [IsolationPrior(seed=0), LofPrior()])
def test_injected_outliers_score_highest(prior):
    x, outliers = _data()
    scores = prior.fit(x).score_samples(x)
    assert scores.shape == (500,)
    assert np.isfinite(scores).all()
    top = set(np.argsort(-scores)[:3].tolist())
    assert top == set(outliers.tolist())


def test_scale_scores_is_rank_in_unit_interval():
    s = scale_scores(np.array([3.0, -1.0, 10.0, 3.0]))
    assert s.min() == 0.0 and s.max() == 1.0
    assert s[0] == s[3]


def _workspace(tmp_path, x):
    ws_path = tmp_path / "ws"
    ws_path.mkdir()
    (ws_path / "workspace.json").write_text(json.dumps({"format_version": FORMAT_VERSION}))
    ws = Workspace.open(ws_path)
    ws.write_table("catalog", pd.DataFrame({"id": [f"g{i}" for i in range(len(x))]}))
    ws.write_array("features", x)
    return ws


@pytest.mark.parametrize("method", ["iforest", "lof"])
def test_score_workspace_writes_prior(tmp_path, method):
    x, outliers = _data(1)
    ws = _workspace(tmp_path, x)
    prior = score_workspace(ws, method=method)
    table = ws.read_table("prior")
    assert list(table.columns) == ["id", "prior", "method"]
    assert (table["method"] == method).all()
    assert table["prior"].between(0, 1).all()
    assert prior[outliers].min() > 0.98
    np.testing.assert_allclose(read_prior(ws), prior)


def test_cli_score(tmp_path, capsys):
    from oddfinder.cli import main

    x, _ = _data(2)
    ws = _workspace(tmp_path, x)
    assert main(["score", str(ws.path), "--method", "lof"]) == 0
    assert ws.read_table("prior")["method"].iloc[0] == "lof"
    assert main(["score", str(tmp_path / "nope")]) == 2


def test_answer_prior_ranks_by_the_cnn_answer(tmp_path, capsys):
    from oddfinder.cli import main
    from oddfinder.errors import WorkspaceError

    x, _ = _data(3)
    ws = _workspace(tmp_path, x)
    with pytest.raises(WorkspaceError, match=r"no answers\.parquet"):
        score_workspace(ws, method="answer:merging")
    merging = np.linspace(0.0, 1.0, len(x))[::-1]
    ws.write_table("answers", pd.DataFrame({"id": ws.ids, "merging": merging, "bar": 0.5}))
    prior = score_workspace(ws, method="answer:merging")
    assert prior[0] == 1.0 and prior[-1] == 0.0 and (np.diff(prior) < 0).all()
    assert ws.read_table("prior")["method"].iloc[0] == "answer:merging"
    with pytest.raises(WorkspaceError, match="no answer 'ring': use one of merging, bar"):
        score_workspace(ws, method="answer:ring")
    assert main(["score", str(ws.path), "--method", "answer:bar"]) == 0
    with pytest.raises(SystemExit):
        main(["score", str(ws.path), "--method", "answer:"])
