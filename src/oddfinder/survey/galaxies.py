"""Recipes for the galaxies of the simulated survey, one function per kind.

Each recipe takes a :class:`~oddfinder.survey.drawing.Canvas` and returns a
:class:`~oddfinder.survey.drawing.Drawn`: the g, r, z surface brightness before the PSF, and
the ground truth (Galaxy-Zoo-style answers plus the parameters it was drawn with). Components
carry their own colours: red bulges and ellipticals, bluer disks, blue arms, knots and rings.
Lengths are for 128-pixel cutouts, times ``canvas.scale``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from oddfinder.survey import profiles as P
from oddfinder.survey.drawing import Canvas, Drawn, band_flux, colour_jitter

__all__ = [
    "GALAXY_RECIPES",
    "draw_bulge_disk",
    "draw_edge_on",
    "draw_elliptical",
    "draw_irregular",
    "draw_lens",
    "draw_merger",
    "draw_ring",
    "draw_spiral",
]

# Colours (g - r, r - z) of the components, DECaLS-like at z ~ 0.05.
RED = (0.80, 0.62)
DISK = (0.66, 0.48)
ARM = (0.52, 0.36)
KNOT = (0.30, 0.18)
BLUE_SOURCE = (0.15, 0.10)


def _axis_ratio(inclination: float, thickness: float = 0.15) -> float:
    """Apparent axis ratio of a disk of intrinsic ``thickness`` at ``inclination`` (rad)."""
    return math.sqrt(math.cos(inclination) ** 2 * (1 - thickness**2) + thickness**2)


def _answers(**values: Any) -> dict[str, Any]:
    base = {
        "smooth": 0.0,
        "edge_on": 0,
        "bar": 0,
        "spiral_arms": 0,
        "bulge_size": 0.0,
        "merging": 0,
    }
    base.update(values)
    return base


def _magnitude(rng: np.random.Generator, low: float = 15.8, high: float = 18.5) -> float:
    # More faint galaxies than bright ones (counts rise with magnitude).
    return float(low + (high - low) * rng.power(2.0))


def _size(rng: np.random.Generator, mag_r: float, median: float) -> float:
    """Half-light radius (px at 128) growing with brightness, with log-normal scatter."""
    size = median * 10 ** (-0.16 * (mag_r - 16.9)) * math.exp(0.25 * rng.standard_normal())
    # Galaxy Zoo cutouts are of resolved galaxies: none much smaller than half the median.
    return float(max(size, 0.5 * median))


def _elliptical_parts(
    canvas: Canvas, cube: np.ndarray, *, x0: float, y0: float, mag_r: float, re: float
) -> dict[str, Any]:
    rng = canvas.rng
    n = float(rng.uniform(2.5, 5.5))
    q = float(rng.uniform(0.5, 1.0))
    pa = float(rng.uniform(0, math.pi))
    boxy = float(rng.uniform(-0.3, 0.3))
    g_r, r_z = colour_jitter(rng, *RED, spread=0.04)
    image = P.sersic(canvas.grid, x0=x0, y0=y0, re=re, n=n, q=q, pa=pa, boxy=boxy)
    canvas.add(cube, image, band_flux(mag_r, g_r, r_z))
    return {"sersic_n": n, "axis_ratio": q, "pa_deg": math.degrees(pa), "g_r": g_r, "r_z": r_z}


def draw_elliptical(canvas: Canvas) -> Drawn:
    """A smooth, red Sersic spheroid (n 2.5-5.5), round to moderately flattened."""
    rng = canvas.rng
    cube = canvas.empty()
    mag_r = _magnitude(rng)
    re = _size(rng, mag_r, 11.0) * canvas.scale
    params = _elliptical_parts(canvas, cube, x0=0.0, y0=0.0, mag_r=mag_r, re=re)
    truth = _answers(smooth=1.0, bulge_size=1.0)
    truth.update(params, mag_r=mag_r, r_half_px=re, bulge_frac=1.0)
    return Drawn(cube, truth)


def _bulge(
    canvas: Canvas,
    cube: np.ndarray,
    *,
    x0: float,
    y0: float,
    flux: float,
    re: float,
    q: float,
    pa: float,
) -> float:
    rng = canvas.rng
    n = float(rng.uniform(1.5, 4.0))
    g_r, r_z = colour_jitter(rng, *RED, spread=0.04)
    image = P.sersic(canvas.grid, x0=x0, y0=y0, re=re, n=n, q=max(q, 0.65), pa=pa)
    canvas.add(cube, image, band_flux(22.5 - 2.5 * math.log10(flux), g_r, r_z))
    return n


def _mag_flux(mag: float) -> float:
    return 10 ** ((22.5 - mag) / 2.5)


def _flux_mag(flux: float) -> float:
    return 22.5 - 2.5 * math.log10(flux)


def draw_bulge_disk(canvas: Canvas) -> Drawn:
    """A lenticular-like galaxy: red Sersic bulge plus a smooth, slightly bluer exponential disk."""
    rng = canvas.rng
    cube = canvas.empty()
    mag_r = _magnitude(rng)
    flux = _mag_flux(mag_r)
    re_disk = _size(rng, mag_r, 13.0) * canvas.scale
    inclination = float(rng.uniform(0, math.radians(72)))
    q = _axis_ratio(inclination)
    pa = float(rng.uniform(0, math.pi))
    bt = float(rng.uniform(0.2, 0.75))
    re_bulge = re_disk * float(rng.uniform(0.15, 0.35))
    n = _bulge(canvas, cube, x0=0, y0=0, flux=bt * flux, re=re_bulge, q=q, pa=pa)
    g_r, r_z = colour_jitter(rng, 0.72, 0.54, spread=0.04)
    disk = P.sersic(canvas.grid, re=re_disk, n=1.0, q=q, pa=pa)
    canvas.add(cube, disk, band_flux(_flux_mag((1 - bt) * flux), g_r, r_z))
    truth = _answers(smooth=round(min(max((bt - 0.2) / 0.5, 0.0), 1.0), 3), bulge_size=bt)
    truth.update(
        mag_r=mag_r,
        g_r=g_r,
        r_z=r_z,
        r_half_px=re_disk,
        sersic_n=n,
        axis_ratio=q,
        pa_deg=math.degrees(pa),
        bulge_frac=bt,
    )
    return Drawn(cube, truth)


def _spiral_disk(
    canvas: Canvas,
    cube: np.ndarray,
    *,
    x0: float,
    y0: float,
    flux: float,
    re_disk: float,
    q: float,
    pa: float,
    bt: float,
    arms: int,
    barred: bool,
) -> dict[str, Any]:
    """Bulge, smooth disk, optional bar, arms and star-forming knots of a spiral, added to cube."""
    rng = canvas.rng
    grid = canvas.grid
    scale = re_disk / 1.678
    pitch = math.radians(float(rng.uniform(10.0, 28.0)))
    bar_flux = float(rng.uniform(0.08, 0.18)) * flux if barred else 0.0
    arm_share = float(rng.uniform(0.35, 0.6))
    knot_share = float(rng.uniform(0.03, 0.10))
    disk_flux = (1 - bt) * flux - bar_flux
    re_bulge = re_disk * float(rng.uniform(0.12, 0.3))
    n = _bulge(canvas, cube, x0=x0, y0=y0, flux=bt * flux, re=re_bulge, q=q, pa=pa)
    g_r, r_z = colour_jitter(rng, *DISK, spread=0.04)
    smooth_disk = P.sersic(grid, x0=x0, y0=y0, re=re_disk, n=1.0, q=q, pa=pa)
    canvas.add(cube, smooth_disk, band_flux(_flux_mag(disk_flux * (1 - arm_share)), g_r, r_z))

    u, v = P.disk_plane(grid, x0=x0, y0=y0, pa=pa, q=q)
    plane = P.Grid(x=u, y=v)
    bar_angle = float(rng.uniform(0, 2 * math.pi))
    if barred:
        bar_length = scale * float(rng.uniform(0.9, 1.6))
        bar = P.sersic(
            plane, re=0.55 * bar_length, n=0.5, q=float(rng.uniform(0.2, 0.32)), pa=bar_angle
        )
        canvas.add(cube, bar, band_flux(_flux_mag(bar_flux), *colour_jitter(rng, *RED)))
        inner = bar_length
        phase = bar_angle - math.log(bar_length) / math.tan(pitch)
    else:
        inner = scale * float(rng.uniform(0.4, 1.0))
        phase = float(rng.uniform(0, 2 * math.pi))
    texture = P.smooth_noise(
        rng, canvas.shape, cells=int(rng.integers(10, 18)), contrast=float(rng.uniform(0.2, 0.6))
    )
    pattern = P.spiral_arms(
        grid,
        x0=x0,
        y0=y0,
        pa=pa,
        q=q,
        scale=scale * 1.1,
        arms=arms,
        pitch=pitch,
        phase=phase,
        sharpness=float(rng.uniform(1.5, 4.0)),
        inner=inner,
        texture=texture,
    )
    arm_colour = colour_jitter(rng, *ARM, spread=0.05)
    canvas.add(cube, pattern, band_flux(_flux_mag(disk_flux * arm_share), *arm_colour))

    # Star-forming knots strung along the arms.
    count = int(rng.integers(8, 40))
    radius = inner + scale * rng.gamma(2.0, 0.8, count)
    which = rng.integers(0, arms, count)
    theta = phase + np.log(radius) / math.tan(pitch) + 2 * math.pi * which / arms
    theta += 0.12 * rng.standard_normal(count)
    pu, pv = radius * np.cos(theta), radius * np.sin(theta) * q
    c, s = math.cos(pa), math.sin(pa)
    kx, ky = x0 + pu * c - pv * s, y0 + pu * s + pv * c
    knots = P.unit(P.deposit(canvas.shape, kx, ky, rng.exponential(1.0, count)))
    canvas.add(cube, knots, band_flux(_flux_mag(disk_flux * knot_share), *KNOT))
    return {
        "sersic_n": n,
        "arm_pitch_deg": math.degrees(pitch),
        "g_r": g_r,
        "r_z": r_z,
    }


def draw_spiral(canvas: Canvas) -> Drawn:
    """A spiral: red bulge, disk, 2-4 blue logarithmic arms with knots, a bar in ~35%."""
    rng = canvas.rng
    cube = canvas.empty()
    mag_r = _magnitude(rng)
    re_disk = _size(rng, mag_r, 13.0) * canvas.scale
    inclination = float(rng.uniform(0, math.radians(65)))
    q = _axis_ratio(inclination)
    pa = float(rng.uniform(0, math.pi))
    bt = float(rng.uniform(0.03, 0.35))
    arms = int(rng.choice([2, 2, 2, 3, 4]))
    barred = bool(rng.random() < 0.35)
    params = _spiral_disk(
        canvas,
        cube,
        x0=0.0,
        y0=0.0,
        flux=_mag_flux(mag_r),
        re_disk=re_disk,
        q=q,
        pa=pa,
        bt=bt,
        arms=arms,
        barred=barred,
    )
    truth = _answers(bar=int(barred), spiral_arms=arms, bulge_size=bt)
    truth.update(
        params, mag_r=mag_r, r_half_px=re_disk, axis_ratio=q, pa_deg=math.degrees(pa), bulge_frac=bt
    )
    return Drawn(cube, truth)


def draw_edge_on(canvas: Canvas) -> Drawn:
    """A thin disk seen edge-on, a small bulge, and in half of them a dark dust lane."""
    rng = canvas.rng
    cube = canvas.empty()
    mag_r = _magnitude(rng)
    flux = _mag_flux(mag_r)
    dusty = bool(rng.random() < 0.5)
    # Dust lanes are seen in the larger, nearer edge-on disks.
    re_disk = max(_size(rng, mag_r, 16.0 if dusty else 12.0), 8.0) * canvas.scale
    scale = re_disk / 1.678
    height = scale * float(rng.uniform(0.18, 0.3) if dusty else rng.uniform(0.1, 0.25))
    pa = float(rng.uniform(0, math.pi))
    bt = float(rng.uniform(0.05, 0.3) if dusty else rng.uniform(0.02, 0.25))
    n = _bulge(
        canvas,
        cube,
        x0=0,
        y0=0,
        flux=bt * flux,
        re=re_disk * float(rng.uniform(0.08, 0.18)),
        q=0.7,
        pa=pa,
    )
    g_r, r_z = colour_jitter(rng, 0.68, 0.50, spread=0.05)
    disk = P.edge_on_disk(canvas.grid, pa=pa, scale=scale, height=max(height, 0.5))
    canvas.add(cube, disk, band_flux(_flux_mag((1 - bt) * flux), g_r, r_z))
    if dusty:
        u, v = P.disk_plane(canvas.grid, pa=pa, q=1.0, x0=0.0, y0=0.0)
        offset = float(rng.uniform(-0.3, 0.3)) * height
        width = max(0.3 * height, 0.7)
        lane = np.exp(-0.5 * ((v - offset) / width) ** 2) * np.exp(-np.abs(u) / (3.0 * scale))
        tau = float(rng.uniform(2.0, 4.0)) * np.array([1.15, 1.0, 0.8], np.float32)
        cube *= np.exp(-tau[:, None, None] * lane[None])
    truth = _answers(edge_on=1, bulge_size=bt)
    truth.update(
        mag_r=mag_r,
        g_r=g_r,
        r_z=r_z,
        r_half_px=re_disk,
        sersic_n=n,
        axis_ratio=height / scale,
        pa_deg=math.degrees(pa),
        bulge_frac=bt,
        dust_lane=int(dusty),
    )
    return Drawn(cube, truth)


def draw_ring(canvas: Canvas) -> Drawn:
    """A ring galaxy: a collisional blue knotty ring with an offset core, or a barred resonance
    ring around a bulge."""
    rng = canvas.rng
    grid = canvas.grid
    cube = canvas.empty()
    mag_r = _magnitude(rng, 15.8, 18.1)
    flux = _mag_flux(mag_r)
    pa = float(rng.uniform(0, math.pi))
    q = _axis_ratio(float(rng.uniform(0, math.radians(55))))
    collisional = bool(rng.random() < 0.6)
    if collisional:
        radius = float(rng.uniform(13, 28)) * canvas.scale
        width = radius * float(rng.uniform(0.08, 0.16))
        texture = P.smooth_noise(
            rng,
            canvas.shape,
            cells=int(rng.integers(12, 24)),
            contrast=float(rng.uniform(0.5, 0.9)),
        )
        annulus = P.ring(grid, pa=pa, q=q, radius=radius, width=width, texture=texture)
        ring_share = float(rng.uniform(0.45, 0.7))
        canvas.add(
            cube, annulus, band_flux(_flux_mag(ring_share * flux), *colour_jitter(rng, *ARM))
        )
        # Knots on the ring.
        count = int(rng.integers(6, 20))
        angle = rng.uniform(0, 2 * math.pi, count)
        pu, pv = radius * np.cos(angle), radius * np.sin(angle) * q
        c, s = math.cos(pa), math.sin(pa)
        knots = P.unit(
            P.deposit(canvas.shape, pu * c - pv * s, pu * s + pv * c, rng.exponential(1.0, count))
        )
        canvas.add(cube, knots, band_flux(_flux_mag(0.12 * flux), *KNOT))
        off = radius * float(rng.uniform(0.15, 0.45))
        direction = float(rng.uniform(0, 2 * math.pi))
        cx, cy = off * math.cos(direction), off * math.sin(direction)
        core = P.sersic(grid, x0=cx, y0=cy, re=radius * 0.12, n=2.0, q=0.8, pa=pa)
        canvas.add(
            cube,
            core,
            band_flux(_flux_mag((1 - ring_share - 0.12) * flux), *colour_jitter(rng, *RED)),
        )
        inner = P.sersic(grid, x0=cx / 2, y0=cy / 2, re=radius * 0.6, n=1.0, q=q, pa=pa)
        canvas.add(cube, inner, band_flux(_flux_mag(0.1 * flux), *DISK))
        truth = _answers(bulge_size=0.1)
        truth.update(ring_type="collisional")
    else:
        bar_length = float(rng.uniform(6, 13)) * canvas.scale
        radius = bar_length * float(rng.uniform(1.5, 2.4))
        width = radius * float(rng.uniform(0.07, 0.14))
        bt = float(rng.uniform(0.15, 0.35))
        _bulge(canvas, cube, x0=0, y0=0, flux=bt * flux, re=bar_length * 0.3, q=q, pa=pa)
        u, v = P.disk_plane(grid, x0=0.0, y0=0.0, pa=pa, q=q)
        bar = P.sersic(
            P.Grid(x=u, y=v), re=0.55 * bar_length, n=0.5, q=0.28, pa=float(rng.uniform(0, math.pi))
        )
        canvas.add(cube, bar, band_flux(_flux_mag(0.15 * flux), *RED))
        texture = P.smooth_noise(rng, canvas.shape, cells=16, contrast=0.3)
        annulus = P.ring(grid, pa=pa, q=q, radius=radius, width=width, texture=texture)
        canvas.add(cube, annulus, band_flux(_flux_mag(0.35 * flux), *colour_jitter(rng, *ARM)))
        disk = P.sersic(grid, re=radius * 1.2, n=1.0, q=q, pa=pa)
        canvas.add(cube, disk, band_flux(_flux_mag((0.5 - bt) * flux), *DISK))
        truth = _answers(bar=1, bulge_size=bt)
        truth.update(ring_type="resonance")
    truth.update(
        mag_r=mag_r,
        r_half_px=radius,
        ring_radius_px=radius,
        axis_ratio=q,
        pa_deg=math.degrees(pa),
        g_r=ARM[0],
        r_z=ARM[1],
    )
    return Drawn(cube, truth)


def _stream(
    rng: np.random.Generator,
    *,
    start: tuple[float, float],
    angle: float,
    sweep: float,
    r0: float,
    length: float,
    width: float,
    count: int = 1500,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points along a curved tidal tail leaving ``start``: widening, fading with distance."""
    t = rng.random(count) ** 0.8
    phi = angle + sweep * t
    radius = r0 + length * t
    spread = width * (0.5 + 1.5 * t) * rng.standard_normal(count)
    x = start[0] + radius * np.cos(phi) - spread * np.sin(phi)
    y = start[1] + radius * np.sin(phi) + spread * np.cos(phi)
    weights = np.exp(-1.5 * t)
    return x, y, weights


def draw_merger(canvas: Canvas) -> Drawn:
    """Interacting galaxies: a pair with curved tidal tails (sometimes a bridge), a close pair
    in a common disturbed envelope, or a minor merger with one long tail from the companion."""
    from scipy import ndimage

    rng = canvas.rng
    grid = canvas.grid
    s = canvas.scale
    cube = canvas.empty()
    mag_r = _magnitude(rng, 15.6, 17.8)
    flux = _mag_flux(mag_r)
    draw = float(rng.random())
    merger_type = "tails" if draw < 0.6 else "close_pair" if draw < 0.85 else "minor"
    if merger_type == "tails":
        separation = float(rng.uniform(12, 34)) * s
        ratio = float(rng.uniform(0.3, 1.0))  # flux of the second over the first
        tail_from = (0, 1) if rng.random() < 0.75 else (0,)
        tail_length = (18.0, 45.0)
    elif merger_type == "close_pair":
        separation = float(rng.uniform(5, 12)) * s
        ratio = float(rng.uniform(0.5, 1.0))
        tail_from = (0, 1)
        tail_length = (12.0, 30.0)
    else:
        separation = float(rng.uniform(16, 32)) * s
        ratio = float(rng.uniform(0.08, 0.25))
        tail_from = (1,)
        tail_length = (30.0, 55.0)
    axis = float(rng.uniform(0, 2 * math.pi))
    tail_share = float(rng.uniform(0.04, 0.1) if merger_type == "minor" else rng.uniform(0.1, 0.25))
    fluxes = np.array([1.0, ratio]) / (1 + ratio) * flux * (1 - tail_share)
    centres = []
    for k, sign in enumerate((-1.0, 1.0)):
        w = 1.0 / (1 + ratio) if k == 1 else ratio / (1 + ratio)
        cx, cy = sign * w * separation * math.cos(axis), sign * w * separation * math.sin(axis)
        centres.append((cx, cy))
        re = _size(rng, _flux_mag(fluxes[k]), 8.0) * s
        pa = float(rng.uniform(0, math.pi))
        q = float(rng.uniform(0.4, 1.0))
        if rng.random() < 0.5:
            bt = float(rng.uniform(0.3, 0.7))
            _bulge(canvas, cube, x0=cx, y0=cy, flux=bt * fluxes[k], re=re * 0.3, q=q, pa=pa)
            disk = P.sersic(grid, x0=cx, y0=cy, re=re, n=1.0, q=q, pa=pa)
            canvas.add(
                cube, disk, band_flux(_flux_mag((1 - bt) * fluxes[k]), *colour_jitter(rng, *DISK))
            )
        else:
            image = P.sersic(grid, x0=cx, y0=cy, re=re, n=float(rng.uniform(1.5, 4)), q=q, pa=pa)
            canvas.add(cube, image, band_flux(_flux_mag(fluxes[k]), *colour_jitter(rng, *RED)))
    # Tails: curved streams leaving each galaxy on opposite sides, sweeping the same way.
    spin = float(rng.choice([-1.0, 1.0]))
    xs, ys, ws = [], [], []
    for k in tail_from:
        out = axis + (math.pi if k == 0 else 0.0) + float(rng.uniform(-0.6, 0.6))
        x, y, w = _stream(
            rng,
            start=centres[k],
            angle=out,
            sweep=spin * float(rng.uniform(1.0, 2.6)),
            r0=3.0 * s,
            length=float(rng.uniform(*tail_length)) * s,
            width=float(rng.uniform(1.2, 3.0)) * s,
        )
        xs.append(x), ys.append(y), ws.append(w * float(rng.uniform(0.5, 1.0)))
    bridge = merger_type == "tails" and bool(rng.random() < 0.35)
    if bridge:
        t = rng.random(800)
        bend = float(rng.uniform(-0.3, 0.3)) * separation
        (ax, ay), (bx, by) = centres
        x = ax + (bx - ax) * t - math.sin(axis) * bend * 4 * t * (1 - t)
        y = ay + (by - ay) * t + math.cos(axis) * bend * 4 * t * (1 - t)
        x += 1.2 * s * rng.standard_normal(800)
        y += 1.2 * s * rng.standard_normal(800)
        xs.append(x), ys.append(y), ws.append(np.full(800, 0.6))
    tails = P.deposit(canvas.shape, np.concatenate(xs), np.concatenate(ys), np.concatenate(ws))
    tails = P.unit(ndimage.gaussian_filter(tails, 1.8 * s))
    debris = colour_jitter(rng, 0.58, 0.45)
    if merger_type == "close_pair":
        # A lopsided, patchy common envelope around the overlapping pair.
        texture = P.smooth_noise(rng, canvas.shape, cells=6, contrast=0.6)
        shift = separation * 0.5 * rng.standard_normal(2)
        envelope = P.sersic(
            grid,
            x0=shift[0],
            y0=shift[1],
            re=separation * 1.6 + 6 * s,
            n=1.0,
            q=float(rng.uniform(0.5, 0.9)),
            pa=axis,
        )
        tails = P.unit(0.5 * tails + 0.5 * P.unit(envelope * texture))
    canvas.add(cube, tails, band_flux(_flux_mag(tail_share * flux), *debris))
    truth = _answers(merging=1, bulge_size=0.3)
    truth.update(
        mag_r=mag_r,
        g_r=DISK[0],
        r_z=DISK[1],
        r_half_px=separation / 2,
        separation_px=separation,
        flux_ratio=ratio,
        tidal_bridge=int(bridge),
        merger_type=merger_type,
        pa_deg=math.degrees(axis) % 180,
    )
    return Drawn(cube, truth)


def draw_lens(canvas: Canvas) -> Drawn:
    """A red elliptical lensing a blue background galaxy into arcs or a ring (SIS + shear)."""
    rng = canvas.rng
    grid = canvas.grid
    s = canvas.scale
    cube = canvas.empty()
    mag_r = _magnitude(rng, 16.4, 18.4)
    re = _size(rng, mag_r, 5.5) * s
    params = _elliptical_parts(canvas, cube, x0=0.0, y0=0.0, mag_r=mag_r, re=re)
    theta_e = float(rng.uniform(9, 18)) * s
    beta = theta_e * float(rng.uniform(0.0, 0.5))
    direction = float(rng.uniform(0, 2 * math.pi))
    gamma = float(rng.uniform(0, 0.08))
    shear_angle = float(rng.uniform(0, math.pi))
    x, y = grid.x, grid.y
    r = np.sqrt(x * x + y * y) + np.float32(1e-3)
    g1, g2 = gamma * math.cos(2 * shear_angle), gamma * math.sin(2 * shear_angle)
    sx = x - theta_e * x / r - (g1 * x + g2 * y)
    sy = y - theta_e * y / r - (g2 * x - g1 * y)
    source_plane = P.Grid(x=sx.astype(np.float32), y=sy.astype(np.float32))
    src_re = float(rng.uniform(1.0, 2.5)) * s
    arcs = P.sersic(
        source_plane,
        x0=beta * math.cos(direction),
        y0=beta * math.sin(direction),
        re=src_re,
        n=1.0,
        q=float(rng.uniform(0.5, 1.0)),
        pa=float(rng.uniform(0, math.pi)),
    )
    arc_share = float(rng.uniform(0.2, 0.5))
    canvas.add(
        cube,
        arcs,
        band_flux(_flux_mag(arc_share * _mag_flux(mag_r)), *colour_jitter(rng, *BLUE_SOURCE)),
    )
    truth = _answers(smooth=1.0, bulge_size=1.0)
    truth.update(
        params,
        mag_r=mag_r,
        r_half_px=re,
        einstein_radius_px=theta_e,
        source_offset_px=beta,
        bulge_frac=1.0,
    )
    return Drawn(cube, truth)


def draw_irregular(canvas: Canvas) -> Drawn:
    """A clumpy irregular: a lopsided, patchy blue disk with bright star-forming clumps."""
    from scipy import ndimage

    rng = canvas.rng
    s = canvas.scale
    cube = canvas.empty()
    mag_r = _magnitude(rng, 16.4, 18.5)
    flux = _mag_flux(mag_r)
    re = _size(rng, mag_r, 13.0) * s
    q = float(rng.uniform(0.4, 1.0))
    pa = float(rng.uniform(0, math.pi))
    texture = P.smooth_noise(
        rng, canvas.shape, cells=int(rng.integers(5, 10)), contrast=float(rng.uniform(0.6, 1.0))
    )
    shift = re * 0.3 * rng.standard_normal(2)
    base = P.unit(
        P.sersic(
            canvas.grid, x0=shift[0], y0=shift[1], re=re, n=float(rng.uniform(0.6, 1.2)), q=q, pa=pa
        )
        * texture
    )
    clump_share = float(rng.uniform(0.2, 0.4))
    g_r, r_z = colour_jitter(rng, 0.40, 0.30, spread=0.05)
    canvas.add(cube, base, band_flux(_flux_mag((1 - clump_share) * flux), g_r, r_z))
    count = int(rng.integers(5, 16))
    cx = re * 0.8 * rng.standard_normal(count)
    cy = re * 0.8 * rng.standard_normal(count)
    c, sn = math.cos(pa), math.sin(pa)
    clumps = P.deposit(
        canvas.shape, cx * c - cy * q * sn, cx * sn + cy * q * c, rng.exponential(1.0, count)
    )
    clumps = P.unit(ndimage.gaussian_filter(clumps, float(rng.uniform(0.8, 1.8)) * s))
    canvas.add(cube, clumps, band_flux(_flux_mag(clump_share * flux), *KNOT))
    truth = _answers(bulge_size=0.0)
    truth.update(
        mag_r=mag_r,
        g_r=g_r,
        r_z=r_z,
        r_half_px=re,
        axis_ratio=q,
        pa_deg=math.degrees(pa),
        n_clumps=count,
    )
    return Drawn(cube, truth)


GALAXY_RECIPES: dict[str, Callable[[Canvas], Drawn]] = {
    "elliptical": draw_elliptical,
    "bulge_disk": draw_bulge_disk,
    "spiral": draw_spiral,
    "edge_on": draw_edge_on,
    "ring": draw_ring,
    "merger": draw_merger,
    "lens": draw_lens,
    "irregular": draw_irregular,
}
