"""The simulated researcher: labels what a method shows from the catalogue's ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oddfinder.errors import OddfinderError

__all__ = ["Oracle", "truth_from_catalog"]


def truth_from_catalog(
    catalog: pd.DataFrame, *, interesting: str | None = None, score_column: str | None = None
) -> np.ndarray:
    """Per-row oracle scores 0-5 from a catalogue.

    ``interesting`` is a pandas expression (``DataFrame.eval``), e.g. ``"is_merger == 1"``:
    5 where it holds, else 0. ``score_column`` names a graded column already on the 0-5 scale
    (values are clipped to it). Exactly one of the two must be given.

    Examples
    --------
    >>> df = pd.DataFrame({"kind": ["ring", "disc", "ring"]})
    >>> truth_from_catalog(df, interesting="kind == 'ring'").tolist()
    [5.0, 0.0, 5.0]
    """
    if (interesting is None) == (score_column is None):
        raise OddfinderError("give exactly one of --interesting EXPR or --score-column COL")
    if score_column is not None:
        if score_column not in catalog.columns:
            raise OddfinderError(f"the catalogue has no column {score_column!r}")
        values = pd.to_numeric(catalog[score_column], errors="coerce").to_numpy(np.float64)
        if not np.isfinite(values).all():
            bad = int(np.flatnonzero(~np.isfinite(values))[0])
            raise OddfinderError(f"column {score_column!r} row {bad} is not a number")
        return np.clip(values, 0.0, 5.0)
    try:
        result = catalog.eval(interesting)
    except Exception as error:  # pandas raises many types for a bad expression
        raise OddfinderError(f"cannot evaluate --interesting {interesting!r}: {error}") from None
    result = np.asarray(result)
    if result.shape != (len(catalog),):
        raise OddfinderError(f"--interesting {interesting!r} does not give one value per row")
    return np.where(result.astype(bool), 5.0, 0.0)


class Oracle:
    """Answers with the ground-truth score of each row shown.

    Examples
    --------
    >>> Oracle(np.array([0.0, 5.0])).label(np.array([1]))
    {1: 5.0}
    """

    def __init__(self, scores: np.ndarray) -> None:
        self.scores = np.asarray(scores, dtype=np.float64)

    def label(self, rows: np.ndarray) -> dict[int, float]:
        """``{row: score}`` for the rows shown."""
        return {int(r): float(self.scores[r]) for r in rows}
