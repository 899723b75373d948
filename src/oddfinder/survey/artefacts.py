"""Recipes for the artefacts: anomalous-looking cutouts that no astronomer wants to see.

- ``satellite_trail``: an ordinary galaxy crossed by a straight trail, often in one band only
  (so it shows green, blue or red), as when a satellite crosses one exposure.
- ``bright_star``: a saturated star with diffraction spikes, a halo and a bleed trail.
- ``truncated``: an ordinary galaxy at a CCD edge: a straight-edged part of the cutout is blank
  (black), saturated (flat white), or misses one band so it takes a false colour.

The galaxy under a trail or a truncation is one of the common kinds, recorded as ``host_kind``;
its Galaxy-Zoo answers are kept. A bright star has all answers 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from oddfinder.survey import profiles as P
from oddfinder.survey.drawing import Canvas, Drawn, band_flux
from oddfinder.survey.galaxies import GALAXY_RECIPES
from oddfinder.survey.kinds import COMMON_KINDS, DEFAULT_FRACTIONS

__all__ = ["ARTEFACT_RECIPES", "draw_bright_star", "draw_satellite_trail", "draw_truncated"]


def _host(canvas: Canvas) -> Drawn:
    weights = np.array([DEFAULT_FRACTIONS[k] for k in COMMON_KINDS])
    kind = str(canvas.rng.choice(COMMON_KINDS, p=weights / weights.sum()))
    drawn = GALAXY_RECIPES[kind](canvas)
    drawn.truth["host_kind"] = kind
    return drawn


def draw_satellite_trail(canvas: Canvas) -> Drawn:
    """A common galaxy crossed by a straight satellite trail, in one band or all three."""
    rng = canvas.rng
    drawn = _host(canvas)
    grid = canvas.grid
    angle = float(rng.uniform(0, math.pi))
    offset = float(rng.uniform(-0.4, 0.4)) * canvas.size
    width = float(rng.uniform(0.5, 1.0)) * canvas.scale
    distance = grid.x * np.float32(math.sin(angle)) - grid.y * np.float32(math.cos(angle))
    line = np.exp(-0.5 * ((distance - np.float32(offset)) / np.float32(width)) ** 2)
    line /= np.float32(math.sqrt(2 * math.pi) * width)
    density = float(rng.uniform(0.03, 0.3))  # nanomaggies per pixel of length
    if rng.random() < 0.6:
        band = int(rng.integers(0, 3))
        colour = np.zeros(3, np.float32)
        colour[band] = density * (2.0, 1.0, 1.6)[band]
    else:
        band = -1
        colour = band_flux(22.5 - 2.5 * math.log10(density), 0.5, 0.3)
    canvas.add(drawn.cube, line, colour)
    drawn.truth.update(
        trail_angle_deg=math.degrees(angle), trail_band="grz"[band] if band >= 0 else "all"
    )
    return drawn


def draw_bright_star(canvas: Canvas) -> Drawn:
    """A saturated foreground star: core, halo, four diffraction spikes, a bleed trail."""
    rng = canvas.rng
    grid = canvas.grid
    s = canvas.scale
    cube = canvas.empty()
    mag_r = float(rng.uniform(10.5, 14.0))
    g_r = float(rng.uniform(0.3, 1.3))
    r_z = 0.6 * g_r + 0.1 + float(rng.normal(0, 0.05))
    flux = band_flux(mag_r, g_r, r_z)
    x0, y0 = (float(v) for v in rng.normal(0, 3.0 * s, 2))
    core = P.deposit(canvas.shape, np.array([x0]), np.array([y0]), np.array([1.0]))
    canvas.add(cube, core, 0.935 * flux)
    dx, dy = grid.x - np.float32(x0), grid.y - np.float32(y0)
    r2 = dx * dx + dy * dy
    halo = P.unit(np.power(1.0 + r2 / np.float32((3.0 * s) ** 2), np.float32(-1.5)))
    canvas.add(cube, halo, 0.05 * flux)
    # Spikes along the detector axes (with a small rotation), thin and falling as r^-1.5.
    rotation = math.radians(float(rng.normal(0, 2.0)))
    length = (15.0 + 8.0 * (14.0 - mag_r)) * s
    spikes = np.zeros(canvas.shape, np.float32)
    for k in range(4):
        a = rotation + k * math.pi / 2
        along = dx * np.float32(math.cos(a)) + dy * np.float32(math.sin(a))
        across = -dx * np.float32(math.sin(a)) + dy * np.float32(math.cos(a))
        ok = along > 0
        profile = np.exp(-0.5 * (across / np.float32(0.5 * s)) ** 2)
        profile *= np.power(1.0 + np.abs(along) / np.float32(2.0 * s), np.float32(-1.2))
        profile *= np.exp(-np.abs(along) / np.float32(length))
        spikes += np.where(ok, profile, 0.0).astype(np.float32)
    canvas.add(cube, P.unit(spikes), 0.015 * flux)
    saturation = float(rng.uniform(40.0, 120.0))
    bleed = int(rng.integers(0, 2 * int(8 * s) + 1))
    size = canvas.size

    def saturate(noisy: np.ndarray) -> np.ndarray:
        # Saturated pixels read the full well in every band; charge bleeds along columns.
        over = noisy[1] > saturation
        if bleed and over.any():
            cols = np.flatnonzero(over.any(axis=0))
            rows = np.flatnonzero(over.any(axis=1))
            top, bottom = max(rows[0] - bleed, 0), min(rows[-1] + bleed + 1, size)
            mid = cols[len(cols) // 2]
            over[top:bottom, max(mid - 1, 0) : mid + 1] = True
        noisy[:, over] = saturation
        return noisy

    truth = {
        "smooth": 0.0,
        "edge_on": 0,
        "bar": 0,
        "spiral_arms": 0,
        "bulge_size": 0.0,
        "merging": 0,
        "host_kind": "star",
        "mag_r": mag_r,
        "g_r": g_r,
        "r_z": r_z,
        "r_half_px": 0.0,
    }
    return Drawn(cube, truth, after_noise=saturate)


def draw_truncated(canvas: Canvas) -> Drawn:
    """A common galaxy at a CCD edge: part of the cutout is blank, saturated, or misses a band."""
    rng = canvas.rng
    drawn = _host(canvas)
    size = canvas.size
    side = int(rng.integers(0, 4))
    depth = float(rng.uniform(0.12, 0.5)) * size
    slope = math.tan(math.radians(float(rng.normal(0, 3.0)))) if rng.random() < 0.3 else 0.0
    axis = np.arange(size, dtype=np.float32)
    yy, xx = np.meshgrid(axis, axis, indexing="ij")
    coord, other = ((xx, yy), (size - 1 - xx, yy), (yy, xx), (size - 1 - yy, xx))[side]
    mask = coord < depth + slope * (other - size / 2)
    variant = float(rng.random())
    if variant < 0.2:
        band = int(rng.integers(0, 3))
        truncation = f"missing_{'grz'[band]}"

        def drop_band(noisy: np.ndarray) -> np.ndarray:
            noisy[band][mask] = 0.0
            return noisy

        drawn.after_noise = drop_band
    elif variant < 0.45:
        truncation = "saturated"
        level = float(rng.uniform(25.0, 80.0))

        def saturate(noisy: np.ndarray) -> np.ndarray:
            noisy[:, mask] = level
            return noisy

        drawn.after_noise = saturate
    else:
        truncation = "blank"

        def blank(rgb: np.ndarray) -> np.ndarray:
            rgb[mask] = 0
            return rgb

        drawn.after_rgb = blank
    drawn.truth.update(blank_fraction=float(mask.mean()), truncation=truncation)
    return drawn


ARTEFACT_RECIPES: dict[str, Callable[[Canvas], Drawn]] = {
    "satellite_trail": draw_satellite_trail,
    "bright_star": draw_bright_star,
    "truncated": draw_truncated,
}
