"""finetune: a head learns a separable label; full and scratch CNNs train and score."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from oddfinder.finetune.model_file import load_classifier
from oddfinder.finetune.workspace import finetune_workspace


def _train_and_test_ids(ws):
    ids = ws.ids[4:]  # rows 0-3 are unlabelled
    return list(ids[:16]), np.arange(20, ws.n)


def test_head_learns_a_separable_label(tiny_ws, tmp_path):
    train_ids, test_rows = _train_and_test_ids(tiny_ws)
    result = finetune_workspace(
        tiny_ws, "label", mode="head", out=tmp_path / "head.pt", train_ids=train_ids
    )
    assert result["column"] == "finetune_label"
    assert result["n_train"] == 16 and result["n_positive"] == 8
    scores = tiny_ws.read_table("scores")
    assert scores["id"].tolist() == tiny_ws.ids.tolist()
    truth = np.array([i % 2 == 0 for i in test_rows])
    assert roc_auc_score(truth, scores["finetune_label"].to_numpy()[test_rows]) > 0.9
    # The saved classifier gives the same scores.
    classifier, meta = load_classifier(tmp_path / "head.pt")
    assert meta["label_column"] == "label"
    again = classifier.predict_proba(np.asarray(tiny_ws.embeddings()))[:, 1]
    assert np.allclose(again, scores["finetune_label"].to_numpy(), atol=1e-5)


@pytest.mark.parametrize("mode", ["full", "scratch"])
def test_cnn_modes_train_briefly_and_score(tiny_ws, tmp_path, mode):
    result = finetune_workspace(
        tiny_ws,
        "kind",
        positive="round",
        mode=mode,
        out=tmp_path / f"{mode}.pt",
        epochs=1,
        max_steps=2,
        column=f"{mode}_round",
    )
    assert result["mode"] == mode and result["n_train"] == tiny_ws.n
    scores = tiny_ws.read_table("scores")
    values = scores[f"{mode}_round"].to_numpy()
    assert values.shape == (tiny_ws.n,) and np.all((values >= 0) & (values <= 1))
    classifier, _ = load_classifier(tmp_path / f"{mode}.pt")
    assert classifier.mode == mode


def test_full_fine_tuning_starts_from_the_bundled_weights():
    from oddfinder.embed.encoders import bundled_weights_path, load_checkpoint
    from oddfinder.finetune.full import CNNClassifier
    from oddfinder.finetune.scratch import ScratchClassifier

    base, _ = load_checkpoint(bundled_weights_path())
    pretrained = CNNClassifier(seed=1)._build()
    scratch = ScratchClassifier(seed=1)._build()
    key = "stem.0.0.weight"
    assert np.allclose(pretrained.state_dict()[key], base.state_dict()[key])
    assert not np.allclose(scratch.state_dict()[key], base.state_dict()[key])
