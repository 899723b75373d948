"""PCA of the embeddings: ``WS/embeddings.npy`` to ``WS/features.npy`` (40 components)."""

from __future__ import annotations

import logging

import numpy as np

from oddfinder.errors import WorkspaceError
from oddfinder.io.atomic import atomic_path
from oddfinder.io.workspace import Workspace

__all__ = ["pca_reduce", "reduce_features"]

logger = logging.getLogger(__name__)


def pca_reduce(
    embeddings: np.ndarray,
    *,
    n_components: int = 40,
    incremental_above: int = 200_000,
    batch_rows: int = 50_000,
    seed: int = 0,
):
    """Fit a PCA to ``embeddings``; returns the fitted sklearn estimator.

    Exact PCA up to ``incremental_above`` rows; beyond that ``IncrementalPCA`` fitted on
    batches of ``batch_rows``, so a memory-mapped array is never loaded whole.
    ``n_components`` is capped at ``min(n, d)``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> pca_reduce(rng.normal(size=(50, 8)), n_components=40).n_components_
    8
    """
    from sklearn.decomposition import PCA, IncrementalPCA

    n, d = embeddings.shape
    k = min(int(n_components), n, d)
    if n < 2 or k < 1:
        raise ValueError(f"PCA needs at least 2 rows and 1 column, got shape {embeddings.shape}")
    if n <= incremental_above:
        return PCA(n_components=k, random_state=seed).fit(np.asarray(embeddings, np.float32))
    pca = IncrementalPCA(n_components=k)
    starts = list(range(0, n, batch_rows))
    for i, start in enumerate(starts):
        stop = n if i == len(starts) - 1 else start + batch_rows
        if i < len(starts) - 1 and n - stop < k:  # keep every batch at least k rows
            stop = n
        pca.partial_fit(np.asarray(embeddings[start:stop], np.float32))
        if stop == n:
            break
    return pca


def reduce_features(
    ws: Workspace,
    *,
    n_components: int = 40,
    incremental_above: int = 200_000,
    batch_rows: int = 50_000,
) -> np.ndarray:
    """Reduce ``WS/embeddings.npy`` by PCA into ``WS/features.npy`` (float32, atomic).

    Records ``feature_dim`` and the explained variance ratios in ``workspace.json``.

    Returns
    -------
    numpy.ndarray
        The features, memory-mapped read-only, ``(n, min(n_components, n, d))``.
    """
    embeddings = ws.embeddings()
    n, d = embeddings.shape
    if n < 2:
        raise WorkspaceError(f"workspace {ws.path} has {n} galaxy: PCA needs at least 2")
    if n != ws.n:
        raise WorkspaceError(
            f"{ws.path / 'embeddings.npy'} has {n} rows but the catalogue {ws.n}: rerun embed"
        )
    pca = pca_reduce(
        embeddings,
        n_components=n_components,
        incremental_above=incremental_above,
        batch_rows=batch_rows,
    )
    k = int(pca.n_components_)
    with atomic_path(ws.path / "features.npy", suffix=".npy") as tmp:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(n, k))
        for start in range(0, n, batch_rows):
            block = np.asarray(embeddings[start : start + batch_rows], np.float32)
            out[start : start + len(block)] = pca.transform(block)
        out.flush()
        del out
    ratio = [float(r) for r in pca.explained_variance_ratio_]
    ws.update_meta(
        feature_dim=k,
        features="pca",
        pca_explained_variance_ratio=ratio,
        pca_explained_variance_total=float(sum(ratio)),
    )
    logger.info("PCA %d -> %d dims keeps %.1f%% of the variance", d, k, 100 * sum(ratio))
    return ws.features()
