"""GP posterior mean and variance for every galaxy, updated incrementally round by round.

For labelled rows ``l`` and hyperparameters ``h``, with ``K = k(X_l, X_l) + noise I = L L^T``
and ``V = L^-1 k(X_l, X)`` (one column per galaxy), the posterior of the latent interest is::

    mean = m(X) + V^T L^-1 (y - m(X_l))        var = k(x, x) - ||V_i||^2

When a round appends ``b`` labels and the kernel hyperparameters are unchanged, ``L`` grows by
``b`` rows, and so does ``V`` (``V_new = L22^-1 (k(X_new, X) - L21 V)``); because the forward
substitution ``beta = L^-1 r`` keeps its first entries, the mean and variance only add the new
rows' terms. A round thus costs one streaming pass over the cached ``V`` (float32, rows in
one capacity x N buffer that grows by a quarter when full) instead of
recomputing the N x m kernel and a triangular solve per tile. The mean function
``c + w * prior(x)`` may change every round for free: the cache keeps ``V^T L^-1 y``,
``V^T L^-1 1`` and ``V^T L^-1 prior_l`` separately.

Hyperparameters that moved by less than ``hyper_tol`` (in log) from the cached ones are not
applied (the exact posterior under the cached ones is kept); larger moves, relabelled or
removed rows trigger a full, tiled recomputation.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np

from oddfinder.rank.kernels import Hyper, kernel_block, torch_threads

__all__ = ["CachedPosterior"]

logger = logging.getLogger(__name__)


class CachedPosterior:
    """Posterior mean and std of a GP over a fixed feature matrix, cached across rounds.

    Parameters
    ----------
    features : array (N, d)
        Every galaxy's features (converted once to float32 in memory).
    prior : array (N,), optional
        Anomaly prior for the mean function.
    tile_rows : int
        Rows per tile in a full recomputation.
    hyper_tol : float
        Largest change of any log kernel hyperparameter that keeps the cache.
    max_cache_bytes : float
        Keep ``V`` only while it fits in this many bytes; else every round recomputes.

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
    ) -> None:
        import torch

        x = np.ascontiguousarray(features, dtype=np.float32)
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
        self.tile_rows = tile_rows
        self.hyper_tol = hyper_tol
        self.max_cache_bytes = max_cache_bytes
        self.hyper_: Hyper | None = None
        self.rows_ = np.zeros(0, dtype=np.int64)
        self.timings_: dict[str, float] = {}
        self.n_full_ = 0
        self.n_incremental_ = 0

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    # --- public -----------------------------------------------------------------------------
    def update(self, hyper: Hyper, rows: np.ndarray, y: np.ndarray) -> None:
        """Condition on labels ``y`` (0-1 scale) at ``rows`` with hyperparameters ``hyper``."""
        rows = np.asarray(rows, dtype=np.int64)
        y = np.asarray(y, dtype=np.float64)
        t0 = time.perf_counter()
        # Below ~4M kernel entries per round threads cost more than they give.
        threads = 1 if self.n * max(rows.size, 1) < 4_000_000 else None
        with torch_threads(threads):
            mode = self._update(hyper, rows, y)
        self.timings_ = {"update_s": time.perf_counter() - t0, "mode": mode}
        logger.debug("posterior %s update on %d labels", mode, rows.size)

    def _update(self, hyper: Hyper, rows: np.ndarray, y: np.ndarray) -> str:
        cached = self.hyper_
        same_kernel = (
            cached is not None
            and cached.kernel == hyper.kernel
            and np.max(np.abs(cached.kernel_params() - hyper.kernel_params())) <= self.hyper_tol
        )
        m_old = self.rows_.size
        extends = rows.size >= m_old and np.array_equal(rows[:m_old], self.rows_)
        if same_kernel and extends and getattr(self, "blocks_", None) is not None:
            kept = dataclasses.replace(
                cached, constant=hyper.constant, prior_weight=hyper.prior_weight
            )
            self._append(kept, rows, y)
            self.n_incremental_ += 1
            mode = "incremental"
        else:
            self._full(hyper, rows, y)
            self.n_full_ += 1
            mode = "full"
        return mode

    def pool_cov(self, pool: np.ndarray):
        """Joint posterior covariance (0-1 scale) of the rows ``pool``, float64 (P, P)."""
        with torch_threads(1):
            return self._pool_cov(pool)

    def _pool_cov(self, pool: np.ndarray):
        import torch

        pool = np.asarray(pool, dtype=np.int64)
        h = self.hyper_
        xp = self.X[pool]
        kpp = kernel_block(h, xp.double(), xp.double()).numpy()
        if self.rows_.size == 0:
            return kpp
        idx = torch.from_numpy(pool)
        if getattr(self, "blocks_", None) is not None:
            vp = self.blocks_[0][:, idx].double()  # (m, P)
        else:
            klp = kernel_block(h, self.X[self.rows_], xp).double()
            vp = torch.linalg.solve_triangular(self.L_, klp, upper=False)
        return kpp - (vp.T @ vp).numpy()

    # --- internals --------------------------------------------------------------------------
    def _mean_parts(self, rows: np.ndarray, y: np.ndarray):
        import torch

        return torch.from_numpy(
            np.stack([y, np.ones_like(y), self.prior[torch.from_numpy(rows)].double().numpy()], 1)
        )

    def _finish(self, hyper: Hyper, rows: np.ndarray, y: np.ndarray) -> None:
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

    @property
    def mean_(self) -> np.ndarray:
        """Posterior mean on the 0-5 scale, every row."""
        return self.mean01_.numpy() * 5.0

    @property
    def std_(self) -> np.ndarray:
        """Posterior std of the latent interest on the 0-5 scale, every row."""
        return self.var01_.sqrt().numpy() * 5.0

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
        self.buf_ = None
        if m == 0:
            self.L_ = torch.zeros(0, 0, dtype=torch.float64)
            self.beta_ = torch.zeros(0, 3, dtype=torch.float64)
            self._finish(hyper, rows, y)
            return
        xl = self.X[torch.from_numpy(rows)]
        kll = kernel_block(hyper, xl.double(), xl.double())
        kll.diagonal().add_(hyper.noise)
        self.L_ = torch.linalg.cholesky(kll)
        self.beta_ = torch.linalg.solve_triangular(self.L_, self._mean_parts(rows, y), upper=False)
        l32 = self.L_.float()
        beta32_t = self.beta_.float().T.contiguous()  # (3, m)
        xl_sq = (xl * xl).sum(1)
        lt32 = l32.T.contiguous()
        block = self._alloc(m) if keep else None
        for start in range(0, n, self.tile_rows):
            stop = min(start + self.tile_rows, n)
            ks = kernel_block(hyper, self.X[start:stop], xl, a_sq=self.X_sq[start:stop], b_sq=xl_sq)
            w = torch.linalg.solve_triangular(lt32, ks, upper=True, left=False)  # (tile, m) = V^T
            self.acc_[:, start:stop] = beta32_t @ w.T
            self.sumsq_[start:stop] = (w * w).sum(1)
            if keep:
                block[:m, start:stop] = w.T
        if keep:
            self.buf_ = block
            self.blocks_ = [block[:m]]
        self._finish(hyper, rows, y)

    def _append(self, hyper: Hyper, rows: np.ndarray, y: np.ndarray) -> None:
        import torch

        m_old = self.rows_.size
        if not np.array_equal(y[:m_old], self.y_):
            # Some earlier labels changed: V stands, the mean's accumulators are recomputed.
            parts = self._mean_parts(rows[:m_old], y[:m_old])
            self.beta_ = torch.linalg.solve_triangular(self.L_, parts, upper=False)
            beta32_t = self.beta_.float().T.contiguous()
            acc = torch.zeros(3, self.n)
            acc.addmm_(beta32_t, self.blocks_[0])
            self.acc_ = acc
        new = rows[m_old:]
        if new.size == 0:
            self._finish(hyper, rows, y)
            return
        if self.n * rows.size * 4 > self.max_cache_bytes:
            self._full(hyper, rows, y)
            return
        buf = getattr(self, "buf_", None)
        if buf is None or rows.size > buf.shape[0]:  # grow the buffer by a quarter (one copy)
            grown = self._alloc(rows.size)
            if m_old:
                grown[:m_old] = buf[:m_old]
            self.buf_ = grown
        xn = self.X[torch.from_numpy(new)]
        knn = kernel_block(hyper, xn.double(), xn.double())
        knn.diagonal().add_(hyper.noise)
        if m_old:
            xo = self.X[torch.from_numpy(self.rows_)]
            kon = kernel_block(hyper, xn.double(), xo.double())  # (b, m_old)
            l21 = torch.linalg.solve_triangular(self.L_.T, kon, upper=True, left=False)
            l22 = torch.linalg.cholesky(knn - l21 @ l21.T)
        else:
            l21 = torch.zeros(new.size, 0, dtype=torch.float64)
            l22 = torch.linalg.cholesky(knn)
        m = rows.size
        big = torch.zeros(m, m, dtype=torch.float64)
        big[:m_old, :m_old] = self.L_
        big[m_old:, :m_old] = l21
        big[m_old:, m_old:] = l22
        self.L_ = big
        r_new = self._mean_parts(new, y[m_old:])
        beta_new = torch.linalg.solve_triangular(l22, r_new - l21 @ self.beta_, upper=False)
        self.beta_ = torch.cat([self.beta_, beta_new])
        # New rows of V: L22^-1 (k(X_new, X) - L21 V_old), one streaming pass over V_old
        # (a contiguous row prefix of the buffer).
        kx = kernel_block(hyper, xn, self.X, b_sq=self.X_sq)  # (b, N)
        if m_old:
            kx.addmm_(l21.float(), self.buf_[:m_old], alpha=-1.0)
        v_new = torch.linalg.solve_triangular(l22.float(), kx, upper=False)  # (b, N)
        self.buf_[m_old : rows.size] = v_new
        self.blocks_ = [self.buf_[: rows.size]]
        self.acc_.addmm_(beta_new.float().T.contiguous(), v_new)
        self.sumsq_ += (v_new * v_new).sum(0)
        self._finish(hyper, rows, y)
