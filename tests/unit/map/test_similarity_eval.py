"""Neighbour precision and its random baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oddfinder.map.similarity_eval import neighbour_precision, precision_table


def test_clustered_answers_score_one_and_random_matches_expectation():
    rng = np.random.default_rng(0)
    answers = np.repeat(["a", "b", "c"], 10)
    x = rng.normal(size=(30, 4)) * 0.1 + np.repeat(np.eye(4)[:3] * 5, 10, axis=0)
    groups = np.zeros(30, int)
    assert np.allclose(neighbour_precision(x, groups, answers, k=5, metric="euclidean"), 1.0)
    assert np.allclose(neighbour_precision(None, groups, answers, k=5), 9 / 29)
    shuffled = rng.normal(size=(30, 4))
    assert neighbour_precision(shuffled, groups, answers, k=5).mean() < 0.7


def test_neighbours_never_cross_groups():
    x = np.array([[0.0], [0.01], [0.02], [0.03]])
    # Rows 0 and 1 are nearest each other but in different groups.
    groups = ["s1", "s2", "s1", "s2"]
    answers = ["a", "a", "b", "b"]
    out = neighbour_precision(x, groups, answers, k=1, metric="euclidean")
    assert out.tolist() == [0.0, 0.0, 0.0, 0.0]


def test_precision_table_rows_and_small_groups():
    table = pd.DataFrame(
        {
            "survey": ["s"] * 6 + ["tiny"] * 2,
            "question": ["q1", "q1", "q1", "q2", "q2", "q2", "q1", "q1"],
            "answer": ["y", "y", "n", "y", "n", "n", "y", "y"],
        }
    )
    features = np.arange(8, dtype=float)[:, None] * [1.0, 0.0] + [0.0, 1.0]
    out = precision_table(table, {"feat": features, "random": None}, k=2, min_group=3)
    assert list(out.index) == ["q1", "q2", "all"]
    assert out.loc["all", "n"] == 6  # the two-image survey is left out
    assert out["random"].between(0, 1).all()
