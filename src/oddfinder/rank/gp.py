"""The interest model: exact GP regression of the researcher's 0-5 labels on the features.

Hyperparameters maximise the exact marginal likelihood on the labelled set only (a few hundred
rows), from a warm start after the first fit (by default with L-BFGS-B and the closed-form
gradient; ``backend="gpytorch"`` fits the same model as a gpytorch ``ExactGP``). Prediction
for every galaxy is our own tiled torch code (:meth:`GPInterest.predict`), which never forms a
test x test matrix.

Against the collapse that makes Walmsley et al.'s recipe stall while every label is 0
(huge length scale, zero noise, a flat mean), the length scale is bounded relative to the
feature scale (the median distance between galaxies), the noise has a floor, and with fewer
than two distinct label values the hyperparameters are not fitted at all but kept at sane
defaults (see :class:`~oddfinder.rank.gp_ranker.GPRanker` for the exploration this enables).
"""

from __future__ import annotations

import dataclasses
import logging
import math

import numpy as np

from oddfinder.rank.kernels import KERNELS, Hyper, kernel_block, torch_threads

__all__ = ["GPInterest", "feature_scale"]

logger = logging.getLogger(__name__)


def feature_scale(features: np.ndarray, *, sample: int = 2000, seed: int = 0) -> float:
    """Median Euclidean distance between random pairs of rows (the unit of length scales).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> s = feature_scale(rng.normal(size=(500, 10)))
    >>> bool(4.0 < s < 5.0)
    True
    """
    features = np.asarray(features)
    n = features.shape[0]
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, size=sample)
    j = rng.integers(0, n, size=sample)
    keep = i != j
    d = np.linalg.norm(
        features[i[keep]].astype(np.float64) - features[j[keep]].astype(np.float64), axis=1
    )
    scale = float(np.median(d)) if d.size else 0.0
    return scale if scale > 0 else 1.0


class GPInterest:
    """Exact GP regression of 0-5 interest labels on galaxy features.

    Labels are modelled on the 0-1 scale (score / 5); means and standard deviations come back
    on the 0-5 scale.

    Parameters
    ----------
    kernel : {"rq", "matern", "rbf"}
        Rational quadratic (as Walmsley et al. 2022), Matern 5/2, or RBF; a white-noise term
        (the Gaussian likelihood) is always added.
    use_prior : bool
        Model the mean as ``c + w * prior(x)`` with fitted ``w`` (the anomaly prior is then
        passed to :meth:`fit` and :meth:`predict`); otherwise a constant mean.
    lengthscale_bounds : (float, float)
        Bounds on the length scale in units of the feature scale.
    default_lengthscale, default_outputscale, default_noise : float
        Hyperparameters used until the labels hold two distinct values (and the start of the
        first fit).
    noise_floor : float
        Smallest white-noise variance (0-1 label scale).
    fit_steps, warm_steps : int
        Optimiser iterations of the first fit and of each warm-started refit.
    lr : float
        Adam learning rate (``backend="gpytorch"`` only).
    feature_scale : float or None
        Unit of length; ``None`` estimates it from the first ``X`` given to :meth:`fit`.
    backend : {"torch", "gpytorch"}
        Who maximises the marginal likelihood: our L-BFGS on a closed-form torch likelihood
        (default: closed-form gradient, L-BFGS-B) or gpytorch's ``ExactGP`` with Adam (same
        model and constraints, ~100x slower per step on a small CPU).
    groups : array (d,) of int, optional
        Feature blocks (e.g. a CNN embedding and morphometry), one length scale each, fitted
        from the labels: the researcher's labels decide which block matters (group ARD).
        ``None`` or a single group: one isotropic length scale.
    mean : {"zero", "constant"}
        The GP's prior mean of the 0-5 interest: zero ("boring unless the labels say
        otherwise", as in Walmsley et al.'s scikit-learn GP; the default) or a constant fitted
        with the hyperparameters (it drifts to the average label). Zero raised the average
        precision on every real set (GZ1 mergers, HSC, rare rings; README "Benchmarks").
    group_scales : array (n_groups,), optional
        Each block's unit of length (its median distance); lengths in block ``g`` are measured
        in ``group_scales[g] * sqrt(n_groups)``, so at the start every block weighs the same
        and the total matches one isotropic block. Required with ``groups``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-3, 3, size=(40, 1))
    >>> y = np.where(np.abs(x[:, 0] - 1.5) < 0.5, 5.0, 0.0)
    >>> gp = GPInterest(kernel="rq").fit(x, y)
    >>> mean, std = gp.predict(np.array([[1.5], [-2.0]]))
    >>> bool(mean[0] > 3.0 > 1.0 > mean[1])
    True
    """

    def __init__(
        self,
        kernel: str = "rq",
        *,
        use_prior: bool = False,
        lengthscale_bounds: tuple[float, float] = (0.05, 2.0),
        default_lengthscale: float = 0.3,
        default_outputscale: float = 0.25,
        default_noise: float = 0.01,
        noise_floor: float = 1e-3,
        fit_steps: int = 50,
        warm_steps: int = 10,
        lr: float = 0.1,
        feature_scale: float | None = None,
        backend: str = "torch",
        groups: np.ndarray | None = None,
        group_scales: np.ndarray | None = None,
        mean: str = "zero",
    ) -> None:
        self.kernel = kernel
        self.use_prior = use_prior
        self.lengthscale_bounds = lengthscale_bounds
        self.default_lengthscale = default_lengthscale
        self.default_outputscale = default_outputscale
        self.default_noise = default_noise
        self.noise_floor = noise_floor
        self.fit_steps = fit_steps
        self.warm_steps = warm_steps
        self.lr = lr
        self.feature_scale = feature_scale
        self.backend = backend
        if mean not in ("zero", "constant"):
            raise ValueError(f"unknown mean {mean!r}: use 'zero' or 'constant'")
        self.mean = mean
        self.groups = None if groups is None else np.asarray(groups, dtype=np.int64).ravel()
        self.group_scales = None if group_scales is None else np.asarray(group_scales, float)
        if self.groups is not None and np.unique(self.groups).size < 2:
            self.groups = None
        if self.groups is not None and backend == "gpytorch":
            raise ValueError("feature groups (one length scale per group) need backend='torch'")

    # --- fitting ----------------------------------------------------------------------------
    def _group_index(self) -> list[np.ndarray]:
        if self.groups is None:
            return []
        return [np.flatnonzero(self.groups == g) for g in np.unique(self.groups)]

    def _units(self) -> np.ndarray:
        """Per-feature unit of length with groups (see ``group_scales``)."""
        index = self._group_index()
        if self.group_scales is None or len(self.group_scales) != len(index):
            raise ValueError(f"group_scales must give one scale per group ({len(index)})")
        units = np.empty(self.groups.size)
        for g, idx in enumerate(index):
            units[idx] = float(self.group_scales[g]) * math.sqrt(len(index))
        return units

    def default_hyper(self, scale: float) -> Hyper:
        """The hyperparameters used before any informative label."""
        ls = (
            self.default_lengthscale * scale
            if self.groups is None
            else self.default_lengthscale * self._units()
        )
        return Hyper(
            self.kernel,
            lengthscale=ls,
            outputscale=self.default_outputscale,
            noise=self.default_noise,
            alpha=1.0,
            constant=0.0,
            prior_weight=0.0,
        )

    def fit(self, X: np.ndarray, y: np.ndarray, *, prior: np.ndarray | None = None) -> GPInterest:
        """Fit hyperparameters (warm-started after the first call) and condition on ``y``.

        Parameters
        ----------
        X : array (m, d)
            Features of the labelled galaxies.
        y : array (m,)
            Their scores, 0-5.
        prior : array (m,), optional
            Their anomaly prior, used when ``use_prior``.
        """
        if self.kernel not in KERNELS:
            raise ValueError(f"unknown kernel {self.kernel!r}: use one of {KERNELS}")
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).ravel()
        if X.ndim != 2 or X.shape[0] != y.shape[0]:
            raise ValueError(f"X {X.shape} and y {y.shape} do not match")
        if getattr(self, "scale_", None) is None:
            self.scale_ = (
                float(self.feature_scale)
                if self.feature_scale
                else feature_scale(X)
                if X.shape[0] > 2
                else 1.0
            )
        p = (
            np.zeros(X.shape[0])
            if prior is None or not self.use_prior
            else np.asarray(prior, np.float64)
        )
        self.n_fits_ = getattr(self, "n_fits_", 0)
        if X.shape[0] == 0:
            self.hyper_ = self.default_hyper(self.scale_)
        elif np.unique(y).size < 2:
            # No information on what is interesting: keep sane defaults, mean = the label.
            h = self.default_hyper(self.scale_)
            self.hyper_ = Hyper(**{**h.__dict__, "constant": float(y[0]) / 5.0})
        else:
            self.hyper_ = self._fit_hyper(X, y / 5.0, p)
            self.n_fits_ += 1
        self.condition(X, y, prior=p)
        return self

    def _fit_hyper(self, X: np.ndarray, y01: np.ndarray, p: np.ndarray) -> Hyper:
        if self.backend == "gpytorch":
            from oddfinder.rank.gpytorch_ref import fit_hyper_gpytorch

            hyper, self._state = fit_hyper_gpytorch(
                self, X / self.scale_, y01, p, state=getattr(self, "_state", None)
            )
            return dataclasses.replace(hyper, lengthscale=hyper.lengthscale * self.scale_)
        return self._fit_hyper_torch(X, y01, p)

    def _fit_hyper_torch(self, X: np.ndarray, y01: np.ndarray, p: np.ndarray) -> Hyper:
        """Maximise the exact log marginal likelihood (closed-form gradient, L-BFGS-B).

        Parameters are ``log lengthscale`` (bounded by ``lengthscale_bounds``), ``log
        outputscale``, ``log(noise - noise_floor)``, ``log alpha`` (RQ), the constant and the
        prior weight of the mean. One evaluation costs one Cholesky and one inverse of the
        labelled kernel matrix.
        """
        from scipy.linalg import cho_factor, cho_solve
        from scipy.linalg.lapack import dpotri
        from scipy.optimize import minimize
        from threadpoolctl import threadpool_limits

        index = self._group_index()
        if index:
            units = self._units()
            x = X / units
            parts = [x[:, idx] for idx in index]
        else:
            x = X / self.scale_
            parts = [x]
        d2s = []
        for part in parts:
            sq = (part * part).sum(1)
            d2 = np.clip(sq[:, None] + sq[None, :] - 2.0 * part @ part.T, 0.0, None)
            np.fill_diagonal(d2, 0.0)
            d2s.append(d2)
        n_ls = len(d2s)
        m = x.shape[0]
        eye = np.eye(m)
        lo, hi = (math.log(b) for b in self.lengthscale_bounds)
        bounds = [(lo, hi)] * n_ls + [
            (-7.0, 3.0),
            (-20.0, 3.0),
            (-2.99, 4.0),  # RQ alpha within gpytorch's (0.05, 55) constraint
            (-2.0, 2.0) if self.mean == "constant" else (0.0, 0.0),
            (0.0, 2.0),
        ]
        if not self.use_prior:
            bounds[-1] = (0.0, 0.0)
        start = getattr(self, "_raw", None)
        if start is None:
            start = np.array(
                [math.log(self.default_lengthscale)] * n_ls
                + [
                    math.log(self.default_outputscale),
                    math.log(max(self.default_noise - self.noise_floor, 1e-6)),
                    0.0,
                    float(np.mean(y01)) if self.mean == "constant" else 0.0,
                    0.0,
                ]
            )
            iters = self.fit_steps
        else:
            iters = self.warm_steps
        start = np.clip(start, [b[0] for b in bounds], [b[1] for b in bounds])
        kernel = self.kernel
        n_par = n_ls + 5

        def nll_and_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
            ls = np.exp(theta[:n_ls])
            s, ex, alpha = np.exp(theta[n_ls : n_ls + 3])
            c, w = theta[n_ls + 3], theta[n_ls + 4]
            scaled = [d2 / ls_g**2 for d2, ls_g in zip(d2s, ls, strict=True)]
            t = scaled[0] if n_ls == 1 else np.sum(scaled, axis=0)
            dk_dloga = None
            if kernel == "rbf":
                k = np.exp(-0.5 * t)
                kprime = k
            elif kernel == "rq":
                q = 1.0 + t / (2.0 * alpha)
                k = q**-alpha
                kprime = k / q
                dk_dloga = alpha * k * ((q - 1.0) / q - np.log(q))
            else:
                r = np.sqrt(5.0 * t)
                e = np.exp(-r)
                k = (1.0 + r + r * r / 3.0) * e
                kprime = (5.0 / 3.0) * (1.0 + r) * e
            kk = s * k + (self.noise_floor + ex) * eye
            try:
                factor = cho_factor(kk, lower=True, check_finite=False)
            except np.linalg.LinAlgError:
                return 1e10, np.zeros(n_par)
            resid = y01 - c - w * p
            a = cho_solve(factor, resid, check_finite=False)
            nll = 0.5 * resid @ a + np.log(np.diag(factor[0])).sum()
            kinv, info = dpotri(factor[0], lower=1)
            if info != 0:
                return 1e10, np.zeros(n_par)
            kinv = np.tril(kinv) + np.tril(kinv, -1).T
            inner = kinv - np.outer(a, a)
            weighted = inner * (s * kprime)
            grad = [0.5 * np.sum(weighted * sc) for sc in scaled]
            grad += [
                0.5 * np.sum(inner * (s * k)),
                0.5 * ex * np.trace(inner),
                0.5 * np.sum(inner * (s * dk_dloga)) if dk_dloga is not None else 0.0,
                -a.sum(),
                -(p @ a) if self.use_prior else 0.0,
            ]
            return float(nll), np.asarray(grad)

        # Small dense algebra: one BLAS thread is fastest, and far faster on a busy machine.
        with threadpool_limits(limits=1, user_api="blas"):
            result = minimize(
                nll_and_grad,
                start,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": iters},
            )
        theta = result.x if np.isfinite(result.fun) and result.fun < 1e9 else start
        self._raw = theta
        ls = np.exp(theta[:n_ls])
        s, ex, alpha = np.exp(theta[n_ls : n_ls + 3])
        if index:
            lengthscale = np.empty(self.groups.size)
            for g, idx in enumerate(index):
                lengthscale[idx] = ls[g] * units[idx]
        else:
            lengthscale = float(ls[0]) * self.scale_
        hyper = Hyper(
            self.kernel,
            lengthscale=lengthscale,
            outputscale=float(s),
            noise=float(self.noise_floor + ex),
            alpha=float(alpha) if self.kernel == "rq" else 1.0,
            constant=float(theta[n_ls + 3]),
            prior_weight=float(theta[n_ls + 4]),
        )
        logger.debug("fitted %s (%d iterations)", hyper, result.nit)
        return hyper

    def condition(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        prior: np.ndarray | None = None,
        hyper: Hyper | None = None,
    ) -> GPInterest:
        """Condition on labels with fixed hyperparameters (``hyper`` or the fitted ones)."""
        import torch

        if hyper is not None:
            self.hyper_ = hyper
        h = self.hyper_
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).ravel() / 5.0
        p = np.zeros(X.shape[0]) if prior is None else np.asarray(prior, np.float64)
        self.X_ = X.astype(np.float32)
        self.p_ = p
        if X.shape[0] == 0:
            self.L_ = np.zeros((0, 0))
            self.alpha_ = np.zeros(0)
            return self
        from scipy.linalg import cho_solve
        from threadpoolctl import threadpool_limits

        h, X = _isotropic(h, X)
        with threadpool_limits(limits=1, user_api="blas"), torch_threads(1):
            xt = torch.from_numpy(X)
            K = kernel_block(h, xt, xt).numpy()
            K[np.diag_indices_from(K)] += h.noise
            self.L_ = np.linalg.cholesky(K)
            resid = y - (h.constant + h.prior_weight * p)
            self.alpha_ = cho_solve((self.L_, True), resid)
        return self

    # --- prediction -------------------------------------------------------------------------
    def predict(
        self,
        X: np.ndarray,
        *,
        prior: np.ndarray | None = None,
        batch_size: int = 65536,
        return_std: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and standard deviation of the latent interest, 0-5 scale.

        Tiled over rows of ``X``: memory is ``batch_size x n_labelled``, float32.
        """
        import torch

        h, X = _isotropic(self.hyper_, np.asarray(X))
        n = X.shape[0]
        p = np.zeros(n, np.float32) if prior is None else np.asarray(prior, np.float32)
        mean = np.empty(n, np.float32)
        std = np.empty(n, np.float32)
        m = self.X_.shape[0]
        xl = torch.from_numpy(_isotropic(self.hyper_, self.X_)[1].astype(np.float32))
        xl_sq = (xl * xl).sum(1)
        alpha = torch.from_numpy(self.alpha_.astype(np.float32))
        L = torch.from_numpy(self.L_.astype(np.float32))
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            xt = torch.from_numpy(np.ascontiguousarray(X[start:stop], dtype=np.float32))
            mu = h.constant + h.prior_weight * torch.from_numpy(p[start:stop])
            if m == 0:
                mean[start:stop] = mu.numpy()
                std[start:stop] = np.sqrt(h.outputscale)
                continue
            ks = kernel_block(h, xt, xl, b_sq=xl_sq)
            mean[start:stop] = (mu + ks @ alpha).numpy()
            if return_std:
                v = torch.linalg.solve_triangular(L, ks.T, upper=False)
                var = h.outputscale - (v * v).sum(0)
                std[start:stop] = var.clamp_(min=1e-8).sqrt_().numpy()
        return mean * 5.0, std * 5.0


def _isotropic(hyper: Hyper, X: np.ndarray) -> tuple[Hyper, np.ndarray]:
    """``(hyper', X')`` with a unit scalar length scale when ``hyper``'s is a vector (ARD)."""
    ls = np.asarray(hyper.lengthscale, dtype=np.float64)
    if ls.ndim == 0 or ls.size == 1:
        return hyper, X
    return dataclasses.replace(hyper, lengthscale=1.0), (X / ls).astype(X.dtype)
