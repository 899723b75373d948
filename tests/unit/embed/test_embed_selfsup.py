"""Self-supervised (SimCLR) adaptation of the encoder to a workspace's images."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest
import torch
from _embed_helpers import make_workspace

from oddfinder.cli import main
from oddfinder.embed.augment import Augment
from oddfinder.embed.encoders import BUNDLED_WEIGHTS, load_checkpoint, load_encoder
from oddfinder.embed.inference import embed_workspace
from oddfinder.embed.model import ModelConfig, MorphologyCNN
from oddfinder.embed.selfsup import (
    PARTIAL_NAME,
    SelfSupervisedError,
    contrastive_step,
    load_workspace_images,
    nt_xent,
    projection_head,
    train_selfsupervised,
)
from oddfinder.errors import OddfinderError
from oddfinder.io.workspace import Workspace


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def bundled_tiny(tmp_path, tiny_checkpoint, monkeypatch):
    """Make the tiny checkpoint the 'bundled' encoder."""
    folder = tmp_path / "bundled"
    folder.mkdir()
    shutil.copy(tiny_checkpoint, folder / BUNDLED_WEIGHTS)
    monkeypatch.setenv("ODDFINDER_ENCODER_DIR", str(folder))
    return folder / BUNDLED_WEIGHTS


def test_nt_xent_prefers_matching_views():
    z = torch.randn(6, 8, generator=torch.Generator().manual_seed(0))
    aligned = nt_xent(z, z + 0.01, temperature=0.2)
    shuffled = nt_xent(z, z.roll(1, dims=0), temperature=0.2)
    assert math.isfinite(float(aligned)) and float(aligned) < float(shuffled)


def test_loss_is_finite_and_decreases_on_a_repeated_batch(tmp_path):
    ws = make_workspace(tmp_path, 8)
    images = torch.from_numpy(load_workspace_images(ws, image_size=32, workers=0, progress=False))
    torch.manual_seed(0)
    model = MorphologyCNN(ModelConfig(image_size=32, widths=(8, 16), embedding_dim=24)).train()
    projector = projection_head(24, out_dim=16).train()
    optimiser = torch.optim.AdamW([*model.parameters(), *projector.parameters()], lr=1e-2)
    mean = torch.full((1, 3, 1, 1), 0.1)
    std = torch.full((1, 3, 1, 1), 0.2)
    losses = []
    for _ in range(15):  # the same two views every step: a fixed problem to fit
        generator = torch.Generator().manual_seed(1)
        losses.append(
            contrastive_step(
                model,
                projector,
                optimiser,
                images,
                augment=Augment(),
                generator=generator,
                mean=mean,
                std=std,
                temperature=0.2,
            )
        )
    assert all(math.isfinite(v) for v in losses)
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3])


def test_resume_heads_and_embed(tmp_path, bundled_tiny):
    ws = make_workspace(tmp_path, 32)
    out = tmp_path / "adapted"

    class Interrupted(Exception):
        pass

    def stop_after_first(epoch: int) -> None:
        if epoch == 1:
            raise Interrupted

    options = {"epochs": 3, "batch_size": 8, "workers": 0, "threads": 1, "progress": False}
    with pytest.raises(Interrupted):
        train_selfsupervised(ws.path, out, on_epoch=stop_after_first, **options)
    partial = torch.load(out / PARTIAL_NAME, weights_only=True)
    assert partial["epoch"] == 1 and len(partial["history"]) == 1
    with pytest.raises(SelfSupervisedError, match="other settings"):
        train_selfsupervised(ws.path, out, **{**options, "batch_size": 4})

    # The same command again continues from epoch 1, through the CLI.
    argv = ["train-encoder", "--self-supervised", str(ws.path), "--out", str(out)]
    argv += ["--epochs", "3", "--batch-size", "8", "--workers", "0", "--threads", "1"]
    assert main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    training = metrics["selfsupervised"]
    assert training["resumed_from_epoch"] == 1
    assert [h["epoch"] for h in metrics["history"]] == [1, 2, 3]
    assert all(math.isfinite(h["loss"]) for h in metrics["history"])
    assert not (out / PARTIAL_NAME).exists()
    card = (out / "MODEL_CARD.md").read_text()
    assert "--self-supervised" in card and "Final loss" in card

    # Supervised heads kept as they were; the encoder itself changed.
    initial, _ = load_checkpoint(bundled_tiny)
    adapted, meta = load_checkpoint(out / BUNDLED_WEIGHTS)
    assert meta["version"].startswith("selfsup-")
    for name, value in initial.heads.state_dict().items():
        torch.testing.assert_close(adapted.heads.state_dict()[name], value, atol=1e-3, rtol=1e-3)
    assert not torch.allclose(adapted.stem[0][0].weight, initial.stem[0][0].weight, atol=1e-3)

    encoder = load_encoder(f"file:{out / BUNDLED_WEIGHTS}", device="cpu")
    embeddings = embed_workspace(
        ws, encoder=encoder, device="cpu", workers=0, components=4, progress=False
    )
    assert embeddings.shape == (32, 24) and np.isfinite(embeddings).all()
    assert (ws.path / "answers.parquet").is_file()


def test_minutes_bound_stops_a_scratch_run(tmp_path):
    ws = make_workspace(tmp_path, 32)
    result = train_selfsupervised(
        ws,
        tmp_path / "scratch",
        init="scratch",
        epochs=50,
        minutes=1e-6,
        batch_size=8,
        image_size=32,
        widths=(8, 16),
        workers=0,
        progress=False,
    )
    assert result["steps"] == 1 and result["epochs_completed"] < 1
    assert math.isfinite(result["final_loss"])
    encoder = load_encoder(f"file:{result['weights']}", device="cpu")
    assert encoder.answer_columns == [] and encoder.image_size == 32
    assert encoder.embed(torch.zeros(2, 3, 32, 32, dtype=torch.uint8)).shape == (2, 512)


def test_workspace_without_images_is_a_clear_error(tmp_path, bundled_tiny, capsys):
    ws = Workspace(tmp_path / "ws")
    ws.path.mkdir()
    ws.update_meta(format_version=1, n=3)
    ws.write_table("catalog", pd.DataFrame({"id": ["a", "b", "c"]}))
    status = main(["train-encoder", "--self-supervised", str(ws.path), "--epochs", "1"])
    assert status == 2
    assert "no image paths" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"epochs": 0}, "--epochs must be at least 1"),
        ({"epochs": None, "minutes": None}, "give --epochs or --minutes"),
        ({"epochs": 1, "init": "resnet"}, "unknown --init"),
    ],
)
def test_bad_options_are_clear_errors(tmp_path, bundled_tiny, options, message):
    ws = make_workspace(tmp_path, 4)
    with pytest.raises(SelfSupervisedError, match=message) as caught:
        train_selfsupervised(ws, tmp_path / "out", workers=0, progress=False, **options)
    assert isinstance(caught.value, OddfinderError)


def test_cli_needs_exactly_one_source(tmp_path, capsys):
    status = main(["train-encoder", "--survey", "x", "--self-supervised", str(tmp_path)])
    assert status == 2
    assert "either --survey" in capsys.readouterr().err
