"""One researcher's labelling loop: batch, labels, next round, resumable from the label store.

The app keeps one :class:`LabellingLoop` per researcher. Every label goes to the
:class:`~oddfinder.labels.store.LabelStore` at once; the interest model
(:class:`~oddfinder.rank.session.RankingSession`) is refitted only when the researcher asks for
the next round. The shown batch and the round number are saved in the store too, so a new loop
for the same researcher (after a restart) resumes exactly where the last one stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from oddfinder.errors import LabelError
from oddfinder.labels.store import LabelStore, check_researcher, label_sources

__all__ = ["INTERESTING_SCORE", "LabellingLoop"]

logger = logging.getLogger(__name__)

INTERESTING_SCORE = 3  # labels >= this count as "interesting" in progress reports


class LabellingLoop:
    """A researcher's rounds of labelling over one survey.

    Parameters
    ----------
    store : LabelStore
        Where labels (and the current batch) are kept.
    researcher : str
        The researcher's name (validated by :func:`~oddfinder.labels.store.check_researcher`).
    ids : array of str
        Galaxy ids in row order.
    features : ndarray of shape (n, d)
        Ranking features, row ``i`` for galaxy ``i`` (may be memory-mapped).
    prior : ndarray of shape (n,), optional
        Anomaly prior in [0, 1]; the first batch comes from it.
    row_of : mapping, optional
        ``{id: row}``; built from ``ids`` if not given.
    batch_size, seed, method
        Passed to :class:`~oddfinder.rank.session.RankingSession`.
    options : mapping, optional
        Further ranker options (e.g. the GP's feature ``groups``).
    """

    def __init__(
        self,
        store: LabelStore,
        researcher: str,
        *,
        ids: np.ndarray,
        features: np.ndarray,
        prior: np.ndarray | None = None,
        row_of: Mapping[str, int] | None = None,
        batch_size: int = 10,
        seed: int = 0,
        method: str = "gp",
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.store = store
        self.researcher = check_researcher(researcher)
        self.ids = np.asarray(ids).astype(str)
        self.row_of = dict(row_of) if row_of is not None else {g: i for i, g in enumerate(self.ids)}
        self.features = features
        self.prior = prior
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.method = method
        self.options = dict(options or {})
        self.round = 0
        self.batch: list[int] = []
        self._fitted: dict[int, int] = {}
        self._session: Any = None
        self.resume()

    # --- state --------------------------------------------------------------------------------
    def _new_session(self) -> Any:
        from oddfinder.rank.session import RankingSession

        return RankingSession(
            self.features,
            prior=self.prior,
            method=self.method,
            batch_size=self.batch_size,
            seed=self.seed,
            **self.options,
        )

    def label_rows(self) -> dict[int, int]:
        """The researcher's latest labels as ``{row: score}`` (ids not in this survey skipped)."""
        return {
            self.row_of[g]: s
            for g, s in self.store.labels(self.researcher).items()
            if g in self.row_of
        }

    def labels(self) -> dict[str, int]:
        """The researcher's latest labels as ``{galaxy_id: score}`` for this survey's galaxies."""
        return {g: s for g, s in self.store.labels(self.researcher).items() if g in self.row_of}

    def _fit(self, rows: dict[int, int]) -> None:
        """Make the model's label set exactly ``rows`` (undone labels leave it too)."""
        if self._session is None:
            self._session = self._new_session()
        if rows or self._fitted:
            self._session.update({r: float(s) for r, s in rows.items()}, replace=True)
        self._fitted = dict(rows)

    def _pick(self, labelled: Mapping[int, int]) -> list[int]:
        picked = [int(r) for r in np.asarray(self._session.next_batch(self.batch_size)).ravel()]
        fresh = [r for r in dict.fromkeys(picked) if r not in labelled]
        if len(fresh) < len(picked):
            logger.debug("next_batch offered %d labelled rows", len(picked) - len(fresh))
        return fresh

    def resume(self) -> None:
        """Rebuild the model from the store's labels and restore the saved batch and round."""
        rows = self.label_rows()
        self._session = None
        self._fitted = {}
        self._fit(rows)
        saved = self.store.current_batch(self.researcher)
        if saved is not None and all(g in self.row_of for g in saved[1]):
            self.round = saved[0]
            self.batch = [self.row_of[g] for g in saved[1]]
        else:
            rounds = self.store.rounds(self.researcher)
            self.round = rounds[-1] + 1 if rounds else 0
            self.batch = self._pick(rows)
            self._save_batch()

    def _save_batch(self) -> None:
        self.store.save_batch(self.researcher, self.round, [self.ids[r] for r in self.batch])

    # --- actions ----------------------------------------------------------------------------
    def label(self, galaxy_id: str, score: int) -> None:
        """Record a 0-5 label for ``galaxy_id`` in the current round (written at once)."""
        if str(galaxy_id) not in self.row_of:
            raise LabelError(f"unknown galaxy id {galaxy_id!r}: it is not in this survey")
        self.store.add(self.researcher, str(galaxy_id), score, round=self.round)

    def undo(self) -> tuple[str, int] | None:
        """Delete the researcher's most recent label; returns ``(galaxy_id, score)`` or None."""
        return self.store.undo_last(self.researcher)

    def next_round(self) -> list[int]:
        """Refit the interest model on every label so far and pick the next batch (rows)."""
        rows = self.label_rows()
        self._fit(rows)
        self.round += 1
        self.batch = self._pick(rows)
        self._save_batch()
        logger.info(
            "%s: round %d, %d labels, next batch of %d",
            self.researcher,
            self.round,
            len(rows),
            len(self.batch),
        )
        return list(self.batch)

    # --- results ----------------------------------------------------------------------------
    @property
    def session(self) -> Any:
        """The underlying :class:`~oddfinder.rank.session.RankingSession`."""
        return self._session

    def interest(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Predicted interest ``(mean, std)`` per row from the last fit (None before any)."""
        if not self._fitted:
            return None, None
        mean = getattr(self._session, "mean_", None)
        std = getattr(self._session, "std_", None)
        return (
            None if mean is None else np.asarray(mean),
            None if std is None else np.asarray(std),
        )

    def ranking_table(self) -> pd.DataFrame:
        """The whole survey ranked by predicted interest, with the researcher's latest labels.

        Columns ``rank, id, label, label_source, interest_mean, interest_std, prior``
        (``label`` is a nullable integer, labels given since the last refit included;
        ``label_source`` is ``"example"`` for galaxies given up front as what the researcher
        wants, ``"label"`` for the others labelled, missing for the unlabelled).
        """
        table = self._session.ranking_table(self.ids).reset_index(drop=True)
        if "row" in table.columns:
            order = table["row"].to_numpy(dtype=np.int64)
        else:
            order = table["id"].astype(str).map(self.row_of).to_numpy(dtype=np.int64)
        by_row = np.full(len(self.ids), -1, dtype=np.int64)
        for row, score in self.label_rows().items():
            by_row[row] = score
        label = by_row[order]
        table["label"] = pd.array(label, dtype="Int64")
        table.loc[label < 0, "label"] = pd.NA
        examples = self.store.examples(self.researcher)
        table.insert(
            table.columns.get_loc("label") + 1,
            "label_source",
            label_sources(table["id"], label >= 0, examples),
        )
        return table

    def progress(self) -> dict[str, int]:
        """Counts for the progress bar: labels, rounds, interesting, labelled in this batch."""
        labels = self.labels()
        in_batch = sum(1 for r in self.batch if self.ids[r] in labels)
        return {
            "labels": len(labels),
            "round": self.round,
            "interesting": sum(1 for s in labels.values() if s >= INTERESTING_SCORE),
            "batch_labelled": in_batch,
            "batch_size": len(self.batch),
        }
