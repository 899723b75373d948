"""One cutout, start to finish: the object, field neighbours, PSF, sky noise, colour picture.

Galaxy ``index`` of a survey with ``seed`` draws every random number from its own stream,
``SeedSequence([seed, index])``, so it comes out the same in any process and any order.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from oddfinder.survey import profiles as P
from oddfinder.survey.artefacts import ARTEFACT_RECIPES
from oddfinder.survey.colour import lupton_rgb
from oddfinder.survey.drawing import Canvas, band_flux
from oddfinder.survey.galaxies import GALAXY_RECIPES
from oddfinder.survey.psf import PSF_MODELS, psf_bank

__all__ = ["RECIPES", "SKY_SIGMA", "render_object", "sky_position"]

RECIPES = {**GALAXY_RECIPES, **ARTEFACT_RECIPES}

#: Typical sky noise per pixel (nanomaggies) in g, r, z; each cutout varies it by x0.7-1.4.
SKY_SIGMA = np.array([0.0025, 0.004, 0.006], np.float32)

# Sky level added before the stretch: a dark, not black, background.
_SKY_OFFSET = 0.012

# The survey footprint: a patch of sky, centre and half-width in degrees.
_RA0, _DEC0, _HALF_WIDTH = 185.0, 12.0, 5.0


def sky_position(rng: np.random.Generator) -> tuple[float, float]:
    """A uniformly random ``(ra, dec)`` in degrees inside the survey patch."""
    lo, hi = (
        math.sin(math.radians(_DEC0 - _HALF_WIDTH)),
        math.sin(math.radians(_DEC0 + _HALF_WIDTH)),
    )
    dec = math.degrees(math.asin(rng.uniform(lo, hi)))
    ra = _RA0 + rng.uniform(-_HALF_WIDTH, _HALF_WIDTH) / math.cos(math.radians(_DEC0))
    return round(float(ra), 6), round(float(dec), 6)


def _neighbours(canvas: Canvas, cube: np.ndarray) -> int:
    """Add a few faint field stars and galaxies away from the centre; return how many."""
    rng = canvas.rng
    count = int(min(rng.poisson(4.5), 12))
    half = canvas.shape[0] / 2
    for _ in range(count):
        while True:
            x, y = rng.uniform(-half, half, 2)
            if math.hypot(x, y) > 0.18 * canvas.size:
                break
        if rng.random() < 0.4:
            g_r = float(rng.uniform(0.2, 1.5))
            flux = band_flux(float(17.5 + 6.0 * rng.power(2.5)), g_r, 0.6 * g_r + 0.1)
            point = P.deposit(canvas.shape, np.array([x]), np.array([y]), np.array([1.0]))
            canvas.add(cube, point, flux)
        else:
            g_r = float(0.3 + 1.4 * rng.power(1.5) * rng.random() ** 0.5)
            r_z = 0.55 * g_r + float(rng.uniform(0.05, 0.35))
            flux = band_flux(float(18.5 + 5.0 * rng.power(2.5)), g_r, r_z)
            re = float(0.8 + 3.2 * rng.power(0.6)) * canvas.scale
            n = float(rng.uniform(0.8, 3.0))
            q, pa = float(rng.uniform(0.3, 1.0)), float(rng.uniform(0, math.pi))
            # Drawn on a stamp around the neighbour only: it is small.
            h = canvas.shape[0]
            r = math.ceil(6 * re + 3)
            cx, cy = round(x + (h - 1) / 2), round(y + (h - 1) / 2)
            rows = slice(max(cy - r, 0), min(cy + r + 1, h))
            cols = slice(max(cx - r, 0), min(cx + r + 1, h))
            stamp = P.Grid(x=canvas.grid.x[rows, cols], y=canvas.grid.y[rows, cols])
            image = P.sersic(stamp, x0=x, y0=y, re=re, n=n, q=q, pa=pa)
            for b in range(3):
                cube[b, rows, cols] += np.float32(flux[b]) * image
    return count


def render_object(
    index: int, kind: str, *, seed: int, size: int
) -> tuple[np.ndarray, dict[str, Any]]:
    """Draw galaxy ``index`` of kind ``kind``: returns ``(rgb uint8 (size, size, 3), truth)``.

    Examples
    --------
    >>> rgb, truth = render_object(0, "spiral", seed=1, size=64)
    >>> rgb.shape, truth["spiral_arms"] in (2, 3, 4)
    ((64, 64, 3), True)
    """
    if kind not in RECIPES:
        raise ValueError(f"unknown kind {kind!r}; known kinds: {', '.join(RECIPES)}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, index]))
    ra, dec = sky_position(rng)
    bank = psf_bank(size)
    model = int(rng.integers(0, len(PSF_MODELS)))
    fwhm = int(rng.integers(0, len(bank.fwhm)))
    canvas = Canvas(grid=_grid(bank.canvas), size=size, rng=rng)
    drawn = RECIPES[kind](canvas)
    cube = drawn.cube
    neighbours = _neighbours(canvas, cube)
    if size != 128:
        # Lengths scale with the cutout; keep the surface brightness per pixel, and so the look.
        cube *= np.float32(canvas.scale**2)
    blurred = bank.convolve(cube, model, fwhm)
    pad = bank.pad
    image = np.ascontiguousarray(blurred[:, pad : pad + size, pad : pad + size])
    sigma = SKY_SIGMA * np.float32(rng.uniform(0.7, 1.4))
    noise = _noise(rng, image.shape)
    # Sky noise plus a little photon noise from the sources themselves.
    variance = sigma[:, None, None] ** 2 + np.maximum(image, 0.0) * np.float32(2e-4)
    image += noise * np.sqrt(variance)
    if drawn.after_noise is not None:
        image = drawn.after_noise(image)
    rgb = lupton_rgb(image, offset=_SKY_OFFSET)
    if drawn.after_rgb is not None:
        rgb = drawn.after_rgb(rgb)
    truth = dict(drawn.truth)
    truth.setdefault("host_kind", kind)
    truth.update(
        ra=ra,
        dec=dec,
        n_neighbours=neighbours,
        psf_model=PSF_MODELS[model],
        psf_fwhm_px=float(bank.fwhm[fwhm]),
        sky_sigma_r=float(sigma[1]),
    )
    return rgb, truth


_NOISE_SAMPLES = 1 << 22


@functools.cache
def _noise_bank() -> np.ndarray:
    # Drawing 50k normal deviates per cutout costs as much as the galaxy itself; a fixed bank of
    # deviates, read from a random offset, is the same in every process and costs nothing.
    return np.random.default_rng(0x5EED).standard_normal(_NOISE_SAMPLES, dtype=np.float32)


def _noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit Gaussian noise of ``shape``, a random window of the process-wide bank."""
    count = math.prod(shape)
    bank = _noise_bank()
    if count * 4 > bank.size:
        return rng.standard_normal(shape, dtype=np.float32)
    start = int(rng.integers(0, bank.size - count))
    return bank[start : start + count].reshape(shape)


_GRIDS: dict[int, P.Grid] = {}


def _grid(n: int) -> P.Grid:
    if n not in _GRIDS:
        _GRIDS[n] = P.Grid.square(n)
    return _GRIDS[n]
