"""Drawing primitives: Sersic profiles, point deposits, PSF bank, colour stretch."""

from __future__ import annotations

import numpy as np
import pytest

from oddfinder.survey.colour import lupton_rgb
from oddfinder.survey.profiles import Grid, deposit, ring, sersic, smooth_noise, spiral_arms
from oddfinder.survey.psf import psf_bank


@pytest.mark.parametrize("n", [0.5, 1.0, 2.5, 4.0])
def test_sersic_half_light_radius(n):
    grid = Grid.square(201)
    image = sersic(grid, re=10.0, n=n)
    assert image.sum() == pytest.approx(1.0, abs=1e-4)
    inside = image[np.hypot(grid.x, grid.y) < 10.0].sum()
    # The canvas truncates the n=4 wings, so the fraction inside r_e rises a little above 0.5.
    assert 0.45 < inside < 0.6


def test_sersic_is_elliptical_along_position_angle():
    grid = Grid.square(101)
    image = sersic(grid, re=8.0, n=1.0, q=0.3, pa=np.pi / 2)  # major axis along y
    assert image[50, 65] < 0.2 * image[65, 50]


def test_deposit_conserves_flux_and_drops_off_canvas():
    image = deposit(
        (10, 10), np.array([0.3, -2.2, 50.0]), np.array([0.1, 1.7, 0.0]), np.array([1.0, 2.0, 5.0])
    )
    assert image.sum() == pytest.approx(3.0, rel=1e-6)


def test_ring_peaks_at_its_radius():
    grid = Grid.square(101)
    image = ring(grid, pa=0.0, q=1.0, radius=20.0, width=2.0)
    assert image[50, 70] > 20 * image[50, 50]


def test_spiral_arms_count():
    grid = Grid.square(129)
    image = spiral_arms(
        grid,
        pa=0.0,
        q=1.0,
        scale=12.0,
        arms=3,
        pitch=np.radians(20),
        phase=0.0,
        sharpness=4.0,
        inner=4.0,
    )
    angle = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    ys = np.round(64 + 18 * np.sin(angle)).astype(int)
    xs = np.round(64 + 18 * np.cos(angle)).astype(int)
    circle = image[ys, xs]
    window = np.ones(15) / 15  # smooth out the pixel sampling of the circle
    circle = np.convolve(np.concatenate([circle[-7:], circle, circle[:7]]), window, "valid")
    peaks = circle > 0.5 * circle.max()
    rises = np.count_nonzero(peaks & ~np.roll(peaks, 1))
    assert rises == 3


def test_smooth_noise_unit_mean_and_positive():
    texture = smooth_noise(np.random.default_rng(0), (64, 64), cells=8, contrast=0.5)
    assert texture.shape == (64, 64)
    assert texture.min() > 0
    assert texture.mean() == pytest.approx(1.0, rel=1e-4)


def test_psf_bank_unit_flux_and_fwhm():
    bank = psf_bank(128)
    assert bank.stamps.shape[:3] == (3, 16, 3)
    np.testing.assert_allclose(bank.stamps.sum(axis=(-2, -1)), 1.0, atol=1e-5)
    # The measured FWHM of the r-band Moffat follows the grid.
    for f in (8, 15):
        stamp = bank.stamps[1, f, 1]
        above = stamp > stamp.max() / 2
        fwhm = 2 * np.sqrt(above.sum() / np.pi)
        assert fwhm == pytest.approx(bank.fwhm[f], rel=0.25)
    # g is broader than z.
    assert bank.stamps[1, 5, 0].max() < bank.stamps[1, 5, 2].max()


def test_convolution_keeps_flux_and_position():
    bank = psf_bank(64)
    cube = np.zeros((3, bank.canvas, bank.canvas), np.float32)
    cube[:, 40, 50] = 1.0
    blurred = bank.convolve(cube, 2, 8)
    assert blurred.sum() == pytest.approx(3.0, rel=1e-4)
    assert np.unravel_index(blurred[1].argmax(), blurred[1].shape) == (40, 50)


def test_lupton_rgb_colours():
    red = np.zeros((3, 4, 4), np.float32)
    red[2] = 1.0  # z only
    rgb = lupton_rgb(red)
    assert (rgb[..., 0] > rgb[..., 2]).all()
    blue = np.zeros((3, 4, 4), np.float32)
    blue[0] = 1.0  # g only
    rgb = lupton_rgb(blue)
    assert (rgb[..., 2] > rgb[..., 0]).all()
    with pytest.raises(ValueError, match="g, r, z cube"):
        lupton_rgb(np.zeros((4, 4)))
