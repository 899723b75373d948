"""Non-parametric morphology measured on each image: the astronomer's classic merger signs.

A CNN trained on simulations sees real galaxies through a domain gap; the quantities that
astronomers have used for decades to find mergers, rings and artefacts do not have one.
For every image this module segments the central object and measures, on a grey image with
its background removed:

* size and light profile: half-light radius (relative to the image), concentration
  ``C = 5 log10(r80 / r20)`` (Conselice 2003), the mean surface brightness in annuli of
  ``r / r50`` relative to the core (a ring is a bump in it), ellipticity;
* disturbance: rotational asymmetry ``A`` of the light and of the outer light, shape
  asymmetry of the detection mask (Pawlik et al. 2016, sensitive to faint tidal features),
  smoothness ``S``, Gini and ``M20`` (Lotz et al. 2004), offset of the brightest peak from the
  light centroid, number of bright peaks and the flux ratio and separation of the two
  brightest (double nuclei);
* surroundings: flux and distance of other sources within a few radii (companions);
* colour: red-minus-blue of the inner and outer light and its rotational asymmetry;
* artefacts: the fraction of saturated pixels and of the object on the image edge.

Every feature is finite: an image with nothing detected gets the values of a faint point
source. :func:`standardise` turns the table into robust z-scores (median and interquartile
range over the survey, clipped at +-5) so it can sit beside an embedding.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Sequence

import numpy as np
from scipy import ndimage

__all__ = ["FEATURE_NAMES", "measure", "measure_paths", "measure_workspace", "standardise"]

logger = logging.getLogger(__name__)

_PROFILE_EDGES = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
FEATURE_NAMES: tuple[str, ...] = (
    "log_r50",
    "concentration",
    "ellipticity",
    "asymmetry",
    "outer_asymmetry",
    "shape_asymmetry",
    "smoothness",
    "gini",
    "m20",
    "peak_offset",
    "n_peaks",
    "peak_ratio",
    "peak_separation",
    "companion_flux",
    "companion_distance",
    "n_companions",
    "colour_inner",
    "colour_outer",
    "colour_asymmetry",
    "saturated",
    "edge",
    "log_area",
    *(f"profile_{a:g}_{b:g}" for a, b in itertools.pairwise(_PROFILE_EDGES[1:])),
)


def _rotate180(image: np.ndarray, centre: tuple[float, float]) -> np.ndarray:
    """``image`` rotated by 180 degrees about ``centre`` (row, column), bilinear."""
    h, w = image.shape
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float32)
    src = np.stack([2 * centre[0] - rows, 2 * centre[1] - cols])
    return ndimage.map_coordinates(image, src, order=1, mode="constant", cval=0.0)


def _asymmetry(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    denom = 2.0 * np.abs(a[where]).sum()
    return float(np.abs(a[where] - b[where]).sum() / denom) if denom > 0 else 0.0


def _background(gray: np.ndarray) -> tuple[float, float]:
    h, w = gray.shape
    bh, bw = max(1, h // 10), max(1, w // 10)
    border = np.concatenate(
        [gray[:bh].ravel(), gray[-bh:].ravel(), gray[:, :bw].ravel(), gray[:, -bw:].ravel()]
    )
    level = float(np.median(border))
    sigma = 1.4826 * float(np.median(np.abs(border - level)))
    return level, max(sigma, 1.0 / 255.0)


def _point_source() -> np.ndarray:
    values = dict.fromkeys(FEATURE_NAMES, 0.0)
    values.update(log_r50=np.log10(0.5 / 64), concentration=2.0, log_area=0.0, n_peaks=1.0)
    return np.array([values[name] for name in FEATURE_NAMES], np.float32)


def measure(rgb: np.ndarray) -> np.ndarray:
    """Morphology features of one image (see module docstring), in :data:`FEATURE_NAMES` order.

    Parameters
    ----------
    rgb : array (H, W, 3)
        A colour image, uint8 or float in [0, 1], the galaxy near the centre.

    Returns
    -------
    array (len(FEATURE_NAMES),) float32
        Finite values.

    Examples
    --------
    >>> yy, xx = np.mgrid[:64, :64]
    >>> blob = np.exp(-((yy - 32) ** 2 + (xx - 32) ** 2) / 40.0)
    >>> f = measure(np.repeat(blob[..., None], 3, axis=2))
    >>> round(float(f[FEATURE_NAMES.index("asymmetry")]), 2)
    0.0
    """
    img = np.asarray(rgb, np.float32)
    if img.max() > 1.5:
        img = img / 255.0
    gray = img.mean(axis=2)
    h, w = gray.shape
    smooth = ndimage.gaussian_filter(gray, 1.0)
    level, _ = _background(gray)
    _, sigma_s = _background(smooth)
    light = np.clip(gray - level, 0.0, None)
    detected = smooth > level + 3.0 * sigma_s
    labels, n_sources = ndimage.label(detected)
    if n_sources == 0:
        return _point_source()
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    centre_box = labels[
        int(cy) - h // 10 : int(cy) + h // 10 + 1, int(cx) - w // 10 : int(cx) + w // 10 + 1
    ]
    ids = np.unique(centre_box[centre_box > 0])
    if ids.size:
        fluxes = ndimage.sum(light, labels, ids)
        main_id = int(ids[np.argmax(fluxes)])
    else:
        coms = ndimage.center_of_mass(detected, labels, range(1, n_sources + 1))
        dist = [np.hypot(r - cy, c - cx) for r, c in coms]
        main_id = int(np.argmin(dist)) + 1
    main = ndimage.binary_fill_holes(labels == main_id)
    flux = light * main
    total = float(flux.sum())
    if total <= 0 or main.sum() < 3:
        return _point_source()
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float32)
    yc = float((flux * rows).sum() / total)
    xc = float((flux * cols).sum() / total)
    r = np.hypot(rows - yc, cols - xc)

    # Light profile: radii enclosing 20, 50, 80% of the object's light.
    order = np.argsort(r[main])
    cum = np.cumsum(flux[main][order]) / total
    radii = r[main][order]
    r20, r50, r80 = (
        float(radii[min(np.searchsorted(cum, q), radii.size - 1)]) for q in (0.2, 0.5, 0.8)
    )
    r20, r50, r80 = max(r20, 0.5), max(r50, 0.5), max(r80, 0.5)
    concentration = 5.0 * np.log10(r80 / r20)
    inner = r <= r50
    core = float(light[inner].mean()) + 1e-6
    profile = []
    for a, b in itertools.pairwise(_PROFILE_EDGES[1:]):
        ring = (r > a * r50) & (r <= b * r50)
        value = float(light[ring].mean()) if ring.any() else 0.0
        profile.append(np.log10(max(value, 1e-4 * core) / core))

    # Shape: second moments of the light.
    dy, dx = rows - yc, cols - xc
    myy, mxx, mxy = ((flux * v).sum() / total for v in (dy * dy, dx * dx, dx * dy))
    eig = np.linalg.eigvalsh(np.array([[mxx, mxy], [mxy, myy]], np.float64))
    ellipticity = 1.0 - np.sqrt(max(eig[0], 1e-9) / max(eig[1], 1e-9))

    # Disturbance: rotational asymmetries about the light centroid.
    region = main | (_rotate180(main.astype(np.float32), (yc, xc)) > 0.5)
    light_rot = _rotate180(light, (yc, xc))
    asymmetry = _asymmetry(light, light_rot, region)
    outer = region & (r > r50)
    outer_asymmetry = _asymmetry(light, light_rot, outer) if outer.any() else 0.0
    mask_rot = _rotate180(main.astype(np.float32), (yc, xc))
    shape_asymmetry = float(np.abs(main - mask_rot)[region].sum() / (2.0 * main.sum()))
    blurred = ndimage.gaussian_filter(light, max(0.25 * r50, 0.5))
    smoothness = float(np.clip(light - blurred, 0, None)[main & (r > 0.25 * r50)].sum() / total)

    # Gini and M20 of the object's pixels.
    values = np.sort(flux[main])
    n = values.size
    gini = float(
        ((2 * np.arange(1, n + 1) - n - 1) * values).sum() / (values.mean() * n * (n - 1) + 1e-12)
    )
    moment = flux[main] * r[main] ** 2
    bright = np.argsort(flux[main])[::-1]
    top = bright[: max(1, np.searchsorted(np.cumsum(flux[main][bright]) / total, 0.2) + 1)]
    m20 = float(np.log10(max(moment[top].sum(), 1e-9) / max(moment.sum(), 1e-9)))

    # Peaks inside the object: double nuclei, lopsided light.
    peaks = (
        (smooth == ndimage.maximum_filter(smooth, size=5)) & main & (smooth > level + 5 * sigma_s)
    )
    peak_values = smooth[peaks] - level
    peak_rows, peak_cols = np.nonzero(peaks)
    order = np.argsort(peak_values)[::-1]
    n_peaks = float(min(order.size, 5))
    if order.size:
        p0 = order[0]
        peak_offset = float(np.hypot(peak_rows[p0] - yc, peak_cols[p0] - xc) / r50)
    else:
        peak_offset = 0.0
    if order.size >= 2:
        p0, p1 = order[:2]
        peak_ratio = float(peak_values[p1] / max(peak_values[p0], 1e-6))
        peak_separation = float(
            np.hypot(peak_rows[p0] - peak_rows[p1], peak_cols[p0] - peak_cols[p1]) / r50
        )
    else:
        peak_ratio, peak_separation = 0.0, 0.0

    # Companions: other sources within 4 r80 of the centroid.
    others = [i for i in range(1, n_sources + 1) if i != main_id]
    companion_flux, companion_distance, n_companions = 0.0, 8.0, 0.0
    if others:
        fluxes = np.asarray(ndimage.sum(light, labels, others))
        areas = np.asarray(ndimage.sum(detected, labels, others))
        coms = np.asarray(ndimage.center_of_mass(detected, labels, others)).reshape(-1, 2)
        dist = np.hypot(coms[:, 0] - yc, coms[:, 1] - xc) / r80
        near = (dist < 4.0) & (areas >= 4)
        if near.any():
            companion_flux = float(np.log10(1e-3 + fluxes[near].sum() / total))
            companion_distance = float(dist[near].min())
            n_companions = float(near.sum())
    if companion_flux == 0.0:
        companion_flux = -3.0

    # Colour: red minus blue of the light, inside and outside r50, and its asymmetry.
    colour = img[..., 0] - img[..., 2]
    colour_inner = float((colour * flux)[inner].sum() / max(flux[inner].sum(), 1e-9))
    ring_outer = main & (r > r50)
    colour_outer = (
        float((colour * flux)[ring_outer].sum() / max(flux[ring_outer].sum(), 1e-9))
        if ring_outer.any()
        else colour_inner
    )
    weighted = colour * light
    colour_asymmetry = float(
        np.abs(weighted - _rotate180(weighted, (yc, xc)))[region].sum() / (2.0 * total)
    )

    saturated = float((gray[main] > 0.97).mean())
    edge_pixels = np.concatenate([main[0], main[-1], main[:, 0], main[:, -1]])
    edge = float(edge_pixels.mean())
    out = [
        np.log10(r50 / max(h, w)),
        concentration,
        ellipticity,
        asymmetry,
        outer_asymmetry,
        shape_asymmetry,
        smoothness,
        gini,
        m20,
        peak_offset,
        n_peaks,
        peak_ratio,
        peak_separation,
        companion_flux,
        companion_distance,
        n_companions,
        colour_inner,
        colour_outer,
        colour_asymmetry,
        saturated,
        edge,
        np.log10(main.sum() / float(h * w) * 1e4),
        *profile,
    ]
    return np.nan_to_num(np.asarray(out, np.float32), nan=0.0, posinf=0.0, neginf=0.0)


def _measure_path(args: tuple[str, int]) -> np.ndarray:
    from oddfinder.embed.dataset import read_uint8

    path, size = args
    return measure(read_uint8(path, size=size))


def measure_paths(
    paths: Sequence[str | os.PathLike], *, size: int = 128, workers: int = 0
) -> np.ndarray:
    """:func:`measure` for every image file, in order (``workers`` processes when > 0).

    Returns
    -------
    array (len(paths), len(FEATURE_NAMES)) float32
    """
    jobs = [(str(p), size) for p in paths]
    if workers > 0 and len(jobs) > 64:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as pool:
            rows = list(pool.map(_measure_path, jobs, chunksize=32))
    else:
        rows = [_measure_path(job) for job in jobs]
    return np.stack(rows) if rows else np.zeros((0, len(FEATURE_NAMES)), np.float32)


def standardise(table: np.ndarray, *, clip: float = 5.0) -> np.ndarray:
    """Robust z-scores per column: (x - median) / (IQR / 1.349), clipped at +-``clip``."""
    table = np.asarray(table, np.float64)
    median = np.median(table, axis=0)
    q75, q25 = np.percentile(table, [75, 25], axis=0)
    scale = (q75 - q25) / 1.349
    fallback = table.std(axis=0)
    scale = np.where(scale > 1e-9, scale, np.where(fallback > 1e-9, fallback, 1.0))
    return np.clip((table - median) / scale, -clip, clip).astype(np.float32)


def measure_workspace(ws, *, size: int = 128, workers: int | None = None):
    """Measure every image of workspace ``ws`` into ``WS/morphometry.parquet`` (id + features).

    Parameters
    ----------
    ws : oddfinder.io.workspace.Workspace
        A workspace whose catalogue has image paths.
    size : int
        Side of the square image measured (pixels).
    workers : int, optional
        Worker processes (default: the CPU count, at most 8; 0 = in this process).

    Returns
    -------
    pandas.DataFrame
        The table written.
    """
    import pandas as pd

    from oddfinder.errors import WorkspaceError

    catalog = ws.catalog
    if "path" not in catalog.columns or catalog["path"].isna().any():
        raise WorkspaceError(f"workspace {ws.path} has no image paths to measure")
    if workers is None:
        workers = min(os.cpu_count() or 1, 8)
    values = measure_paths(list(catalog["path"].astype(str)), size=size, workers=workers)
    table = pd.DataFrame(values, columns=list(FEATURE_NAMES))
    table.insert(0, "id", ws.ids)
    ws.write_table("morphometry", table)
    logger.info("measured the morphometry of %d images", len(table))
    return table
