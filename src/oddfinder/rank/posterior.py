"""GP posterior mean and variance for every galaxy, updated incrementally round by round.

For labelled rows ``l`` and hyperparameters ``h``, with ``K = k(X_l, X_l) + noise I = L L^T``
and ``V = L^-1 k(X_l, X)`` (one column per galaxy), the posterior of the latent interest is::

    mean = m(X) + V^T L^-1 (y - m(X_l))        var = k(x, x) - ||V_i||^2

When a round appends ``b`` labels and the kernel hyperparameters are unchanged, ``L`` grows by
``b`` rows, and so does ``V`` (``V_new = L22^-1 (k(X_new, X) - L21 V)``); because the forward
substitution ``beta = L^-1 r`` keeps its first entries, the mean and variance only add the new
rows' terms. A round thus costs one streaming pass over the cached ``V`` (the ``b x m`` by
``m x N`` product ``L21 V``, float32, column tiles of ``tile_cols``, each tile finished in
cache: kernel, product, triangular solve, mean and variance terms) instead of recomputing the
``N x m`` kernel and an ``m x m`` triangular solve per tile. ``V`` lives in one
``capacity x N`` float32 buffer that grows by a quarter when full. ``V`` stays float32
although a bfloat16 ``V`` would halve the pass: the ``1 / L22`` of a well-explained new label
amplifies bfloat16 rounding (relative 4e-3), and 40 rounds of 10 labels on 50k galaxies (noise
1e-3 and 1e-2) ended 0.13-0.16 off in std on the 0-5 scale, float32 6e-5.
The mean function ``c + w * prior(x)`` may change every round for free: the cache keeps
``V^T L^-1 y``, ``V^T L^-1 1`` and ``V^T L^-1 prior_l`` separately.

Length scales may be one number or one per feature (ARD): features are divided by them once
per length-scale vector, and the kernel is evaluated with unit length scale.

Hyperparameters that moved by less than ``hyper_tol`` (in log) from the cached ones are not
applied (the exact posterior under the cached ones is kept), nor are larger moves that raise
the log marginal likelihood of the current labels by at most ``ml_tol`` nats over the cached
kernel (the refit on a few hundred labels wanders along a flat likelihood). Material moves and
removed rows trigger a full, tiled recomputation (an ``N x m`` kernel and an ``m x m`` product
per galaxy: ~10 CPU seconds at N = 10^6, m = 500, some 25 times a round).
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np

from oddfinder.rank.kernels import Hyper, kernel_block, torch_threads

__all__ = ["CachedPosterior", "kernel_log_params"]

logger = logging.getLogger(__name__)


def kernel_log_params(hyper: Hyper) -> np.ndarray:
    """The logs of what the covariance depends on (length scales first, then the scalars).

    A vector (ARD) length scale contributes one entry per feature.

    Examples
    --------
    >>> kernel_log_params(Hyper("rbf", lengthscale=1.0, outputscale=1.0, noise=1.0)).tolist()
    [0.0, 0.0, 0.0, 0.0]
    """
    ls = np.atleast_1d(np.asarray(hyper.lengthscale, dtype=np.float64)).ravel()
    rest = np.array([hyper.outputscale, hyper.noise, hyper.alpha], dtype=np.float64)
    return np.log(np.concatenate([ls, rest]))


class CachedPosterior:
    """Posterior mean and std of a GP over a fixed feature matrix, cached across rounds.

    Parameters
    ----------
    features : array (N, d)
        Every galaxy's features (converted once to float32 in memory).
    prior : array (N,), optional
        Anomaly prior for the mean function.
    tile_rows : int
        Galaxies per tile in a full recomputation (memory ``tile_rows x m`` float32, twice).
    hyper_tol : float
        Largest change of any log kernel hyperparameter that always keeps the cache.
    max_cache_bytes : float
        Keep ``V`` only while it fits in this many bytes; else every round recomputes.
    tile_cols : int
        Galaxies per tile in an incremental round (memory ``tile_cols x b`` float32).
    threads : int, optional
        Torch threads for the passes over all galaxies. ``None``: torch's setting, or one
        thread while the 1-minute load average says the cores are taken by other processes.
        Passes below ~4M kernel entries always run on one thread.
    ml_tol : float, optional
        A larger move of the kernel hyperparameters still keeps the cached ones unless the new
        ones raise the log marginal likelihood of the current labels by more than this many
        nats (3: "strong" evidence on Kass and Raftery's scale). ``None``: any larger move
        recomputes.

    Attributes
    ----------
    hyper_ : Hyper
        Hyperparameters the cached posterior is exact for.
    rows_, y_ : arrays (m,)
        The labelled rows and their labels (0-1 scale).
    timings_ : dict
        ``update_s``, ``mode`` (``"full"`` or ``"incremental"``), per-step seconds, and
        ``lml_gain`` when the likelihood policy was consulted.
    n_full_, n_incremental_ : int
        Updates of each kind so far.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(100, 2)).astype(np.float32)
    >>> post = CachedPosterior(x)
    >>> h = Hyper("rbf", lengthscale=1.0, outputscale=1.0, noise=0.01)
    >>> post.update(h, np.array([0, 1]), np.array([1.0, 0.0]))
    >>> post.update(h, np.array([0, 1, 2]), np.array([1.0, 0.0, 0.0]))
    >>> post.n_incremental_  # the second update only appended a row
    1
    >>> bool(post.mean_[0] > 4.5 and post.std_[2] < 0.6 < 4.5 < post.std_.max())  # 0-5 scale
    True
    """

    def __init__(
        self,
        features: np.ndarray,
        prior: np.ndarray | None = None,
        *,
        tile_rows: int = 65536,
        hyper_tol: float = 0.1,
        max_cache_bytes: float = 6e9,
        tile_cols: int = 262144,
        threads: int | None = None,
        ml_tol: float | None = 3.0,
    ) -> None:
        import torch

        x = np.ascontiguousarray(features, dtype=np.float32)
        if x.ndim != 2:
            raise ValueError(f"features must be 2-d (N, d), got shape {x.shape}")
        if not x.flags.writeable:  # e.g. a read-only memory map: torch wants its own copy
            x = x.copy()
        self.X = torch.from_numpy(x)
        self.X_sq = (self.X * self.X).sum(1)
        n = self.X.shape[0]
        self.prior = (
            torch.zeros(n)
            if prior is None
            else torch.from_numpy(np.ascontiguousarray(prior, dtype=np.float32))
        )
        if self.prior.shape != (n,):
            raise ValueError(f"prior has shape {tuple(self.prior.shape)}, features have {n} rows")
        self.tile_rows = int(tile_rows)
        self.tile_cols = int(tile_cols)
        self.hyper_tol = hyper_tol
        self.max_cache_bytes = max_cache_bytes
        self.threads = threads
        self.ml_tol = ml_tol
        self.hyper_: Hyper | None = None
        self.rows_ = np.zeros(0, dtype=np.int64)
        self.y_ = np.zeros(0)
        self.timings_: dict[str, float | str] = {}
        self.n_full_ = 0
        self.n_incremental_ = 0
        self.blocks_ = None
        self.buf_ = None
        self._scaled_key: bytes | None = None
        self._np_cache: dict[str, np.ndarray] = {}
        self._steps: dict[str, float] = {}
        self._extra: dict[str, float] = {}

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def cache_bytes(self) -> int:
        """Bytes held by the ``V`` buffer (0 when not cached)."""
        buf = self.buf_
        return 0 if buf is None else int(buf.numel() * buf.element_size())

    # --- public -----------------------------------------------------------------------------
    def update(self, hyper: Hyper, rows: np.ndarray, y: np.ndarray) -> None:
        """Condition on labels ``y`` (0-1 scale) at ``rows`` with hyperparameters ``hyper``."""
        rows = np.asarray(rows, dtype=np.int64).ravel()
        y = np.asarray(y, dtype=np.float64).ravel()
        if rows.shape != y.shape:
            raise ValueError(f"rows {rows.shape} and y {y.shape} do not match")
        if rows.size and (rows.min() < 0 or rows.max() >= self.n):
            raise ValueError(f"labelled rows must lie in [0, {self.n}), got {rows.min()}..")
        if np.unique(rows).size != rows.size:
            raise ValueError("labelled rows contain duplicates")
        t0 = time.perf_counter()
        self._steps: dict[str, float] = {}
        self._extra: dict[str, float] = {}
        # Below ~4M kernel entries per round threads cost more than they give.
        threads = 1 if self.n * max(rows.size, 1) < 4_000_000 else self._threads()
        with torch_threads(threads):
            mode = self._update(hyper, rows, y)
        self.timings_ = {
            "update_s": time.perf_counter() - t0,
            "mode": mode,
            **{f"{k}_s": v for k, v in self._steps.items()},
            **self._extra,
        }
        logger.debug("posterior %s update on %d labels", mode, rows.size)

    def _threads(self) -> int | None:
        """Threads for a pass over all galaxies: ``threads``, or one on a busy machine.

        Torch's OpenMP threads spin at every barrier: where other processes already occupy the
        cores, two threads made a round about three times slower than one (2-core machine,
        load average 5).
        """
        if self.threads is not None:
            return self.threads
        import os

        cores = os.cpu_count() or 1
        try:
            busy = os.getloadavg()[0] >= cores - 0.5
        except OSError:  # pragma: no cover - platforms without a load average
            busy = False
        return 1 if busy or cores == 1 else None

    def _tick(self, step: str, t0: float) -> float:
        now = time.perf_counter()
        self._steps[step] = self._steps.get(step, 0.0) + now - t0
        return now

    def _update(self, hyper: Hyper, rows: np.ndarray, y: np.ndarray) -> str:
        cached = self.hyper_
        m_old = self.rows_.size
        extends = rows.size >= m_old and np.array_equal(rows[:m_old], self.rows_)
        if cached is not None and cached.kernel == hyper.kernel and extends:
            kept = dataclasses.replace(
                cached, constant=hyper.constant, prior_weight=hyper.prior_weight
            )
            if self.blocks_ is not None and self._keeps(kept, hyper, rows, y):
                self._append(kept, rows, y)
                self.n_incremental_ += 1
                return "incremental"
        self._full(hyper, rows, y)
        self.n_full_ += 1
        return "full"

    def _keeps(self, kept: Hyper, hyper: Hyper, rows: np.ndarray, y: np.ndarray) -> bool:
        """Whether the cached kernel hyperparameters ``kept`` may stand in for ``hyper``."""
        old, new = kernel_log_params(kept), kernel_log_params(hyper)
        if old.shape != new.shape:
            return False
        if np.max(np.abs(old - new)) <= self.hyper_tol:
            return True
        if self.ml_tol is None or rows.size == 0:
            return False
        t0 = time.perf_counter()
        gain = self.log_marginal_likelihood(hyper, rows, y) - self.log_marginal_likelihood(
            kept, rows, y
        )
        self._tick("lml", t0)
        self._extra["lml_gain"] = float(gain)
        return bool(gain <= self.ml_tol)

    def log_marginal_likelihood(self, hyper: Hyper, rows: np.ndarray, y: np.ndarray) -> float:
        """Log marginal likelihood of labels ``y`` (0-1 scale) at ``rows`` under ``hyper``.

        Examples
        --------
        >>> x = np.zeros((1, 2), np.float32)
        >>> h = Hyper("rbf", lengthscale=1.0, outputscale=0.5, noise=0.5)
        >>> round(CachedPosterior(x).log_marginal_likelihood(h, np.array([0]), np.zeros(1)), 4)
        -0.9189
        """
        import torch

        rows = np.asarray(rows, dtype=np.int64)
        r = np.asarray(y, dtype=np.float64) - hyper.constant
        if hyper.prior_weight:
            r = r - hyper.prior_weight * self.prior[torch.from_numpy(rows)].double().numpy()
        ls = np.asarray(hyper.lengthscale, dtype=np.float64).ravel()
        xl = self.X[torch.from_numpy(rows)].double() / torch.from_numpy(ls)
        with torch_threads(1):
            k = kernel_block(dataclasses.replace(hyper, lengthscale=1.0), xl, xl)
            k.diagonal().add_(hyper.noise)
            chol, info = torch.linalg.cholesky_ex(k)
            if int(info) != 0:
                return -np.inf
            a = torch.linalg.solve_triangular(chol, torch.from_numpy(r)[:, None], upper=False)
        return float(
            -0.5 * (a * a).sum()
            - chol.diagonal().log().sum()
            - 0.5 * rows.size * np.log(2.0 * np.pi)
        )

    def pool_cov(self, pool: np.ndarray):
        """Joint posterior covariance (0-1 scale) of the rows ``pool``, float64 (P, P)."""
        with torch_threads(1):
            return self._pool_cov(pool)

    def _pool_cov(self, pool: np.ndarray):
        import torch

        pool = np.asarray(pool, dtype=np.int64)
        h, xs, _ = self._kernel_inputs(self.hyper_)
        xp = xs[torch.from_numpy(pool)]
        kpp = kernel_block(h, xp.double(), xp.double()).numpy()
        if self.rows_.size == 0:
            return kpp
        idx = torch.from_numpy(pool)
        if self.blocks_ is not None:
            vp = self.blocks_[0][:, idx].double()  # (m, P)
        else:
            klp = kernel_block(h, xs[torch.from_numpy(self.rows_)], xp).double()
            vp = torch.linalg.solve_triangular(self.L_, klp, upper=False)
        return kpp - (vp.T @ vp).numpy()

    @property
    def mean_(self) -> np.ndarray:
        """Posterior mean on the 0-5 scale, every row (float32; do not modify in place)."""
        if "mean" not in self._np_cache:
            self._np_cache["mean"] = (self.mean01_ * 5.0).numpy()
        return self._np_cache["mean"]

    @property
    def std_(self) -> np.ndarray:
        """Posterior std of the latent interest on the 0-5 scale (float32; do not modify)."""
        if "std" not in self._np_cache:
            self._np_cache["std"] = self.var01_.sqrt().mul_(5.0).numpy()
        return self._np_cache["std"]

    # --- internals --------------------------------------------------------------------------
    def _kernel_inputs(self, hyper: Hyper):
        """``(hyper', X', |X'|^2)`` such that ``kernel_block(hyper', X'_a, X'_b)`` is ``k``.

        A scalar length scale uses the features as they are; a vector divides each feature by
        its length scale (one copy of the features, kept while the length scales stay).
        """
        ls = np.asarray(hyper.lengthscale, dtype=np.float64)
        if ls.ndim == 0 or ls.size == 1:
            return dataclasses.replace(hyper, lengthscale=float(ls.ravel()[0])), self.X, self.X_sq
        if ls.shape != (self.X.shape[1],):
            raise ValueError(
                f"lengthscale has {ls.size} entries, the features {self.X.shape[1]} columns"
            )
        key = ls.astype(np.float32).tobytes()
        if self._scaled_key != key:
            import torch

            inv = torch.from_numpy((1.0 / ls).astype(np.float32))
            self._xs = self.X * inv
            self._xs_sq = (self._xs * self._xs).sum(1)
            self._scaled_key = key
        return dataclasses.replace(hyper, lengthscale=1.0), self._xs, self._xs_sq

    def _mean_parts(self, rows: np.ndarray, y: np.ndarray):
        import torch

        return torch.from_numpy(
            np.stack([y, np.ones_like(y), self.prior[torch.from_numpy(rows)].double().numpy()], 1)
        )

    def _finish(self, hyper: Hyper, rows: np.ndarray, y: np.ndarray) -> None:
        t0 = time.perf_counter()
        self.hyper_ = hyper
        self.rows_ = rows.copy()
        self.y_ = y.copy()
        c, w = hyper.constant, hyper.prior_weight
        acc = self.acc_  # (3, N): V^T beta for y, 1 and the prior
        mean = acc[0] - c * acc[1]
        mean += c
        if w:
            mean += w * (self.prior - acc[2])
        self.mean01_ = mean
        self.var01_ = (hyper.outputscale - self.sumsq_).clamp_(min=1e-10)
        self._np_cache = {}
        self._tick("finish", t0)

    def _alloc(self, m: int):
        """A capacity x N buffer for V (row i = labelled galaxy i), with room to grow."""
        import torch

        cap = max(m + 40, int(m * 1.25))
        cap = min(cap, max(m, int(self.max_cache_bytes // (4 * self.n))))
        return torch.empty(cap, self.n)

    def _full(self, hyper: Hyper, rows: np.ndarray, y: np.ndarray) -> None:
        import torch

        n, m = self.n, rows.size
        keep = m > 0 and n * m * 4 <= self.max_cache_bytes
        self.acc_ = torch.zeros(3, n)
        self.sumsq_ = torch.zeros(n)
        self.blocks_ = [] if keep or m == 0 else None
        self.buf_ = None  # free the old V before the new one is allocated
        if m == 0:
            self.L_ = torch.zeros(0, 0, dtype=torch.float64)
            self.beta_ = torch.zeros(0, 3, dtype=torch.float64)
            self._finish(hyper, rows, y)
            return
        t0 = time.perf_counter()
        kh, xs, xs_sq = self._kernel_inputs(hyper)
        xl = xs[torch.from_numpy(rows)]
        kll = kernel_block(kh, xl.double(), xl.double())
        kll.diagonal().add_(hyper.noise)
        self.L_ = torch.linalg.cholesky(kll)
        self.beta_ = torch.linalg.solve_triangular(self.L_, self._mean_parts(rows, y), upper=False)
        # V tile = L^-1 k(X_l, X_tile) as one GEMM with the explicit inverse (computed in
        # float64): faster than a float32 triangular solve and lands in V's (m, N) layout.
        linv32 = torch.linalg.solve_triangular(
            self.L_, torch.eye(m, dtype=torch.float64), upper=False
        ).float()
        beta32_t = self.beta_.float().T.contiguous()  # (3, m)
        xl_sq = (xl * xl).sum(1)
        block = self._alloc(m) if keep else None
        t0 = self._tick("setup", t0)
        for start in range(0, n, self.tile_rows):
            stop = min(start + self.tile_rows, n)
            ks = kernel_block(kh, xl, xs[start:stop], a_sq=xl_sq, b_sq=xs_sq[start:stop])
            t0 = self._tick("kernel", t0)
            v = linv32 @ ks  # (m, tile)
            del ks
            t0 = self._tick("solve", t0)
            self.acc_[:, start:stop] = beta32_t @ v
            if keep:
                block[:m, start:stop] = v
            self.sumsq_[start:stop] = v.square_().sum(0)
            del v
            t0 = self._tick("accumulate", t0)
        if keep:
            self.buf_ = block
            self.blocks_ = [block[:m]]
        self._finish(hyper, rows, y)

    def _append(self, hyper: Hyper, rows: np.ndarray, y: np.ndarray) -> None:
        import torch

        t0 = time.perf_counter()
        m_old = self.rows_.size
        if not np.array_equal(y[:m_old], self.y_):
            # Some earlier labels changed: V stands, the mean's accumulators are recomputed.
            parts = self._mean_parts(rows[:m_old], y[:m_old])
            self.beta_ = torch.linalg.solve_triangular(self.L_, parts, upper=False)
            beta32_t = self.beta_.float().T.contiguous()
            acc = torch.zeros(3, self.n)
            acc.addmm_(beta32_t, self.blocks_[0])
            self.acc_ = acc
            t0 = self._tick("relabel", t0)
        new = rows[m_old:]
        if new.size == 0:
            self._finish(hyper, rows, y)
            return
        if self.n * rows.size * 4 > self.max_cache_bytes:
            self._full(hyper, rows, y)
            return
        m = rows.size
        if self.buf_ is None or m > self.buf_.shape[0]:  # grow the buffer by a quarter
            grown = self._alloc(m)
            if m_old:
                grown[:m_old] = self.buf_[:m_old]
            self.buf_ = None
            self.buf_ = grown
            t0 = self._tick("grow", t0)
        kh, xs, xs_sq = self._kernel_inputs(hyper)
        xn = xs[torch.from_numpy(new)]
        knn = kernel_block(kh, xn.double(), xn.double())
        knn.diagonal().add_(hyper.noise)
        if m_old:
            xo = xs[torch.from_numpy(self.rows_)]
            kon = kernel_block(kh, xn.double(), xo.double())  # (b, m_old)
            l21 = torch.linalg.solve_triangular(self.L_.T, kon, upper=True, left=False)
            l22 = torch.linalg.cholesky(knn - l21 @ l21.T)
        else:
            l21 = torch.zeros(new.size, 0, dtype=torch.float64)
            l22 = torch.linalg.cholesky(knn)
        big = torch.zeros(m, m, dtype=torch.float64)
        big[:m_old, :m_old] = self.L_
        big[m_old:, :m_old] = l21
        big[m_old:, m_old:] = l22
        self.L_ = big
        r_new = self._mean_parts(new, y[m_old:])
        beta_new = torch.linalg.solve_triangular(l22, r_new - l21 @ self.beta_, upper=False)
        self.beta_ = torch.cat([self.beta_, beta_new])
        t0 = self._tick("setup", t0)
        # New rows of V: L22^-1 (k(X_new, X) - L21 V_old), one streaming pass over V_old
        # (a contiguous row prefix of the buffer), finished tile by tile while in cache.
        l21_32 = l21.float()
        l22_32 = l22.float()
        beta_t = beta_new.float().T.contiguous()  # (3, b)
        xn_sq = (xn * xn).sum(1)
        old = self.buf_[:m_old]
        for start in range(0, self.n, self.tile_cols):
            stop = min(start + self.tile_cols, self.n)
            kx = kernel_block(kh, xn, xs[start:stop], a_sq=xn_sq, b_sq=xs_sq[start:stop])
            t0 = self._tick("kernel", t0)
            if m_old:
                kx.addmm_(l21_32, old[:, start:stop], alpha=-1.0)
            t0 = self._tick("product", t0)
            v_new = torch.linalg.solve_triangular(l22_32, kx, upper=False)  # (b, tile)
            t0 = self._tick("solve", t0)
            self.buf_[m_old:m, start:stop] = v_new
            self.acc_[:, start:stop].addmm_(beta_t, v_new)
            self.sumsq_[start:stop] += v_new.square_().sum(0)
            t0 = self._tick("accumulate", t0)
        self.blocks_ = [self.buf_[:m]]
        self._finish(hyper, rows, y)
