"""Stationary kernels evaluated in plain torch, tile by tile, from fitted hyperparameters.

The interest model fits its hyperparameters with gpytorch on the (small) labelled set and then
predicts for every galaxy with these functions, which never form more than a
``tile x n_labelled`` block: squared distances by one matrix multiply, then the kernel profile.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator

import numpy as np

__all__ = ["KERNELS", "Hyper", "kernel_block", "sqdist", "torch_threads"]

KERNELS = ("rq", "matern", "rbf")


@dataclasses.dataclass(frozen=True)
class Hyper:
    """Fitted GP hyperparameters, lengths in feature units (already times the feature scale).

    Attributes
    ----------
    kernel : str
        ``"rq"`` (rational quadratic), ``"matern"`` (Matern 5/2) or ``"rbf"``.
    lengthscale, outputscale, noise : float
        Kernel length scale, signal variance and white-noise variance.
    alpha : float
        Rational-quadratic shape (ignored by the other kernels).
    constant, prior_weight : float
        Mean function ``constant + prior_weight * prior(x)``.
    """

    kernel: str
    lengthscale: float
    outputscale: float
    noise: float
    alpha: float = 1.0
    constant: float = 0.0
    prior_weight: float = 0.0

    def kernel_params(self) -> np.ndarray:
        """The parameters the covariance depends on (mean excluded), as logs."""
        return np.log([self.lengthscale, self.outputscale, self.noise, self.alpha])


def sqdist(a, b, a_sq=None, b_sq=None):
    """Squared Euclidean distances between rows of torch tensors ``a`` (n, d), ``b`` (m, d)."""
    if a_sq is None:
        a_sq = (a * a).sum(1)
    if b_sq is None:
        b_sq = (b * b).sum(1)
    d2 = a @ b.T
    d2.mul_(-2.0).add_(a_sq[:, None]).add_(b_sq[None, :])
    return d2.clamp_(min=0.0)


def kernel_block(hyper: Hyper, a, b, *, a_sq=None, b_sq=None):
    """Covariance block ``k(a, b)`` (no noise) as a torch tensor of ``a``'s dtype.

    Examples
    --------
    >>> import torch
    >>> h = Hyper("rbf", lengthscale=1.0, outputscale=2.0, noise=0.1)
    >>> x = torch.zeros(1, 3)
    >>> float(kernel_block(h, x, x)[0, 0])
    2.0
    """
    d2 = sqdist(a, b, a_sq, b_sq)
    ls2 = hyper.lengthscale**2
    if hyper.kernel == "rbf":
        d2.mul_(-0.5 / ls2).exp_()
    elif hyper.kernel == "rq":
        d2.mul_(1.0 / (2.0 * hyper.alpha * ls2)).log1p_().mul_(-hyper.alpha).exp_()
    elif hyper.kernel == "matern":
        r = d2.sqrt_().mul_(math.sqrt(5.0) / hyper.lengthscale)
        poly = r * r / 3.0 + r + 1.0
        d2 = poly.mul_(r.neg_().exp_())
    else:
        raise ValueError(f"unknown kernel {hyper.kernel!r}: use one of {KERNELS}")
    return d2.mul_(hyper.outputscale)


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run torch with ``n`` intra-op threads inside the block (``None``: leave as is).

    Small matrices are fastest on one thread, and far faster on a machine whose cores are busy.
    """
    import torch

    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
