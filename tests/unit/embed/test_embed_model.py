"""The morphology CNN, its augmentation and its checkpoints."""

from __future__ import annotations

import pytest
import torch

from oddfinder.embed.augment import Augment
from oddfinder.embed.encoders import bundled_weights_path, load_checkpoint
from oddfinder.embed.model import HeadSpec, ModelConfig, MorphologyCNN, fold_batchnorm


def _model() -> MorphologyCNN:
    torch.manual_seed(0)
    heads = (
        HeadSpec("kind", "categorical", ("a", "b", "c")),
        HeadSpec("bar", "binary"),
        HeadSpec("bulge_size", "regression"),
    )
    return MorphologyCNN(ModelConfig(heads=heads))


def test_forward_shapes() -> None:
    out = _model().eval()(torch.randn(5, 3, 64, 64))
    assert out["embedding"].shape == (5, 512)
    assert out["kind"].shape == (5, 3)
    assert out["bar"].shape == (5, 1)
    answers = _model().eval().answers(out["embedding"])
    assert answers["kind"].shape == (5, 3)
    assert torch.allclose(answers["kind"].sum(1), torch.ones(5), atol=1e-5)
    assert answers["bulge_size"].shape == (5,)


def test_eval_mode_is_deterministic_and_folding_preserves_it() -> None:
    model = _model()
    model.train()
    for _ in range(3):  # populate BatchNorm running statistics
        model(torch.randn(8, 3, 64, 64))
    model.eval()
    x = torch.randn(4, 3, 64, 64)
    with torch.no_grad():
        first, second = model.embed(x), model.embed(x)
        folded = fold_batchnorm(model).embed(x)
    assert torch.equal(first, second)
    assert torch.allclose(first, folded, atol=1e-4)


def test_augment_keeps_shape_and_range_and_changes_images() -> None:
    x = torch.rand(6, 3, 40, 40)
    out = Augment()(x, generator=torch.Generator().manual_seed(1))
    assert out.shape == x.shape
    assert out.min() >= 0 and out.max() <= 1
    assert not torch.allclose(out, x, atol=0.05)
    again = Augment()(x, generator=torch.Generator().manual_seed(1))
    assert torch.equal(out, again)


def test_augment_rotation_keeps_a_centred_blob_centred() -> None:
    y, x = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    blob = torch.exp(-((x - 15.5) ** 2 + (y - 15.5) ** 2) / 20.0).expand(4, 3, 32, 32)
    augment = Augment(zoom=(1, 1), shift=0.0, noise=(0, 0), blur_sigma=(0, 0))
    out = augment(blob.clone(), generator=torch.Generator().manual_seed(0))
    weight = out[:, 0]
    cy = (weight * y).sum((1, 2)) / weight.sum((1, 2))
    assert torch.all((cy - 15.5).abs() < 1.0)


def test_bundled_weights_load_safely_and_embed_finite_512d() -> None:
    path = bundled_weights_path()
    assert path.is_file(), f"bundled weights missing: {path}"
    assert path.stat().st_size < 8e6
    raw = torch.load(path, map_location="cpu", weights_only=True)
    assert {"config", "state_dict", "version"} <= set(raw)
    model, meta = load_checkpoint(path)
    size = model.config.image_size
    with torch.no_grad():
        embedding = model.embed(torch.randn(3, 3, size, size))
    assert embedding.shape == (3, 512)
    assert torch.isfinite(embedding).all()
    assert meta["version"]


@pytest.mark.parametrize("half", [False, True])
def test_checkpoint_round_trip(tmp_path, half: bool) -> None:
    from oddfinder.embed.encoders import save_checkpoint

    model = _model().eval()
    save_checkpoint(tmp_path / "m.pt", model, version="v", half=half)
    loaded, meta = load_checkpoint(tmp_path / "m.pt")
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(model.embed(x), loaded.embed(x), atol=1e-2 if half else 1e-6)
    assert loaded.config == model.config
    assert meta["version"] == "v"
