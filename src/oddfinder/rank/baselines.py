"""Baseline rankers in the same protocol as the GP: random, prior only, Astronomaly's
NeighbourScore, and a replica of Walmsley et al. (2022)'s scikit-learn GP recipe.
"""

from __future__ import annotations

import logging

import numpy as np

from oddfinder.rank.acquisition import expected_improvement, top_candidates

__all__ = [
    "NeighbourScoreRanker",
    "PriorRanker",
    "RandomRanker",
    "WalmsleyRanker",
    "neighbour_score",
]

logger = logging.getLogger(__name__)


def _prior_or_flat(prior: np.ndarray | None, n: int) -> np.ndarray:
    if prior is None:
        return np.full(n, 0.5, dtype=np.float32)
    return np.asarray(prior, dtype=np.float32)


class RandomRanker:
    """Shows galaxies in a random order; ranks the unlabelled ones randomly.

    Examples
    --------
    >>> r = RandomRanker(np.zeros((5, 2)), seed=0).fit(np.array([0]), np.array([5.0]))
    >>> sorted(r.select(3, np.array([1, 0, 0, 0, 0], bool)).tolist())[0] > 0
    True
    """

    name = "random"

    def __init__(self, features: np.ndarray, *, prior: np.ndarray | None = None, seed: int = 0):
        self.n = int(np.asarray(features).shape[0])
        self.rng = np.random.default_rng(seed)
        self.order_score_ = self.rng.uniform(0.0, 5.0, size=self.n).astype(np.float32)

    def fit(self, rows: np.ndarray, scores: np.ndarray) -> RandomRanker:
        return self

    def predict(self) -> tuple[np.ndarray, None]:
        return self.order_score_, None

    def select(self, k: int, labelled: np.ndarray) -> np.ndarray:
        free = np.flatnonzero(~labelled)
        return self.rng.choice(free, size=min(k, free.size), replace=False)


class PriorRanker:
    """Ranks and shows galaxies by the unsupervised anomaly prior alone (labels are ignored)."""

    name = "prior"

    def __init__(self, features: np.ndarray, *, prior: np.ndarray | None = None, seed: int = 0):
        n = int(np.asarray(features).shape[0])
        self.score_ = 5.0 * _prior_or_flat(prior, n)

    def fit(self, rows: np.ndarray, scores: np.ndarray) -> PriorRanker:
        return self

    def predict(self) -> tuple[np.ndarray, None]:
        return self.score_, None

    def select(self, k: int, labelled: np.ndarray) -> np.ndarray:
        return top_candidates(self.score_, k, exclude=labelled)


def neighbour_score(
    anomaly: np.ndarray, user: np.ndarray, distance: np.ndarray, *, alpha: float = 1.0
) -> np.ndarray:
    """Astronomaly's NeighbourScore (Lochner & Bassett 2021).

    ``S = S_anom * tanh(exp(alpha * d0) - 1 + arctanh(f_u))`` with
    ``f_u = 0.1 + 0.85 * U / 5`` and ``d0 = d / mean(d)``, where ``U`` is the regressor's
    predicted user score (clipped to [0.1, 5]) and ``d`` the distance to the nearest labelled
    object. Far from every label (``d0`` large) the score tends to ``S_anom``; on a label it is
    ``S_anom * f_u``.

    Examples
    --------
    >>> s = neighbour_score(np.array([5.0, 5.0]), np.array([5.0, 0.1]), np.array([0.0, 0.0]))
    >>> np.round(s, 3).tolist()
    [4.75, 0.585]
    """
    user = np.clip(np.asarray(user, dtype=np.float64), 0.1, 5.0)
    distance = np.asarray(distance, dtype=np.float64)
    mean_d = float(distance.mean()) if distance.size else 0.0
    d0 = distance / mean_d if mean_d > 0 else np.zeros_like(distance)
    f_u = 0.1 + 0.85 * user / 5.0
    return np.asarray(anomaly, dtype=np.float64) * np.tanh(
        np.exp(alpha * d0) - 1.0 + np.arctanh(f_u)
    )


class NeighbourScoreRanker:
    """Astronomaly's active learning: anomaly prior re-weighted by a random-forest regressor.

    ``S_anom`` is the prior on the 0-5 scale; the regressor is scikit-learn's
    ``RandomForestRegressor`` fitted on the labelled features; the next batch is the top ``S``
    among unlabelled galaxies, as Astronomaly shows them.
    """

    name = "neighbourscore"

    def __init__(
        self,
        features: np.ndarray,
        *,
        prior: np.ndarray | None = None,
        seed: int = 0,
        alpha: float = 1.0,
        n_estimators: int = 100,
    ):
        self.features = np.asarray(features, dtype=np.float32)
        self.anomaly = 5.0 * _prior_or_flat(prior, self.features.shape[0])
        self.seed = seed
        self.alpha = alpha
        self.n_estimators = n_estimators
        self.score_ = self.anomaly.astype(np.float64)

    def fit(self, rows: np.ndarray, scores: np.ndarray) -> NeighbourScoreRanker:
        from sklearn.ensemble import RandomForestRegressor
        from sklearn.neighbors import NearestNeighbors

        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            self.score_ = self.anomaly.astype(np.float64)
            return self
        xl = self.features[rows]
        reg = RandomForestRegressor(
            n_estimators=self.n_estimators, random_state=self.seed, n_jobs=1
        ).fit(xl, np.asarray(scores, dtype=np.float64))
        user = reg.predict(self.features)
        dist = NearestNeighbors(n_neighbors=1).fit(xl).kneighbors(self.features)[0][:, 0]
        self.score_ = neighbour_score(self.anomaly, user, dist, alpha=self.alpha)
        return self

    def predict(self) -> tuple[np.ndarray, None]:
        return self.score_.astype(np.float32), None

    def select(self, k: int, labelled: np.ndarray) -> np.ndarray:
        return top_candidates(self.score_, k, exclude=labelled)


class WalmsleyRanker:
    """Walmsley et al. (2022)'s recipe as published (via Astronomaly's ``GaussianProcess``).

    scikit-learn ``GaussianProcessRegressor(RationalQuadratic() + WhiteKernel())`` on the raw
    0-5 labels (zero prior mean, ``normalize_y=False``, as in that code), expected improvement
    with trade-off ``xi = 0.5`` over the best label so far, the next batch = the top-EI
    unlabelled galaxies; the first batch is random.
    """

    name = "walmsley"

    def __init__(
        self,
        features: np.ndarray,
        *,
        prior: np.ndarray | None = None,
        seed: int = 0,
        xi: float = 0.5,
    ):
        self.features = np.asarray(features, dtype=np.float64)
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.xi = xi
        n = self.features.shape[0]
        self.mean_ = np.zeros(n)
        self.std_ = np.ones(n)
        self.acq_: np.ndarray | None = None

    def fit(self, rows: np.ndarray, scores: np.ndarray) -> WalmsleyRanker:
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RationalQuadratic, WhiteKernel

        rows = np.asarray(rows, dtype=np.int64)
        scores = np.asarray(scores, dtype=np.float64)
        if rows.size == 0:
            self.acq_ = None
            return self
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp = GaussianProcessRegressor(
                kernel=RationalQuadratic() + WhiteKernel(), random_state=self.seed
            ).fit(self.features[rows], scores)
            mean, std = gp.predict(self.features, return_std=True)
        self.mean_, self.std_ = mean, std
        self.acq_ = expected_improvement(mean, std, float(scores.max()), xi=self.xi)
        return self

    def predict(self) -> tuple[np.ndarray, np.ndarray]:
        return self.mean_.astype(np.float32), self.std_.astype(np.float32)

    def select(self, k: int, labelled: np.ndarray) -> np.ndarray:
        if self.acq_ is None:
            free = np.flatnonzero(~labelled)
            return self.rng.choice(free, size=min(k, free.size), replace=False)
        # Ties (e.g. EI flat after a collapsed fit) are broken at random, as a sort would.
        jitter = self.rng.uniform(0, 1e-12, size=self.acq_.size)
        return top_candidates(self.acq_ + jitter, k, exclude=labelled)
