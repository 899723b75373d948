"""CachedPosterior: incremental rounds equal a full recomputation and gpytorch's exact answer,
memory stays bounded by the tiles, and ARD length scales equal pre-scaled features."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from oddfinder.rank.kernels import Hyper
from oddfinder.rank.posterior import CachedPosterior, kernel_log_params


def _problem(n=1500, d=5, m=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    rows = rng.choice(n, m, replace=False)
    y = (x[rows, 0] > 0.5).astype(np.float64) * 0.8 + 0.1 * rng.uniform(size=m)
    return x, rows, y


@pytest.mark.parametrize("kernel", ["rq", "matern", "rbf"])
def test_incremental_batches_equal_full_recompute(kernel):
    x, rows, y = _problem()
    h = Hyper(kernel, lengthscale=1.5, outputscale=0.4, noise=1e-3, alpha=0.8, constant=0.1)
    inc = CachedPosterior(x, tile_rows=256, tile_cols=300)
    inc.update(h, rows[:20], y[:20])
    for m in (30, 40, 50, 60):  # four rounds of 10 labels
        inc.update(h, rows[:m], y[:m])
        assert inc.timings_["mode"] == "incremental"
    assert inc.n_full_ == 1 and inc.n_incremental_ == 4
    full = CachedPosterior(x, tile_rows=256)
    full.update(h, rows, y)
    np.testing.assert_allclose(inc.mean_, full.mean_, atol=2e-3)
    np.testing.assert_allclose(inc.std_, full.std_, atol=2e-3)
    # The labelled galaxies are pinned to their labels (0-5 scale), with small std.
    assert np.abs(inc.mean_[rows] - 5 * y).max() < 0.5
    assert inc.std_[rows].max() < 0.2 < inc.std_.max()


def test_matches_gpytorch_exact_predictive():
    pytest.importorskip("gpytorch")
    from oddfinder.rank.gpytorch_ref import gpytorch_predict, model_from_hyper

    x, rows, y = _problem(n=400, d=3, m=40, seed=1)
    h = Hyper("rq", lengthscale=1.2, outputscale=0.5, noise=0.02, alpha=1.5, constant=0.2)
    post = CachedPosterior(x, tile_rows=128, tile_cols=100)
    post.update(h, rows[:25], y[:25])
    post.update(h, rows, y)
    model, _ = model_from_hyper(h, x[rows], y, dtype="float64")
    g_mean, g_std = gpytorch_predict(model, x, batch_size=400)
    np.testing.assert_allclose(post.mean_, 5 * g_mean, atol=2e-3)
    np.testing.assert_allclose(post.std_, 5 * g_std, atol=2e-3)


def test_memory_is_bounded_by_tiles(monkeypatch):
    """No N x N or N x m temporary: every kernel block is at most tile x m (or b x tile)."""
    import oddfinder.rank.posterior as posterior

    x, rows, y = _problem(n=3000, d=4, m=50, seed=2)
    h = Hyper("rbf", lengthscale=1.0, outputscale=0.5, noise=0.01)
    shapes = []
    real = posterior.kernel_block

    def spy(hyper, a, b, **kw):
        shapes.append((a.shape[0], b.shape[0]))
        return real(hyper, a, b, **kw)

    monkeypatch.setattr(posterior, "kernel_block", spy)
    post = CachedPosterior(x, tile_rows=200, tile_cols=300)
    post.update(h, rows[:40], y[:40])
    post.update(h, rows, y)
    largest = max(a * b for a, b in shapes)
    assert largest <= 200 * 50, shapes
    # V has exactly one row per label, with bounded spare capacity.
    assert post.blocks_[0].shape == (50, 3000)
    assert post.cache_bytes <= 4 * 3000 * max(50 + 40, int(1.25 * 50))


def test_cache_limit_falls_back_to_recompute():
    x, rows, y = _problem(n=800, d=3, m=30, seed=3)
    h = Hyper("matern", lengthscale=1.0, outputscale=0.5, noise=0.02)
    bare = CachedPosterior(x, max_cache_bytes=0)
    bare.update(h, rows[:20], y[:20])
    bare.update(h, rows, y)
    assert bare.blocks_ is None and bare.cache_bytes == 0 and bare.n_full_ == 2
    cached = CachedPosterior(x)
    cached.update(h, rows, y)
    np.testing.assert_allclose(bare.mean_, cached.mean_, atol=1e-4)
    pool = rows[:4]
    np.testing.assert_allclose(bare.pool_cov(pool), cached.pool_cov(pool), atol=1e-5)


def test_removed_relabelled_and_moved_hyper():
    x, rows, y = _problem(n=1000, d=4, m=40, seed=4)
    h = Hyper("rq", lengthscale=1.5, outputscale=0.4, noise=0.01)
    post = CachedPosterior(x, ml_tol=None)
    post.update(h, rows, y)
    # Removing a label (an undo) recomputes and equals a fresh posterior on the rest.
    keep = np.delete(np.arange(40), 7)
    post.update(h, rows[keep], y[keep])
    assert post.timings_["mode"] == "full" and post.n_full_ == 2
    fresh = CachedPosterior(x, ml_tol=None)
    fresh.update(h, rows[keep], y[keep])
    np.testing.assert_allclose(post.mean_, fresh.mean_, atol=1e-4)
    # A relabelled row keeps V (incremental) and still gives the exact answer.
    y2 = y[keep].copy()
    y2[3] = 1.0 - y2[3]
    post.update(h, rows[keep], y2)
    assert post.timings_["mode"] == "incremental"
    fresh.update(dataclasses.replace(h, noise=0.5), rows[keep], y2)  # forces a full one
    fresh.update(h, rows[keep], y2)
    assert fresh.n_full_ == 3
    np.testing.assert_allclose(post.mean_, fresh.mean_, atol=1e-3)
    # A small move of the hyperparameters keeps the cache; a large one recomputes.
    post.update(dataclasses.replace(h, lengthscale=1.5 * 1.05), rows[keep], y2)
    assert post.timings_["mode"] == "incremental"
    assert post.hyper_.lengthscale == 1.5  # the posterior stays exact for the cached ones
    post.update(dataclasses.replace(h, lengthscale=3.0), rows[keep], y2)
    assert post.timings_["mode"] == "full" and post.hyper_.lengthscale == 3.0


def test_ard_vector_equals_prescaled_features():
    x, rows, y = _problem(n=900, d=4, m=30, seed=5)
    ls = np.array([0.5, 1.0, 2.0, 4.0])
    h_ard = Hyper("rq", lengthscale=ls, outputscale=0.6, noise=0.01, alpha=0.9)
    h_unit = dataclasses.replace(h_ard, lengthscale=1.0)
    ard = CachedPosterior(x, tile_rows=128, tile_cols=200, ml_tol=None)
    ard.update(h_ard, rows[:20], y[:20])
    ard.update(h_ard, rows, y)
    assert ard.n_incremental_ == 1
    pre = CachedPosterior(x / ls.astype(np.float32))
    pre.update(h_unit, rows, y)
    np.testing.assert_allclose(ard.mean_, pre.mean_, atol=2e-3)
    np.testing.assert_allclose(ard.std_, pre.std_, atol=2e-3)
    np.testing.assert_allclose(ard.pool_cov(rows[:3]), pre.pool_cov(rows[:3]), atol=1e-5)
    # One length scale differing by more than the tolerance recomputes.
    ard.update(dataclasses.replace(h_ard, lengthscale=ls * [1, 1, 1, 2]), rows, y)
    assert ard.timings_["mode"] == "full"
    assert kernel_log_params(h_ard).shape == (4 + 3,)
    with pytest.raises(ValueError, match="lengthscale has 3 entries"):
        CachedPosterior(x).update(dataclasses.replace(h_ard, lengthscale=ls[:3]), rows, y)


def test_bad_input_is_refused():
    x, rows, y = _problem(n=100, d=2, m=5, seed=6)
    post = CachedPosterior(x)
    h = Hyper("rbf", lengthscale=1.0, outputscale=1.0, noise=0.01)
    with pytest.raises(ValueError, match="do not match"):
        post.update(h, rows, y[:3])
    with pytest.raises(ValueError, match="duplicates"):
        post.update(h, np.array([1, 1]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"\[0, 100\)"):
        post.update(h, np.array([100]), np.array([0.0]))


def test_likelihood_policy_keeps_equivalent_and_applies_better_hyperparameters():
    x, rows, y = _problem(n=1000, d=3, m=60, seed=7)
    good = Hyper("rbf", lengthscale=0.8, outputscale=0.3, noise=0.005, constant=0.1)
    post = CachedPosterior(x)
    lml = post.log_marginal_likelihood(good, rows, y)
    # A far worse kernel: the good one raises the likelihood by far more than ml_tol.
    bad = dataclasses.replace(good, lengthscale=8.0, noise=0.2)
    assert lml - post.log_marginal_likelihood(bad, rows, y) > 10.0
    post.update(bad, rows[:50], y[:50])
    post.update(good, rows, y)
    assert post.timings_["mode"] == "full" and post.hyper_.lengthscale == 0.8
    assert post.timings_["lml_gain"] > 3.0
    # A move beyond hyper_tol that the labels barely prefer keeps the cached kernel.
    post.update(dataclasses.replace(good, outputscale=0.36), rows, y)
    assert post.timings_["mode"] == "incremental" and post.hyper_.outputscale == 0.3
    assert abs(post.timings_["lml_gain"]) <= 3.0
    strict = CachedPosterior(x, ml_tol=None)
    strict.update(good, rows, y)
    strict.update(dataclasses.replace(good, outputscale=0.36), rows, y)
    assert strict.timings_["mode"] == "full"
