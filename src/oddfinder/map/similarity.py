"""Exact nearest neighbours in feature space (faiss), for "show me more like this"."""

from __future__ import annotations

import logging

import numpy as np

__all__ = ["SimilarityIndex"]

logger = logging.getLogger(__name__)

_METRICS = ("cosine", "euclidean")


class SimilarityIndex:
    """Exact k-nearest-neighbour search over feature rows.

    Parameters
    ----------
    features : ndarray of shape (n, d)
        One row per galaxy (copied once to float32).
    metric : {"cosine", "euclidean"}
        ``cosine`` searches inner products of L2-normalised rows (faiss ``IndexFlatIP``);
        ``euclidean`` searches squared L2 distances (``IndexFlatL2``).

    Examples
    --------
    >>> x = np.array([[0, 0], [1, 0], [0, 3], [5, 5]], dtype=np.float32)
    >>> rows, dist = SimilarityIndex(x, metric="euclidean").query(0, 2)
    >>> rows.tolist(), dist.round(2).tolist()
    ([1, 2], [1.0, 3.0])
    """

    def __init__(self, features: np.ndarray, *, metric: str = "cosine") -> None:
        if metric not in _METRICS:
            raise ValueError(f"metric must be one of {_METRICS}, got {metric!r}")
        import faiss

        data = np.array(features, dtype=np.float32, order="C", copy=True)
        if data.ndim != 2 or len(data) == 0:
            raise ValueError(f"need a non-empty 2-d feature array, got shape {data.shape}")
        self.metric = metric
        self.n, self.d = data.shape
        if metric == "cosine":
            norms = np.linalg.norm(data, axis=1, keepdims=True)
            data /= np.maximum(norms, 1e-12)
            self._index = faiss.IndexFlatIP(self.d)
        else:
            self._index = faiss.IndexFlatL2(self.d)
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
        """The ``k`` rows nearest to an arbitrary feature ``vector``, nearest first."""
        query = np.array(vector, dtype=np.float32).reshape(1, -1)
        if query.shape[1] != self.d:
            raise ValueError(f"vector has {query.shape[1]} dimensions, the index {self.d}")
        if self.metric == "cosine":
            query /= max(float(np.linalg.norm(query)), 1e-12)
        raw, idx = self._index.search(query, min(int(k), self.n))
        keep = idx[0] >= 0
        return idx[0][keep].astype(np.int64), self._distances(raw[0][keep]).astype(np.float32)
