"""The labelling loop writes every label at once, refits on "next round", and resumes."""

from __future__ import annotations

import numpy as np
import pytest

from oddfinder.errors import LabelError
from oddfinder.labels.loop import LabellingLoop
from oddfinder.labels.store import LabelStore

pytest.importorskip("oddfinder.rank.session")


@pytest.fixture
def survey():
    rng = np.random.default_rng(0)
    n = 300
    features = rng.normal(size=(n, 8)).astype(np.float32)
    special = np.arange(n) % 15 == 0
    features[special, :3] += 5.0
    prior = rng.uniform(0, 0.5, n) + 0.4 * special
    ids = np.array([f"g{i}" for i in range(n)])
    return ids, features, prior, special


def _loop(store, survey, name="ada"):
    ids, features, prior, _ = survey
    return LabellingLoop(store, name, ids=ids, features=features, prior=prior, batch_size=10)


def test_rounds_label_refit_and_resume(tmp_path, survey):
    ids, _, _, special = survey
    store = LabelStore(tmp_path / "labels.sqlite")
    loop = _loop(store, survey)
    first = list(loop.batch)
    assert len(first) == 10 and len(set(first)) == 10
    assert loop.round == 0
    for row in first:
        loop.label(ids[row], 5 if special[row] else 0)
    assert len(store.labels("ada")) == 10  # written at once, before any refit
    second = loop.next_round()
    assert loop.round == 1
    assert len(second) == 10
    assert not set(second) & set(first)
    mean, std = loop.interest()
    assert mean is not None and mean.shape == (len(ids),)
    assert std is not None and np.all(std >= 0)
    loop.label(ids[second[0]], 4)

    resumed = _loop(store, survey)  # e.g. after an app restart
    assert resumed.round == 1
    assert resumed.batch == second
    assert resumed.progress()["labels"] == 11
    assert resumed.progress()["batch_labelled"] == 1


def test_ranking_table_has_fresh_labels_and_every_galaxy(tmp_path, survey):
    ids = survey[0]
    store = LabelStore(tmp_path / "labels.sqlite")
    loop = _loop(store, survey)
    loop.label(ids[loop.batch[0]], 5)
    table = loop.ranking_table()
    assert len(table) == len(ids)
    assert set(table["id"]) == set(ids)
    assert table.loc[table["id"] == ids[loop.batch[0]], "label"].item() == 5
    assert table["label"].notna().sum() == 1
    # A galaxy given up front as an example is marked so; the round's label is a label.
    from oddfinder.labels.seeds import add_seed_examples

    example = next(g for g in ids if g != ids[loop.batch[0]])
    add_seed_examples(store, loop.researcher, [example])
    table = loop.ranking_table().set_index("id")
    assert table.loc[example, "label_source"] == "example"
    assert table.loc[ids[loop.batch[0]], "label_source"] == "label"
    assert table["label_source"].isna().sum() == len(ids) - 2
    assert list(table.columns[:3]) == ["rank", "label", "label_source"]


def test_undo_and_refit_from_scratch(tmp_path, survey):
    ids = survey[0]
    store = LabelStore(tmp_path / "labels.sqlite")
    loop = _loop(store, survey)
    batch = list(loop.batch)
    for row in batch:
        loop.label(ids[row], 1)
    loop.next_round()
    assert loop.undo() == (ids[batch[-1]], 1)
    loop.next_round()  # the undone label must not linger in the model
    assert loop.progress()["labels"] == 9
    assert loop.progress()["round"] == 2


def test_unknown_galaxy_and_bad_score(tmp_path, survey):
    loop = _loop(LabelStore(tmp_path / "labels.sqlite"), survey)
    with pytest.raises(LabelError, match="nope"):
        loop.label("nope", 3)
    with pytest.raises(LabelError, match="g1"):
        loop.label("g1", 9)


def test_researchers_have_their_own_batches(tmp_path, survey):
    ids = survey[0]
    store = LabelStore(tmp_path / "labels.sqlite")
    ada, bob = _loop(store, survey, "ada"), _loop(store, survey, "bob")
    for row in ada.batch:
        ada.label(ids[row], 5)
    ada.next_round()
    assert bob.progress()["labels"] == 0
    assert bob.round == 0
    assert _loop(store, survey, "bob").round == 0
