"""embed stage: encoders (bundled CNN, Zoobot/timm, files), training, batch inference, PCA.

The names below are imported lazily, so ``import oddfinder.embed`` does not import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "Encoder",
    "EncoderError",
    "embed_workspace",
    "load_answers",
    "load_encoder",
    "predict_answers",
    "reduce_features",
    "train_encoder",
]

_WHERE = {
    "Encoder": "oddfinder.embed.encoders",
    "EncoderError": "oddfinder.embed.encoders",
    "load_encoder": "oddfinder.embed.encoders",
    "embed_workspace": "oddfinder.embed.inference",
    "load_answers": "oddfinder.embed.inference",
    "predict_answers": "oddfinder.embed.inference",
    "reduce_features": "oddfinder.embed.reduce",
    "train_encoder": "oddfinder.embed.train",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'oddfinder.embed' has no attribute {name!r}")
