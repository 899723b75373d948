"""Acquisition functions and diverse batch selection.

All functions take the predictive mean and standard deviation on the 0-5 label scale.
A batch is chosen by the *kriging believer* (Ginsbourger et al. 2010) inside a candidate pool:
pick the best candidate, pretend its label is the predicted mean, shrink the posterior
covariance of the pool by the exact rank-one update, and pick again. Picks therefore spread
out instead of repeating one galaxy and its near-duplicates.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import ndtr

__all__ = [
    "ACQUISITIONS",
    "expected_improvement",
    "greedy",
    "kriging_believer",
    "probability_interesting",
    "top_candidates",
    "upper_confidence_bound",
]

ACQUISITIONS = ("ei", "ucb", "greedy", "pi")


def expected_improvement(
    mean: np.ndarray, std: np.ndarray, best: float, *, xi: float = 0.5
) -> np.ndarray:
    """Expected improvement over ``best + xi`` (Jones et al. 1998; Walmsley et al. 2022).

    ``EI = (mu - best - xi) Phi(z) + sigma phi(z)``, ``z = (mu - best - xi) / sigma``, with
    ``xi`` (the exploration trade-off) on the same 0-5 scale as the labels: Astronomaly's
    Protege default, used by Walmsley et al., is 0.5.

    Examples
    --------
    >>> ei = expected_improvement(np.array([4.0, 1.0]), np.array([0.5, 0.5]), best=5.0)
    >>> bool(ei[0] > ei[1] > 0)
    True
    """
    mean = np.asarray(mean, dtype=np.float64)
    std = np.maximum(np.asarray(std, dtype=np.float64), 1e-9)
    gap = mean - best - xi
    z = gap / std
    return gap * ndtr(z) + std * np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)


def probability_interesting(
    mean: np.ndarray, std: np.ndarray, threshold: float, *, noise_std: float = 0.0
) -> np.ndarray:
    """Probability that the label of a galaxy reaches ``threshold``: ``Phi((mu - t) / s)``.

    ``s = sqrt(std^2 + noise_std^2)`` (the predictive spread of a label, not of the latent
    interest). Greedy on this probability is the one-step Bayes-optimal policy of active
    search (Garnett et al. 2012): it maximises the expected number of interesting galaxies in
    the next pick, where expected improvement over the best label maximises the chance of a
    *better* one.

    Examples
    --------
    >>> p = probability_interesting(np.array([4.0, 1.0]), np.array([0.5, 0.5]), 3.0)
    >>> bool(p[0] > 0.95 > 0.01 > p[1])
    True
    """
    mean = np.asarray(mean, dtype=np.float64)
    spread = np.sqrt(np.asarray(std, dtype=np.float64) ** 2 + noise_std**2)
    return ndtr((mean - threshold) / np.maximum(spread, 1e-9))


def upper_confidence_bound(mean: np.ndarray, std: np.ndarray, *, kappa: float = 2.0) -> np.ndarray:
    """``mean + kappa * std``.

    Examples
    --------
    >>> upper_confidence_bound(np.array([1.0]), np.array([0.5]), kappa=2.0).tolist()
    [2.0]
    """
    return np.asarray(mean, dtype=np.float64) + kappa * np.asarray(std, dtype=np.float64)


def greedy(mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """The predicted mean itself (pure exploitation)."""
    return np.asarray(mean, dtype=np.float64)


def top_candidates(score: np.ndarray, k: int, *, exclude: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``k`` highest finite scores, best first, skipping ``exclude`` (a mask).

    Examples
    --------
    >>> top_candidates(np.array([0.1, 0.9, 0.5, 0.7]), 2, exclude=np.array([0, 1, 0, 0], bool))
    array([3, 2])
    """
    score = np.asarray(score, dtype=np.float64).copy()
    score[~np.isfinite(score)] = -np.inf
    if exclude is not None:
        score[exclude] = -np.inf
    available = int(np.isfinite(score).sum())
    k = min(k, available)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-score, k - 1)[:k]
    return part[np.argsort(-score[part], kind="stable")]


def kriging_believer(
    score_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    mean: np.ndarray,
    cov: np.ndarray,
    k: int,
    *,
    noise: float = 0.0,
) -> np.ndarray:
    """Choose ``k`` of the pool's candidates sequentially by the kriging believer.

    Parameters
    ----------
    score_fn : callable
        ``score_fn(mean, std) -> acquisition`` over the pool.
    mean : array (P,)
        Predictive mean of the pool (left unchanged: the believer's pseudo-label is the mean).
    cov : array (P, P)
        Joint posterior covariance of the pool (latent function, same scale as ``mean``).
    k : int
        Batch size.
    noise : float
        Observation-noise variance of a pseudo-label.

    Returns
    -------
    numpy.ndarray
        Positions in the pool, in the order picked; never a repeat.

    Examples
    --------
    >>> cov = np.array([[1.0, 0.99, 0.0], [0.99, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> kriging_believer(lambda m, s: m + s, np.array([1.0, 0.99, 0.5]), cov, 2).tolist()
    [0, 2]
    """
    cov = np.array(cov, dtype=np.float64, copy=True)
    p = cov.shape[0]
    k = min(k, p)
    taken = np.zeros(p, dtype=bool)
    picks: list[int] = []
    for _ in range(k):
        std = np.sqrt(np.clip(np.diag(cov), 1e-12, None))
        score = np.asarray(score_fn(mean, std), dtype=np.float64)
        score[taken] = -np.inf
        best = int(np.argmax(score))
        picks.append(best)
        taken[best] = True
        column = cov[:, best].copy()
        cov -= np.outer(column, column) / (column[best] + noise + 1e-12)
    return np.asarray(picks, dtype=np.int64)
