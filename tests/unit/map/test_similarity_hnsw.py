"""SimilarityIndex: HNSW agrees with exact search, PCA option, metrics, batch queries."""

from __future__ import annotations

import numpy as np
import pytest

from oddfinder.map.similarity import SimilarityIndex


@pytest.fixture(scope="module")
def clustered():
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 5, size=(20, 10))
    return (centres[rng.integers(0, 20, 3000)] + rng.normal(size=(3000, 10))).astype(np.float32)


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_hnsw_recall_against_exact(clustered, metric):
    exact = SimilarityIndex(clustered, metric=metric)
    approx = SimilarityIndex(clustered, metric=metric, hnsw_above=1000)
    assert exact.kind == "exact" and approx.kind == "hnsw"
    rows = np.random.default_rng(2).choice(len(clustered), 100, replace=False)
    recall = []
    for row in rows:
        truth, _ = exact.query(row, 10)
        found, dist = approx.query(row, 10)
        assert row not in found
        assert np.all(np.diff(dist) >= -1e-5)
        recall.append(len(set(truth.tolist()) & set(found.tolist())) / 10)
    assert np.mean(recall) >= 0.9


def test_forced_index_kind(clustered):
    assert SimilarityIndex(clustered[:50], index="hnsw").kind == "hnsw"
    assert SimilarityIndex(clustered, index="exact", hnsw_above=10).kind == "exact"
    with pytest.raises(ValueError, match="index must be one of"):
        SimilarityIndex(clustered, index="ivf")


def test_cosine_and_euclidean_differ_on_scale():
    x = np.array([[1.0, 0.0], [10.0, 0.5], [1.0, 0.6], [0.0, 1.0]], dtype=np.float32)
    cos_rows, _ = SimilarityIndex(x, metric="cosine").query(0, 1)
    euc_rows, _ = SimilarityIndex(x, metric="euclidean").query(0, 1)
    assert cos_rows.tolist() == [1]  # same direction
    assert euc_rows.tolist() == [2]  # nearest point


def test_pca_components_project_queries(clustered):
    index = SimilarityIndex(clustered, metric="euclidean", n_components=3)
    assert index.d == 3 and index.pca_ is not None
    rows, _ = index.query_vector(clustered[11], 1)
    assert rows.tolist() == [11]
    with pytest.raises(ValueError, match="dimensions"):
        index.query_vector(np.zeros(4), 1)


def test_query_many_matches_query(clustered):
    index = SimilarityIndex(clustered, metric="cosine")
    many = index.query_many(np.array([3, 40, 500]), 7)
    for i, row in enumerate([3, 40, 500]):
        assert many[i].tolist() == index.query(row, 7)[0].tolist()
