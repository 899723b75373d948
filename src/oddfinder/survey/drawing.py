"""Shared pieces of every recipe: the drawing canvas, band fluxes, and what a recipe returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oddfinder.survey.profiles import Grid

__all__ = ["Canvas", "Drawn", "band_flux", "colour_jitter"]

_ZERO_POINT = 22.5  # nanomaggies


def band_flux(mag_r: float, g_r: float, r_z: float) -> np.ndarray:
    """g, r, z fluxes in nanomaggies of an object with r magnitude ``mag_r`` and colours.

    Examples
    --------
    >>> np.round(band_flux(22.5, 0.0, 0.0), 3)
    array([1., 1., 1.], dtype=float32)
    """
    f_r = 10.0 ** ((_ZERO_POINT - mag_r) / 2.5)
    return np.array([f_r * 10.0 ** (-0.4 * g_r), f_r, f_r * 10.0 ** (0.4 * r_z)], dtype=np.float32)


def colour_jitter(rng: np.random.Generator, g_r: float, r_z: float, spread: float = 0.05):
    """``(g_r, r_z)`` with a little Gaussian scatter, so no two galaxies share a colour."""
    return g_r + spread * rng.standard_normal(), r_z + spread * rng.standard_normal()


@dataclass
class Canvas:
    """Where a recipe draws: the padded grid, the length scale, and the galaxy's random stream.

    Lengths in the recipes are written for 128-pixel cutouts and multiplied by ``scale``.
    """

    grid: Grid
    size: int
    rng: np.random.Generator

    @property
    def scale(self) -> float:
        """Cutout size over 128: multiplies every length in pixels."""
        return self.size / 128.0

    @property
    def shape(self) -> tuple[int, int]:
        """Shape of the padded drawing canvas."""
        return self.grid.shape

    def empty(self) -> np.ndarray:
        """A zero ``(3, H, W)`` g, r, z cube on the canvas."""
        return np.zeros((3, *self.grid.shape), np.float32)

    def add(self, cube: np.ndarray, pattern: np.ndarray, flux: np.ndarray) -> None:
        """Add ``flux[b] * pattern`` to band ``b`` of ``cube``, in place."""
        for b in range(3):
            cube[b] += np.float32(flux[b]) * pattern


@dataclass
class Drawn:
    """What a recipe returns.

    Attributes
    ----------
    cube
        ``(3, H, W)`` g, r, z surface brightness in nanomaggies before the PSF.
    truth
        Ground truth and generation parameters for the manifest row.
    after_noise
        Optional step on the noisy, PSF-convolved ``(3, size, size)`` cube (saturation, missing
        bands); returns the new cube.
    after_rgb
        Optional step on the final ``(size, size, 3)`` uint8 picture (blank CCD regions).
    """

    cube: np.ndarray
    truth: dict[str, Any] = field(default_factory=dict)
    after_noise: Callable[[np.ndarray], np.ndarray] | None = None
    after_rgb: Callable[[np.ndarray], np.ndarray] | None = None
