"""Image readers: every format becomes RGB; broken files raise one-line ImageErrors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from oddfinder.errors import ImageError
from oddfinder.io.images import asinh_rgb, load_image, read_rgb, save_thumbnail


def test_rgb_jpeg_and_grey_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)).save(tmp_path / "a.jpg")
    grey = np.tile(np.arange(0, 250, 5, dtype=np.uint8), (10, 1))
    Image.fromarray(grey).save(tmp_path / "g.png")
    assert read_rgb(tmp_path / "a.jpg").size == (80, 60)
    assert read_rgb(tmp_path / "a.jpg", size=24).size == (24, 24)
    image = load_image(tmp_path / "g.png")
    assert image.shape == (10, 50, 3) and image.dtype == np.float32
    np.testing.assert_allclose(image[..., 0], image[..., 2])
    assert 0.0 <= image.min() and image.max() <= 1.0


def test_sixteen_bit_png_is_rescaled_not_clipped(tmp_path: Path) -> None:
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (8, 1))
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    image = np.asarray(read_rgb(tmp_path / "deep.png"))
    assert image[0, 0, 0] < 5 and image[0, -1, 0] > 250
    assert 100 < image[0, 32, 0] < 160  # mid-grey stays mid-grey


def test_rgba_and_palette_png(tmp_path: Path) -> None:
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[..., 0] = 200
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    Image.fromarray(rgba[..., :3]).convert("P").save(tmp_path / "p.png")
    for name in ("rgba.png", "p.png"):
        assert np.asarray(read_rgb(tmp_path / name))[0, 0, 0] > 150


def test_fits_single_band_cube_and_degenerate_axes(tmp_path: Path) -> None:
    from astropy.io import fits

    rng = np.random.default_rng(1)
    fits.writeto(tmp_path / "one.fits", rng.normal(size=(20, 30)).astype(np.float32))
    cube = np.zeros((3, 16, 16), dtype=np.float32)
    cube[2] = 10.0  # the reddest band is bright: the image is red
    cube[0, 0, 0] = np.nan
    fits.writeto(tmp_path / "cube.fits", cube)
    fits.writeto(tmp_path / "four.fits", cube[None])
    assert read_rgb(tmp_path / "one.fits").size == (30, 20)
    for name in ("cube.fits", "four.fits"):
        image = np.asarray(read_rgb(tmp_path / name, size=8)).astype(int)
        assert image.shape == (8, 8, 3)
        assert image[..., 0].mean() > image[..., 2].mean() + 100


def test_fits_image_in_extension_after_empty_primary(tmp_path: Path) -> None:
    from astropy.io import fits

    hdus = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.ones((5, 6), np.float32))])
    hdus.writeto(tmp_path / "ext.fits")
    assert read_rgb(tmp_path / "ext.fits").size == (6, 5)


def test_fits_without_image_data(tmp_path: Path) -> None:
    from astropy.io import fits
    from astropy.table import Table

    hdus = fits.HDUList([fits.PrimaryHDU(), fits.table_to_hdu(Table({"a": [1, 2]}))])
    hdus.writeto(tmp_path / "table.fits")
    with pytest.raises(ImageError, match="no image data"):
        read_rgb(tmp_path / "table.fits")


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("missing.jpg", None, "image not found"),
        ("text.jpg", b"not a jpeg", "cannot read image"),
        ("empty.png", b"", "cannot read image"),
        ("junk.fits", b"SIMPLE  = junk" * 10, "cannot read image"),
    ],
)
def test_broken_files(tmp_path: Path, name: str, content: bytes | None, match: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageError, match=match) as caught:
        read_rgb(path, size=16)
    assert "\n" not in str(caught.value)
    assert name in str(caught.value)


def test_truncated_jpeg_and_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    for name in ("a.jpg", "a.png"):
        Image.fromarray(pixels).save(tmp_path / name)
        data = (tmp_path / name).read_bytes()
        (tmp_path / f"cut_{name}").write_bytes(data[: len(data) // 2])
        with pytest.raises(ImageError, match="cannot read image"):
            read_rgb(tmp_path / f"cut_{name}", size=32)


def test_save_thumbnail_returns_original_size(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((423, 300, 3), np.uint8)).save(tmp_path / "big.jpg")
    size = save_thumbnail(tmp_path / "big.jpg", tmp_path / "t" / "x.jpg", size=40)
    assert size == (300, 423)
    with Image.open(tmp_path / "t" / "x.jpg") as thumb:
        assert thumb.size == (40, 40) and thumb.format == "JPEG"


def test_asinh_rgb_orders_bands_and_handles_flat_images() -> None:
    flat = asinh_rgb(np.zeros((5, 5)))
    assert flat.shape == (5, 5, 3) and flat.max() == 0
    two = asinh_rgb(np.stack([np.zeros((4, 4)), np.ones((4, 4))]))
    assert two.shape == (4, 4, 3)
    channels_last = asinh_rgb(np.random.default_rng(0).normal(size=(10, 10, 3)))
    assert channels_last.shape == (10, 10, 3)
    with pytest.raises(ValueError, match="2-d image or a 3-d band cube"):
        asinh_rgb(np.zeros(5))
