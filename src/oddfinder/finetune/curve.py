"""The few-label learning curve: accuracy and ROC AUC against the number of training labels.

For each seed a fixed, balanced test set is held out; classifiers are trained on ``n``
positives and ``n`` negatives drawn from the rest, for every ``n`` and every mode (``head``
on the frozen embedding, ``full`` fine-tuning, ``scratch`` baseline).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "balanced_split",
    "few_label_curve",
    "plot_curve",
    "read_labelled_images",
    "summarise_curve",
]

logger = logging.getLogger(__name__)


def read_labelled_images(
    manifest: str | os.PathLike, column: str, *, size: int = 64
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Images uint8 ``(n, 3, size, size)``, 0/1 labels of ``column`` and the manifest table."""
    from oddfinder.embed.dataset import read_uint8

    manifest = Path(manifest)
    table = pd.read_csv(manifest)
    images = np.stack(
        [read_uint8(manifest.parent / p, size=size).transpose(2, 0, 1) for p in table["path"]]
    )
    return images, table[column].to_numpy(dtype=np.int64), table


def balanced_split(
    y: np.ndarray, n: int, seed: int, *, test_per_class: int = 35
) -> tuple[np.ndarray, np.ndarray]:
    """Train rows (``n`` per class) and test rows (``test_per_class`` per class) for one seed.

    The test rows depend on the seed only, not on ``n``.

    Examples
    --------
    >>> y = np.array([0] * 10 + [1] * 10)
    >>> train, test = balanced_split(y, 3, 0, test_per_class=4)
    >>> len(train), len(test), int(y[train].sum()), len(set(train) & set(test))
    (6, 8, 3, 0)
    """
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in (0, 1):
        rows = rng.permutation(np.flatnonzero(y == label))
        if len(rows) < test_per_class + n:
            raise ValueError(f"class {label} has {len(rows)} rows: need {test_per_class + n}")
        test.append(rows[:test_per_class])
        train.append(rows[test_per_class : test_per_class + n])
    return np.concatenate(train), np.concatenate(test)


def few_label_curve(
    images: np.ndarray,
    embeddings: np.ndarray,
    y: np.ndarray,
    *,
    counts: Sequence[int] = (2, 10, 20, 50, 100, 200),
    seeds: int = 5,
    modes: Sequence[str] = ("head", "full", "scratch"),
    test_per_class: int = 35,
    max_steps: int = 80,
) -> pd.DataFrame:
    """One row per (mode, n per class, seed): held-out ``accuracy``, ``roc_auc``, ``seconds``.

    Parameters
    ----------
    images : uint8 array (n, 3, H, W)
        Input of the ``full`` and ``scratch`` modes.
    embeddings : array (n, d)
        Input of the ``head`` mode (the frozen encoder's embeddings of the same galaxies).
    y : array (n,)
        0/1 labels.
    """
    from sklearn.metrics import roc_auc_score

    from oddfinder.finetune.full import CNNClassifier
    from oddfinder.finetune.head import HeadClassifier
    from oddfinder.finetune.scratch import ScratchClassifier

    runs = []
    for mode in modes:
        for n in counts:
            for seed in range(seeds):
                train, test = balanced_split(y, n, seed, test_per_class=test_per_class)
                start = time.perf_counter()
                if mode == "head":
                    clf = HeadClassifier().fit(embeddings[train], y[train], reference=embeddings)
                    p = clf.predict_proba(embeddings[test])[:, 1]
                else:
                    kind = CNNClassifier if mode == "full" else ScratchClassifier
                    clf = kind(seed=seed, max_steps=max_steps).fit(images[train], y[train])
                    p = clf.predict_proba(images[test])[:, 1]
                runs.append(
                    {
                        "mode": mode,
                        "n_per_class": int(n),
                        "seed": seed,
                        "accuracy": float(((p > 0.5) == y[test]).mean()),
                        "roc_auc": float(roc_auc_score(y[test], p)),
                        "seconds": time.perf_counter() - start,
                    }
                )
                logger.info("%s", runs[-1])
    return pd.DataFrame(runs)


def summarise_curve(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of accuracy and ROC AUC per mode and count."""
    grouped = runs.groupby(["mode", "n_per_class"])
    out = grouped[["accuracy", "roc_auc"]].agg(["mean", "std"])
    out.columns = [f"{metric}_{stat}" for metric, stat in out.columns]
    return out.reset_index()


def plot_curve(curve: pd.DataFrame, *, title: str = "Few-label classification"):
    """Accuracy and ROC AUC against labels per class, one line per mode; returns the figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharex=True)
    for ax, metric, label in zip(
        axes, ("accuracy", "roc_auc"), ("accuracy", "ROC AUC"), strict=True
    ):
        for mode, part in curve.groupby("mode", sort=False):
            ax.errorbar(
                part["n_per_class"],
                part[f"{metric}_mean"],
                yerr=part[f"{metric}_std"],
                marker="o",
                capsize=3,
                label=mode,
            )
        ax.set_xscale("log")
        ax.set_xlabel("training positives (and as many negatives)")
        ax.set_ylabel(f"held-out {label}")
        ax.axhline(0.5, color="grey", lw=0.8, ls=":")
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig
