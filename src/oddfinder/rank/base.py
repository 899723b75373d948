"""The protocol every ranker follows, so the session and the benchmark treat them alike.

A ranker is built over the whole survey (``features``, optional anomaly ``prior``, ``seed``),
then each round :meth:`Ranker.fit` receives every label so far (row indices and 0-5 scores),
:meth:`Ranker.predict` returns the predicted interest of every row on the 0-5 scale (and a
standard deviation when the ranker has one), and :meth:`Ranker.select` returns the next rows
to show the researcher.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Ranker"]


@runtime_checkable
class Ranker(Protocol):
    """A model of the researcher's interest over a fixed survey."""

    name: str

    def fit(self, rows: np.ndarray, scores: np.ndarray) -> Ranker:
        """Refit on every label so far: ``rows`` (int) and ``scores`` (0-5)."""
        ...

    def predict(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Predicted interest (0-5) of every row, and its std (or ``None``)."""
        ...

    def select(self, k: int, labelled: np.ndarray) -> np.ndarray:
        """The next ``k`` distinct unlabelled rows to show (``labelled`` is a boolean mask)."""
        ...
