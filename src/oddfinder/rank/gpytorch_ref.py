"""The interest model as a gpytorch ``ExactGP``: optional fitter, and the reference that our
fast prediction is tested and benchmarked against.
"""

from __future__ import annotations

import numpy as np

from oddfinder.rank.kernels import Hyper

__all__ = ["build_model", "fit_hyper_gpytorch", "gpytorch_predict", "model_from_hyper"]


def build_model(x, y, *, kernel: str, bounds: tuple[float, float], noise_floor: float):
    """A gpytorch ``ExactGP`` (mean ``c + w * x[:, -1]``, scaled kernel on the other columns)
    and its Gaussian likelihood (the white-noise term), float64.
    """
    import gpytorch
    import torch
    from gpytorch.constraints import GreaterThan, Interval

    d = x.shape[1] - 1

    class PriorMean(gpytorch.means.Mean):
        def __init__(self) -> None:
            super().__init__()
            self.register_parameter("constant", torch.nn.Parameter(torch.zeros(())))
            self.register_parameter("weight", torch.nn.Parameter(torch.zeros(())))

        def forward(self, inputs):
            return self.constant + self.weight * inputs[..., -1]

    class ExactModel(gpytorch.models.ExactGP):
        def __init__(self, train_x, train_y, likelihood) -> None:
            super().__init__(train_x, train_y, likelihood)
            self.mean_module = PriorMean()
            dims = tuple(range(d))
            ls = Interval(*bounds)
            if kernel == "rq":
                base = gpytorch.kernels.RQKernel(
                    active_dims=dims,
                    lengthscale_constraint=ls,
                    alpha_constraint=Interval(0.05, 55.0),
                )
            elif kernel == "matern":
                base = gpytorch.kernels.MaternKernel(
                    nu=2.5, active_dims=dims, lengthscale_constraint=ls
                )
            else:
                base = gpytorch.kernels.RBFKernel(active_dims=dims, lengthscale_constraint=ls)
            self.covar_module = gpytorch.kernels.ScaleKernel(
                base, outputscale_constraint=Interval(1e-3, 20.0)
            )

        def forward(self, inputs):
            return gpytorch.distributions.MultivariateNormal(
                self.mean_module(inputs), self.covar_module(inputs)
            )

    likelihood = gpytorch.likelihoods.GaussianLikelihood(
        noise_constraint=GreaterThan(noise_floor * 0.999)
    ).double()
    model = ExactModel(x, y, likelihood).double()
    return model, likelihood


def fit_hyper_gpytorch(gp, x_scaled: np.ndarray, y01: np.ndarray, p: np.ndarray, *, state=None):
    """Fit ``gp``'s model with gpytorch and Adam; returns (hyper in scaled units, state)."""
    import gpytorch
    import torch

    x = torch.from_numpy(np.hstack([x_scaled, p[:, None]]))
    t = torch.from_numpy(y01)
    model, likelihood = build_model(
        x, t, kernel=gp.kernel, bounds=gp.lengthscale_bounds, noise_floor=gp.noise_floor
    )
    if state is not None:
        model.load_state_dict(state)
        steps = gp.warm_steps
    else:
        model.covar_module.base_kernel.lengthscale = gp.default_lengthscale
        model.covar_module.outputscale = gp.default_outputscale
        likelihood.noise = max(gp.default_noise, gp.noise_floor * 1.01)
        with torch.no_grad():
            model.mean_module.constant.fill_(
                float(np.mean(y01)) if getattr(gp, "mean", "constant") == "constant" else 0.0
            )
        steps = gp.fit_steps
    if not gp.use_prior:
        model.mean_module.weight.requires_grad_(False)
    if getattr(gp, "mean", "constant") == "zero":
        model.mean_module.constant.requires_grad_(False)
    model.train()
    likelihood.train()
    optimizer = torch.optim.Adam([q for q in model.parameters() if q.requires_grad], lr=gp.lr)
    mll = gpytorch.mlls.ExactMarginalLogLikelihood(likelihood, model)
    with gpytorch.settings.max_cholesky_size(100_000):
        for _ in range(steps):
            optimizer.zero_grad()
            loss = -mll(model(x), t)
            loss.backward()
            optimizer.step()
    base = model.covar_module.base_kernel
    hyper = Hyper(
        gp.kernel,
        lengthscale=float(base.lengthscale.item()),
        outputscale=float(model.covar_module.outputscale.item()),
        noise=float(likelihood.noise.item()),
        alpha=float(base.alpha.item()) if gp.kernel == "rq" else 1.0,
        constant=float(model.mean_module.constant.item()),
        prior_weight=float(model.mean_module.weight.item()),
    )
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return hyper, state


def model_from_hyper(
    hyper: Hyper,
    X: np.ndarray,
    y01: np.ndarray,
    *,
    prior: np.ndarray | None = None,
    dtype: str = "float32",
):
    """A gpytorch model in eval mode with exactly ``hyper`` (lengths in feature units)."""
    import torch

    torch_dtype = getattr(torch, dtype)
    p = np.zeros(len(X)) if prior is None else np.asarray(prior)
    x = torch.from_numpy(np.hstack([np.asarray(X, np.float64), p[:, None]])).to(torch_dtype)
    t = torch.from_numpy(np.asarray(y01, np.float64)).to(torch_dtype)
    floor = min(hyper.noise, 1e-4)
    bounds = (hyper.lengthscale / 10.0, hyper.lengthscale * 10.0)
    model, likelihood = build_model(x, t, kernel=hyper.kernel, bounds=bounds, noise_floor=floor)
    model.covar_module.base_kernel.lengthscale = hyper.lengthscale
    if hyper.kernel == "rq":
        model.covar_module.base_kernel.alpha = hyper.alpha
    model.covar_module.outputscale = hyper.outputscale
    likelihood.noise = hyper.noise
    with torch.no_grad():
        model.mean_module.constant.fill_(hyper.constant)
        model.mean_module.weight.fill_(hyper.prior_weight)
    model = model.to(torch_dtype)
    likelihood = likelihood.to(torch_dtype)
    model.eval()
    likelihood.eval()
    return model, likelihood


def gpytorch_predict(
    model, X: np.ndarray, *, prior: np.ndarray | None = None, batch_size: int = 10_000
):
    """gpytorch's default predictive path (``model(x).mean`` and ``.variance``), in batches.

    Returns mean and std of the latent function on the model's scale.
    """
    import torch

    dtype = next(model.parameters()).dtype
    n = X.shape[0]
    p = np.zeros(n) if prior is None else np.asarray(prior)
    means, stds = [], []
    with torch.no_grad():
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            x = torch.from_numpy(
                np.hstack([np.asarray(X[start:stop], np.float64), p[start:stop, None]])
            ).to(dtype)
            out = model(x)
            means.append(out.mean.numpy())
            stds.append(out.variance.clamp(min=0).sqrt().numpy())
    return np.concatenate(means), np.concatenate(stds)
