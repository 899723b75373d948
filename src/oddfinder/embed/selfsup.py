"""Self-supervised adaptation of the morphology CNN to a survey's own images (SimCLR).

Two augmented views of every image (:class:`~oddfinder.embed.augment.Augment`: rotation,
flips, zoom, blur, noise, colour) go through the CNN's 512-d embedding and a small projection
MLP; the NT-Xent loss pulls the two views of a galaxy together and pushes the other galaxies
of the batch away. The projector is discarded after training: what is saved is a checkpoint of
the bundled architecture that ``oddfinder embed WS --encoder file:PATH`` loads.

Starting from the bundled weights (``init="bundled"``) fine-tunes the bundled encoder on the
survey; its supervised morphology heads are kept unchanged in the saved checkpoint (they are
not trained, so ``answers.parquet`` is still written). ``init="scratch"`` starts from random
weights, without heads.

Training is bounded by epochs and/or wall-clock minutes and resumable: after every epoch the
model, projector, optimiser, random state and history are written atomically to
``OUT/selfsup.partial.pt``; rerunning the same command continues from there. The partial
checkpoint is removed once the final weights are saved.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import platform
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from oddfinder.errors import ImageError, OddfinderError, WorkspaceError

__all__ = [
    "PARTIAL_NAME",
    "SelfSupervisedError",
    "contrastive_step",
    "load_workspace_images",
    "nt_xent",
    "projection_head",
    "train_selfsupervised",
]

logger = logging.getLogger(__name__)

PARTIAL_NAME = "selfsup.partial.pt"
_PARTIAL_FORMAT = "oddfinder-selfsup-partial-1"


class SelfSupervisedError(OddfinderError):
    """Self-supervised training cannot run as asked (bad options, unusable partial state)."""


# --- the contrastive objective --------------------------------------------------------------------
def nt_xent(z1, z2, *, temperature: float = 0.2):
    """NT-Xent (normalised temperature-scaled cross-entropy) loss of two views' projections.

    Row ``i`` of ``z1`` and row ``i`` of ``z2`` are the positive pair; every other row of
    either view is a negative.

    Parameters
    ----------
    z1, z2 : torch.Tensor
        Projections ``(B, d)`` of the first and second view, ``B >= 2``.
    temperature : float
        Softmax temperature of the cosine similarities.

    Returns
    -------
    torch.Tensor
        The scalar loss (mean over the ``2B`` anchors).

    Examples
    --------
    >>> import torch
    >>> z = torch.eye(4)
    >>> bool(nt_xent(z, z) < nt_xent(z, z.roll(1, dims=0)))
    True
    """
    import torch
    import torch.nn.functional as F

    b = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    similarity = (z @ z.T) / float(temperature)
    self_mask = torch.eye(2 * b, dtype=torch.bool, device=z.device)
    similarity = similarity.masked_fill(self_mask, float("-inf"))
    targets = torch.cat([torch.arange(b, 2 * b), torch.arange(0, b)]).to(z.device)
    return F.cross_entropy(similarity, targets)


def projection_head(embedding_dim: int, *, out_dim: int = 128):
    """The SimCLR projection MLP: Linear, BatchNorm, ReLU, Linear (discarded after training)."""
    from torch import nn

    return nn.Sequential(
        nn.Linear(embedding_dim, embedding_dim, bias=False),
        nn.BatchNorm1d(embedding_dim),
        nn.ReLU(inplace=True),
        nn.Linear(embedding_dim, out_dim),
    )


def contrastive_step(
    model,
    projector,
    optimiser,
    images,
    *,
    augment,
    generator,
    mean,
    std,
    temperature: float = 0.2,
    device=None,
) -> float:
    """One SimCLR step on a uint8 batch ``(B, 3, S, S)``; returns the loss.

    Both views are augmented on the CPU (``Augment`` draws from ``generator``), normalised with
    ``mean`` and ``std`` (``(1, 3, 1, 1)`` tensors on ``device``), then embedded together.
    """
    import torch

    x = torch.as_tensor(images).float().div_(255.0)
    views = torch.cat([augment(x, generator=generator), augment(x, generator=generator)])
    if device is not None:
        views = views.to(device, non_blocking=True)
    views = (views - mean) / std
    z = projector(model.embed(views))
    loss = nt_xent(z[: len(x)], z[len(x) :], temperature=temperature)
    optimiser.zero_grad(set_to_none=True)
    loss.backward()
    optimiser.step()
    return float(loss.detach())


# --- data -----------------------------------------------------------------------------------------
def load_workspace_images(
    ws, *, image_size: int, workers: int = 2, progress: bool = True
) -> np.ndarray:
    """Decode every catalogue image of ``ws`` once, as uint8 ``(N, 3, S, S)``.

    Raises
    ------
    WorkspaceError
        If the workspace has no image paths (precomputed embeddings) or a row lacks one.
    ImageError
        If an image cannot be read (naming its row and id).
    """
    from tqdm.auto import tqdm

    from oddfinder.embed.dataset import read_uint8
    from oddfinder.embed.inference import has_images

    if not has_images(ws):
        raise WorkspaceError(
            f"workspace {ws.path} has no image paths (precomputed embeddings?): "
            "self-supervised training needs the survey's images"
        )
    from oddfinder.embed.inference import _image_paths

    paths = _image_paths(ws)
    images = np.empty((len(paths), 3, image_size, image_size), dtype=np.uint8)

    def read(row: int) -> int:
        try:
            images[row] = read_uint8(paths[row], size=image_size).transpose(2, 0, 1)
        except ImageError as error:
            raise ImageError(f"row {row} (id {ws.ids[row]}): {error}") from error
        return row

    bar = tqdm(total=len(paths), disable=not progress, desc="read", unit="img")
    if workers > 0:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(read, range(len(paths))):
                bar.update(1)
    else:
        for row in range(len(paths)):
            read(row)
            bar.update(1)
    bar.close()
    return images


# --- initial model --------------------------------------------------------------------------------
def _initial_model(init: str, *, image_size: int | None, widths, images_for_stats):
    """The model to start from, with its init version, for ``bundled``, ``scratch``, ``file:P``."""
    from oddfinder.embed.encoders import bundled_weights_path, load_checkpoint
    from oddfinder.embed.model import ModelConfig, MorphologyCNN

    if init == "scratch":
        size = int(image_size or 64)
        sample = images_for_stats(size)
        mean = tuple(float(m) for m in sample.mean(axis=(0, 2, 3)))
        std = tuple(float(max(s, 1e-3)) for s in sample.std(axis=(0, 2, 3)))
        config = ModelConfig(image_size=size, widths=tuple(widths), mean=mean, std=std)
        return MorphologyCNN(config), "scratch"
    if init == "bundled":
        path = bundled_weights_path()
    elif init.startswith("file:") and len(init) > 5:
        path = Path(init[5:]).expanduser()
    else:
        raise SelfSupervisedError(f"unknown --init {init!r}: use bundled, scratch or file:PATH")
    if not path.is_file():
        raise SelfSupervisedError(f"initial weights for --init {init} not found: {path}")
    model, meta = load_checkpoint(path)
    if image_size is not None and int(image_size) != model.config.image_size:
        from dataclasses import replace

        model.config = replace(model.config, image_size=int(image_size))
    return model, str(meta.get("version", "unknown"))


def _fingerprint(**fields: Any) -> str:
    return hashlib.sha1(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def _check_options(epochs, minutes, batch_size, temperature) -> None:
    if epochs is None and minutes is None:
        raise SelfSupervisedError("give --epochs or --minutes (or both) to bound the training")
    if epochs is not None and int(epochs) < 1:
        raise SelfSupervisedError(f"--epochs must be at least 1, got {epochs}")
    if minutes is not None and not float(minutes) > 0:
        raise SelfSupervisedError(f"--minutes must be positive, got {minutes}")
    if int(batch_size) < 2:
        raise SelfSupervisedError(
            f"--batch-size must be at least 2 (pairs need negatives), got {batch_size}"
        )
    if not float(temperature) > 0:
        raise SelfSupervisedError(f"--temperature must be positive, got {temperature}")


# --- training -------------------------------------------------------------------------------------
def train_selfsupervised(
    workspace,
    out: str | os.PathLike,
    *,
    init: str = "bundled",
    epochs: int | None = None,
    minutes: float | None = None,
    batch_size: int = 128,
    lr: float | None = None,
    temperature: float = 0.2,
    image_size: int | None = None,
    widths: tuple[int, ...] = (32, 64, 128, 256),
    seed: int = 0,
    workers: int = 2,
    threads: int | None = None,
    device: str = "auto",
    command: str | None = None,
    progress: bool = True,
    on_epoch: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Adapt the morphology CNN to a workspace's images by SimCLR; save it under ``out``.

    Parameters
    ----------
    workspace : Workspace or path-like
        An oddfinder workspace whose catalogue has image paths.
    out : path-like
        Folder for ``morphology_cnn.pt``, ``MODEL_CARD.md``, ``metrics.json`` and, while
        training, the resumable ``selfsup.partial.pt``.
    init : str
        ``bundled`` (fine-tune the bundled encoder; its heads are kept), ``scratch`` (random
        weights, no heads) or ``file:PATH`` (a checkpoint of the bundled architecture).
    epochs : int, optional
        Passes over the images; the learning-rate schedule spans them.
    minutes : float, optional
        Wall-clock budget of the training loop, summed over resumed runs; training stops
        after the step that reaches it. At least one of ``epochs`` and ``minutes`` is needed.
    batch_size : int
        Images per step (each gives two views); capped at the number of images.
    lr : float, optional
        Peak learning rate (AdamW, warm-up then cosine); default 5e-4 when fine-tuning,
        2e-3 from scratch.
    temperature : float
        NT-Xent temperature.
    image_size : int, optional
        Input side in pixels; default the initial checkpoint's (64 from scratch).
    widths : tuple of int
        Stage widths of a model built from scratch.
    seed : int
        Seed of the projector's initialisation, the shuffling and the augmentations.
    workers : int
        Threads decoding the images (0: decode in this thread).
    threads : int, optional
        Torch CPU threads.
    device : str
        ``auto`` (CUDA when available), ``cpu``, ``cuda`` or ``mps``.
    command : str, optional
        The command line, recorded in the model card.
    progress : bool
        Show progress bars.
    on_epoch : callable, optional
        Called with the number of completed epochs after each partial checkpoint is written.

    Returns
    -------
    dict
        ``version``, ``weights`` (the saved file), ``history`` (loss and images/s per epoch),
        ``final_loss``, ``epochs_completed``, ``resumed_from_epoch`` and timings.

    Raises
    ------
    SelfSupervisedError
        For bad options or a partial checkpoint from other settings.
    WorkspaceError, ImageError
        If the workspace has no images or one cannot be read.
    """
    import torch

    from oddfinder.embed.augment import Augment
    from oddfinder.embed.encoders import (
        BUNDLED_WEIGHTS,
        bundled_weights_path,
        resolve_device,
        save_checkpoint,
    )
    from oddfinder.io.workspace import Workspace

    _check_options(epochs, minutes, batch_size, temperature)
    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
    out = Path(out)
    weights = out / BUNDLED_WEIGHTS
    if weights.resolve() == bundled_weights_path().resolve():
        raise SelfSupervisedError(
            f"--out {out} would overwrite the bundled encoder: choose another folder"
        )
    if threads is not None:
        torch.set_num_threads(int(threads))
    torch_device = resolve_device(device)
    t_start = time.perf_counter()

    partial_path = out / PARTIAL_NAME
    partial = None
    if partial_path.is_file():
        try:
            partial = torch.load(partial_path, map_location="cpu", weights_only=True)
        except Exception as error:
            raise SelfSupervisedError(
                f"cannot read the partial checkpoint {partial_path}: {str(error).splitlines()[0]}"
                "; delete it to start again"
            ) from error

    # Architecture and input size: from the partial state when resuming, else from init.
    from oddfinder.embed.model import ModelConfig, MorphologyCNN

    cache: dict[int, np.ndarray] = {}

    def images_at(size: int) -> np.ndarray:
        if size not in cache:
            cache.clear()
            cache[size] = load_workspace_images(
                ws, image_size=size, workers=workers, progress=progress
            )
        return cache[size]

    torch.manual_seed(seed)
    if partial is not None:
        model = MorphologyCNN(ModelConfig.from_dict(partial["config"]))
        init_version = str(partial["init_version"])
    else:
        model, init_version = _initial_model(
            init,
            image_size=image_size,
            widths=widths,
            images_for_stats=lambda s: images_at(s)[:2000].astype(np.float32) / 255.0,
        )
    config = model.config
    images = images_at(config.image_size)
    n = len(images)
    if n < 2:
        raise SelfSupervisedError(f"workspace {ws.path} has {n} image(s): need at least 2")
    batch = min(int(batch_size), n)
    steps_per_epoch = max(1, n // batch)
    peak_lr = float(lr) if lr is not None else (2e-3 if init == "scratch" else 5e-4)
    fingerprint = _fingerprint(
        workspace=str(ws.path.resolve()),
        n=n,
        init=init,
        image_size=config.image_size if image_size is None else int(image_size),
        batch=batch,
        seed=seed,
        temperature=float(temperature),
    )

    projector = projection_head(config.embedding_dim)
    # The heads are not part of the objective: leave them out so weight decay cannot move them.
    encoder_params = [p for name, p in model.named_parameters() if not name.startswith("heads.")]
    for p in model.heads.parameters():
        p.requires_grad_(False)
    optimiser = torch.optim.AdamW(
        [*encoder_params, *projector.parameters()], lr=peak_lr, weight_decay=1e-4
    )
    generator = torch.Generator().manual_seed(seed)
    epoch, step, elapsed, history = 0, 0, 0.0, []
    if partial is not None:
        if partial.get("format") != _PARTIAL_FORMAT or partial.get("fingerprint") != fingerprint:
            raise SelfSupervisedError(
                f"{partial_path} was written with other settings (workspace, init, image size, "
                "batch, seed or temperature): rerun with those, or delete it to start again"
            )
        model.load_state_dict(partial["model"])
        projector.load_state_dict(partial["projector"])
        generator.set_state(partial["rng"])
        epoch, step = int(partial["epoch"]), int(partial["step"])
        elapsed = float(partial["elapsed"])
        history = [dict(h) for h in partial["history"]]
        logger.info("resuming from %s at epoch %d (step %d)", partial_path, epoch, step)
    resumed_from = epoch
    model.to(torch_device)
    projector.to(torch_device)
    if partial is not None:
        optimiser.load_state_dict(partial["optimiser"])

    mean = torch.tensor(config.mean, dtype=torch.float32, device=torch_device).view(1, 3, 1, 1)
    std = torch.tensor(config.std, dtype=torch.float32, device=torch_device).view(1, 3, 1, 1)
    augment = Augment()
    total_steps = None if epochs is None else int(epochs) * steps_per_epoch
    budget = None if minutes is None else 60.0 * float(minutes)
    warmup = max(1, min(100, steps_per_epoch))
    logger.info(
        "self-supervised training on %d images (%d px) from %s on %s: batch %d, %d steps/epoch",
        n,
        config.image_size,
        init,
        torch_device,
        batch,
        steps_per_epoch,
    )

    def fraction_done() -> float:
        done = 0.0 if total_steps is None else step / total_steps
        if budget is not None:
            done = max(done, elapsed / budget)
        return done

    from tqdm.auto import tqdm

    bar = tqdm(total=total_steps, initial=step, disable=not progress, desc="ssl", unit="step")
    stopped = fraction_done() >= 1.0
    last_losses: list[float] = []
    elapsed_before, t_loop = elapsed, time.perf_counter()
    while not stopped and (epochs is None or epoch < int(epochs)):
        model.train()
        projector.train()
        perm = torch.randperm(n, generator=generator).numpy()
        losses: list[float] = []
        t_epoch = time.perf_counter()
        for b in range(steps_per_epoch):
            for group in optimiser.param_groups:
                warm = min(1.0, (step + 1) / warmup)
                group["lr"] = peak_lr * warm * 0.5 * (1.0 + math.cos(math.pi * fraction_done()))
            idx = np.sort(perm[b * batch : (b + 1) * batch])
            loss = contrastive_step(
                model,
                projector,
                optimiser,
                torch.from_numpy(images[idx]),
                augment=augment,
                generator=generator,
                mean=mean,
                std=std,
                temperature=temperature,
                device=torch_device,
            )
            if not math.isfinite(loss):
                raise SelfSupervisedError(
                    f"loss became {loss} at step {step}: lower --lr (now {peak_lr})"
                )
            losses.append(loss)
            step += 1
            elapsed = elapsed_before + time.perf_counter() - t_loop
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}", epoch=epoch)
            if fraction_done() >= 1.0:
                stopped = True
                break
        last_losses = losses
        seconds = time.perf_counter() - t_epoch
        rate = len(losses) * batch / max(seconds, 1e-9)
        if len(losses) < steps_per_epoch:  # stopped inside the epoch by the budget
            logger.info(
                "epoch %d stopped after %d of %d steps: loss %.4f, %.1f images/s",
                epoch + 1,
                len(losses),
                steps_per_epoch,
                float(np.mean(losses)),
                rate,
            )
            break
        epoch += 1
        history.append(
            {"epoch": epoch, "loss": float(np.mean(losses)), "images_per_s": round(rate, 2)}
        )
        logger.info(
            "epoch %d: loss %.4f, %.1f images/s (%.1f min so far)",
            epoch,
            history[-1]["loss"],
            rate,
            elapsed / 60.0,
        )
        _write_partial(
            partial_path,
            model=model,
            projector=projector,
            optimiser=optimiser,
            generator=generator,
            epoch=epoch,
            step=step,
            elapsed=elapsed,
            history=history,
            fingerprint=fingerprint,
            init_version=init_version,
        )
        if on_epoch is not None:
            on_epoch(epoch)
    bar.close()

    model.to("cpu").eval()
    final_loss = (
        float(np.mean(last_losses))
        if last_losses
        else (history[-1]["loss"] if history else float("nan"))
    )
    epochs_completed = round(step / steps_per_epoch, 3)
    run_seconds = time.perf_counter() - t_start
    state_bytes = b"".join(v.detach().numpy().tobytes() for v in model.state_dict().values())
    version = f"selfsup-{config.image_size}px-{hashlib.sha1(state_bytes).hexdigest()[:8]}"
    rates = [h["images_per_s"] for h in history if h["epoch"] > resumed_from]
    training = {
        "method": "SimCLR (NT-Xent)",
        "init": init,
        "init_version": init_version,
        "workspace": str(ws.path),
        "n_images": n,
        "image_size": config.image_size,
        "batch_size": batch,
        "lr": peak_lr,
        "temperature": float(temperature),
        "seed": seed,
        "steps": step,
        "epochs_completed": epochs_completed,
        "epochs_requested": epochs,
        "minutes_requested": minutes,
        "train_minutes": round(elapsed / 60.0, 2),
        "images_per_s": round(float(np.mean(rates)), 2) if rates else None,
        "final_loss": round(final_loss, 4),
        "resumed_from_epoch": resumed_from,
        "device": str(torch_device),
        "threads": torch.get_num_threads(),
        "torch": str(torch.__version__),
        "cpu": platform.processor() or platform.machine(),
    }
    metrics = {"selfsupervised": training, "history": history}
    out.mkdir(parents=True, exist_ok=True)
    save_checkpoint(weights, model, version=version, metrics=metrics)
    from oddfinder.io.atomic import atomic_path, write_json

    write_json(out / "metrics.json", {"version": version, **metrics})
    card = _model_card(version=version, training=training, command=command, weights=weights)
    with atomic_path(out / "MODEL_CARD.md", suffix=".md") as tmp:
        tmp.write_text(card)
    partial_path.unlink(missing_ok=True)
    logger.info(
        "saved %s (version %s): %d steps, %.2f epochs, final loss %.4f, %.1f s this run",
        weights,
        version,
        step,
        epochs_completed,
        final_loss,
        run_seconds,
    )
    return {
        "version": version,
        "weights": str(weights),
        "final_loss": final_loss,
        "epochs_completed": epochs_completed,
        "resumed_from_epoch": resumed_from,
        "steps": step,
        "history": history,
        "training": training,
    }


def _write_partial(path: Path, *, model, projector, optimiser, generator, **fields) -> None:
    """Write the resumable state atomically (``weights_only``-loadable)."""
    import torch

    from oddfinder.io.atomic import atomic_path

    def cpu(state: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v.detach().cpu().clone() for k, v in state.items()}

    state = {
        "format": _PARTIAL_FORMAT,
        "config": model.config.to_dict(),
        "model": cpu(model.state_dict()),
        "projector": cpu(projector.state_dict()),
        "optimiser": optimiser.state_dict(),
        "rng": generator.get_state(),
        **fields,
    }
    with atomic_path(path, suffix=".pt") as tmp:
        torch.save(state, tmp)


def _model_card(*, version: str, training: Mapping[str, Any], command, weights: Path) -> str:
    heads_note = (
        "The supervised morphology heads of the initial checkpoint are kept unchanged (not "
        "trained here), so `answers.parquet` is still written; they now read an adapted "
        "embedding, so treat their answers with care."
        if training["init"] != "scratch"
        else "Trained from scratch: no morphology heads, so no `answers.parquet`."
    )
    rate = training["images_per_s"]
    lines = [
        "# Self-supervised morphology CNN",
        "",
        f"- **Version**: `{version}`",
        f"- **Weights**: `{weights.name}` (float16 state dict of "
        "`oddfinder.embed.model.MorphologyCNN`); use with "
        f"`oddfinder embed WS --encoder file:{weights}`.",
        f"- **Initialised from**: `{training['init']}` (version `{training['init_version']}`).",
        f"- **Data**: {training['n_images']} images of the workspace `{training['workspace']}`, "
        f"{training['image_size']} x {training['image_size']} px, no labels.",
        "",
        "## Training",
        "",
        "```",
        command or "oddfinder train-encoder --self-supervised WS ...",
        "```",
        "",
        f"SimCLR: two views per image (`oddfinder.embed.augment.Augment`: rotation, flips, "
        f"zoom, shift, blur, gamma, brightness, colour, noise), a projection MLP on the "
        f"512-d embedding (discarded), NT-Xent loss at temperature {training['temperature']}. "
        f"AdamW (lr {training['lr']}, weight decay 1e-4, warm-up then cosine), batch "
        f"{training['batch_size']}, {training['steps']} steps = {training['epochs_completed']} "
        f"epochs in {training['train_minutes']} min on {training['device']} (torch threads "
        f"{training['threads']}, torch {training['torch']})"
        + (f", {rate} images/s" if rate else "")
        + f". Final loss {training['final_loss']}.",
        "",
        "## Limits",
        "",
        heads_note,
        "The embedding is adapted to this survey's images only; it is not evaluated here "
        "against labels.",
        "",
    ]
    return "\n".join(lines)
