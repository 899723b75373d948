"""train-encoder on a tiny synthetic survey, through the CLI."""

from __future__ import annotations

import json

import torch
from _embed_helpers import make_survey

from oddfinder.cli import main
from oddfinder.embed.encoders import load_encoder


def test_train_encoder_cli_tiny_epoch(tmp_path, capsys):
    make_survey(tmp_path / "sim", 64, size=40)
    out = tmp_path / "encoder"
    status = main(
        [
            "train-encoder",
            "--survey",
            str(tmp_path / "sim"),
            "--out",
            str(out),
            "--epochs",
            "1",
            "--image-size",
            "32",
            "--batch-size",
            "16",
            "--workers",
            "0",
        ]
    )
    assert status == 0
    printed = json.loads(capsys.readouterr().out)
    assert 0 <= printed["kind_accuracy"] <= 1
    checkpoint = torch.load(out / "morphology_cnn.pt", weights_only=True)
    assert checkpoint["config"]["image_size"] == 32
    heads = {h["name"] for h in checkpoint["config"]["heads"]}
    assert heads == {"kind", "smooth", "edge_on", "bar", "spiral_arms", "bulge_size", "merging"}
    card = (out / "MODEL_CARD.md").read_text()
    assert "train-encoder" in card and checkpoint["version"] in card
    assert "kind" in card and "| accuracy" in card
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["training"]["n_heldout"] == 6
    encoder = load_encoder(f"file:{out / 'morphology_cnn.pt'}", device="cpu")
    assert encoder.embedding_dim == 512 and encoder.image_size == 32


def test_train_encoder_missing_survey_is_a_clear_error(tmp_path, capsys):
    status = main(["train-encoder", "--survey", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert status == 2
    assert "no survey manifest" in capsys.readouterr().err
