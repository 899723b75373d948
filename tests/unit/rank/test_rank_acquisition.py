"""Acquisition functions and the kriging-believer batch."""

from __future__ import annotations

import numpy as np

from oddfinder.rank.acquisition import (
    expected_improvement,
    kriging_believer,
    probability_interesting,
    top_candidates,
    upper_confidence_bound,
)
from oddfinder.rank.gp_ranker import GPRanker
from oddfinder.score.priors import scale_scores


def test_expected_improvement_prefers_high_mean_and_high_std():
    ei = expected_improvement(np.array([4.0, 2.0, 2.0]), np.array([0.3, 0.3, 2.0]), best=5.0)
    assert ei[0] > ei[1] and ei[2] > ei[1]
    assert (ei >= 0).all()


def test_probability_interesting_follows_mean_then_spread():
    p = probability_interesting(np.array([4.0, 2.0, 2.0, 0.5]), np.array([0.3, 0.3, 1.0, 0.3]), 3.0)
    assert p[0] > 0.9 and p[2] > p[1] > p[3] and ((p >= 0) & (p <= 1)).all()
    # Label noise widens the spread: a sure mean below the threshold gains some chance.
    q = probability_interesting(np.array([2.0]), np.array([0.01]), 3.0, noise_std=1.0)
    assert 0.1 < q[0] < 0.2


def test_gp_learns_how_far_to_trust_the_prior():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3)).astype(np.float32)
    prior = rng.uniform(size=400).astype(np.float32)
    rows = np.arange(120)
    for sign in (1.0, -1.0):
        ranker = GPRanker(x, prior=prior, seed=0)
        # Positives where the prior is high (sign 1) or low (sign -1).
        pos = sign * (prior[rows] - 0.5) > 0.3
        ranker.fit(rows, np.where(pos, 5.0, 0.0))
        w = ranker.explore_weight()
        assert np.sign(ranker.prior_slope_) == sign
        assert sign * np.corrcoef(w, prior)[0, 1] > 0.8
        assert w.max() == 1.0 and w.min() > 0
    fixed = GPRanker(x, prior=prior, seed=0, learn_prior=False)
    fixed.fit(rows, np.where(prior[rows] < 0.2, 5.0, 0.0))
    expected = np.clip(prior, 1e-3, None) ** fixed.prior_power
    np.testing.assert_allclose(fixed.explore_weight(), expected, rtol=1e-6)
    assert fixed.prior_power == 0.5  # the default: the square root flattens extreme anomalies


def test_ucb_and_top_candidates():
    u = upper_confidence_bound(np.array([1.0, 0.0]), np.array([0.0, 1.0]), kappa=2.0)
    assert u.tolist() == [1.0, 2.0]
    assert top_candidates(np.array([np.nan, 1.0, 3.0]), 5).tolist() == [2, 1]


def test_kriging_believer_skips_near_duplicates():
    rng = np.random.default_rng(0)
    x = np.vstack(
        [np.zeros((5, 2)) + 0.001 * rng.normal(size=(5, 2)), rng.normal(size=(20, 2)) * 3]
    )
    d2 = ((x[:, None] - x[None]) ** 2).sum(-1)
    cov = np.exp(-0.5 * d2)
    mean = np.where(np.arange(25) < 5, 1.0, 0.5)
    picks = kriging_believer(lambda m, s: m + 2 * s, mean, cov, 6, noise=1e-3)
    assert len(set(picks.tolist())) == 6
    assert np.sum(picks < 5) == 1


def test_gp_batch_has_no_duplicates_and_is_spread():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3000, 5)).astype(np.float32)
    x[:200] = 4.0 + 0.05 * rng.normal(size=(200, 5))  # a tight clump of near-duplicates
    raw = rng.uniform(size=3000)
    raw[:200] += 1.0  # ... that the (rank-scaled) prior ranks first
    prior = scale_scores(raw)
    ranker = GPRanker(x, prior=prior, seed=0)
    labelled = np.zeros(3000, bool)
    picks = ranker.select(10, labelled)
    assert len(set(picks.tolist())) == 10
    assert np.sum(picks < 200) <= 3  # not ten copies of the clump
    d = np.linalg.norm(x[picks][:, None] - x[picks][None], axis=-1)
    assert d[np.triu_indices(10, 1)].min() > 0.2
    # With a positive in the clump, exploitation still spreads its picks.
    rows = np.array([0, 300, 301, 302])
    ranker.fit(rows, np.array([5.0, 0.0, 0.0, 0.0]))
    labelled[rows] = True
    picks = ranker.select(10, labelled)
    assert len(set(picks.tolist())) == 10
    assert not labelled[picks].any()
