"""Discovery metrics for a ranking of the whole survey against the ground truth.

``ranking`` is an array of row indices, most interesting first; ``truth`` a boolean array
(interesting or not) over rows.
"""

from __future__ import annotations

import numpy as np

__all__ = ["average_precision", "precision_at", "rank_weighted_score"]


def precision_at(ranking: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Fraction of the top ``k`` of ``ranking`` that is interesting.

    Examples
    --------
    >>> precision_at(np.array([2, 0, 1]), np.array([False, False, True]), 2)
    0.5
    """
    top = np.asarray(ranking)[:k]
    return float(np.asarray(truth, bool)[top].mean()) if top.size else 0.0


def average_precision(ranking: np.ndarray, truth: np.ndarray) -> float:
    """Average precision of the full ranking: mean of precision@i over the positives' ranks.

    Examples
    --------
    >>> average_precision(np.array([0, 1, 2]), np.array([True, False, True]))
    0.8333333333333333
    """
    hits = np.asarray(truth, bool)[np.asarray(ranking)]
    n_pos = int(hits.sum())
    if n_pos == 0:
        return 0.0
    ranks = np.flatnonzero(hits) + 1
    return float(np.mean(np.arange(1, n_pos + 1) / ranks))


def rank_weighted_score(ranking: np.ndarray, truth: np.ndarray, *, n: int = 100) -> float:
    """Rank-weighted score (Lochner & Bassett 2021, Astronomaly; used by Walmsley et al. 2022).

    ``RWS = sum_{i=1..N} w_i I_i / sum_{i=1..N} w_i`` with weights ``w_i = N - i + 1`` and
    ``I_i = 1`` when the galaxy at rank ``i`` is interesting, over the top ``N = n``: 1 when
    the whole top ``N`` is interesting, rewarding positives near the very top the most.

    Examples
    --------
    >>> rank_weighted_score(np.array([0, 1]), np.array([True, False]), n=2)
    0.6666666666666666
    """
    top = np.asarray(ranking)[:n]
    hits = np.asarray(truth, bool)[top].astype(np.float64)
    weights = n - np.arange(hits.size, dtype=np.float64)
    return float((weights * hits).sum() / (n * (n + 1) / 2.0))
