"""Fixtures for the embed tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from _embed_helpers import KINDS


@pytest.fixture
def tiny_checkpoint(tmp_path: Path) -> Path:
    """A small, randomly initialised MorphologyCNN checkpoint (32 px input)."""
    import torch

    from oddfinder.embed.encoders import save_checkpoint
    from oddfinder.embed.model import HeadSpec, ModelConfig, MorphologyCNN

    torch.manual_seed(0)
    config = ModelConfig(
        image_size=32,
        widths=(8, 16),
        embedding_dim=24,
        heads=(HeadSpec("kind", "categorical", KINDS), HeadSpec("merging", "binary")),
    )
    model = MorphologyCNN(config)
    # Give BatchNorm non-trivial statistics so folding is exercised.
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.1, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    path = tmp_path / "tiny.pt"
    save_checkpoint(path, model, version="test-1", half=False)
    return path
