"""Unsupervised anomaly priors: isolation forest and local outlier factor on the features.

Both follow scikit-learn's conventions (``fit`` returns ``self``), but unlike scikit-learn
their :meth:`score_samples` returns *higher = more anomalous*, and :func:`scale_scores`
maps any score to ``[0, 1]`` by rank so priors from different methods are comparable.
"""

from __future__ import annotations

import logging

import numpy as np

__all__ = ["IsolationPrior", "LofPrior", "make_prior", "scale_scores"]

logger = logging.getLogger(__name__)


def scale_scores(scores: np.ndarray) -> np.ndarray:
    """Map scores to ``[0, 1]`` by rank (ties share their mean rank); higher stays higher.

    Examples
    --------
    >>> scale_scores(np.array([10.0, -3.0, 2.0])).tolist()
    [1.0, 0.0, 0.5]
    """
    from scipy.stats import rankdata

    scores = np.asarray(scores, dtype=np.float64)
    if scores.size <= 1:
        return np.ones(scores.shape, dtype=np.float32)
    ranks = rankdata(scores, method="average")
    return ((ranks - 1.0) / (scores.size - 1.0)).astype(np.float32)


def _check_features(features: np.ndarray) -> np.ndarray:
    features = np.asarray(features, dtype=np.float32)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"features must be a 2-d array with >= 2 rows, got {features.shape}")
    if not np.isfinite(features).all():
        bad = int(np.flatnonzero(~np.isfinite(features).all(axis=1))[0])
        raise ValueError(f"features row {bad} holds a non-finite value")
    return features


class IsolationPrior:
    """Isolation-forest anomaly score (Liu et al. 2008), as Astronomaly uses.

    Parameters
    ----------
    n_estimators : int
        Number of trees.
    max_samples : int or "auto"
        Rows drawn per tree.
    seed : int
        Random seed.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.vstack([rng.normal(size=(200, 3)), [[8.0, 8.0, 8.0]]])
    >>> s = IsolationPrior(seed=0).fit(x).score_samples(x)
    >>> int(np.argmax(s))
    200
    """

    def __init__(
        self, *, n_estimators: int = 200, max_samples: int | str = "auto", seed: int = 0
    ) -> None:
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.seed = seed

    def fit(self, features: np.ndarray) -> IsolationPrior:
        """Fit the forest on ``features`` (n, d)."""
        from sklearn.ensemble import IsolationForest

        features = _check_features(features)
        self.model_ = IsolationForest(
            n_estimators=self.n_estimators,
            max_samples=self.max_samples,
            random_state=self.seed,
            n_jobs=1,
        ).fit(features)
        return self

    def score_samples(self, features: np.ndarray) -> np.ndarray:
        """Anomaly score per row, higher = more anomalous (negated scikit-learn score)."""
        features = _check_features(features)
        return (-self.model_.score_samples(features)).astype(np.float32)


class LofPrior:
    """Local-outlier-factor anomaly score (Breunig et al. 2000).

    Parameters
    ----------
    n_neighbors : int
        Neighbourhood size.
    max_fit_rows : int
        The model is fitted on at most this many rows (a random subset) so scoring large
        surveys stays affordable; every row is then scored against it.
    seed : int
        Random seed for the subset.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.vstack([rng.normal(size=(200, 3)), [[8.0, 8.0, 8.0]]])
    >>> s = LofPrior().fit(x).score_samples(x)
    >>> int(np.argmax(s))
    200
    """

    def __init__(self, *, n_neighbors: int = 20, max_fit_rows: int = 50_000, seed: int = 0) -> None:
        self.n_neighbors = n_neighbors
        self.max_fit_rows = max_fit_rows
        self.seed = seed

    def fit(self, features: np.ndarray) -> LofPrior:
        """Fit the neighbourhood model on ``features`` (or a random subset of them)."""
        from sklearn.neighbors import LocalOutlierFactor

        features = _check_features(features)
        if features.shape[0] > self.max_fit_rows:
            rng = np.random.default_rng(self.seed)
            features = features[np.sort(rng.choice(features.shape[0], self.max_fit_rows, False))]
        k = min(self.n_neighbors, features.shape[0] - 1)
        self.model_ = LocalOutlierFactor(n_neighbors=k, novelty=True).fit(features)
        return self

    def score_samples(self, features: np.ndarray) -> np.ndarray:
        """Anomaly score per row, higher = more anomalous (the local outlier factor)."""
        features = _check_features(features)
        return (-self.model_.score_samples(features)).astype(np.float32)


def make_prior(method: str, *, seed: int = 0) -> IsolationPrior | LofPrior:
    """Return an unfitted prior by name: ``"iforest"`` or ``"lof"``."""
    if method == "iforest":
        return IsolationPrior(seed=seed)
    if method == "lof":
        return LofPrior(seed=seed)
    raise ValueError(f"unknown prior method {method!r}: use 'iforest' or 'lof'")
