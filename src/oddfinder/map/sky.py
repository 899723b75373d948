"""Find the catalogue entry nearest a sky position."""

from __future__ import annotations

import numpy as np

__all__ = ["nearest_position"]


def nearest_position(ra: np.ndarray, dec: np.ndarray, ra0: float, dec0: float) -> tuple[int, float]:
    """Row of the entry nearest ``(ra0, dec0)`` (degrees) and its separation in arcseconds.

    Rows with a missing position are never chosen.

    Examples
    --------
    >>> row, sep = nearest_position(np.array([10.0, 20.0]), np.array([0.0, 0.0]), 19.999, 0.0)
    >>> row, round(sep, 1)
    (1, 3.6)
    """
    ra = np.radians(np.asarray(ra, dtype=np.float64))
    dec = np.radians(np.asarray(dec, dtype=np.float64))
    ra0, dec0 = np.radians(float(ra0)), np.radians(float(dec0))
    # Haversine: accurate at small separations.
    hav = np.sin((dec - dec0) / 2) ** 2 + np.cos(dec) * np.cos(dec0) * np.sin((ra - ra0) / 2) ** 2
    sep = 2 * np.arcsin(np.sqrt(np.clip(hav, 0.0, 1.0)))
    sep = np.where(np.isfinite(sep), sep, np.inf)
    if not np.isfinite(sep).any():
        raise ValueError("no catalogue entry has a sky position")
    row = int(np.argmin(sep))
    return row, float(np.degrees(sep[row]) * 3600.0)
