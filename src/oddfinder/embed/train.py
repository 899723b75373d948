"""Supervised training of the bundled morphology CNN on the simulated survey's answers.

Multi-task: the object's ``kind`` plus the Galaxy-Zoo-style answers (``smooth``, ``edge_on``,
``bar``, ``spiral_arms``, ``bulge_size``, ``merging``), with strong augmentation so that the
representation transfers to real survey cutouts. Writes ``OUT/morphology_cnn.pt`` (a
``weights_only`` state-dict checkpoint), ``OUT/metrics.json`` and ``OUT/MODEL_CARD.md``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import platform
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oddfinder.errors import IngestError

__all__ = ["format_metrics", "load_training_set", "train_encoder"]

logger = logging.getLogger(__name__)

_BINARY = ("smooth", "edge_on", "bar", "merging")
_SPIRAL_CLASSES = ("0", "2", "3", "4")


def _manifest_path(survey: str | os.PathLike) -> Path:
    path = Path(survey)
    if path.is_dir():
        path = path / "manifest.csv"
    if not path.is_file():
        raise IngestError(f"no survey manifest at {path}: give a simulated survey folder or CSV")
    return path


def load_training_set(
    survey: str | os.PathLike, *, image_size: int, workers: int = 2, progress: bool = True
) -> tuple[np.ndarray, pd.DataFrame]:
    """Read a simulated survey: uint8 images ``(N, 3, S, S)`` and its manifest table."""
    import torch
    from torch.utils.data import DataLoader
    from tqdm.auto import tqdm

    from oddfinder.embed.dataset import ImagePathDataset

    manifest = _manifest_path(survey)
    table = pd.read_csv(manifest)
    for column in ("path", "kind"):
        if column not in table.columns:
            raise IngestError(f"{manifest}: no {column!r} column")
    paths = [str((manifest.parent / p).resolve()) for p in table["path"].astype(str)]
    loader = DataLoader(
        ImagePathDataset(paths, size=image_size), batch_size=256, num_workers=workers
    )
    images = torch.empty((len(paths), 3, image_size, image_size), dtype=torch.uint8)
    for index, batch, ok in tqdm(loader, disable=not progress, desc="read", unit="batch"):
        if not bool(ok.all()):
            row = int(index[~ok][0])
            raise IngestError(f"{manifest}: row {row}: cannot read image {paths[row]}")
        images[index] = batch
    return images.numpy(), table


def _targets(table: pd.DataFrame, heads) -> dict[str, np.ndarray]:
    targets: dict[str, np.ndarray] = {}
    for spec in heads:
        values = table[spec.name]
        if spec.kind == "categorical":
            lookup = {c: i for i, c in enumerate(spec.classes)}
            keys = values.map(lambda v: str(int(v)) if isinstance(v, float) else str(v))
            targets[spec.name] = np.array(keys.map(lookup).fillna(-1).astype(np.int64))
        else:
            targets[spec.name] = np.array(values.astype(np.float32))
    return targets


def _heads_for(table: pd.DataFrame):
    from oddfinder.embed.model import HeadSpec

    heads = [HeadSpec("kind", "categorical", tuple(sorted(table["kind"].astype(str).unique())))]
    heads += [HeadSpec(c, "binary") for c in _BINARY if c in table.columns]
    if "spiral_arms" in table.columns:
        heads.append(HeadSpec("spiral_arms", "categorical", _SPIRAL_CLASSES))
    if "bulge_size" in table.columns:
        heads.append(HeadSpec("bulge_size", "regression"))
    return tuple(heads)


def _loss(outputs, targets, heads):
    import torch
    import torch.nn.functional as F

    total = torch.zeros(())
    for spec in heads:
        out, y = outputs[spec.name], targets[spec.name]
        if spec.kind == "categorical":
            mask = y >= 0
            if mask.any():
                total = total + F.cross_entropy(out[mask], y[mask])
        else:
            mask = torch.isfinite(y)
            if not mask.any():
                continue
            if spec.kind == "binary":
                total = total + F.binary_cross_entropy_with_logits(out[mask, 0], y[mask])
            else:
                total = total + 4.0 * F.mse_loss(torch.sigmoid(out[mask, 0]), y[mask])
    return total


def _evaluate(model, images, targets, heads, *, mean, std, augment=None, seed=0) -> dict:
    """Held-out metrics per head: accuracy (classification), MAE (bulge size)."""
    import torch

    model.eval()
    generator = torch.Generator().manual_seed(seed)
    outputs: dict[str, list] = {s.name: [] for s in heads}
    with torch.inference_mode():
        for start in range(0, len(images), 512):
            x = torch.from_numpy(images[start : start + 512]).float().div_(255.0)
            if augment is not None:
                x = augment(x, generator=generator)
            out = model((x - mean) / std)
            for s in heads:
                outputs[s.name].append(out[s.name])
    metrics: dict[str, float] = {}
    for spec in heads:
        out = torch.cat(outputs[spec.name])
        y = torch.from_numpy(targets[spec.name])
        if spec.kind == "categorical":
            mask = y >= 0
            metrics[f"{spec.name}_accuracy"] = float(
                (out[mask].argmax(1) == y[mask]).float().mean()
            )
        elif spec.kind == "binary":
            mask = torch.isfinite(y)
            pred, truth = out[mask, 0] > 0, y[mask] > 0.5
            metrics[f"{spec.name}_accuracy"] = float((pred == truth).float().mean())
            metrics[f"{spec.name}_base_rate"] = float(truth.float().mean())
        else:
            mask = torch.isfinite(y)
            err = (torch.sigmoid(out[mask, 0]) - y[mask]).abs()
            metrics[f"{spec.name}_mae"] = float(err.mean())
    return metrics


def train_encoder(
    survey: str | os.PathLike,
    out: str | os.PathLike,
    *,
    epochs: int = 20,
    minutes: float | None = None,
    image_size: int = 64,
    batch_size: int = 128,
    lr: float = 3e-3,
    holdout: float = 0.1,
    seed: int = 0,
    workers: int = 2,
    widths: Sequence[int] = (32, 64, 128, 256),
    threads: int | None = None,
    command: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train the morphology CNN on a simulated survey and save it under ``out``.

    Parameters
    ----------
    survey : path-like
        A simulated survey folder (with ``manifest.csv``) or its manifest CSV; needs ``kind``
        and ``path`` columns, and uses ``smooth``, ``edge_on``, ``bar``, ``spiral_arms``,
        ``bulge_size``, ``merging`` where present.
    out : path-like
        Folder for ``morphology_cnn.pt``, ``metrics.json`` and ``MODEL_CARD.md``.
    epochs : int
        Passes over the training split (the learning-rate schedule spans them).
    minutes : float, optional
        Wall-clock budget for the training loop; the schedule is shortened to fit it.
    image_size : int
        Side of the square input, in pixels.
    holdout : float
        Fraction of the survey held out for the reported metrics.
    threads : int, optional
        Torch threads for the training loop (default: torch's choice). On a busy shared
        machine one thread can be faster than several.
    command : str, optional
        The command line, recorded in the model card.

    Returns
    -------
    dict
        Metrics on the held-out split, plus training statistics.
    """
    import torch

    from oddfinder.embed.augment import Augment
    from oddfinder.embed.encoders import BUNDLED_WEIGHTS, save_checkpoint
    from oddfinder.embed.model import ModelConfig, MorphologyCNN

    if threads is not None:
        torch.set_num_threads(int(threads))
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    t_start = time.perf_counter()
    images, table = load_training_set(
        survey, image_size=image_size, workers=workers, progress=progress
    )
    n = len(table)
    n_test = max(1, round(holdout * n)) if n > 1 else 0
    order = rng.permutation(n)
    test_idx, train_idx = np.sort(order[:n_test]), order[n_test:]
    if len(train_idx) == 0:
        raise IngestError(f"{survey}: too few galaxies ({n}) to train on")

    heads = _heads_for(table)
    targets = _targets(table, heads)
    sample = images[train_idx[:2000]].astype(np.float32) / 255.0
    mean = tuple(float(m) for m in sample.mean(axis=(0, 2, 3)))
    std = tuple(float(max(s, 1e-3)) for s in sample.std(axis=(0, 2, 3)))
    config = ModelConfig(
        image_size=image_size, widths=tuple(widths), mean=mean, std=std, heads=heads
    )
    model = MorphologyCNN(config)
    mean_t = torch.tensor(mean).view(1, 3, 1, 1)
    std_t = torch.tensor(std).view(1, 3, 1, 1)
    augment = Augment()
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    steps_per_epoch = max(1, len(train_idx) // batch_size)
    total_steps = epochs * steps_per_epoch
    budget = None if minutes is None else 60.0 * float(minutes)
    generator = torch.Generator().manual_seed(seed)
    train_targets = {k: torch.from_numpy(v) for k, v in targets.items()}

    from tqdm.auto import tqdm

    step, seen, epoch = 0, 0, 0
    t_train = time.perf_counter()
    bar = tqdm(total=total_steps, disable=not progress, desc="train", unit="step")
    done = False
    while not done and epoch < epochs:
        model.train()
        perm = rng.permutation(train_idx)
        for b in range(steps_per_epoch):
            elapsed = time.perf_counter() - t_train
            fraction = step / total_steps
            if budget is not None:
                fraction = max(fraction, elapsed / budget)
            if fraction >= 1.0:
                done = True
                break
            warm = min(1.0, (step + 1) / 100)
            for group in optimiser.param_groups:
                group["lr"] = lr * warm * 0.5 * (1.0 + math.cos(math.pi * fraction))
            idx = np.sort(perm[b * batch_size : (b + 1) * batch_size])
            x = torch.from_numpy(images[idx]).float().div_(255.0)
            x = augment(x, generator=generator)
            x = (x - mean_t) / std_t
            outputs = model(x)
            batch_targets = {k: v[idx] for k, v in train_targets.items()}
            loss = _loss(outputs, batch_targets, heads)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            step += 1
            seen += len(idx)
            bar.update(1)
            if step % 50 == 0:
                bar.set_postfix(loss=f"{float(loss):.3f}", epoch=epoch)
        epoch += 1
    bar.close()
    train_seconds = time.perf_counter() - t_train

    test_targets = {k: v[test_idx] for k, v in targets.items()}
    metrics: dict[str, Any] = {}
    if n_test:
        clean = _evaluate(model, images[test_idx], test_targets, heads, mean=mean_t, std=std_t)
        noisy = _evaluate(
            model,
            images[test_idx],
            test_targets,
            heads,
            mean=mean_t,
            std=std_t,
            augment=augment,
            seed=seed + 1,
        )
        metrics["heldout"] = clean
        metrics["heldout_augmented"] = noisy
    state_bytes = b"".join(v.detach().cpu().numpy().tobytes() for v in model.state_dict().values())
    version = f"1.0-{image_size}px-{hashlib.sha1(state_bytes).hexdigest()[:8]}"
    metrics["training"] = {
        "n_galaxies": n,
        "n_train": len(train_idx),
        "n_heldout": n_test,
        "kind_counts": {str(k): int(v) for k, v in table["kind"].value_counts().items()},
        "steps": step,
        "epochs_completed": round(seen / max(1, len(train_idx)), 2),
        "train_seconds": round(train_seconds, 1),
        "total_seconds": round(time.perf_counter() - t_start, 1),
        "batch_size": batch_size,
        "lr": lr,
        "seed": seed,
        "torch": str(torch.__version__),
        "cpu": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    save_checkpoint(out / BUNDLED_WEIGHTS, model, version=version, metrics=metrics)
    from oddfinder.io.atomic import atomic_path, write_json

    write_json(out / "metrics.json", {"version": version, **metrics})
    card = _model_card(
        version=version,
        config=config,
        metrics=metrics,
        survey=survey,
        command=command,
        weights=out / BUNDLED_WEIGHTS,
        augment=augment,
    )
    with atomic_path(out / "MODEL_CARD.md", suffix=".md") as tmp:
        tmp.write_text(card)
    logger.info("saved %s (version %s) after %d steps", out / BUNDLED_WEIGHTS, version, step)
    return {"version": version, **metrics}


def _metric_rows(metrics: Mapping[str, Any]) -> list[str]:
    clean, noisy = metrics.get("heldout", {}), metrics.get("heldout_augmented", {})
    rows = ["| head | metric | held-out | held-out, augmented |", "| --- | --- | --- | --- |"]
    for key, value in clean.items():
        if key.endswith("_base_rate"):
            continue
        head, _, metric = key.rpartition("_")
        base = clean.get(f"{head}_base_rate")
        note = f" (base rate {base:.3f})" if base is not None else ""
        rows.append(
            f"| {head} | {metric}{note} | {value:.3f} | {noisy.get(key, float('nan')):.3f} |"
        )
    return rows


def _model_card(*, version, config, metrics, survey, command, weights, augment) -> str:
    a = augment
    training = metrics["training"]
    size_mb = Path(weights).stat().st_size / 1e6
    heads = ", ".join(
        f"`{h.name}` ({h.kind}{': ' + '/'.join(h.classes) if h.classes else ''})"
        for h in config.heads
    )
    counts = ", ".join(f"{k} {v}" for k, v in training["kind_counts"].items())
    mean = ", ".join(f"{m:.4f}" for m in config.mean)
    std = ", ".join(f"{s:.4f}" for s in config.std)
    lines = [
        "# Bundled morphology CNN",
        "",
        f"- **Version**: `{version}`",
        f"- **Weights**: `{Path(weights).name}` ({size_mb:.1f} MB, float16 state dict; load with "
        "`torch.load(path, weights_only=True)` or `oddfinder.embed.load_encoder('bundled')`)",
        "- **Architecture**: `oddfinder.embed.model.MorphologyCNN`, a small residual CNN in "
        f"plain torch.nn: widths {list(config.widths)}, a 1x1 projection to "
        f"{config.embedding_dim} channels, global average pooling. "
        f"**Embedding** = the pooled {config.embedding_dim}-d penultimate layer.",
        f"- **Input**: RGB, {config.image_size} x {config.image_size} pixels (any cutout is "
        "resized to this; JPEGs decoded in draft mode), scaled to [0, 1], then normalised per "
        f"channel: `(x - mean) / std` with mean = ({mean}), std = ({std}).",
        f"- **Heads**: {heads}.",
        "",
        "## Data",
        "",
        f"The oddfinder simulated survey (GalSim), {training['n_galaxies']} objects: {counts}. "
        f"{training['n_train']} for training, {training['n_heldout']} held out (random, seed "
        f"{training['seed']}). Survey: `{survey}`.",
        "",
        "Augmentation (every batch, `oddfinder.embed.augment.Augment`): rotation by any angle, "
        f"flips, zoom {a.zoom[0]}-{a.zoom[1]} (sky fills what enters from outside the cutout), "
        f"shift up to {100 * a.shift:.0f}%, Gaussian PSF blur of width {a.blur_sigma[0]}-"
        f"{a.blur_sigma[1]} px, gamma {a.gamma[0]}-{a.gamma[1]}, brightness {a.brightness[0]}-"
        f"{a.brightness[1]}, per-channel colour gain +-{100 * a.colour:.0f}%, Gaussian noise "
        f"sigma {a.noise[0]}-{a.noise[1]}.",
        "",
        "## Training",
        "",
        "```",
        command or "oddfinder train-encoder ...",
        "```",
        "",
        f"AdamW (lr {training['lr']}, weight decay 0.05, cosine schedule), batch "
        f"{training['batch_size']}, {training['steps']} steps ({training['epochs_completed']} "
        f"epochs) in {training['train_seconds'] / 60:.1f} min on CPU (torch threads: "
        f"{training['threads']}, torch {training['torch']}).",
        "",
        "## Held-out metrics",
        "",
        *_metric_rows(metrics),
        "",
        "Accuracy of binary heads thresholds the predicted probability and the target at 0.5. "
        "The augmented column applies the training augmentation to the held-out images.",
        "",
        "## Limits",
        "",
        "Trained only on simulated galaxies: the embedding is meant as a general morphology "
        "representation for similarity, anomaly scores and the interest model, not as a "
        "classifier of real galaxies. For real surveys a Zoobot encoder "
        "(`--encoder zoobot:NAME`, the `[zoobot]` extra) is likely better.",
        "",
    ]
    return "\n".join(lines)


def _json_default(value: Any) -> Any:  # pragma: no cover - used by json.dumps
    return str(value)


def format_metrics(metrics: Mapping[str, Any]) -> str:
    """Metrics as indented JSON (for the CLI)."""
    return json.dumps(metrics, indent=2, default=_json_default)
