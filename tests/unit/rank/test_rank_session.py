"""The ranking session: validation, rankings, exports and never stalling."""

from __future__ import annotations

import numpy as np
import pytest

from oddfinder.errors import LabelError
from oddfinder.evaluate.oracle import Oracle
from oddfinder.rank.session import RankingSession
from oddfinder.score.workspace import score_features


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 5)).astype(np.float32)
    x[:12] = 3.0 + 0.3 * rng.normal(size=(12, 5))
    return x


@pytest.mark.parametrize(
    "labels",
    [{0: 7}, {0: -1}, {0: float("nan")}, {0: float("inf")}, {600: 3}, {-1: 3}, {0: "x"}],
)
def test_invalid_labels_raise_label_error(toy, labels):
    session = RankingSession(toy, method="prior", prior=np.zeros(600))
    with pytest.raises(LabelError) as info:
        session.update(labels)
    assert "\n" not in str(info.value)
    assert session.labels_ == {}


def test_round_without_labels_comes_from_the_prior_spread_out(toy):
    prior = score_features(toy)
    session = RankingSession(toy, prior=prior, batch_size=10)
    first = session.next_batch()
    assert len(set(first.tolist())) == 10
    assert np.median(prior[first]) > 0.9
    session.update({})
    assert np.array_equal(session.next_batch(), first)


def test_all_equal_labels_keep_exploring(toy):
    session = RankingSession(toy, prior=score_features(toy), batch_size=10)
    seen: set[int] = set()
    for _ in range(4):
        batch = session.next_batch()
        assert not seen & set(batch.tolist())
        seen |= set(batch.tolist())
        session.update({int(r): 2 for r in batch})
    assert np.isfinite(session.mean_).all() and np.isfinite(session.std_).all()
    assert len(session.ranking()) == 600


def test_ranking_interleaves_labels_and_predictions(toy):
    session = RankingSession(toy, prior=score_features(toy), batch_size=5)
    session.update({0: 5, 1: 5, 300: 0, 301: 0, 302: 1})
    order = session.ranking()
    assert sorted(order.tolist()) == list(range(600))
    assert set(order[:2].tolist()) == {0, 1}
    values = session.values()[order]
    assert (np.diff(values) <= 1e-6).all()
    table = session.ranking_table([f"g{i}" for i in range(600)], top=20)
    assert list(table.columns[:6]) == [
        "rank",
        "id",
        "label",
        "interest_mean",
        "interest_std",
        "prior",
    ]
    assert table["rank"].tolist() == list(range(1, 21))
    assert table["label"].iloc[0] == 5


def test_replace_drops_undone_labels(toy):
    session = RankingSession(toy, method="gp", batch_size=5)
    session.update({0: 5, 1: 0, 2: 0})
    session.update({0: 5, 2: 0}, replace=True)
    assert session.labels_ == {0: 5.0, 2: 0.0}


def _rare_cluster(seed):
    rng = np.random.default_rng(seed)
    n, d = 2000, 10
    x = rng.normal(size=(n, d)).astype(np.float32)
    art = rng.choice(n, 40, replace=False)
    x[art] += 4.0 * rng.normal(size=(40, d))  # anomalous but boring
    rest = np.setdiff1d(np.arange(n), art)
    pos = rng.choice(rest, 25, replace=False)
    x[pos] = rng.normal(size=d) * 2.0 + 0.3 * rng.normal(size=(25, d))
    truth = np.zeros(n)
    truth[pos] = 5.0
    return x, truth


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gp_does_not_stall_on_all_zero_labels(seed):
    x, truth = _rare_cluster(seed)
    session = RankingSession(x, prior=score_features(x), batch_size=10, seed=seed)
    oracle = Oracle(truth)
    found_at = None
    for round_ in range(12):
        session.update(oracle.label(session.next_batch()))
        if found_at is None and any(v == 5 for v in session.labels_.values()):
            found_at = round_
    assert found_at is not None and found_at <= 8
    labelled = np.fromiter(session.labels_, int)
    assert (truth[labelled] == 5).sum() >= 10  # once found, the cluster is exploited
