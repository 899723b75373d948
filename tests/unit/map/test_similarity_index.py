"""The similarity index returns exact nearest neighbours, never the query itself."""

from __future__ import annotations

import numpy as np
import pytest

from oddfinder.map.similarity import SimilarityIndex


@pytest.fixture
def features():
    rng = np.random.default_rng(0)
    return rng.normal(size=(500, 40)).astype(np.float32)


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_matches_brute_force(features, metric):
    index = SimilarityIndex(features, metric=metric)
    rows, dist = index.query(7, 10)
    if metric == "euclidean":
        truth = np.linalg.norm(features - features[7], axis=1)
    else:
        unit = features / np.linalg.norm(features, axis=1, keepdims=True)
        truth = 1.0 - unit @ unit[7]
    truth[7] = np.inf
    expected = np.argsort(truth)[:10]
    assert 7 not in rows
    assert rows.tolist() == expected.tolist()
    assert np.allclose(dist, truth[expected], atol=1e-4)
    assert np.all(np.diff(dist) >= -1e-6)


def test_cosine_ignores_scale():
    base = np.array([[1.0, 0.0], [0.0, 1.0], [10.0, 0.5], [0.7, 0.7]], dtype=np.float32)
    rows, dist = SimilarityIndex(base, metric="cosine").query(0, 1)
    assert rows.tolist() == [2]
    assert dist[0] < 0.01


def test_k_larger_than_survey_and_duplicates():
    x = np.zeros((3, 4), dtype=np.float32)
    rows, _ = SimilarityIndex(x, metric="euclidean").query(1, 10)
    assert sorted(rows.tolist()) == [0, 2]


def test_query_vector(features):
    rows, _ = SimilarityIndex(features, metric="euclidean").query_vector(features[3], 1)
    assert rows.tolist() == [3]


def test_bad_arguments(features):
    with pytest.raises(ValueError, match="metric"):
        SimilarityIndex(features, metric="manhattan")
    index = SimilarityIndex(features)
    with pytest.raises(IndexError):
        index.query(500, 3)
    with pytest.raises(ValueError):
        index.query(0, 0)
