"""g, r, z images in nanomaggies to an RGB picture, the way DECaLS cutouts are made.

This is the Legacy Surveys ``dr2_rgb`` recipe (a Lupton et al. 2004 asinh stretch on the summed
intensity, colours kept): z is red, r green, g blue, each band scaled before the stretch.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BAND_SCALES", "lupton_rgb"]

#: Multipliers applied to the g, r, z images (nanomaggies) before the stretch.
BAND_SCALES: tuple[float, float, float] = (6.0, 3.4, 2.2)


def lupton_rgb(
    cube: np.ndarray,
    *,
    q: float = 20.0,
    offset: float = 0.03,
    scales: tuple[float, float, float] = BAND_SCALES,
) -> np.ndarray:
    """Map a ``(3, H, W)`` g, r, z cube in nanomaggies to a ``(H, W, 3)`` uint8 RGB image.

    Parameters
    ----------
    cube
        The g, r and z images, in that order.
    q
        Softening of the asinh stretch: larger shows faint light brighter.
    offset
        Added to every scaled band (the Legacy Surveys' ``m``): lifts the sky slightly.
    scales
        Multipliers for g, r and z.

    Examples
    --------
    >>> rgb = lupton_rgb(np.zeros((3, 4, 4)))
    >>> rgb.shape, rgb.dtype.name
    ((4, 4, 3), 'uint8')
    >>> int(rgb.max()) < 60
    True
    """
    cube = np.asarray(cube, dtype=np.float32)
    if cube.ndim != 3 or cube.shape[0] != 3:
        raise ValueError(f"expected a (3, H, W) g, r, z cube, got shape {cube.shape}")
    scaled = np.maximum(cube * np.asarray(scales, np.float32)[:, None, None] + offset, 0.0)
    intensity = scaled.mean(axis=0)
    intensity += (intensity == 0) * np.float32(1e-6)
    gain = np.arcsinh(q * intensity) / np.sqrt(q) / intensity
    # Bands are g, r, z; the picture is R=z, G=r, B=g.
    rgb = np.empty((*cube.shape[1:], 3), np.float32)
    for plane, band in ((0, 2), (1, 1), (2, 0)):
        rgb[..., plane] = scaled[band] * gain
    return (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
