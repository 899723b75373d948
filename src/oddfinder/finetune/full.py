"""The bundled CNN fine-tuned end to end on a few labels, with augmentation."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

__all__ = ["CNNClassifier"]

logger = logging.getLogger(__name__)

_HEAD = "target"


class CNNClassifier:
    """A binary classifier made of the bundled :class:`MorphologyCNN` and one new logit.

    Training is short and fixed in length: ``epochs`` passes over the labels, at least
    ``min_steps`` and at most ``max_steps`` optimiser steps, stopping early once the running
    training loss falls below ``stop_loss``. Every batch is augmented (rotation, flips, zoom,
    PSF, noise: :class:`oddfinder.embed.augment.Augment`).

    Parameters
    ----------
    pretrained : bool
        Start from the bundled weights (``True``) or from random weights (the baseline).
    epochs : float
        Passes over the training labels.
    min_steps, max_steps : int
        Bounds on the number of optimiser steps.
    batch_size : int
    lr : float
        Learning rate of the new head; the pretrained backbone gets ``backbone_lr_factor``
        times it.
    backbone_lr_factor : float
    weight_decay : float
    stop_loss : float
        Early stop once the exponential moving average of the loss is below this.
    augment : bool
    seed : int

    Attributes
    ----------
    model_ : MorphologyCNN
        The trained network (eval mode).
    steps_ : int
        Optimiser steps taken.
    """

    mode = "full"

    def __init__(
        self,
        *,
        pretrained: bool = True,
        epochs: float = 10.0,
        min_steps: int = 20,
        max_steps: int = 80,
        batch_size: int = 32,
        lr: float = 1e-3,
        backbone_lr_factor: float = 0.3,
        weight_decay: float = 1e-2,
        stop_loss: float = 0.05,
        augment: bool = True,
        seed: int = 0,
    ) -> None:
        self.pretrained = pretrained
        self.epochs = epochs
        self.min_steps = min_steps
        self.max_steps = max_steps
        self.batch_size = batch_size
        self.lr = lr
        self.backbone_lr_factor = backbone_lr_factor
        self.weight_decay = weight_decay
        self.stop_loss = stop_loss
        self.augment = augment
        self.seed = seed

    # --- the network -----------------------------------------------------------------------
    def _build(self):
        import torch

        from oddfinder.embed.encoders import bundled_weights_path, load_checkpoint
        from oddfinder.embed.model import HeadSpec, ModelConfig, MorphologyCNN

        base, _ = load_checkpoint(bundled_weights_path())
        old = base.config
        config = ModelConfig(
            image_size=old.image_size,
            widths=old.widths,
            embedding_dim=old.embedding_dim,
            mean=old.mean,
            std=old.std,
            heads=(HeadSpec(_HEAD, "binary"),),
            dropout=old.dropout,
        )
        torch.manual_seed(self.seed)
        model = MorphologyCNN(config)
        if self.pretrained:
            backbone = {k: v for k, v in base.state_dict().items() if not k.startswith("heads.")}
            model.load_state_dict(backbone, strict=False)
        return model

    @property
    def image_size(self) -> int:
        """Side of the square input, in pixels."""
        return int(self.model_.config.image_size) if hasattr(self, "model_") else 64

    def _normalise(self, images):
        import torch
        import torch.nn.functional as F

        cfg = self.model_.config
        x = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
        if x.shape[-1] != cfg.image_size:
            x = F.interpolate(x, size=(cfg.image_size,) * 2, mode="bilinear", antialias=True)
        mean = torch.tensor(cfg.mean).view(1, 3, 1, 1)
        std = torch.tensor(cfg.std).view(1, 3, 1, 1)
        return x, mean, std

    def _train_mode(self) -> None:
        from torch import nn

        self.model_.train()
        if self.pretrained:  # keep the pretrained batch statistics: batches of 4 are too few
            for module in self.model_.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.eval()

    # --- estimator API ---------------------------------------------------------------------
    def fit(self, images: np.ndarray, y: np.ndarray) -> CNNClassifier:
        """Train on uint8 images ``(n, 3, H, W)`` and 0/1 labels ``(n,)``."""
        import torch
        import torch.nn.functional as F

        from oddfinder.embed.augment import Augment

        self.model_ = self._build()
        data = torch.as_tensor(np.ascontiguousarray(images))
        x_all, mean, std = self._normalise(data)
        target = torch.as_tensor(np.asarray(y, dtype=np.float32))
        n = len(target)
        if n == 0:
            raise ValueError("no training images")
        batch = min(self.batch_size, n)
        steps = math.ceil(self.epochs * n / batch)
        steps = min(self.max_steps, max(self.min_steps, steps))
        head = [p for k, p in self.model_.named_parameters() if k.startswith("heads.")]
        body = [p for k, p in self.model_.named_parameters() if not k.startswith("heads.")]
        body_lr = self.lr * (self.backbone_lr_factor if self.pretrained else 1.0)
        optimiser = torch.optim.AdamW(
            [{"params": head, "lr": self.lr}, {"params": body, "lr": body_lr}],
            weight_decay=self.weight_decay,
        )
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimiser, max_lr=[self.lr, body_lr], total_steps=steps, pct_start=0.15
        )
        generator = torch.Generator().manual_seed(self.seed)
        augment = Augment(zoom=(0.8, 1.25), blur_sigma=(0.0, 1.0), noise=(0.0, 0.03))
        positive = float(target.mean())
        pos_weight = torch.tensor((1.0 - positive) / max(positive, 1e-6))
        self._train_mode()
        running = None
        self.steps_ = 0
        for step in range(steps):
            pick = torch.randperm(n, generator=generator)[:batch]
            xb = x_all[pick]
            if self.augment:
                xb = augment(xb, generator=generator)
            logits = self.model_((xb - mean) / std)[_HEAD][:, 0]
            loss = F.binary_cross_entropy_with_logits(logits, target[pick], pos_weight=pos_weight)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            self.steps_ = step + 1
            value = float(loss.detach())
            running = value if running is None else 0.8 * running + 0.2 * value
            if step + 1 >= self.min_steps and running < self.stop_loss:
                break
        logger.debug("trained %d steps, final loss %.3f", self.steps_, running)
        self.model_.eval()
        return self

    def decision_function(self, images: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
        """Log-odds of the positive class for uint8 images ``(n, 3, H, W)``."""
        import torch

        out = []
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                part = torch.as_tensor(np.ascontiguousarray(images[start : start + batch_size]))
                x, mean, std = self._normalise(part)
                out.append(self.model_((x - mean) / std)[_HEAD][:, 0].double().numpy())
        return np.concatenate(out) if out else np.empty(0)

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """Probabilities ``(n, 2)`` of the negative and positive class."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(images)))
        return np.c_[1.0 - p, p]

    def to_state(self) -> dict[str, Any]:
        """The trained network as a ``weights_only``-loadable dict."""
        return {
            "pretrained": bool(self.pretrained),
            "config": self.model_.config.to_dict(),
            "state_dict": {k: v.detach().cpu() for k, v in self.model_.state_dict().items()},
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CNNClassifier:
        """Inverse of :meth:`to_state`."""
        from oddfinder.embed.model import ModelConfig, MorphologyCNN

        clf = cls(pretrained=bool(state["pretrained"]))
        clf.model_ = MorphologyCNN(ModelConfig.from_dict(state["config"]))
        clf.model_.load_state_dict(state["state_dict"])
        clf.model_.eval()
        return clf
