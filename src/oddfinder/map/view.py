"""What the map shows for a view box: every galaxy inside it, or a density image plus a sample.

The Map page draws at most ``max_points`` galaxies as points. A survey larger than ``large``
is shown as a density image of all galaxies plus a random sample of points; zooming into a
box with at most ``max_points`` galaxies inside shows all of them as points. Counting the
points in a box is one boolean mask over ``x, y`` (about 10 ms for 10^6 galaxies).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MapView", "choose_view", "density_image", "points_in_box"]

Box = tuple[tuple[float, float], tuple[float, float]]


def points_in_box(x: np.ndarray, y: np.ndarray, box: Box) -> np.ndarray:
    """Boolean mask of the points inside ``box = ((x0, x1), (y0, y1))`` (edges included).

    The bounds may come in either order; NaN coordinates are never inside.

    Examples
    --------
    >>> points_in_box(np.array([0.0, 1.0, 2.0]), np.zeros(3), ((2.5, 0.5), (-1, 1))).tolist()
    [False, True, True]
    """
    (x0, x1), (y0, y1) = box
    xlo, xhi = sorted((float(x0), float(x1)))
    ylo, yhi = sorted((float(y0), float(y1)))
    x = np.asarray(x)
    y = np.asarray(y)
    return (x >= xlo) & (x <= xhi) & (y >= ylo) & (y <= yhi)


@dataclass(frozen=True)
class MapView:
    """The galaxies a view draws as points.

    Attributes
    ----------
    rows : numpy.ndarray
        Sorted catalogue rows drawn as points.
    aggregated : bool
        True when ``rows`` is a sample and the view also needs a density image.
    n_inside : int
        Galaxies inside the view (the whole survey for the overview).
    box : tuple or None
        The view box ``((x0, x1), (y0, y1))``, or None for the overview.
    """

    rows: np.ndarray
    aggregated: bool
    n_inside: int
    box: Box | None


def choose_view(
    x: np.ndarray,
    y: np.ndarray,
    *,
    box: Box | None = None,
    max_points: int = 20_000,
    large: int = 50_000,
    seed: int = 0,
) -> MapView:
    """Choose what to draw for the overview (``box=None``) or a zoomed view box.

    Parameters
    ----------
    x, y : numpy.ndarray
        Map coordinates of every galaxy (catalogue rows; may be memory-mapped).
    box : tuple or None
        ``((x0, x1), (y0, y1))``; None for the whole map.
    max_points : int
        Most points drawn; a box with at most this many galaxies shows all of them.
    large : int
        Above this many galaxies the overview is a density image plus ``max_points`` points.
    seed : int
        Seed of the sample.

    Returns
    -------
    MapView

    Examples
    --------
    >>> x = np.arange(10.0)
    >>> v = choose_view(x, x, box=((2, 4), (0, 9)), max_points=5, large=6)
    >>> v.rows.tolist(), v.aggregated
    ([2, 3, 4], False)
    >>> choose_view(x, x, max_points=5, large=6).rows.size
    5
    """
    n = len(x)
    rng = np.random.default_rng(seed)
    if box is None:
        if n <= large:
            return MapView(np.arange(n), False, n, None)
        rows = np.sort(rng.choice(n, size=min(max_points, n), replace=False))
        return MapView(rows, True, n, None)
    inside = np.flatnonzero(points_in_box(x, y, box))
    if len(inside) <= max_points:
        return MapView(inside, False, len(inside), box)
    rows = np.sort(rng.choice(inside, size=max_points, replace=False))
    return MapView(rows, True, len(inside), box)


def density_image(
    x: np.ndarray, y: np.ndarray, *, box: Box | None = None, bins: int = 200
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2-d histogram ``(counts, xedges, yedges)`` of the finite points, over ``box`` if given.

    Examples
    --------
    >>> counts, xe, ye = density_image(np.arange(4.0), np.arange(4.0), box=((0, 2), (0, 2)), bins=2)
    >>> int(counts.sum()), xe.tolist()
    (3, [0.0, 1.0, 2.0])
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    limits = None
    if box is not None:
        (x0, x1), (y0, y1) = box
        limits = [sorted((float(x0), float(x1))), sorted((float(y0), float(y1)))]
        ok &= points_in_box(x, y, box)
    counts, xedges, yedges = np.histogram2d(x[ok], y[ok], bins=bins, range=limits)
    return counts, xedges, yedges
