"""The baseline: the bundled CNN's architecture trained from random weights on the labels."""

from __future__ import annotations

from oddfinder.finetune.full import CNNClassifier

__all__ = ["ScratchClassifier"]


class ScratchClassifier(CNNClassifier):
    """:class:`CNNClassifier` with ``pretrained=False``: what few labels give on their own.

    Same architecture, augmentation and training length as the fine-tuned network, so any gap
    between the two is what the pretrained representation brings.
    """

    mode = "scratch"

    def __init__(self, **kwargs) -> None:
        kwargs.pop("pretrained", None)
        super().__init__(pretrained=False, **kwargs)
