"""Our ranker: the GP interest model, its cached posterior, and a never-stalling acquisition.

Each round it refits the GP hyperparameters on the labelled set (warm start), updates the
posterior of every galaxy incrementally (:class:`~oddfinder.rank.posterior.CachedPosterior`),
and picks a diverse batch by the kriging believer. The acquisition depends on what the
labels tell:

* no label, or all labels equal (nothing known about what is interesting): **explore** with
  ``prior(x) ** prior_power * std(x) / std_max`` under default hyperparameters: anomalous
  galaxies far from anything labelled, spread over the feature space;
* labels differ but none is positive (``>= positive``): half the batch explores as above,
  half follows the acquisition function;
* a positive exists: the acquisition function (default expected improvement, ``xi`` on the
  0-5 scale), with ``explore`` (a fraction) of the batch still exploring.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from oddfinder.rank.acquisition import (
    expected_improvement,
    greedy,
    top_candidates,
    upper_confidence_bound,
)
from oddfinder.rank.gp import GPInterest, feature_scale
from oddfinder.rank.posterior import CachedPosterior

__all__ = ["GPRanker"]

logger = logging.getLogger(__name__)


class GPRanker:
    """GP interest ranker over a fixed survey (see module docstring).

    Parameters
    ----------
    features : array (N, d)
        Every galaxy's features.
    prior : array (N,), optional
        Anomaly prior in [0, 1] (higher = more anomalous); flat when ``None``.
    seed : int
        Seed (ties, nothing else is random).
    kernel : {"rq", "matern", "rbf"}
        GP kernel (white noise always added).
    acquisition : {"ei", "ucb", "greedy"}
        Acquisition once a positive label exists.
    xi : float
        Expected-improvement trade-off on the 0-5 scale.
    kappa : float
        UCB exploration weight.
    explore : float
        Fraction of each batch that keeps exploring once a positive exists.
    positive : float
        Labels at or above this count as positive (interesting).
    prior_power : float
        Exponent on the prior in the exploration score (< 1 flattens it).
    use_prior_mean : bool
        Fit ``c + w * prior(x)`` as the GP mean, with ``0 <= w <= 2`` (off by default: it
        helped slightly where the researcher likes anomalies, HSC, and hurt badly where most
        anomalies are boring, the simulated mergers; see README "Benchmarks").
    pool : int
        Candidates per acquisition considered by the kriging believer.
    hyper_tol, tile_rows, max_cache_bytes
        Passed to :class:`~oddfinder.rank.posterior.CachedPosterior`.
    """

    name = "gp"

    def __init__(
        self,
        features: np.ndarray,
        *,
        prior: np.ndarray | None = None,
        seed: int = 0,
        kernel: str = "rq",
        acquisition: str = "ei",
        xi: float = 0.5,
        kappa: float = 2.0,
        explore: float = 0.1,
        positive: float = 3.0,
        prior_power: float = 1.0,
        use_prior_mean: bool = False,
        pool: int = 500,
        hyper_tol: float = 0.1,
        tile_rows: int = 65536,
        max_cache_bytes: float = 6e9,
    ) -> None:
        features = np.asarray(features)
        self.n = int(features.shape[0])
        self.prior = (
            np.full(self.n, 0.5, np.float32) if prior is None else np.asarray(prior, np.float32)
        )
        self.seed = seed
        self.acquisition = acquisition
        self.xi = xi
        self.kappa = kappa
        self.explore = explore
        self.positive = positive
        self.prior_power = prior_power
        self.pool = pool
        self.scale_ = feature_scale(features, seed=seed)
        self.gp = GPInterest(kernel=kernel, use_prior=use_prior_mean, feature_scale=self.scale_)
        self.features = features
        self.posterior = CachedPosterior(
            features,
            self.prior if use_prior_mean else None,
            tile_rows=tile_rows,
            hyper_tol=hyper_tol,
            max_cache_bytes=max_cache_bytes,
        )
        self.rows_ = np.zeros(0, np.int64)
        self.scores_ = np.zeros(0)
        self.timings_: dict[str, float] = {}
        self.fit(self.rows_, self.scores_)

    # --- protocol ---------------------------------------------------------------------------
    def fit(self, rows: np.ndarray, scores: np.ndarray) -> GPRanker:
        rows = np.asarray(rows, dtype=np.int64)
        scores = np.asarray(scores, dtype=np.float64)
        t0 = time.perf_counter()
        xl = np.asarray(self.features[rows], dtype=np.float64)
        self.gp.fit(xl, scores, prior=self.prior[rows])
        t1 = time.perf_counter()
        self.posterior.update(self.gp.hyper_, rows, scores / 5.0)
        t2 = time.perf_counter()
        self.rows_, self.scores_ = rows, scores
        self.timings_ = {
            "refit_s": t1 - t0,
            "predict_s": t2 - t1,
            "posterior_mode": self.posterior.timings_.get("mode"),
        }
        return self

    def predict(self) -> tuple[np.ndarray, np.ndarray]:
        return self.posterior.mean_, self.posterior.std_

    @property
    def informative(self) -> bool:
        """Whether the labels hold two distinct values (the GP then has something to learn)."""
        return np.unique(self.scores_).size >= 2

    def select(self, k: int, labelled: np.ndarray) -> np.ndarray:
        t0 = time.perf_counter()
        mean, std = self.predict()
        has_positive = self.scores_.size > 0 and float(self.scores_.max()) >= self.positive
        if not self.informative:
            n_explore = k
        elif not has_positive:
            n_explore = k // 2
        else:
            n_explore = round(self.explore * k)
        best = float(self.scores_.max()) if self.scores_.size else 0.0
        s_max = 5.0 * np.sqrt(self.posterior.hyper_.outputscale)
        weight = np.clip(self.prior, 1e-3, None) ** self.prior_power

        def explore_fn(m: np.ndarray, s: np.ndarray, w: np.ndarray) -> np.ndarray:
            return w * s / s_max

        def acq_fn(m: np.ndarray, s: np.ndarray) -> np.ndarray:
            if self.acquisition == "ei":
                return expected_improvement(m, s, best, xi=self.xi)
            if self.acquisition == "ucb":
                return upper_confidence_bound(m, s, kappa=self.kappa)
            return greedy(m, s)

        exploit_pool = (
            top_candidates(acq_fn(mean, std), self.pool, exclude=labelled)
            if n_explore < k
            else np.zeros(0, np.int64)
        )
        explore_pool = (
            top_candidates(explore_fn(mean, std, weight), self.pool, exclude=labelled)
            if n_explore
            else np.zeros(0, np.int64)
        )
        pool = np.unique(np.concatenate([exploit_pool, explore_pool]))
        if pool.size == 0:
            return pool
        cov = 25.0 * self.posterior.pool_cov(pool)
        noise = 25.0 * self.posterior.hyper_.noise
        pm, pw = mean[pool], weight[pool]
        picks: list[int] = []
        taken = np.zeros(pool.size, bool)
        plan = [("exploit", k - n_explore), ("explore", n_explore)]
        for kind, count in plan:
            for _ in range(count):
                ps = np.sqrt(np.clip(np.diag(cov), 1e-12, None))
                score = acq_fn(pm, ps) if kind == "exploit" else explore_fn(pm, ps, pw)
                score = np.where(taken, -np.inf, score)
                if not np.isfinite(score).any():
                    break
                j = int(np.argmax(score))
                picks.append(j)
                taken[j] = True
                column = cov[:, j].copy()
                cov -= np.outer(column, column) / (column[j] + noise + 1e-12)
        self.timings_["acquisition_s"] = time.perf_counter() - t0
        return pool[np.asarray(picks, dtype=np.int64)]
