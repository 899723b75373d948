"""Nearest neighbours in feature space (faiss), for "show me more like this".

Following Walmsley et al. (2022), similarity is searched in the first 10 principal components
of the embedding (:func:`similarity_features`), by cosine or euclidean distance. The search is
exact (faiss ``IndexFlat``) up to ``hnsw_above`` galaxies (default 10^6) and approximate
beyond (faiss ``IndexHNSWFlat``), unless ``index`` forces one or the other.
"""

from __future__ import annotations

import logging

import numpy as np

from oddfinder.errors import WorkspaceError

__all__ = ["HNSW_ABOVE", "SimilarityIndex", "find_similar", "similarity_features"]

logger = logging.getLogger(__name__)

_METRICS = ("cosine", "euclidean")
_INDEXES = ("auto", "exact", "hnsw")
HNSW_ABOVE = 1_000_000


def similarity_features(ws, *, n_components: int | None = 10) -> np.ndarray:
    """The features similarity is searched in: the first ``n_components`` principal components.

    ``WS/features.npy`` holds the PCA of the embeddings, components in order of variance, so
    its first ``n_components`` columns are the PCA to ``n_components``; a workspace whose
    features are not a PCA gets one fitted to them here. ``None`` keeps every column.

    Parameters
    ----------
    ws : Workspace
        An embedded workspace.
    n_components : int or None
        Number of principal components (the paper: 10).

    Returns
    -------
    numpy.ndarray
        float32 ``(n, min(n_components, d))``.

    Raises
    ------
    WorkspaceError
        If the workspace has no features yet.
    """
    if not ws.has("features"):
        raise WorkspaceError(f"workspace {ws.path} has no features.npy: run `oddfinder embed`")
    features = ws.features()
    if n_components is None or n_components >= features.shape[1]:
        return np.asarray(features, dtype=np.float32)
    if int(n_components) < 1:
        raise ValueError(f"n_components must be at least 1, got {n_components}")
    if ws.meta.get("features") == "pca":
        return np.ascontiguousarray(features[:, : int(n_components)], dtype=np.float32)
    from oddfinder.embed.reduce import pca_reduce

    pca = pca_reduce(features, n_components=int(n_components))
    return pca.transform(np.asarray(features, np.float32)).astype(np.float32)


class SimilarityIndex:
    """k-nearest-neighbour search over feature rows, exact or HNSW.

    Parameters
    ----------
    features : ndarray of shape (n, d)
        One row per galaxy (copied once to float32).
    metric : {"cosine", "euclidean"}
        ``cosine`` searches inner products of L2-normalised rows; ``euclidean`` squared L2
        distances.
    n_components : int, optional
        Project the rows onto their first ``n_components`` principal components first
        (fitted here). ``None`` (default) searches the rows as given.
    index : {"auto", "exact", "hnsw"}
        ``auto``: exact (``IndexFlat``) up to ``hnsw_above`` rows, HNSW beyond.
    hnsw_above : int
        Row count above which ``auto`` builds an HNSW graph.
    hnsw_m, ef_construction, ef_search : int
        HNSW graph degree, build-time and query-time beam widths.

    Attributes
    ----------
    kind : {"exact", "hnsw"}
        The index that was built.

    Examples
    --------
    >>> x = np.array([[0, 0], [1, 0], [0, 3], [5, 5]], dtype=np.float32)
    >>> rows, dist = SimilarityIndex(x, metric="euclidean").query(0, 2)
    >>> rows.tolist(), dist.round(2).tolist()
    ([1, 2], [1.0, 3.0])
    """

    def __init__(
        self,
        features: np.ndarray,
        *,
        metric: str = "cosine",
        n_components: int | None = None,
        index: str = "auto",
        hnsw_above: int = HNSW_ABOVE,
        hnsw_m: int = 32,
        ef_construction: int = 80,
        ef_search: int = 128,
    ) -> None:
        if metric not in _METRICS:
            raise ValueError(f"metric must be one of {_METRICS}, got {metric!r}")
        if index not in _INDEXES:
            raise ValueError(f"index must be one of {_INDEXES}, got {index!r}")
        import faiss

        data = np.array(features, dtype=np.float32, order="C", copy=True)
        if data.ndim != 2 or len(data) == 0:
            raise ValueError(f"need a non-empty 2-d feature array, got shape {data.shape}")
        self.pca_ = None
        if n_components is not None and n_components < data.shape[1]:
            from oddfinder.embed.reduce import pca_reduce

            self.pca_ = pca_reduce(data, n_components=int(n_components))
            data = np.ascontiguousarray(self.pca_.transform(data), dtype=np.float32)
        self.metric = metric
        self.n, self.d = data.shape
        if metric == "cosine":
            norms = np.linalg.norm(data, axis=1, keepdims=True)
            data /= np.maximum(norms, 1e-12)
        self.kind = index if index != "auto" else ("hnsw" if self.n > hnsw_above else "exact")
        if self.kind == "hnsw":
            faiss_metric = faiss.METRIC_INNER_PRODUCT if metric == "cosine" else faiss.METRIC_L2
            self._index = faiss.IndexHNSWFlat(self.d, int(hnsw_m), faiss_metric)
            self._index.hnsw.efConstruction = int(ef_construction)
            self._index.hnsw.efSearch = int(ef_search)
        elif metric == "cosine":
            self._index = faiss.IndexFlatIP(self.d)
        else:
            self._index = faiss.IndexFlatL2(self.d)
        logger.debug("building %s %s index over %d x %d", self.kind, metric, self.n, self.d)
        self._index.add(data)
        self._data = data

    def __len__(self) -> int:
        return self.n

    def _distances(self, raw: np.ndarray) -> np.ndarray:
        if self.metric == "cosine":
            return np.clip(1.0 - raw, 0.0, 2.0)  # cosine distance
        return np.sqrt(np.maximum(raw, 0.0))  # euclidean distance

    def query(self, row: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` rows nearest to row ``row``, excluding itself, nearest first.

        Returns
        -------
        rows : ndarray of int64, shape (min(k, n - 1),)
        distances : ndarray of float32, same shape (cosine distance ``1 - cos`` or euclidean)
        """
        row = int(row)
        if not 0 <= row < self.n:
            raise IndexError(f"row {row} out of range for {self.n} galaxies")
        k = int(k)
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        want = min(k + 1, self.n)
        raw, idx = self._index.search(self._data[row : row + 1], want)
        rows, raw = idx[0], raw[0]
        keep = (rows != row) & (rows >= 0)
        rows, raw = rows[keep][:k], raw[keep][:k]
        return rows.astype(np.int64), self._distances(raw).astype(np.float32)

    def query_vector(self, vector: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` rows nearest to an arbitrary feature ``vector``, nearest first.

        ``vector`` lives in the space of the ``features`` given to the constructor (it is
        projected by the fitted PCA when ``n_components`` was set).
        """
        query = np.array(vector, dtype=np.float32).reshape(1, -1)
        if self.pca_ is not None:
            if query.shape[1] != self.pca_.n_features_in_:
                raise ValueError(
                    f"vector has {query.shape[1]} dimensions, the features "
                    f"{self.pca_.n_features_in_}"
                )
            query = self.pca_.transform(query).astype(np.float32)
        if query.shape[1] != self.d:
            raise ValueError(f"vector has {query.shape[1]} dimensions, the index {self.d}")
        if self.metric == "cosine":
            query /= max(float(np.linalg.norm(query)), 1e-12)
        raw, idx = self._index.search(query, min(int(k), self.n))
        keep = idx[0] >= 0
        return idx[0][keep].astype(np.int64), self._distances(raw[0][keep]).astype(np.float32)

    def query_many(self, rows: np.ndarray, k: int = 10) -> np.ndarray:
        """Neighbour rows ``(len(rows), k)`` of many rows at once, each excluding itself.

        Missing neighbours (fewer than ``k + 1`` rows in the index) are ``-1``.
        """
        rows = np.asarray(rows, dtype=np.int64)
        want = min(int(k) + 1, self.n)
        _, idx = self._index.search(self._data[rows], want)
        out = np.full((len(rows), int(k)), -1, dtype=np.int64)
        for i, (row, found) in enumerate(zip(rows, idx, strict=True)):
            found = found[(found != row) & (found >= 0)][: int(k)]
            out[i, : len(found)] = found
        return out


def find_similar(
    ws,
    galaxy_id: str,
    *,
    k: int = 20,
    metric: str = "cosine",
    n_components: int | None = 10,
    index: str = "auto",
):
    """The ``k`` galaxies nearest to ``galaxy_id``: a table ``rank, id, distance``.

    Raises
    ------
    WorkspaceError
        If the id is not in the catalogue or the workspace has no features.
    """
    import pandas as pd

    row = ws.row_of.get(str(galaxy_id))
    if row is None:
        raise WorkspaceError(f"no galaxy with id {galaxy_id!r} in {ws.path / 'catalog.parquet'}")
    search = SimilarityIndex(
        similarity_features(ws, n_components=n_components), metric=metric, index=index
    )
    rows, distances = search.query(row, k)
    return pd.DataFrame(
        {"rank": np.arange(1, len(rows) + 1), "id": ws.ids[rows], "distance": distances}
    )
