"""Surface-brightness patterns drawn with numpy on a pixel grid, before the PSF.

Every function returns a float32 image with unit sum (or zeros) over the canvas, so a component
is ``flux * pattern``. Smooth profiles (Sersic, exponential disk) are evaluated analytically;
structures GalSim has no profile for (spiral arms, bars seen in the disk plane, rings, tidal
tails, clumps) are patterns in the galaxy's own frame, or point clouds deposited on the grid and
smoothed. The PSF is applied afterwards to the summed image (:mod:`oddfinder.survey.psf`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Grid",
    "deposit",
    "disk_plane",
    "edge_on_disk",
    "ring",
    "sersic",
    "sersic_b",
    "smooth_noise",
    "spiral_arms",
    "unit",
]

_CORE = np.float32(0.35**2)  # softening (px^2) so a cuspy centre does not take all the flux


@dataclass(frozen=True)
class Grid:
    """Pixel-centre coordinates on a square canvas, relative to its centre.

    Examples
    --------
    >>> g = Grid.square(4)
    >>> float(g.x[0, 0]), float(g.x[0, 3])
    (-1.5, 1.5)
    """

    x: np.ndarray
    y: np.ndarray

    @classmethod
    def square(cls, n: int) -> Grid:
        """A grid ``n`` pixels on a side, origin at the canvas centre."""
        axis = np.arange(n, dtype=np.float32) - np.float32((n - 1) / 2)
        y, x = np.meshgrid(axis, axis, indexing="ij")
        return cls(x=x, y=y)

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` of the canvas."""
        return self.x.shape


def unit(image: np.ndarray) -> np.ndarray:
    """Scale ``image`` to unit sum (zeros stay zeros)."""
    total = float(image.sum())
    return (image / total).astype(np.float32, copy=False) if total > 0 else image


def sersic_b(n: float) -> float:
    """The Sersic ``b_n`` for which ``r_e`` encloses half the light (Ciotti & Bertin 1999).

    Examples
    --------
    >>> round(sersic_b(4.0), 2)
    7.67
    """
    return 2.0 * n - 1.0 / 3.0 + 4.0 / (405.0 * n) + 46.0 / (25515.0 * n * n)


def disk_plane(
    grid: Grid, *, x0: float, y0: float, pa: float, q: float
) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in the galaxy's plane: major axis at ``pa`` (radians), minor axis ``/ q``."""
    dx = grid.x - np.float32(x0)
    dy = grid.y - np.float32(y0)
    c, s = np.float32(np.cos(pa)), np.float32(np.sin(pa))
    u = dx * c + dy * s
    v = (dy * c - dx * s) / np.float32(q)
    return u, v


def sersic(
    grid: Grid,
    *,
    x0: float = 0.0,
    y0: float = 0.0,
    re: float,
    n: float,
    q: float = 1.0,
    pa: float = 0.0,
    boxy: float = 0.0,
) -> np.ndarray:
    """A Sersic profile of half-light radius ``re`` (px, major axis), index ``n``, axis ratio ``q``.

    ``boxy`` > 0 makes the isophotes boxy, < 0 discy (a generalised ellipse ``|u|^c + |v|^c``).

    Examples
    --------
    >>> img = sersic(Grid.square(65), re=6.0, n=1.0)
    >>> round(float(img.sum()), 4), np.unravel_index(img.argmax(), img.shape)
    (1.0, (np.int64(32), np.int64(32)))
    """
    u, v = disk_plane(grid, x0=x0, y0=y0, pa=pa, q=q)
    if boxy:
        c = 2.0 + boxy
        r2 = (np.abs(u) ** c + np.abs(v) ** c) ** np.float32(2.0 / c)
    else:
        r2 = u * u + v * v
    r2 += _CORE
    b = np.float32(sersic_b(n))
    if n == 1.0:
        arg = np.sqrt(r2) / np.float32(re)
    elif n == 0.5:
        arg = r2 / np.float32(re * re)
    else:
        arg = np.power(r2 / np.float32(re * re), np.float32(0.5 / n))
    return unit(np.exp(-b * arg))


def spiral_arms(
    grid: Grid,
    *,
    x0: float = 0.0,
    y0: float = 0.0,
    pa: float,
    q: float,
    scale: float,
    arms: int,
    pitch: float,
    phase: float,
    sharpness: float,
    inner: float,
    texture: np.ndarray | None = None,
) -> np.ndarray:
    """Logarithmic spiral arms on an exponential disk of scale length ``scale`` (px).

    The arms follow ``theta = phase + ln(R) / tan(pitch)`` (``pitch`` in radians), ``arms`` of
    them, with cross-section ``((1 + cos) / 2) ** sharpness``; they fade in beyond ``inner`` px.
    ``texture`` (unit-mean image) makes them flocculent.
    """
    u, v = disk_plane(grid, x0=x0, y0=y0, pa=pa, q=q)
    radius = np.sqrt(u * u + v * v + _CORE)
    theta = np.arctan2(v, u)
    wind = np.log(radius) / np.float32(np.tan(pitch))
    wave = np.float32(0.5) * (1.0 + np.cos(np.float32(arms) * (theta - wind - np.float32(phase))))
    pattern = np.power(wave, np.float32(sharpness))
    pattern *= np.exp(-radius / np.float32(scale))
    pattern *= 1.0 - np.exp(-((radius / np.float32(inner)) ** 2))
    if texture is not None:
        pattern *= texture
    return unit(pattern)


def ring(
    grid: Grid,
    *,
    x0: float = 0.0,
    y0: float = 0.0,
    pa: float,
    q: float,
    radius: float,
    width: float,
    texture: np.ndarray | None = None,
) -> np.ndarray:
    """A Gaussian annulus of ``radius`` and ``width`` (px) in the galaxy plane."""
    u, v = disk_plane(grid, x0=x0, y0=y0, pa=pa, q=q)
    r = np.sqrt(u * u + v * v)
    pattern = np.exp(-0.5 * ((r - np.float32(radius)) / np.float32(width)) ** 2)
    if texture is not None:
        pattern *= texture
    return unit(pattern)


def edge_on_disk(
    grid: Grid,
    *,
    x0: float = 0.0,
    y0: float = 0.0,
    pa: float,
    scale: float,
    height: float,
    tilt: float = 0.0,
) -> np.ndarray:
    """An exponential disk seen edge-on: ``(1 + |u|/h) exp(-|u|/h) sech^2(v / z0)``.

    ``tilt`` (px) shifts the vertical profile with ``|u|`` for a slight warp-free inclination look.
    """
    u, v = disk_plane(grid, x0=x0, y0=y0, pa=pa, q=1.0)
    a = np.abs(u) / np.float32(scale)
    radial = (1.0 + a) * np.exp(-a)
    z = (v - np.float32(tilt)) / np.float32(height)
    vertical = 1.0 / np.cosh(np.clip(z, -30, 30)) ** 2
    return unit((radial * vertical).astype(np.float32))


def deposit(
    shape: tuple[int, int], x: np.ndarray, y: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Spread point fluxes at canvas-centred positions ``x, y`` over pixels (bilinear).

    Points off the canvas are dropped. Returns an image (not normalised).

    Examples
    --------
    >>> img = deposit((4, 4), np.array([0.0]), np.array([0.0]), np.array([1.0]))
    >>> float(img.sum()), float(img.max())
    (1.0, 0.25)
    """
    h, w = shape
    px = np.asarray(x, np.float64) + (w - 1) / 2
    py = np.asarray(y, np.float64) + (h - 1) / 2
    weights = np.asarray(weights, np.float64)
    ix = np.floor(px).astype(np.int64)
    iy = np.floor(py).astype(np.int64)
    fx = px - ix
    fy = py - iy
    cells, values = [], []
    for dy, dx, wgt in (
        (0, 0, (1 - fx) * (1 - fy)),
        (0, 1, fx * (1 - fy)),
        (1, 0, (1 - fx) * fy),
        (1, 1, fx * fy),
    ):
        cx, cy = ix + dx, iy + dy
        ok = (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)
        cells.append(cy[ok] * w + cx[ok])
        values.append((weights * wgt)[ok])
    image = np.bincount(np.concatenate(cells), np.concatenate(values), minlength=h * w)
    return image.reshape(h, w).astype(np.float32)


@functools.lru_cache(maxsize=32)
def _upsampler(n: int, cells: int) -> np.ndarray:
    """``(n, cells)`` matrix of bilinear weights from ``cells`` samples to ``n`` pixels."""
    t = np.clip((np.arange(n) + 0.5) * cells / n - 0.5, 0, cells - 1)
    low = np.minimum(np.floor(t).astype(int), cells - 2) if cells > 1 else np.zeros(n, int)
    frac = t - low
    matrix = np.zeros((n, cells), np.float32)
    matrix[np.arange(n), low] = 1 - frac
    if cells > 1:
        matrix[np.arange(n), low + 1] += frac
    return matrix


def smooth_noise(
    rng: np.random.Generator, shape: tuple[int, int], *, cells: int, contrast: float
) -> np.ndarray:
    """A positive, unit-mean random texture varying over ``shape / cells`` pixels.

    ``contrast`` is the log-normal spread: 0 gives ones, 1 a strongly patchy field.
    """
    coarse = rng.standard_normal((cells, cells)).astype(np.float32)
    # Bilinear upsampling as two small matrix products.
    field = _upsampler(shape[0], cells) @ coarse @ _upsampler(shape[1], cells).T
    field = np.exp(np.float32(contrast) * field)
    return (field / field.mean()).astype(np.float32)
