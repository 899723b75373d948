"""The bundled morphology CNN: a small residual network in plain ``torch.nn``.

The network answers morphology questions (multi-task heads); its penultimate layer, a
512-d globally pooled feature vector, is the embedding used by the rest of oddfinder.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

__all__ = ["HeadSpec", "ModelConfig", "MorphologyCNN", "default_heads", "fold_batchnorm"]


@dataclass(frozen=True)
class HeadSpec:
    """One question the network answers.

    Parameters
    ----------
    name : str
        The answer's column in the training manifest (e.g. ``"bar"``).
    kind : {"binary", "categorical", "regression"}
        ``binary``: one logit, trained with binary cross-entropy on a target in [0, 1];
        ``categorical``: one logit per class; ``regression``: one output in [0, 1] (sigmoid).
    classes : tuple of str
        Class names for a categorical head (empty otherwise).
    """

    name: str
    kind: str
    classes: tuple[str, ...] = ()

    @property
    def n_outputs(self) -> int:
        """Number of outputs (logits) of the head."""
        return len(self.classes) if self.kind == "categorical" else 1


@dataclass(frozen=True)
class ModelConfig:
    """Architecture and input convention of a :class:`MorphologyCNN`.

    Everything here is plain ints, floats and strings so that it round-trips through a
    ``torch.load(weights_only=True)`` checkpoint.
    """

    image_size: int = 64
    widths: tuple[int, ...] = (32, 64, 128, 256)
    embedding_dim: int = 512
    mean: tuple[float, float, float] = (0.1, 0.1, 0.1)
    std: tuple[float, float, float] = (0.2, 0.2, 0.2)
    heads: tuple[HeadSpec, ...] = field(default_factory=tuple)
    dropout: float = 0.2

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form, safe for ``weights_only`` checkpoints."""
        out = asdict(self)
        out["widths"] = list(self.widths)
        out["mean"] = list(self.mean)
        out["std"] = list(self.std)
        out["heads"] = [
            {"name": h.name, "kind": h.kind, "classes": list(h.classes)} for h in self.heads
        ]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelConfig:
        """Inverse of :meth:`to_dict`."""
        heads = tuple(
            HeadSpec(h["name"], h["kind"], tuple(h.get("classes", ()))) for h in data["heads"]
        )
        return cls(
            image_size=int(data["image_size"]),
            widths=tuple(int(w) for w in data["widths"]),
            embedding_dim=int(data["embedding_dim"]),
            mean=tuple(float(m) for m in data["mean"]),
            std=tuple(float(s) for s in data["std"]),
            heads=heads,
            dropout=float(data.get("dropout", 0.0)),
        )


def _conv_bn(c_in: int, c_out: int, *, stride: int = 1, kernel: int = 3) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(c_out),
    )


class _Block(nn.Module):
    """Residual stage: a strided 3x3 conv, then a residual 3x3 conv."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.down = _conv_bn(c_in, c_out, stride=2)
        self.conv = _conv_bn(c_out, c_out)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.down(x))
        return self.act(x + self.conv(x))


class MorphologyCNN(nn.Module):
    """Small residual CNN with a 512-d embedding and one output head per question.

    Parameters
    ----------
    config : ModelConfig
        Architecture, input size and heads.

    Examples
    --------
    >>> cfg = ModelConfig(heads=(HeadSpec("bar", "binary"),))
    >>> model = MorphologyCNN(cfg).eval()
    >>> model.embed(torch.zeros(2, 3, 64, 64)).shape
    torch.Size([2, 512])
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        widths = config.widths
        self.stem = nn.Sequential(_conv_bn(3, widths[0], stride=2), nn.ReLU(inplace=True))
        self.stages = nn.Sequential(
            *(_Block(c_in, c_out) for c_in, c_out in itertools.pairwise(widths))
        )
        self.project = nn.Sequential(
            _conv_bn(widths[-1], config.embedding_dim, kernel=1), nn.ReLU(inplace=True)
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(config.dropout)
        self.heads = nn.ModuleDict(
            {h.name: nn.Linear(config.embedding_dim, h.n_outputs) for h in config.heads}
        )

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate-layer embedding, ``(batch, embedding_dim)``, of normalised images."""
        x = self.project(self.stages(self.stem(x)))
        return torch.flatten(self.pool(x), 1)

    def head_outputs(self, embedding: torch.Tensor) -> dict[str, torch.Tensor]:
        """Raw head outputs (logits) from embeddings."""
        z = self.dropout(embedding)
        return {name: head(z) for name, head in self.heads.items()}

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Logits of every head; the embedding is under the key ``"embedding"``."""
        embedding = self.embed(x)
        out = self.head_outputs(embedding)
        out["embedding"] = embedding
        return out

    def answers(self, embedding: torch.Tensor) -> dict[str, torch.Tensor]:
        """Head outputs as probabilities (softmax, sigmoid) from embeddings.

        Binary and regression heads give ``(batch,)``; categorical ones ``(batch, classes)``.
        """
        out: dict[str, torch.Tensor] = {}
        for spec in self.config.heads:
            logits = self.heads[spec.name](embedding)
            if spec.kind == "categorical":
                out[spec.name] = torch.softmax(logits, dim=1)
            else:
                out[spec.name] = torch.sigmoid(logits[:, 0])
        return out


def fold_batchnorm(model: MorphologyCNN) -> MorphologyCNN:
    """Fold every BatchNorm into the preceding convolution, in place (eval-mode speed-up).

    The folded model computes the same function in eval mode, with fewer memory passes.
    """
    for module in model.modules():
        if isinstance(module, nn.Sequential) and len(module) >= 2:
            conv, bn = module[0], module[1]
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
                fused = nn.Conv2d(
                    conv.in_channels,
                    conv.out_channels,
                    conv.kernel_size,
                    stride=conv.stride,
                    padding=conv.padding,
                    bias=True,
                )
                with torch.no_grad():
                    fused.weight.copy_(conv.weight * scale[:, None, None, None])
                    bias = bn.bias.detach() - bn.running_mean * scale
                    fused.bias.copy_(bias)
                module[0] = fused
                module[1] = nn.Identity()
    return model


def default_heads(kinds: Sequence[str]) -> tuple[HeadSpec, ...]:
    """Heads for the simulated survey's answers, with the given ``kind`` classes."""
    return (
        HeadSpec("kind", "categorical", tuple(kinds)),
        HeadSpec("smooth", "binary"),
        HeadSpec("edge_on", "binary"),
        HeadSpec("bar", "binary"),
        HeadSpec("spiral_arms", "categorical", ("0", "2", "3", "4")),
        HeadSpec("bulge_size", "regression"),
        HeadSpec("merging", "binary"),
    )
