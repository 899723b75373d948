"""A 2-d UMAP map of the feature space, for browsing the survey by eye."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from oddfinder.errors import WorkspaceError
from oddfinder.io.workspace import Workspace

__all__ = ["UmapMap", "map_workspace"]

logger = logging.getLogger(__name__)


def _import_umap():
    try:
        import umap
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("the UMAP map needs umap-learn: pip install 'oddfinder[map]'") from error
    return umap


class UmapMap:
    """Project features to 2-d with UMAP (scikit-learn style).

    Parameters
    ----------
    n_neighbors : int
        Size of the local neighbourhood UMAP preserves.
    min_dist : float
        How tightly points may be packed in the map.
    metric : str
        Distance in feature space (any UMAP metric).
    seed : int
        Random seed; the same seed gives the same map.

    Attributes
    ----------
    embedding_ : ndarray of shape (n, 2), float32
        The map coordinates, row ``i`` for feature row ``i``.
    """

    def __init__(
        self,
        *,
        n_neighbors: int = 15,
        min_dist: float = 0.1,
        metric: str = "euclidean",
        seed: int = 0,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.metric = metric
        self.seed = seed

    def fit(self, features: np.ndarray) -> UmapMap:
        """Fit the map to ``features`` of shape ``(n, d)``; returns ``self``."""
        features = np.asarray(features, dtype=np.float32)
        if features.ndim != 2 or len(features) < 3:
            raise ValueError(f"need a 2-d array of at least 3 rows, got shape {features.shape}")
        if not np.isfinite(features).all():
            raise ValueError("features hold NaN or infinite values")
        if self.n_neighbors < 2:
            raise ValueError(f"n_neighbors must be at least 2, got {self.n_neighbors}")
        umap = _import_umap()
        n_neighbors = min(self.n_neighbors, len(features) - 1)
        self.reducer_ = umap.UMAP(
            n_neighbors=n_neighbors,
            min_dist=self.min_dist,
            metric=self.metric,
            n_components=2,
            random_state=self.seed,
            low_memory=True,
        )
        logger.info("UMAP of %d x %d features", *features.shape)
        self.embedding_ = self.reducer_.fit_transform(features).astype(np.float32)
        return self

    def fit_transform(self, features: np.ndarray) -> np.ndarray:
        """Fit and return :attr:`embedding_`."""
        return self.fit(features).embedding_


def map_workspace(
    ws: Workspace | str, *, seed: int = 0, n_neighbors: int = 15, min_dist: float = 0.1
) -> pd.DataFrame:
    """Compute the UMAP map of a workspace's features; writes ``WS/map.parquet`` atomically.

    Returns
    -------
    DataFrame
        Columns ``id, x, y``, row ``i`` for galaxy ``i``.
    """
    ws = ws if isinstance(ws, Workspace) else Workspace.open(ws)
    features = ws.features()
    if len(features) != ws.n:
        raise WorkspaceError(
            f"{ws.path / 'features.npy'} has {len(features)} rows but the catalogue has {ws.n}: "
            "re-run `oddfinder embed`"
        )
    embedding = UmapMap(n_neighbors=n_neighbors, min_dist=min_dist, seed=seed).fit_transform(
        np.asarray(features)
    )
    table = pd.DataFrame({"id": ws.ids, "x": embedding[:, 0], "y": embedding[:, 1]})
    ws.write_table("map", table)
    ws.update_meta(map={"method": "umap", "seed": seed, "n_neighbors": n_neighbors})
    return table
