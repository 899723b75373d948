"""Read survey cutouts (JPEG, PNG, FITS) as RGB images.

Every reader returns the same thing, whatever the file: an RGB image, grey images repeated
over three channels, FITS data shown with an asinh stretch (reddest band as red).
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from oddfinder.errors import ImageError

__all__ = [
    "FITS_SUFFIXES",
    "IMAGE_SUFFIXES",
    "asinh_rgb",
    "load_image",
    "read_rgb",
    "save_thumbnail",
]

logger = logging.getLogger(__name__)

FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", *FITS_SUFFIXES)


def _is_fits(path: Path) -> bool:
    return path.name.lower().endswith(FITS_SUFFIXES)


def asinh_rgb(data: np.ndarray, *, softening: float = 0.1, percentile: float = 99.5) -> np.ndarray:
    """Map FITS data, ``(H, W)`` or bands-first ``(C, H, W)``, to uint8 RGB with an asinh stretch.

    Bands are assumed ordered blue to red (g, r, z): the last becomes red. All bands share one
    scale, so colours are preserved. Non-finite pixels become 0.

    Examples
    --------
    >>> asinh_rgb(np.arange(16.0).reshape(4, 4)).shape
    (4, 4, 3)
    """
    data = np.asarray(data, dtype=np.float32)
    if data.ndim == 2:
        data = data[None]
    if data.ndim != 3:
        raise ValueError(f"expected a 2-d image or a 3-d band cube, got shape {data.shape}")
    if data.shape[-1] in (3, 4) and data.shape[0] not in (1, 2, 3, 4):
        data = np.moveaxis(data, -1, 0)  # (H, W, C) -> (C, H, W)
    data = np.where(np.isfinite(data), data, 0.0)
    bands = data.shape[0]
    if bands == 1:
        planes = [data[0]] * 3
    elif bands == 2:
        planes = [data[1], 0.5 * (data[0] + data[1]), data[0]]
    else:
        planes = [data[-1], data[bands // 2], data[0]]
    cube = np.stack(planes, axis=-1)
    low = np.percentile(cube, 1.0)
    high = np.percentile(cube, percentile)
    scaled = np.clip((cube - low) / max(high - low, 1e-12), 0.0, 1.0)
    stretched = np.arcsinh(scaled / softening) / np.arcsinh(1.0 / softening)
    return (stretched * 255.0 + 0.5).astype(np.uint8)


def _fits_image(path: Path) -> np.ndarray:
    """The first image HDU's data in a FITS file, with leading length-1 axes dropped."""
    from astropy.io import fits
    from astropy.utils.exceptions import AstropyWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        with fits.open(path, memmap=False) as hdul:
            hdu = next(
                (h for h in hdul if getattr(h, "is_image", False) and h.data is not None), None
            )
            if hdu is None:
                raise ImageError(f"FITS file has no image data: {path}")
            data = np.asarray(hdu.data)
    while data.ndim > 3 and data.shape[0] == 1:
        data = data[0]
    if data.ndim not in (2, 3):
        raise ImageError(f"FITS image in {path} has shape {data.shape}; expected 2-d or 3-d")
    return data


def _to_rgb(image: Image.Image) -> Image.Image:
    """Convert any PIL mode to RGB; high-bit-depth grey is rescaled rather than clipped."""
    if image.mode.startswith("I;16"):
        grey = np.asarray(image, dtype=np.float32) / 257.0
        return Image.fromarray(np.clip(grey + 0.5, 0, 255).astype(np.uint8)).convert("RGB")
    if image.mode in ("I", "F"):
        grey = np.asarray(image, dtype=np.float64)
        finite = np.isfinite(grey)
        low = float(grey[finite].min()) if finite.any() else 0.0
        high = float(grey[finite].max()) if finite.any() else 1.0
        scaled = np.where(finite, (grey - low) / max(high - low, 1e-12), 0.0)
        return Image.fromarray((scaled * 255.0 + 0.5).astype(np.uint8)).convert("RGB")
    return image.convert("RGB")


def _open_rgb(path: Path, size: int | None) -> tuple[Image.Image, tuple[int, int]]:
    """Read ``path`` as RGB, resized to ``size``; also return the original (width, height)."""
    if not path.is_file():
        raise ImageError(f"image not found: {path}")
    try:
        if _is_fits(path):
            data = _fits_image(path)
            image = Image.fromarray(asinh_rgb(data))
            original = image.size
        else:
            with Image.open(path) as opened:
                original = opened.size
                if size is not None and opened.format == "JPEG":
                    opened.draft("RGB", (size, size))
                image = _to_rgb(opened)
    except ImageError:
        raise
    except (
        OSError,
        UnidentifiedImageError,
        Image.DecompressionBombError,
        ValueError,
        TypeError,
        IndexError,
        SyntaxError,
        EOFError,
    ) as error:
        if isinstance(error, UnidentifiedImageError):
            reason = "not a recognised image format"
        else:
            reason = " ".join(str(error).split()) or type(error).__name__
        raise ImageError(f"cannot read image {path}: {reason}") from error
    if size is not None and image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return image, original


def read_rgb(path: str | os.PathLike, *, size: int | None = None) -> Image.Image:
    """Open an image file as an RGB PIL image, optionally resized to ``size`` x ``size``.

    JPEGs are decoded at reduced scale when that is enough for ``size`` (PIL draft mode),
    which makes reading large cutouts several times faster. 16-bit and floating-point grey
    images are rescaled to 8 bits; FITS data are shown with :func:`asinh_rgb`.

    Raises
    ------
    ImageError
        If the file is missing, unreadable, truncated, or not an image.
    """
    return _open_rgb(Path(path), size)[0]


def load_image(path: str | os.PathLike, *, size: int | None = None) -> np.ndarray:
    """Read an image file as a float32 ``(H, W, 3)`` array in [0, 1].

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.png"
    >>> Image.fromarray(np.zeros((10, 20), np.uint8)).save(p)
    >>> load_image(p, size=8).shape
    (8, 8, 3)
    """
    return np.asarray(read_rgb(path, size=size), dtype=np.float32) / 255.0


def save_thumbnail(
    source: str | os.PathLike, target: str | os.PathLike, *, size: int = 160
) -> tuple[int, int]:
    """Write a ``size`` x ``size`` JPEG thumbnail of ``source`` to ``target``.

    Returns
    -------
    tuple of int
        The source image's original ``(width, height)`` in pixels.

    Raises
    ------
    ImageError
        If ``source`` cannot be read (see :func:`read_rgb`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> Image.fromarray(np.zeros((30, 20), np.uint8)).save(d / "g.png")
    >>> save_thumbnail(d / "g.png", d / "t.jpg", size=16)
    (20, 30)
    >>> Image.open(d / "t.jpg").size
    (16, 16)
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    image, original = _open_rgb(Path(source), size)
    image.save(target, format="JPEG", quality=90)
    return original
