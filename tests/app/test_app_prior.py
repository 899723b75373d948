"""The sidebar's "First guess": switching the prior to one of the CNN's answers (AppTest)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _app_helpers import batch_ids, start

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _write_answers(workspace):
    catalog = pd.read_parquet(workspace / "catalog.parquet")
    n = len(catalog)
    merging = np.linspace(0.0, 1.0, n)  # the last galaxies are the CNN's best mergers
    table = pd.DataFrame({"id": catalog["id"].astype(str), "merging": merging, "bar": 0.5})
    table.to_parquet(workspace / "answers.parquet")
    return catalog["id"].astype(str).to_numpy()


def _choice(at):
    return next(s for s in at.selectbox if s.key == "prior_choice")


def test_first_guess_switches_the_prior_to_a_cnn_answer(app, workspace):
    ids = _write_answers(workspace)
    app.run()
    choice = _choice(app)
    assert "CNN answer: merging" in choice.options and "anomalous (LOF)" in choice.options
    choice.set_value("CNN answer: merging").run()
    assert not app.exception
    prior = pd.read_parquet(workspace / "prior.parquet")
    assert (prior["method"] == "answer:merging").all()
    assert prior["prior"].iloc[-1] == 1.0 and prior["prior"].is_monotonic_increasing
    assert any("first guess is now" in t.value for t in app.toast)
    assert _choice(app).value == "CNN answer: merging"
    # The first batch of a researcher now comes from it: mostly the CNN's best mergers.
    at = start(app)
    shown = set(batch_ids(at))
    assert shown and len(shown & set(ids[-40:])) >= len(shown) // 2


def test_first_guess_without_answers_offers_the_anomaly_priors_only(app):
    at = start(app)
    assert _choice(at).options == ["anomalous (isolation forest)", "anomalous (LOF)"]
