"""Encoders: image batch in, embedding out, whatever the network behind them.

``load_encoder(spec)`` understands four kinds of spec:

- ``bundled``: the morphology CNN shipped in ``data/encoder/`` (trained on the simulated survey);
- ``zoobot:NAME``: a Zoobot encoder from the Hugging Face hub (``mwalmsley/zoobot-encoder-NAME``)
  through timm, e.g. ``zoobot:convnext_nano`` (needs the ``[zoobot]`` extra);
- ``timm:NAME``: any timm model, pretrained, classifier removed (needs the ``[zoobot]`` extra);
  ``timm:NAME@WEIGHTS`` / ``zoobot:NAME@WEIGHTS`` load a local weights file instead, offline;
- ``file:PATH``: a local TorchScript file, a ``torch.export`` program (``.pt2``), or a
  state-dict checkpoint of the bundled architecture. Files are loaded safely
  (``torch.load(weights_only=True)``): a pickled ``nn.Module`` is refused.
"""

from __future__ import annotations

import json
import logging
import os
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from oddfinder.embed.model import HeadSpec, ModelConfig, MorphologyCNN, fold_batchnorm
from oddfinder.errors import OddfinderError

__all__ = [
    "BUNDLED_WEIGHTS",
    "Encoder",
    "EncoderError",
    "bundled_weights_path",
    "load_checkpoint",
    "load_encoder",
    "resolve_device",
    "save_checkpoint",
]

logger = logging.getLogger(__name__)

BUNDLED_WEIGHTS = "morphology_cnn.pt"
_CHECKPOINT_FORMAT = "oddfinder-morphology-cnn"
_TORCHSCRIPT_META = "oddfinder.json"


class EncoderError(OddfinderError):
    """An encoder spec is malformed, its file is unusable, or its dependency is missing."""


def bundled_weights_path() -> Path:
    """Path of the bundled weights, ``data/encoder/morphology_cnn.pt`` in the source tree.

    The environment variable ``ODDFINDER_ENCODER_DIR`` points elsewhere when set.
    """
    folder = os.environ.get("ODDFINDER_ENCODER_DIR")
    if folder:
        return Path(folder) / BUNDLED_WEIGHTS
    return Path(__file__).resolve().parents[3] / "data" / "encoder" / BUNDLED_WEIGHTS


def resolve_device(device: str) -> torch.device:
    """Turn ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps`` into an available device."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if not re.fullmatch(r"cpu|mps|cuda(:\d+)?", device):
        raise EncoderError(f"unknown device {device!r}: use auto, cpu, cuda or mps")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise EncoderError(f"device {device!r} requested but CUDA is not available")
    if device == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise EncoderError("device 'mps' requested but MPS is not available")
    return torch.device(device)


class Encoder:
    """A network that maps uint8 image batches to embeddings.

    Parameters
    ----------
    module : torch.nn.Module
        Maps a normalised float batch ``(B, 3, S, S)`` to ``(B, D)`` embeddings, or, for the
        bundled CNN, a :class:`MorphologyCNN` (then answers are available too).
    name, version : str
        Recorded in ``workspace.json`` and used to tag cached chunks.
    image_size : int
        Side of the square input.
    mean, std : sequence of 3 floats
        Normalisation of the [0, 1] input, per channel.
    device : torch.device
        Where the network runs.
    """

    def __init__(
        self,
        module: nn.Module,
        *,
        name: str,
        version: str,
        image_size: int,
        mean: tuple[float, ...],
        std: tuple[float, ...],
        device: torch.device,
    ) -> None:
        self.name = name
        self.version = version
        self.image_size = int(image_size)
        self.device = device
        self.module = module.eval().to(device)
        if device.type != "mps":
            self.module = self.module.to(memory_format=torch.channels_last)
        self._mean = torch.tensor(mean, dtype=torch.float32, device=device).view(1, 3, 1, 1)
        self._std = torch.tensor(std, dtype=torch.float32, device=device).view(1, 3, 1, 1)
        self.embedding_dim = int(self.embed(torch.zeros(2, 3, image_size, image_size)).shape[1])

    def __repr__(self) -> str:
        return (
            f"Encoder(name={self.name!r}, version={self.version!r}, "
            f"image_size={self.image_size}, embedding_dim={self.embedding_dim})"
        )

    @property
    def answer_heads(self) -> tuple[HeadSpec, ...]:
        """The morphology questions the encoder answers (empty unless it is a MorphologyCNN)."""
        if isinstance(self.module, MorphologyCNN):
            return self.module.config.heads
        return ()

    @property
    def answer_columns(self) -> list[str]:
        """Column names of :meth:`answers`' output, e.g. ``kind_merger``, ``bar``."""
        columns: list[str] = []
        for spec in self.answer_heads:
            if spec.kind == "categorical":
                columns.extend(f"{spec.name}_{c}" for c in spec.classes)
            else:
                columns.append(spec.name)
        return columns

    def preprocess(self, image: Image.Image) -> torch.Tensor:
        """A PIL image as the uint8 ``(3, S, S)`` tensor the encoder takes."""
        image = image.convert("RGB")
        if image.size != (self.image_size, self.image_size):
            image = image.resize(
                (self.image_size, self.image_size), Image.Resampling.BILINEAR, reducing_gap=2.0
            )
        return torch.from_numpy(np.asarray(image, dtype=np.uint8).copy()).permute(2, 0, 1)

    def _normalise(self, batch: torch.Tensor) -> torch.Tensor:
        batch = batch.to(self.device, non_blocking=True)
        if batch.dtype == torch.uint8:
            batch = batch.float().div_(255.0)
        if batch.shape[-1] != self.image_size or batch.shape[-2] != self.image_size:
            batch = torch.nn.functional.interpolate(
                batch, size=(self.image_size, self.image_size), mode="bilinear", antialias=True
            )
        batch = (batch - self._mean) / self._std
        if self.device.type != "mps":
            batch = batch.contiguous(memory_format=torch.channels_last)
        return batch

    @torch.inference_mode()
    def embed(self, batch: torch.Tensor) -> torch.Tensor:
        """Embeddings ``(B, D)`` (float32, on CPU) of a uint8 or [0, 1] float batch."""
        return self.embed_and_answer(batch)[0]

    @torch.inference_mode()
    def embed_and_answer(self, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Embeddings and, for the bundled CNN, answer probabilities ``(B, len(answer_columns))``.

        Both come back as float32 CPU tensors; answers are ``None`` for other encoders.
        """
        x = self._normalise(batch)
        if isinstance(self.module, MorphologyCNN):
            embedding = self.module.embed(x)
            answers = self.module.answers(embedding)
            parts = [
                answers[s.name] if s.kind == "categorical" else answers[s.name][:, None]
                for s in self.module.config.heads
            ]
            answer_matrix = torch.cat(parts, dim=1).float().cpu() if parts else None
        else:
            embedding = self.module(x)
            if isinstance(embedding, (tuple, list)):
                embedding = embedding[0]
            embedding = torch.flatten(embedding, 1) if embedding.ndim > 2 else embedding
            answer_matrix = None
        return embedding.float().cpu(), answer_matrix


# --- checkpoints of the bundled architecture ----------------------------------------------------
def save_checkpoint(
    path: str | os.PathLike,
    model: MorphologyCNN,
    *,
    version: str,
    metrics: Mapping[str, Any] | None = None,
    half: bool = True,
) -> None:
    """Save ``model`` as a ``weights_only``-loadable checkpoint (float16 weights by default)."""
    from oddfinder.io.atomic import atomic_path

    state = {
        k: (v.half() if half and v.is_floating_point() else v).detach().cpu().clone()
        for k, v in model.state_dict().items()
    }
    checkpoint = {
        "format": _CHECKPOINT_FORMAT,
        "version": version,
        "config": model.config.to_dict(),
        "metrics": dict(metrics or {}),
        "state_dict": state,
    }
    with atomic_path(path, suffix=".pt") as tmp:
        torch.save(checkpoint, tmp)


def _infer_config(state: Mapping[str, torch.Tensor]) -> ModelConfig:
    """Guess the architecture of a bare MorphologyCNN state dict from its tensor shapes."""
    widths = [int(state["stem.0.0.weight"].shape[0])]
    i = 0
    while f"stages.{i}.down.0.weight" in state:
        widths.append(int(state[f"stages.{i}.down.0.weight"].shape[0]))
        i += 1
    heads = []
    for key, value in state.items():
        match = re.fullmatch(r"heads\.(\w+)\.weight", key)
        if match:
            k = int(value.shape[0])
            classes = tuple(str(c) for c in range(k)) if k > 1 else ()
            heads.append(HeadSpec(match.group(1), "categorical" if k > 1 else "binary", classes))
    return ModelConfig(
        widths=tuple(widths),
        embedding_dim=int(state["project.0.0.weight"].shape[0]),
        heads=tuple(heads),
    )


def load_checkpoint(path: str | os.PathLike) -> tuple[MorphologyCNN, dict[str, Any]]:
    """Load a MorphologyCNN checkpoint safely; returns the eval-mode model and its metadata.

    Raises
    ------
    EncoderError
        If the file is missing, not a weights-only checkpoint, or not of this architecture.
    """
    path = Path(path)
    if not path.is_file():
        raise EncoderError(f"encoder weights not found: {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # UnpicklingError, RuntimeError for non-zip files, ...
        raise EncoderError(
            f"cannot load {path} safely (weights_only): {str(error).splitlines()[0]}; save a "
            "state_dict, a TorchScript file (torch.jit.save) or a torch.export program (.pt2)"
        ) from error
    if not isinstance(data, Mapping):
        raise EncoderError(f"{path} holds a {type(data).__name__}, not a state_dict checkpoint")
    if "state_dict" in data and "config" in data:
        state, config = data["state_dict"], ModelConfig.from_dict(data["config"])
        meta = {k: v for k, v in data.items() if k != "state_dict"}
    elif "stem.0.0.weight" in data:
        state, config, meta = data, _infer_config(data), {}
    else:
        keys = ", ".join(list(data)[:5])
        raise EncoderError(
            f"{path} is not a checkpoint of the bundled architecture (keys: {keys}); use a "
            "TorchScript file for other networks"
        )
    model = MorphologyCNN(config)
    try:
        model.load_state_dict({k: v.float() for k, v in state.items()})
    except RuntimeError as error:
        raise EncoderError(
            f"{path} does not match the bundled architecture: {str(error).splitlines()[0]}"
        ) from error
    return model.eval(), meta


# --- the loaders ---------------------------------------------------------------------------------
def _bundled(path: Path, *, name: str, device: torch.device) -> Encoder:
    model, meta = load_checkpoint(path)
    config = model.config
    return Encoder(
        fold_batchnorm(model),
        name=name,
        version=str(meta.get("version", "unknown")),
        image_size=config.image_size,
        mean=config.mean,
        std=config.std,
        device=device,
    )


def _timm(
    model_name: str, *, name: str, device: torch.device, weights: Path | None = None
) -> Encoder:
    try:
        import timm
    except ImportError as error:
        raise EncoderError(
            f"encoder {name!r} needs timm: install the zoobot extra, "
            "pip install 'oddfinder[zoobot]'"
        ) from error
    options: dict[str, Any] = {}
    if weights is not None:
        if not weights.is_file():
            raise EncoderError(f"encoder weights not found: {weights}")
        options["pretrained_cfg_overlay"] = {"file": str(weights)}  # no hub download
    try:
        module = timm.create_model(model_name, pretrained=True, num_classes=0, **options)
    except Exception as error:
        raise EncoderError(f"cannot create timm model {model_name!r}: {error}") from error
    cfg = getattr(module, "pretrained_cfg", {}) or {}
    size = int(cfg.get("input_size", (3, 224, 224))[-1])
    mean = tuple(float(m) for m in cfg.get("mean", (0.485, 0.456, 0.406)))
    std = tuple(float(s) for s in cfg.get("std", (0.229, 0.224, 0.225)))
    version = str(cfg.get("hf_hub_id") or cfg.get("tag") or model_name)
    return Encoder(
        module, name=name, version=version, image_size=size, mean=mean, std=std, device=device
    )


def _is_torchscript(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(n.split("/", 1)[-1].startswith("code/") for n in archive.namelist())


def _file(path: Path, *, name: str, device: torch.device) -> Encoder:
    if not path.is_file():
        raise EncoderError(f"encoder file not found: {path}")
    if path.suffix == ".pt2":
        try:
            module = torch.export.load(path).module()
        except Exception as error:
            raise EncoderError(f"cannot load torch.export program {path}: {error}") from error
        meta: dict[str, Any] = {}
    elif _is_torchscript(path):
        extra = {_TORCHSCRIPT_META: ""}
        try:
            module = torch.jit.load(path, map_location="cpu", _extra_files=extra)
        except Exception as error:
            raise EncoderError(f"cannot load TorchScript file {path}: {error}") from error
        meta = json.loads(extra[_TORCHSCRIPT_META]) if extra[_TORCHSCRIPT_META] else {}
    else:
        return _bundled(path, name=name, device=device)
    return Encoder(
        module,
        name=name,
        version=str(meta.get("version", path.stat().st_mtime_ns)),
        image_size=int(meta.get("image_size", 64)),
        mean=tuple(meta.get("mean", (0.0, 0.0, 0.0))),
        std=tuple(meta.get("std", (1.0, 1.0, 1.0))),
        device=device,
    )


def load_encoder(spec: str = "bundled", *, device: str = "cpu") -> Encoder:
    """Load an encoder from a spec: ``bundled``, ``zoobot:NAME``, ``timm:NAME`` or ``file:PATH``.

    ``zoobot:NAME`` and ``timm:NAME`` download pretrained weights from the Hugging Face hub;
    ``timm:NAME@WEIGHTS`` (or ``zoobot:NAME@WEIGHTS``) builds the timm architecture ``NAME``
    and loads the local weights file ``WEIGHTS`` instead, offline (e.g. a Zoobot encoder's
    ``.safetensors`` copied to a cluster without internet).

    A TorchScript file may carry ``{"image_size", "mean", "std", "version"}`` as the extra file
    ``oddfinder.json`` (``torch.jit.save(m, path, _extra_files={"oddfinder.json": ...})``);
    otherwise it is fed 64 x 64 images scaled to [0, 1].

    Raises
    ------
    EncoderError
        If the spec is malformed, the file unusable, or timm missing for ``zoobot:``/``timm:``.

    Examples
    --------
    >>> try:
    ...     load_encoder("resnet")
    ... except EncoderError as error:
    ...     print(error)
    unknown encoder 'resnet': use bundled, zoobot:NAME, timm:NAME or file:PATH
    """
    kind, _, arg = spec.partition(":")
    if kind == "bundled" and not arg:
        torch_device = resolve_device(device)
        path = bundled_weights_path()
        if not path.is_file():
            raise EncoderError(
                f"bundled encoder weights missing: {path}; train them with "
                "`oddfinder train-encoder` or use --encoder file:PATH"
            )
        return _bundled(path, name="bundled", device=torch_device)
    if kind in ("zoobot", "timm") and arg:
        arg, _, weights = arg.partition("@")
        if weights:  # local weights: the timm architecture of that name, nothing downloaded
            local = Path(weights).expanduser()
            return _timm(arg, name=spec, device=resolve_device(device), weights=local)
        model_name = f"hf_hub:mwalmsley/zoobot-encoder-{arg}" if kind == "zoobot" else arg
        return _timm(model_name, name=spec, device=resolve_device(device))
    if kind == "file" and arg:
        path = Path(arg).expanduser()
        return _file(path, name=f"file:{path.name}", device=resolve_device(device))
    raise EncoderError(
        f"unknown encoder {spec!r}: use bundled, zoobot:NAME, timm:NAME or file:PATH"
    )
