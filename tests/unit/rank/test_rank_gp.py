"""The GP interest model: toy fits, and our fast prediction against gpytorch's exact path."""

from __future__ import annotations

import numpy as np
import pytest

from oddfinder.rank.gp import GPInterest
from oddfinder.rank.kernels import Hyper
from oddfinder.rank.posterior import CachedPosterior


@pytest.mark.parametrize("kernel", ["rq", "matern", "rbf"])
def test_gp_1d_toy_ranks_the_bump_first(kernel):
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(-4, 4, size=(50, 1)), axis=0)
    y = np.where(np.abs(x[:, 0] - 2.0) < 0.6, 5.0, 0.0)
    gp = GPInterest(kernel=kernel).fit(x, y)
    grid = np.linspace(-4, 4, 81)[:, None]
    mean, std = gp.predict(grid)
    assert abs(grid[np.argmax(mean), 0] - 2.0) < 0.6
    assert mean[np.abs(grid[:, 0] + 2.0) < 0.5].max() < 1.0
    assert (std > 0).all() and np.isfinite(std).all()


def test_gp_2d_toy_positives_on_top():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 2))
    x[:20] = [3.0, 3.0] + 0.2 * rng.normal(size=(20, 2))
    truth = np.zeros(400, bool)
    truth[:20] = True
    train = np.concatenate([np.arange(5), np.arange(20, 80)])
    gp = GPInterest().fit(x[train], np.where(truth[train], 5.0, 0.0))
    mean, _ = gp.predict(x)
    rest = np.setdiff1d(np.arange(400), train)
    top = rest[np.argsort(-mean[rest])[:15]]
    assert truth[top].all()


def test_all_equal_labels_keep_default_hyperparameters():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(30, 4))
    gp = GPInterest().fit(x, np.zeros(30))
    assert gp.n_fits_ == 0
    assert gp.hyper_.lengthscale == pytest.approx(gp.default_lengthscale * gp.scale_)
    _, std = gp.predict(x + 5.0)
    assert std.min() > 1.0  # far from the labels the model stays uncertain


@pytest.mark.parametrize("kernel", ["rq", "matern", "rbf"])
def test_fast_predict_matches_gpytorch(kernel):
    pytest.importorskip("gpytorch")
    from oddfinder.rank.gpytorch_ref import gpytorch_predict, model_from_hyper

    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 5))
    y = (rng.uniform(size=60) < 0.3) * 5.0
    gp = GPInterest(kernel=kernel).fit(x, y)
    test = rng.normal(size=(300, 5)).astype(np.float32)
    mean, std = gp.predict(test, batch_size=64)
    model, _ = model_from_hyper(gp.hyper_, gp.X_, y / 5.0, dtype="float64")
    g_mean, g_std = gpytorch_predict(model, test, batch_size=100)
    np.testing.assert_allclose(mean, 5 * g_mean, atol=2e-3)
    np.testing.assert_allclose(std, 5 * g_std, atol=2e-3)


def test_cached_posterior_incremental_equals_full():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2000, 6)).astype(np.float32)
    prior = rng.uniform(size=2000).astype(np.float32)
    h = Hyper(
        "rq",
        lengthscale=2.0,
        outputscale=0.3,
        noise=0.01,
        alpha=0.7,
        constant=0.1,
        prior_weight=0.2,
    )
    rows = rng.choice(2000, 50, replace=False)
    y = rng.uniform(size=50)
    inc = CachedPosterior(x, prior, tile_rows=300)
    for m in (0, 10, 20, 35, 50):
        inc.update(h, rows[:m], y[:m])
    assert inc.n_full_ == 1 and inc.n_incremental_ == 4
    full = CachedPosterior(x, prior, tile_rows=300)
    full.update(h, rows, y)
    np.testing.assert_allclose(inc.mean_, full.mean_, atol=1e-3)
    np.testing.assert_allclose(inc.std_, full.std_, atol=1e-3)
    ref_mean, ref_std = (
        GPInterest(kernel="rq", use_prior=True)
        .condition(x[rows], 5 * y, prior=prior[rows], hyper=h)
        .predict(x, prior=prior)
    )
    np.testing.assert_allclose(full.mean_, ref_mean, atol=1e-3)
    np.testing.assert_allclose(full.std_, ref_std, atol=1e-3)
    # A relabelled earlier row keeps the cache and still gives the exact answer.
    y2 = y.copy()
    y2[3] = 1.0 - y2[3]
    inc.update(h, rows, y2)
    full.update(Hyper("rbf", 1.0, 1.0, 0.1), rows, y2)
    full.update(h, rows, y2)
    np.testing.assert_allclose(inc.mean_, full.mean_, atol=1e-3)
    cov = inc.pool_cov(rows[:5])
    np.testing.assert_allclose(np.sqrt(np.diag(cov)) * 5, inc.std_[rows[:5]], rtol=1e-3, atol=1e-4)


def test_uncached_posterior_matches_cached():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(500, 3)).astype(np.float32)
    h = Hyper("matern", lengthscale=1.0, outputscale=0.5, noise=0.02)
    rows = np.arange(0, 500, 25)
    y = rng.uniform(size=rows.size)
    cached = CachedPosterior(x)
    cached.update(h, rows, y)
    bare = CachedPosterior(x, max_cache_bytes=0)
    bare.update(h, rows, y)
    assert bare.blocks_ is None
    np.testing.assert_allclose(cached.mean_, bare.mean_, atol=1e-5)
    pool = np.array([1, 2, 3])
    np.testing.assert_allclose(cached.pool_cov(pool), bare.pool_cov(pool), atol=1e-5)


def test_gpytorch_backend_fits_the_same_model():
    pytest.importorskip("gpytorch")
    rng = np.random.default_rng(6)
    x = np.sort(rng.uniform(-4, 4, size=(40, 1)), axis=0)
    y = np.where(np.abs(x[:, 0] - 2.0) < 0.6, 5.0, 0.0)
    gp = GPInterest(backend="gpytorch", fit_steps=8, warm_steps=2).fit(x, y)
    low, high = gp.lengthscale_bounds
    assert low * gp.scale_ <= gp.hyper_.lengthscale <= high * gp.scale_
    assert gp.hyper_.noise >= gp.noise_floor * 0.99
    mean, _ = gp.predict(np.array([[2.0], [-2.0]]))
    assert mean[0] > 2.5 > mean[1]
    gp.fit(x, y)  # warm start from the stored state
    assert np.isfinite(gp.predict(x)[0]).all()


def test_group_length_scales_single_out_the_group_that_matters():
    # Group 0: 6 dimensions of noise; group 1: 2 dimensions that decide the label.
    rng = np.random.default_rng(3)
    x = np.c_[rng.normal(size=(160, 6)), rng.normal(size=(160, 2))]
    y = np.where(x[:, 6] + x[:, 7] > 1.5, 5.0, 0.0)
    groups = np.r_[np.zeros(6, int), np.ones(2, int)]
    gp = GPInterest(kernel="rq", groups=groups, group_scales=np.array([3.4, 1.6]))
    gp.fit(x, y)
    ls = np.asarray(gp.hyper_.lengthscale)
    assert ls.shape == (8,)
    assert ls[:6].min() / 3.4 > 2.0 * ls[6:].max() / 1.6  # noise group: longer, in its units
    test = np.c_[rng.normal(size=(400, 6)), rng.normal(size=(400, 2))]
    mean, _ = gp.predict(test)
    truth = test[:, 6] + test[:, 7] > 1.5
    assert mean[truth].mean() > mean[~truth].mean() + 1.5


@pytest.mark.parametrize("kernel", ["rq", "matern", "rbf"])
def test_group_likelihood_gradient_matches_finite_differences(kernel, monkeypatch):
    import scipy.optimize

    rng = np.random.default_rng(4)
    x = rng.normal(size=(30, 5))
    y = np.where(x[:, 0] > 0.5, 5.0, 0.0)
    captured = {}

    def fake_minimize(fun, x0, **kwargs):
        captured["fun"], captured["x0"] = fun, np.asarray(x0, float)
        return scipy.optimize.OptimizeResult(x=x0, fun=fun(x0)[0], nit=0)

    monkeypatch.setattr(scipy.optimize, "minimize", fake_minimize)
    groups = np.array([0, 0, 1, 1, 1])
    GPInterest(kernel=kernel, groups=groups, group_scales=np.array([1.5, 2.0])).fit(x, y)
    fun = captured["fun"]
    theta = captured["x0"] + np.array([0.2, -0.3, 0.1, 0.5, 0.2, 0.0, 0.0])
    _, grad = fun(theta)
    for i in range(5):  # length scales, output scale, noise, alpha
        step = np.zeros_like(theta)
        step[i] = 1e-5
        numeric = (fun(theta + step)[0] - fun(theta - step)[0]) / 2e-5
        assert numeric == pytest.approx(grad[i], rel=1e-3, abs=1e-5)


def test_zero_mean_reverts_to_boring_far_from_the_labels():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(60, 2))
    y = np.where(x[:, 0] > 0.8, 5.0, 0.0)
    far = np.array([[40.0, 40.0]])
    zero = GPInterest(kernel="rbf", mean="zero").fit(x, y)
    constant = GPInterest(kernel="rbf", mean="constant").fit(x, y)
    assert zero.hyper_.constant == 0.0
    assert abs(zero.predict(far)[0][0]) < 1e-3
    assert constant.predict(far)[0][0] == pytest.approx(5.0 * constant.hyper_.constant, abs=1e-3)
    with pytest.raises(ValueError, match="unknown mean"):
        GPInterest(mean="average")
