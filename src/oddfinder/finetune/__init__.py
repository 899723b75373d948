"""finetune stage: classifiers from a few labels on top of (or through) the bundled CNN.

``head``: a logistic-regression head on the frozen embedding; ``full``: the bundled CNN
fine-tuned end to end with augmentation; ``scratch``: the same network from random weights,
the baseline. :func:`finetune_workspace` trains one, saves it, and writes its scores into
``WS/scores.parquet`` for the app. Names are imported lazily (no torch at import).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "CNNClassifier",
    "HeadClassifier",
    "ScratchClassifier",
    "finetune_workspace",
    "load_classifier",
    "save_classifier",
    "score_workspace",
    "training_labels",
]

_WHERE = {
    "CNNClassifier": "oddfinder.finetune.full",
    "HeadClassifier": "oddfinder.finetune.head",
    "ScratchClassifier": "oddfinder.finetune.scratch",
    "finetune_workspace": "oddfinder.finetune.workspace",
    "score_workspace": "oddfinder.finetune.workspace",
    "load_classifier": "oddfinder.finetune.model_file",
    "save_classifier": "oddfinder.finetune.model_file",
    "training_labels": "oddfinder.finetune.targets",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'oddfinder.finetune' has no attribute {name!r}")
