"""Morphometry: classic non-parametric measures on synthetic galaxies; the workspace table."""

from __future__ import annotations

import numpy as np
import pytest
from _embed_helpers import make_workspace

from oddfinder.embed.morphometry import FEATURE_NAMES, measure, measure_workspace, standardise
from oddfinder.errors import ImageError, WorkspaceError
from oddfinder.rank.features import ranking_features

SIZE = 96


def _image(*blobs, ring=None, noise=0.01, seed=0):
    """Grey blobs ``(row, col, sigma, amplitude)`` (and an optional ring) as an RGB float image."""
    y, x = np.mgrid[:SIZE, :SIZE].astype(float)
    img = np.zeros((SIZE, SIZE))
    for r0, c0, sigma, amp in blobs:
        img += amp * np.exp(-0.5 * ((y - r0) ** 2 + (x - c0) ** 2) / sigma**2)
    if ring is not None:
        radius, width, amp = ring
        rr = np.hypot(y - SIZE / 2, x - SIZE / 2)
        img += amp * np.exp(-0.5 * ((rr - radius) / width) ** 2)
    img += np.random.default_rng(seed).normal(0, noise, img.shape)
    return np.clip(np.repeat(img[..., None], 3, axis=2), 0, 1)


def _f(values, name):
    return float(values[FEATURE_NAMES.index(name)])


def test_a_round_galaxy_is_symmetric_single_peaked_and_concentrated():
    f = measure(_image((48, 48, 5.0, 0.8)))
    assert f.shape == (len(FEATURE_NAMES),) and np.isfinite(f).all()
    assert _f(f, "asymmetry") < 0.05
    assert _f(f, "shape_asymmetry") < 0.1
    assert _f(f, "n_peaks") == 1 and _f(f, "peak_ratio") == 0.0
    assert _f(f, "ellipticity") < 0.1


def test_a_double_nucleus_is_asymmetric_with_two_peaks():
    single = measure(_image((48, 48, 5.0, 0.8)))
    pair = measure(_image((48, 44, 4.0, 0.8), (48, 58, 3.0, 0.5)))
    assert _f(pair, "n_peaks") >= 2
    assert _f(pair, "peak_ratio") > 0.4
    assert _f(pair, "asymmetry") > _f(single, "asymmetry") + 0.1
    assert _f(pair, "ellipticity") > 0.2


def test_a_companion_is_counted_and_a_ring_raises_the_outer_profile():
    alone = measure(_image((48, 48, 4.0, 0.8)))
    company = measure(_image((48, 48, 4.0, 0.8), (30, 66, 2.0, 0.6)))
    assert _f(alone, "n_companions") == 0 and _f(company, "n_companions") >= 1
    assert _f(company, "companion_flux") > _f(alone, "companion_flux")
    ringed = measure(_image((48, 48, 3.0, 0.8), ring=(18.0, 2.0, 0.3)))
    plain = measure(_image((48, 48, 3.0, 0.8)))
    outer = [n for n in FEATURE_NAMES if n.startswith("profile_")]
    assert max(_f(ringed, n) - _f(plain, n) for n in outer) > 0.5


def test_blank_and_uint8_images_give_finite_values():
    assert np.isfinite(measure(np.zeros((SIZE, SIZE, 3), np.uint8))).all()
    noisy = (np.random.default_rng(0).uniform(0, 30, (SIZE, SIZE, 3))).astype(np.uint8)
    assert np.isfinite(measure(noisy)).all()


def test_standardise_is_robust_and_clipped():
    rng = np.random.default_rng(0)
    table = np.c_[rng.normal(10, 2, 500), np.r_[np.zeros(499), 1e6], np.ones(500)]
    z = standardise(table)
    assert abs(np.median(z[:, 0])) < 0.1 and 0.8 < z[:, 0].std() < 1.2
    assert z.max() <= 5.0 and np.isfinite(z).all()


def test_workspace_table_feeds_the_ranking_features_as_a_second_group(tmp_path):
    ws = make_workspace(tmp_path, 12)
    ws.write_array("features", np.random.default_rng(0).normal(size=(12, 5)).astype(np.float32))
    before = ranking_features(ws)
    assert before.groups is None and before.options == {}
    table = measure_workspace(ws, size=48, workers=0)
    assert list(table["id"]) == list(ws.ids) and ws.has("morphometry")
    after = ranking_features(ws)
    d = ws.features().shape[1]
    assert after.values.shape[0] == ws.n and after.values.shape[1] > d
    assert (after.groups[:d] == 0).all() and (after.groups[d:] == 1).all()
    assert np.isfinite(after.values).all()


def test_workspace_without_images_or_with_a_missing_image_fails_clearly(tmp_path):
    ws = make_workspace(tmp_path, 6)
    missing = ws.catalog["path"].iloc[2]
    import os

    os.remove(missing)
    with pytest.raises(ImageError, match=r"cannot read image|No such|not found|missing"):
        measure_workspace(ws, size=48, workers=0)
    assert not ws.has("morphometry")
    catalog = ws.catalog.drop(columns=["path"])
    ws.write_table("catalog", catalog)
    with pytest.raises(WorkspaceError, match="no image paths"):
        measure_workspace(type(ws).open(ws.path), workers=0)


def test_embed_command_measures_morphometry_unless_told_not_to(tmp_path, capsys):
    import torch

    from oddfinder.cli import main
    from oddfinder.io.workspace import Workspace

    torch.set_num_threads(1)
    ws = make_workspace(tmp_path / "a", 16)
    assert main(["embed", str(ws.path), "--workers", "0", "--device", "cpu"]) == 0
    assert "morphometry of 16 images" in capsys.readouterr().out
    ws = Workspace.open(ws.path)
    assert ws.has("morphometry") and ranking_features(ws).groups is not None
    other = make_workspace(tmp_path / "b", 16)
    assert main(["embed", str(other.path), "--workers", "0", "--no-morphometry"]) == 0
    assert not Workspace.open(other.path).has("morphometry")
