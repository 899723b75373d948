"""A bank of point-spread functions drawn with GalSim, ready for FFT convolution.

Each simulated cutout picks one seeing (FWHM) and one PSF model (Moffat or Kolmogorov) from a
fixed grid; the g band is slightly broader and z slightly sharper than r (FWHM ~ wavelength^-0.2).
The bank depends only on the cutout size, so it is built once per process and galaxy ``i`` gets
the same PSF whatever process draws it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

__all__ = ["PSF_MODELS", "PsfBank", "psf_bank"]

#: PSF models in the bank: (name, GalSim profile, shape parameter).
PSF_MODELS: tuple[str, ...] = ("moffat2.5", "moffat3.5", "kolmogorov")
_N_FWHM = 16
_FWHM_RANGE_128 = (1.8, 4.0)  # r-band FWHM in pixels for a 128-pixel cutout
_BAND_FWHM = (1.06, 1.0, 0.93)  # g, r, z relative to r: (475/640)^-0.2, 1, (915/640)^-0.2


@dataclass(frozen=True)
class PsfBank:
    """PSF images and their Fourier transforms on a padded canvas.

    Attributes
    ----------
    size
        The cutout size the bank is for.
    pad
        Pixels of margin on each side of the cutout in the drawing canvas.
    fwhm
        ``(n_fwhm,)`` r-band FWHM in pixels.
    stamps
        ``(n_models, n_fwhm, 3, 2 * pad + 1, 2 * pad + 1)`` PSF images (unit sum) per band.
    transforms
        ``(n_models, n_fwhm, 3, canvas, canvas // 2 + 1)`` their ``rfft2`` on the canvas,
        centred on pixel (0, 0) so convolution does not shift the image.
    """

    size: int
    pad: int
    fwhm: np.ndarray
    stamps: np.ndarray
    transforms: np.ndarray

    @property
    def canvas(self) -> int:
        """Side of the drawing canvas: the cutout plus a margin for the PSF on each side."""
        return self.size + 2 * self.pad

    def convolve(self, cube: np.ndarray, model: int, fwhm: int) -> np.ndarray:
        """Convolve a ``(3, canvas, canvas)`` g, r, z cube with PSF ``(model, fwhm)``."""
        from scipy import fft

        spectrum = fft.rfft2(cube, axes=(-2, -1), workers=1)
        spectrum *= self.transforms[model, fwhm]
        return fft.irfft2(spectrum, s=cube.shape[-2:], axes=(-2, -1), workers=1).astype(
            np.float32, copy=False
        )


@functools.lru_cache(maxsize=4)
def psf_bank(size: int) -> PsfBank:
    """Draw the PSF bank for ``size`` x ``size`` cutouts with GalSim (cached per process).

    Examples
    --------
    >>> bank = psf_bank(64)
    >>> bank.stamps.shape[:3], round(float(bank.stamps[0, 0, 1].sum()), 3)
    ((3, 16, 3), 1.0)
    """
    import galsim
    from scipy import fft

    scale = size / 128.0
    fwhm = np.linspace(*_FWHM_RANGE_128, _N_FWHM) * scale
    fwhm = np.maximum(fwhm, 1.2)
    pad = int(np.ceil(4.0 * fwhm.max()))
    stamp = 2 * pad + 1
    canvas = size + 2 * pad
    stamps = np.zeros((len(PSF_MODELS), _N_FWHM, 3, stamp, stamp), np.float32)
    # A round, smooth edge: a square-cut stamp shows as a square around bright stars.
    axis = np.arange(stamp) - pad
    radius = np.hypot(*np.meshgrid(axis, axis))
    taper = np.clip((pad + 0.5 - radius) / (0.35 * pad), 0.0, 1.0) ** 2
    for m, name in enumerate(PSF_MODELS):
        for f, width in enumerate(fwhm):
            for b, factor in enumerate(_BAND_FWHM):
                if name == "kolmogorov":
                    profile = galsim.Kolmogorov(fwhm=float(width * factor))
                else:
                    beta = float(name.removeprefix("moffat"))
                    profile = galsim.Moffat(beta=beta, fwhm=float(width * factor))
                image = profile.drawImage(nx=stamp, ny=stamp, scale=1.0).array * taper
                stamps[m, f, b] = image / image.sum()
    kernel = np.zeros((len(PSF_MODELS), _N_FWHM, 3, canvas, canvas), np.float32)
    kernel[..., :stamp, :stamp] = stamps
    kernel = np.roll(kernel, (-pad, -pad), axis=(-2, -1))
    transforms = fft.rfft2(kernel, axes=(-2, -1)).astype(np.complex64)
    return PsfBank(size=size, pad=pad, fwhm=fwhm, stamps=stamps, transforms=transforms)
