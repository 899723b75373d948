"""HeadClassifier: the survey, not the few training rows, sets the centre and the scale."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from oddfinder.finetune.head import HeadClassifier


def _survey(rng, n):
    """One informative direction of large variance, 50 noise directions of small variance."""
    y = rng.integers(0, 2, n)
    signal = rng.normal(0, 1, n) + 3.0 * (2 * y - 1)
    noise = rng.normal(0, 0.05, (n, 50))
    return np.c_[signal, noise], y


def test_reference_sets_centre_and_one_scale():
    rng = np.random.default_rng(0)
    survey, _ = _survey(rng, 500)
    clf = HeadClassifier().fit(survey[:4], np.array([0, 1, 0, 1]), reference=survey)
    np.testing.assert_allclose(clf.mean_, survey.mean(axis=0))
    rms = np.sqrt(((survey - survey.mean(axis=0)) ** 2).sum(axis=1).mean() / survey.shape[1])
    np.testing.assert_allclose(clf.scale_, np.full(survey.shape[1], rms))


def test_two_examples_per_class_rank_the_survey_well():
    """With 2 + 2 labels the head still finds the informative direction: the noise
    directions are not blown up to unit variance by the four rows' own statistics."""
    aucs = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        survey, y = _survey(rng, 400)
        train = np.r_[np.flatnonzero(y == 0)[:2], np.flatnonzero(y == 1)[:2]]
        clf = HeadClassifier().fit(survey[train], y[train], reference=survey)
        aucs.append(roc_auc_score(y, clf.decision_function(survey)))
    assert np.mean(aucs) > 0.95


def test_reference_of_the_wrong_width_is_refused():
    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"reference must be \(m, 3\)"):
        HeadClassifier().fit(x, np.array([0, 1, 0, 1]), reference=np.zeros((10, 2)))


def test_survey_sample_caps_the_rows_and_keeps_their_order(tiny_ws):
    from oddfinder.finetune.workspace import survey_sample

    everything = np.asarray(tiny_ws.embeddings())
    np.testing.assert_array_equal(survey_sample(tiny_ws), everything)
    sample = survey_sample(tiny_ws, size=7, seed=3)
    rows = [int(np.flatnonzero((everything == row).all(axis=1))[0]) for row in sample]
    assert len(rows) == 7 and rows == sorted(set(rows))
