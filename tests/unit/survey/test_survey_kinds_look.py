"""Each kind looks like what it is: colours, shapes and artefact signatures in the pixels."""

from __future__ import annotations

import numpy as np
import pytest

from oddfinder.survey.scene import render_object


def _images(kind, count=6, size=96):
    return [render_object(i, kind, seed=11, size=size) for i in range(count)]


def _redness(rgb, radius):
    h = rgb.shape[0]
    y, x = np.mgrid[:h, :h] - (h - 1) / 2
    inner = np.hypot(x, y) < radius
    pixels = rgb[inner].astype(np.float32)
    return float((pixels[:, 0] - pixels[:, 2]).mean())


def test_render_object_is_deterministic():
    a, ta = render_object(5, "merger", seed=2, size=64)
    b, tb = render_object(5, "merger", seed=2, size=64)
    assert np.array_equal(a, b) and ta == tb
    c, _ = render_object(6, "merger", seed=2, size=64)
    assert not np.array_equal(a, c)


def test_ellipticals_are_redder_than_spirals_and_irregulars():
    ellipticals = np.mean([_redness(rgb, 12) for rgb, _ in _images("elliptical")])
    spirals = np.mean([_redness(rgb, 25) for rgb, _ in _images("spiral")])
    irregulars = np.mean([_redness(rgb, 20) for rgb, _ in _images("irregular")])
    assert ellipticals > spirals + 5
    assert ellipticals > irregulars + 5


def test_edge_on_disks_are_elongated():
    for rgb, truth in _images("edge_on"):
        light = rgb.astype(np.float32).mean(axis=2)
        floor = np.median(light)
        light = np.clip(light - floor - 0.15 * (light.max() - floor), 0, None)
        h = rgb.shape[0]
        yy, xx = np.mgrid[:h, :h] - (h - 1) / 2
        light[np.hypot(xx, yy) > 0.3 * h] = 0  # the galaxy, not its neighbours
        y, x = np.nonzero(light)
        cov = np.cov(np.stack([x, y]))  # the shape of the isophote, not of the core
        small, large = np.linalg.eigvalsh(cov)
        assert np.sqrt(small / large) < 0.55, truth


def test_bright_stars_saturate_and_have_spikes():
    for rgb, truth in _images("bright_star"):
        core = rgb.min(axis=2) >= 250
        assert core.sum() >= 4, truth  # a white, saturated core
        cy, cx = (float(v.mean()) for v in np.nonzero(core))
        light = rgb.astype(np.float32).mean(axis=2)
        r = np.arange(12, 22)
        on_axis = [
            light[int(cy + dy * k), int(cx + dx * k)].mean()
            for k in r
            for dy, dx in ((0, 1), (1, 0), (0, -1), (-1, 0))
        ]
        diagonal = [
            light[int(cy + dy * k / 1.41), int(cx + dx * k / 1.41)].mean()
            for k in r
            for dy, dx in ((1, 1), (1, -1), (-1, 1), (-1, -1))
        ]
        assert np.mean(on_axis) > np.mean(diagonal) + 10, truth  # diffraction spikes
        assert truth["host_kind"] == "star"


def test_satellite_trails_cross_the_cutout():
    for rgb, truth in _images("satellite_trail"):
        angle = np.radians(truth["trail_angle_deg"])
        light = rgb.astype(np.float32).max(axis=2)
        # Along the trail direction, brightness is coherent: the image rotated so the trail is
        # vertical has one column far brighter than the median column.
        h = rgb.shape[0]
        y, x = np.mgrid[:h, :h] - (h - 1) / 2
        across = x * np.sin(angle) - y * np.cos(angle)
        bins = np.round(across).astype(int)
        profile = np.bincount((bins - bins.min()).ravel(), light.ravel()) / np.maximum(
            np.bincount((bins - bins.min()).ravel()), 1
        )
        assert profile.max() > np.median(profile) + 15, truth


def test_truncated_cutouts_have_a_blank_or_false_colour_region():
    for rgb, truth in _images("truncated", count=12):
        if truth["truncation"] == "blank":
            blank = (rgb == 0).all(axis=2)
            assert blank.mean() == pytest.approx(truth["blank_fraction"], abs=0.02), truth
            assert blank.mean() > 0.08
        elif truth["truncation"] == "saturated":
            flat = (rgb >= 250).all(axis=2)
            assert flat.mean() >= truth["blank_fraction"] - 0.02, truth
        else:
            assert truth["truncation"] in ("missing_g", "missing_r", "missing_z")
            assert 0.08 < truth["blank_fraction"] < 0.6


def test_lens_arcs_are_bluer_than_the_lens():
    rings = []
    for rgb, truth in _images("lens"):
        h = rgb.shape[0]
        y, x = np.mgrid[:h, :h] - (h - 1) / 2
        r = np.hypot(x, y)
        theta_e = truth["einstein_radius_px"] * h / 128
        annulus = rgb[np.abs(r - theta_e) < 1.5].astype(np.float32)
        core = rgb[r < 2].astype(np.float32)
        rings.append((annulus[:, 2] - annulus[:, 0]).max() - (core[:, 2] - core[:, 0]).mean())
    assert np.median(rings) > 10
