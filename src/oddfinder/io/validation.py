"""Row checks shared by the image and the embeddings ingest."""

from __future__ import annotations

import os

import numpy as np

__all__ = ["BadRow", "check_coordinates"]


class BadRow(dict):
    """One rejected row, as written to ``ingest_report.json``: ``{"row", "id", "reason"}``.

    ``row`` counts data rows from 1 (a header line is not a row).

    Examples
    --------
    >>> BadRow(3, "abc", "empty path").message("m.csv")
    "m.csv row 3 (id 'abc'): empty path"
    """

    def __init__(self, row: int, gid: str, reason: str) -> None:
        super().__init__(row=int(row), id=str(gid), reason=str(reason))

    def message(self, source: str | os.PathLike) -> str:
        """One line naming the file, row and id."""
        return f"{source} row {self['row']} (id {self['id']!r}): {self['reason']}"


def check_coordinates(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """Reasons (``""`` when fine) for each row's coordinates; NaN means unknown and is fine.

    ``ra`` must lie in [0, 360] degrees, ``dec`` in [-90, 90]; infinities are rejected.

    Examples
    --------
    >>> check_coordinates(np.array([10.0, 400.0]), np.array([np.nan, 0.0])).tolist()
    ['', 'ra 400.0 outside [0, 360]']
    """
    ra = np.asarray(ra, dtype=float)
    dec = np.asarray(dec, dtype=float)
    reasons = np.full(len(ra), "", dtype=object)
    with np.errstate(invalid="ignore"):
        bad_dec = ~np.isnan(dec) & ~((dec >= -90.0) & (dec <= 90.0))
        bad_ra = ~np.isnan(ra) & ~((ra >= 0.0) & (ra <= 360.0))
    for i in np.flatnonzero(bad_dec):
        reasons[i] = f"dec {float(dec[i])!r} outside [-90, 90]"
    for i in np.flatnonzero(bad_ra):
        reasons[i] = f"ra {float(ra[i])!r} outside [0, 360]"
    return reasons
