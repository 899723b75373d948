"""The benchmark on a workspace or an image manifest, with results.json and a plot."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from oddfinder.errors import OddfinderError
from oddfinder.evaluate.benchmark import DEFAULT_BUDGETS, run_benchmark
from oddfinder.evaluate.oracle import truth_from_catalog
from oddfinder.io.atomic import atomic_path, write_json
from oddfinder.io.workspace import Workspace

__all__ = ["budgets_up_to", "open_or_build_workspace", "plot_results", "run_benchmark_on"]

logger = logging.getLogger(__name__)


def budgets_up_to(n_labels: int) -> list[int]:
    """The standard budgets (10, 20, 50, 100, 150, 200, then every 100) up to ``n_labels``.

    Examples
    --------
    >>> budgets_up_to(120)
    [10, 20, 50, 100, 120]
    """
    standard = [*DEFAULT_BUDGETS, *range(300, n_labels + 1, 100)]
    out = [b for b in standard if b <= n_labels]
    if not out or out[-1] != n_labels:
        out.append(n_labels)
    return out


def open_or_build_workspace(source: str | os.PathLike, out: str | os.PathLike) -> Workspace:
    """A workspace as given, or one ingested and embedded from a manifest into ``out/workspace``.

    An existing ``out/workspace`` with features is reused (the cache).
    """
    source = Path(source)
    if (source / "workspace.json").is_file():
        return Workspace.open(source)
    if not source.is_file():
        raise OddfinderError(f"{source} is neither a workspace folder nor a manifest file")
    target = Path(out) / "workspace"
    if (target / "workspace.json").is_file():
        ws = Workspace.open(target)
        if ws.has("features"):
            logger.info("reusing %s", target)
            return ws
    from oddfinder.embed import embed_workspace
    from oddfinder.embed.morphometry import measure_workspace
    from oddfinder.io.ingest import ingest_images

    logger.info("ingesting %s into %s", source, target)
    ws = ingest_images(source, target, force=True)
    embed_workspace(ws)
    if not ws.has("features"):
        from oddfinder.embed import reduce_features

        reduce_features(ws)
    measure_workspace(ws)
    return Workspace.open(target)


def plot_results(results: dict, path: str | os.PathLike, *, metric: str = "p@100") -> Path:
    """Plot ``metric`` against labels for every method (mean, and worst seed dashed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    labels = results["labels"]
    for name, summary in results["methods"].items():
        (line,) = ax.plot(labels, summary[metric], marker="o", label=name)
        ax.plot(labels, summary[f"{metric}_min"], ls="--", color=line.get_color(), alpha=0.6)
    ax.set_xlabel("labels given")
    ax.set_ylabel(f"precision in the top {metric.split('@')[1]}" if "@" in metric else metric)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(
        f"{results['n_interesting']} interesting of {results['n']} "
        f"(mean; dashed: worst of {results['seeds']} seeds)",
        fontsize=9,
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return path


def run_benchmark_on(
    source: str | os.PathLike,
    out: str | os.PathLike,
    *,
    interesting: str | None = None,
    score_column: str | None = None,
    n_labels: int = 200,
    batch: int = 10,
    seeds: int = 5,
    methods: Sequence[str] = ("gp", "random", "prior", "neighbourscore", "walmsley"),
    seed_examples: int = 0,
) -> dict:
    """Benchmark ``methods`` on a workspace or manifest; writes ``out/results.json`` and
    ``out/precision_top100.png`` and returns the results."""
    from oddfinder.rank.features import ranking_features
    from oddfinder.score.workspace import read_prior, score_workspace

    out = Path(out)
    ws = open_or_build_workspace(source, out)
    scores = truth_from_catalog(ws.catalog, interesting=interesting, score_column=score_column)
    if not (scores >= 3).any():
        raise OddfinderError("no galaxy is interesting under the given expression or column")
    prior = read_prior(ws)
    if prior is None:
        prior = score_workspace(ws)
    features = ranking_features(ws)
    results = run_benchmark(
        features.values,
        scores,
        prior=prior,
        methods=methods,
        labels=budgets_up_to(n_labels),
        batch=batch,
        seeds=seeds,
        seed_examples=seed_examples,
        method_options={"gp": features.options},
    )
    results["features"] = list(features.names)
    results["source"] = str(source)
    results["interesting"] = interesting
    results["score_column"] = score_column
    write_json(out / "results.json", results)
    plot_results(results, out / "precision_top100.png")
    return results
