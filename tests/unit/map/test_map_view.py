"""The map's view logic: points in a box, all points vs density plus sample."""

from __future__ import annotations

import numpy as np

from oddfinder.map.view import choose_view, density_image, points_in_box


def _cloud(n=100_000, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=n), rng.normal(size=n)


def test_points_in_box_matches_a_loop_and_ignores_nan():
    x, y = _cloud(2000)
    x[5] = np.nan
    box = ((0.5, -0.2), (-1.0, 0.3))
    mask = points_in_box(x, y, box)
    expected = [(-0.2 <= a <= 0.5) and (-1.0 <= b <= 0.3) for a, b in zip(x, y, strict=True)]
    assert mask.tolist() == expected
    assert not mask[5]


def test_overview_of_a_large_survey_is_a_sample():
    x, y = _cloud()
    view = choose_view(x, y, max_points=20_000, large=50_000)
    assert view.aggregated and view.box is None and view.n_inside == len(x)
    assert len(view.rows) == 20_000 and np.all(np.diff(view.rows) > 0)
    small = choose_view(x[:1000], y[:1000])
    assert not small.aggregated and small.rows.tolist() == list(range(1000))


def test_small_box_resolves_to_all_points_inside():
    x, y = _cloud()
    box = ((1.0, 2.0), (-0.5, 0.5))
    view = choose_view(x, y, box=box, max_points=20_000)
    inside = np.flatnonzero(points_in_box(x, y, box))
    assert 0 < len(inside) <= 20_000
    assert not view.aggregated and view.rows.tolist() == inside.tolist()
    assert view.n_inside == len(inside)


def test_crowded_box_is_a_sample_inside_the_box():
    x, y = _cloud()
    box = ((-1.0, 1.0), (-1.0, 1.0))
    view = choose_view(x, y, box=box, max_points=5000, seed=3)
    mask = points_in_box(x, y, box)
    assert view.aggregated and view.n_inside == mask.sum() > 5000
    assert len(view.rows) == 5000 and mask[view.rows].all()
    assert np.all(np.diff(view.rows) > 0)


def test_density_image_counts_only_the_box():
    x, y = _cloud(10_000)
    box = ((0.0, 1.0), (0.0, 1.0))
    counts, xedges, yedges = density_image(x, y, box=box, bins=20)
    assert counts.shape == (20, 20)
    assert counts.sum() == points_in_box(x, y, box).sum()
    assert xedges[0] == 0.0 and xedges[-1] == 1.0 and yedges[-1] == 1.0
    assert density_image(x, y, bins=10)[0].sum() == len(x)
