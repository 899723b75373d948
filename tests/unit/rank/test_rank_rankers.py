"""Behaviour every ranker shares, and the baselines' own formulas."""

from __future__ import annotations

import numpy as np
import pytest

from oddfinder.rank.base import Ranker
from oddfinder.rank.baselines import NeighbourScoreRanker, neighbour_score
from oddfinder.rank.session import METHODS, make_ranker


@pytest.fixture(scope="module")
def survey():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6)).astype(np.float32)
    prior = rng.uniform(size=400).astype(np.float32)
    return x, prior


@pytest.mark.parametrize("method", METHODS)
def test_every_ranker_follows_the_protocol(method, survey):
    x, prior = survey
    ranker = make_ranker(method, x, prior=prior, seed=0)
    assert isinstance(ranker, Ranker)
    labelled = np.zeros(400, bool)
    first = ranker.select(10, labelled)
    assert first.shape == (10,) and len(set(first.tolist())) == 10
    rows = np.concatenate([first, [first[0] + 1 if first[0] + 1 not in first else 399]])
    rows = np.unique(rows)
    scores = np.where(np.arange(rows.size) % 3 == 0, 5.0, 0.0)
    assert ranker.fit(rows, scores) is ranker
    mean, std = ranker.predict()
    assert mean.shape == (400,) and np.isfinite(mean).all()
    assert std is None or (std.shape == (400,) and np.isfinite(std).all())
    labelled[rows] = True
    nxt = ranker.select(10, labelled)
    assert nxt.shape == (10,) and not labelled[nxt].any() and len(set(nxt.tolist())) == 10


def test_neighbour_score_matches_hand_computation():
    anomaly = np.array([4.0, 2.0, 5.0])
    user = np.array([3.0, 0.0, 6.0])  # clipped to [0.1, 5]
    dist = np.array([0.0, 1.0, 2.0])
    expected = []
    for a, u, d in zip(anomaly, [3.0, 0.1, 5.0], dist, strict=True):
        f_u = 0.1 + 0.85 * u / 5
        d0 = d / 1.0  # mean distance is 1
        expected.append(a * np.tanh(np.exp(d0) - 1 + np.arctanh(f_u)))
    np.testing.assert_allclose(neighbour_score(anomaly, user, dist), expected)


def test_neighbourscore_ranker_on_a_label_is_prior_times_f_u():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 3)).astype(np.float32)
    prior = np.linspace(0, 1, 50).astype(np.float32)
    r = NeighbourScoreRanker(x, prior=prior, seed=0).fit(np.arange(50), np.full(50, 5.0))
    mean, _ = r.predict()
    np.testing.assert_allclose(mean, 5 * prior * 0.95, rtol=1e-5, atol=1e-6)
