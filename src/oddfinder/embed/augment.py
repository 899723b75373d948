"""Batched, on-the-fly image augmentation for training the morphology CNN.

Galaxies have no preferred orientation and real surveys differ in seeing, depth, colour
balance and cutout scale, so every training batch is rotated by any angle, flipped, zoomed,
shifted, blurred by a PSF of random width, jittered in colour and brightness, and given noise.
All of it runs on whole batches in torch, so it costs little next to the network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["Augment"]


@dataclass(frozen=True)
class Augment:
    """Random augmentation of a float batch ``(B, 3, H, W)`` with values in [0, 1].

    Parameters
    ----------
    zoom : (float, float)
        Range of the scale factor (log-uniform); > 1 zooms in.
    shift : float
        Largest shift, as a fraction of the image size.
    blur_sigma : (float, float)
        Range of the Gaussian PSF width in pixels (0 = no extra blur).
    noise : (float, float)
        Range of the standard deviation of added Gaussian noise.
    brightness : (float, float)
        Range of the multiplicative brightness factor (log-uniform).
    colour : float
        Largest per-channel relative gain change.
    gamma : (float, float)
        Range of the gamma applied to the image (log-uniform): a different stretch.

    Examples
    --------
    >>> gen = torch.Generator().manual_seed(0)
    >>> out = Augment()(torch.rand(4, 3, 32, 32), generator=gen)
    >>> out.shape, bool(out.min() >= 0), bool(out.max() <= 1)
    (torch.Size([4, 3, 32, 32]), True, True)
    """

    zoom: tuple[float, float] = (0.5, 1.4)
    shift: float = 0.06
    blur_sigma: tuple[float, float] = (0.0, 1.6)
    noise: tuple[float, float] = (0.0, 0.06)
    brightness: tuple[float, float] = (0.6, 1.5)
    colour: float = 0.15
    gamma: tuple[float, float] = (0.7, 1.4)

    def __call__(
        self, images: torch.Tensor, *, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Return an augmented copy of ``images`` (same shape, values in [0, 1])."""
        b = images.shape[0]

        def uniform(low: float, high: float, *shape: int) -> torch.Tensor:
            return low + (high - low) * torch.rand(b, *shape, generator=generator)

        def log_uniform(low: float, high: float, *shape: int) -> torch.Tensor:
            return torch.exp(uniform(math.log(low), math.log(high), *shape))

        x = self._geometry(images, uniform, log_uniform, generator)
        x = self._blur(x, uniform(*self.blur_sigma))
        # Photometry: stretch, brightness, colour balance, noise.
        x = x.clamp(0.0, 1.0) ** log_uniform(*self.gamma)[:, None, None, None]
        gain = log_uniform(*self.brightness)[:, None] * uniform(
            1.0 - self.colour, 1.0 + self.colour, 3
        )
        x = x * gain[:, :, None, None]
        sigma = uniform(*self.noise)[:, None, None, None]
        x = x + sigma * torch.randn(x.shape, generator=generator)
        return x.clamp(0.0, 1.0)

    def _geometry(self, images, uniform, log_uniform, generator) -> torch.Tensor:
        b = images.shape[0]
        angle = uniform(0.0, 2.0 * math.pi)
        scale = 1.0 / log_uniform(*self.zoom)
        flip = torch.where(uniform(0.0, 1.0) < 0.5, -1.0, 1.0)
        cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
        theta = torch.zeros(b, 2, 3)
        theta[:, 0, 0] = cos * flip
        theta[:, 0, 1] = -sin
        theta[:, 1, 0] = sin * flip
        theta[:, 1, 1] = cos
        theta[:, :, 2] = uniform(-2.0 * self.shift, 2.0 * self.shift, 2)
        grid = F.affine_grid(theta, list(images.shape), align_corners=False)
        moved = F.grid_sample(
            images, grid, mode="bilinear", padding_mode="zeros", align_corners=False
        )
        inside = F.grid_sample(
            torch.ones_like(images[:, :1]), grid, mode="bilinear", align_corners=False
        )
        # Fill what came from outside the cutout with sky: the border's median and noise.
        border = torch.cat(
            [images[:, :, :2].flatten(2), images[:, :, -2:].flatten(2)], dim=2
        )  # (B, C, 4W)
        sky = border.median(dim=2).values[:, :, None, None]
        spread = (border - sky.flatten(2)).abs().median(dim=2).values[:, :, None, None] * 1.4826
        fill = sky + spread * torch.randn(images.shape, generator=generator)
        return moved + (1.0 - inside) * fill

    @staticmethod
    def _blur(images: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """Convolve each image with its own Gaussian of width ``sigma`` (pixels)."""
        b, c, h, w = images.shape
        radius = 3
        offsets = torch.arange(-radius, radius + 1, dtype=images.dtype)
        s = sigma.clamp(min=1e-3)[:, None]
        kernel_1d = torch.exp(-0.5 * (offsets[None, :] / s) ** 2)
        kernel_1d = kernel_1d / kernel_1d.sum(dim=1, keepdim=True)  # (B, K)
        kernel_1d = kernel_1d.repeat_interleave(c, dim=0)  # (B*C, K)
        x = F.pad(images.reshape(1, b * c, h, w), (radius,) * 4, mode="reflect")
        x = F.conv2d(x, kernel_1d[:, None, None, :], groups=b * c)
        x = F.conv2d(x, kernel_1d[:, None, :, None], groups=b * c)
        return x.reshape(b, c, h, w)
