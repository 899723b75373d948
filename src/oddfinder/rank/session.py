"""A ranking session: the labels so far, the interest model, the ranking and the next batch.

The Streamlit app and the benchmark both drive a :class:`RankingSession`; it validates labels,
refits the chosen ranker each round and turns its predictions into a ranking of the survey.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from oddfinder.errors import LabelError
from oddfinder.rank.base import Ranker

__all__ = ["METHODS", "RankingSession", "make_ranker"]

logger = logging.getLogger(__name__)

METHODS = ("gp", "random", "prior", "neighbourscore", "walmsley")


def make_ranker(
    method: str,
    features: np.ndarray,
    *,
    prior: np.ndarray | None = None,
    seed: int = 0,
    **options,
) -> Ranker:
    """Build a ranker by name (one of :data:`METHODS`); ``options`` go to its constructor."""
    from oddfinder.rank.baselines import (
        NeighbourScoreRanker,
        PriorRanker,
        RandomRanker,
        WalmsleyRanker,
    )
    from oddfinder.rank.gp_ranker import GPRanker

    classes = {
        "gp": GPRanker,
        "random": RandomRanker,
        "prior": PriorRanker,
        "neighbourscore": NeighbourScoreRanker,
        "walmsley": WalmsleyRanker,
    }
    if method not in classes:
        raise ValueError(f"unknown ranking method {method!r}: use one of {', '.join(METHODS)}")
    return classes[method](features, prior=prior, seed=seed, **options)


class RankingSession:
    """One researcher's ranking of one survey.

    Parameters
    ----------
    features : array (N, d)
        Every galaxy's features (row ``i`` = galaxy ``i``).
    prior : array (N,), optional
        Anomaly prior in [0, 1]; the first batch comes from it, spread over feature space.
    method : str
        ``"gp"`` (ours) or a baseline: ``"random"``, ``"prior"``, ``"neighbourscore"``,
        ``"walmsley"``.
    batch_size : int
        Galaxies per round.
    seed : int
        Random seed.
    **options
        Passed to the ranker (e.g. ``kernel="matern"`` for the GP).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 4)).astype(np.float32)
    >>> s = RankingSession(x, batch_size=5)
    >>> first = s.next_batch()
    >>> s.update({int(i): 0 for i in first})
    >>> len(set(s.next_batch()) & set(first))
    0
    """

    def __init__(
        self,
        features: np.ndarray,
        *,
        prior: np.ndarray | None = None,
        method: str = "gp",
        batch_size: int = 10,
        seed: int = 0,
        **options,
    ) -> None:
        features = np.asarray(features)
        if features.ndim != 2 or features.shape[0] == 0:
            raise ValueError(f"features must be a non-empty 2-d array, got {features.shape}")
        self.n = int(features.shape[0])
        if prior is not None:
            prior = np.asarray(prior, dtype=np.float32)
            if prior.shape != (self.n,):
                raise ValueError(f"prior has shape {prior.shape}, expected ({self.n},)")
        self.prior = prior
        self.method = method
        self.batch_size = batch_size
        self.seed = seed
        self.ranker = make_ranker(method, features, prior=prior, seed=seed, **options)
        self.labels_: dict[int, float] = {}
        self.rounds_ = 0
        self._refresh()

    # --- labels -----------------------------------------------------------------------------
    def _validate(self, labels: Mapping[int, float]) -> dict[int, float]:
        clean: dict[int, float] = {}
        for row, score in labels.items():
            try:
                r = int(row)
            except (TypeError, ValueError):
                raise LabelError(f"label row {row!r} is not an integer row index") from None
            if r != row or not 0 <= r < self.n:
                raise LabelError(f"label row {row!r} is out of range (0..{self.n - 1})")
            try:
                value = float(score)
            except (TypeError, ValueError):
                raise LabelError(f"label for row {r} is not a number: {score!r}") from None
            if not math.isfinite(value) or not 0.0 <= value <= 5.0:
                raise LabelError(f"label for row {r} is {score!r}: scores must be 0 to 5")
            clean[r] = value
        return clean

    def update(self, labels: Mapping[int, float], *, replace: bool = False) -> None:
        """Add (or overwrite) labels ``{row: score}`` and refit.

        With ``replace=True`` the given labels become the whole label set (e.g. after an undo).
        Everything is validated before anything changes.

        Raises
        ------
        LabelError
            A score outside 0-5 or not finite, or a row out of range.
        """
        clean = self._validate(labels)
        if replace:
            new = {}
            # Keep the order in which rows were first labelled (the GP cache appends).
            for r in self.labels_:
                if r in clean:
                    new[r] = clean[r]
            for r, v in clean.items():
                new.setdefault(r, v)
            self.labels_ = new
        else:
            self.labels_.update(clean)
        self.rounds_ += 1
        self._refresh()

    def _refresh(self) -> None:
        rows = np.fromiter(self.labels_.keys(), dtype=np.int64, count=len(self.labels_))
        scores = np.fromiter(self.labels_.values(), dtype=np.float64, count=len(self.labels_))
        self.ranker.fit(rows, scores)
        mean, std = self.ranker.predict()
        self.mean_ = np.asarray(mean, dtype=np.float32)
        self.std_ = (
            np.full(self.n, np.nan, np.float32) if std is None else np.asarray(std, np.float32)
        )

    @property
    def labelled_mask(self) -> np.ndarray:
        """Boolean mask of labelled rows."""
        mask = np.zeros(self.n, dtype=bool)
        if self.labels_:
            mask[np.fromiter(self.labels_.keys(), dtype=np.int64)] = True
        return mask

    # --- outputs ----------------------------------------------------------------------------
    def next_batch(self, k: int | None = None) -> np.ndarray:
        """Row indices of the next ``k`` (default ``batch_size``) unlabelled galaxies to show."""
        k = self.batch_size if k is None else int(k)
        picks = np.asarray(self.ranker.select(k, self.labelled_mask), dtype=np.int64)
        return picks[:k]

    def values(self) -> np.ndarray:
        """Interest per row on the 0-5 scale: the label where given, else the predicted mean
        clipped to 0-5 (so a labelled 5 is never outranked by a prediction above 5)."""
        value = np.clip(self.mean_.astype(np.float64), 0.0, 5.0)
        if self.labels_:
            rows = np.fromiter(self.labels_.keys(), dtype=np.int64)
            value[rows] = np.fromiter(self.labels_.values(), dtype=np.float64)
        return value

    def ranking(self) -> np.ndarray:
        """Every row, most interesting first.

        Labelled galaxies are placed by their label and the others by their predicted mean,
        interleaved by value; ties go to labelled galaxies, then to the higher prior.
        """
        value = self.values()
        labelled = self.labelled_mask
        prior = np.zeros(self.n) if self.prior is None else self.prior
        return np.lexsort((-prior, ~labelled, -value))

    def ranking_table(self, ids: Sequence[str] | np.ndarray, *, top: int | None = None):
        """The ranking as a table: rank, id, label, interest_mean, interest_std, prior, row."""
        ids = np.asarray(ids).astype(str)
        if ids.shape[0] != self.n:
            raise ValueError(f"got {ids.shape[0]} ids for {self.n} galaxies")
        order = self.ranking()
        if top is not None:
            order = order[:top]
        label = np.full(self.n, np.nan)
        for r, v in self.labels_.items():
            label[r] = v
        return pd.DataFrame(
            {
                "rank": np.arange(1, order.size + 1),
                "id": ids[order],
                "label": label[order],
                "interest_mean": self.mean_[order],
                "interest_std": self.std_[order],
                "prior": (np.full(self.n, np.nan) if self.prior is None else self.prior)[order],
                "row": order,
            }
        )
