"""Encoder specs: file: checkpoints and TorchScript, missing timm, bad specs."""

from __future__ import annotations

import builtins
import json
import pickle

import numpy as np
import pytest
import torch
from _embed_helpers import make_workspace

from oddfinder.embed.encoders import EncoderError, load_encoder, resolve_device
from oddfinder.embed.inference import embed_workspace, predict_answers


class _Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 6, 3, stride=2)
        self.pool = torch.nn.AdaptiveAvgPool2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.pool(torch.relu(self.conv(x))), 1)


def test_file_checkpoint_encoder_embeds_and_answers(tiny_checkpoint):
    encoder = load_encoder(f"file:{tiny_checkpoint}", device="cpu")
    assert encoder.image_size == 32 and encoder.embedding_dim == 24
    assert encoder.version == "test-1"
    batch = torch.randint(0, 255, (3, 3, 50, 50), dtype=torch.uint8)  # resized to 32 on the fly
    embedding = encoder.embed(batch)
    assert embedding.shape == (3, 24) and torch.isfinite(embedding).all()
    answers = predict_answers(np.zeros((2, 32, 32, 3), np.uint8), encoder=encoder)
    assert list(answers.columns)[-1] == "merging" and len(answers) == 2


def test_torchscript_file_encoder_embeds_a_workspace(tmp_path):
    torch.manual_seed(0)
    scripted = torch.jit.script(_Tiny().eval())
    meta = {"image_size": 24, "mean": [0.1, 0.1, 0.1], "std": [0.2, 0.2, 0.2], "version": "ts"}
    path = tmp_path / "tiny_ts.pt"
    torch.jit.save(scripted, str(path), _extra_files={"oddfinder.json": json.dumps(meta)})
    ws = make_workspace(tmp_path, 9)
    embeddings = embed_workspace(
        ws, encoder=f"file:{path}", device="cpu", workers=0, progress=False, components=3
    )
    assert embeddings.shape == (9, 6)
    assert ws.meta["encoder_version"] == "ts" and ws.meta["feature_dim"] == 3
    assert not (ws.path / "answers.parquet").exists()


def test_pickled_module_is_refused(tmp_path):
    path = tmp_path / "module.pt"
    torch.save(_Tiny(), path)  # a full pickle: unsafe to load
    with pytest.raises(EncoderError, match="safely"):
        load_encoder(f"file:{path}", device="cpu")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(EncoderError, match=r"junk\.pt"):
        load_encoder(f"file:{junk}", device="cpu")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("resnet50", "unknown encoder 'resnet50'"),
        ("zoobot:", "unknown encoder"),
        ("file:/no/such/file.pt", "not found: /no/such/file.pt"),
    ],
)
def test_bad_spec_is_a_clear_error(spec, message):
    with pytest.raises(EncoderError, match=message):
        load_encoder(spec, device="cpu")


def test_bad_device_is_a_clear_error():
    with pytest.raises(EncoderError, match="unknown device 'gpu'"):
        resolve_device("gpu")
    assert resolve_device("auto").type in {"cpu", "cuda", "mps"}


@pytest.mark.parametrize("spec", ["zoobot:convnext_nano", "timm:resnet18"])
def test_missing_timm_names_the_extra(monkeypatch, spec):
    real_import = builtins.__import__

    def no_timm(name, *args, **kwargs):
        if name == "timm" or name.startswith("timm."):
            raise ImportError("No module named 'timm'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_timm)
    with pytest.raises(EncoderError, match=r"oddfinder\[zoobot\]"):
        load_encoder(spec, device="cpu")


def _fake_timm(calls: list) -> object:
    """A stand-in for timm (which needs torchvision, not installable beside this torch).

    Its ``create_model`` builds a tiny network and loads the weights file named by
    ``pretrained_cfg_overlay`` the way timm does, so the test exercises our loader's code:
    the arguments it passes, the local-weights path, and how it reads the model's config.
    """
    import types

    def create_model(name, *, pretrained, num_classes, pretrained_cfg_overlay=None):
        calls.append((name, pretrained, num_classes, pretrained_cfg_overlay))
        model = _Tiny()
        if pretrained_cfg_overlay is not None:
            state = torch.load(pretrained_cfg_overlay["file"], weights_only=True)
            model.load_state_dict(state)
        model.pretrained_cfg = {"input_size": (3, 40, 40), "mean": (0.5,) * 3, "std": (0.25,) * 3}
        return model

    return types.SimpleNamespace(create_model=create_model)


def test_timm_encoder_loads_local_weights_offline(monkeypatch, tmp_path):
    import sys

    torch.manual_seed(1)
    saved = _Tiny()
    weights = tmp_path / "tiny.pth"
    torch.save(saved.state_dict(), weights)
    calls: list = []
    monkeypatch.setitem(sys.modules, "timm", _fake_timm(calls))

    encoder = load_encoder(f"zoobot:convnext_nano@{weights}", device="cpu")

    name, pretrained, num_classes, overlay = calls[0]
    assert (name, pretrained, num_classes) == ("convnext_nano", True, 0)  # no hub prefix
    assert overlay == {"file": str(weights)}
    assert encoder.image_size == 40 and encoder.embedding_dim == 6
    batch = torch.randint(0, 255, (2, 3, 40, 40), dtype=torch.uint8)
    expected = saved.eval()((batch.float() / 255 - 0.5) / 0.25)
    torch.testing.assert_close(encoder.embed(batch), expected, rtol=1e-4, atol=1e-5)


def test_timm_hub_spec_and_missing_local_weights(monkeypatch, tmp_path):
    import sys

    calls: list = []
    monkeypatch.setitem(sys.modules, "timm", _fake_timm(calls))
    load_encoder("zoobot:convnext_nano", device="cpu")
    assert calls[0][0] == "hf_hub:mwalmsley/zoobot-encoder-convnext_nano"
    assert calls[0][3] is None
    with pytest.raises(EncoderError, match="weights not found"):
        load_encoder(f"timm:resnet18@{tmp_path / 'missing.pth'}", device="cpu")
