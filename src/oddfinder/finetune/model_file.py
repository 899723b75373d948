"""Saving and loading fine-tuned classifiers (``torch.load(weights_only=True)`` safe)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from oddfinder.errors import OddfinderError

__all__ = ["FORMAT", "load_classifier", "save_classifier"]

FORMAT = "oddfinder-finetune"


def _classes() -> dict[str, type]:
    from oddfinder.finetune.full import CNNClassifier
    from oddfinder.finetune.head import HeadClassifier
    from oddfinder.finetune.scratch import ScratchClassifier

    return {"head": HeadClassifier, "full": CNNClassifier, "scratch": ScratchClassifier}


def save_classifier(path: str | os.PathLike, classifier, **meta: Any) -> Path:
    """Write ``classifier`` and plain ``meta`` values (label column, metrics...) atomically."""
    import torch

    from oddfinder.io.atomic import atomic_path

    payload = {"format": FORMAT, "mode": classifier.mode, "state": classifier.to_state()}
    payload["meta"] = dict(meta)
    path = Path(path)
    with atomic_path(path, suffix=".pt") as tmp:
        torch.save(payload, tmp)
    return path


def load_classifier(path: str | os.PathLike) -> tuple[Any, dict[str, Any]]:
    """Load a classifier saved by :func:`save_classifier`; returns it and its metadata.

    Raises
    ------
    OddfinderError
        If the file is missing or not a fine-tuned oddfinder classifier.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise OddfinderError(f"classifier file not found: {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise OddfinderError(f"cannot load {path}: {str(error).splitlines()[0]}") from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise OddfinderError(f"{path} is not an oddfinder fine-tuned classifier")
    classes = _classes()
    if payload["mode"] not in classes:
        raise OddfinderError(f"{path}: unknown classifier mode {payload['mode']!r}")
    return classes[payload["mode"]].from_state(payload["state"]), dict(payload.get("meta", {}))
