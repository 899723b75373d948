"""Build the demo workspace end to end: simulate, ingest, embed, reduce, score, map.

Each step is skipped when its output is already in the workspace, so a second ``make demo``
starts the app in seconds.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

__all__ = ["build_demo", "register"]

logger = logging.getLogger(__name__)

DEFAULT_N = 5000


def build_demo(
    workspace: str | os.PathLike, *, n: int = DEFAULT_N, seed: int = 0, workers: int = 2
) -> Path:
    """Build (or finish building) the demo workspace at ``workspace``.

    The simulated survey's images live in ``<workspace>-survey/`` beside the workspace.

    Parameters
    ----------
    workspace : path-like
        Where the workspace goes.
    n : int
        Number of simulated galaxies.
    seed : int
        Seed of the simulated survey.
    workers : int
        Processes for simulation and ingest.

    Returns
    -------
    Path
        The workspace folder.
    """
    from oddfinder.embed import embed_workspace
    from oddfinder.embed.morphometry import measure_workspace
    from oddfinder.io.ingest import ingest_images
    from oddfinder.io.workspace import Workspace
    from oddfinder.map import map_workspace
    from oddfinder.score import score_workspace
    from oddfinder.survey import simulate_survey

    workspace = Path(workspace)
    survey_dir = workspace.with_name(workspace.name + "-survey")
    started = time.perf_counter()
    if not (survey_dir / "manifest.csv").is_file():
        logger.info("simulating %d galaxies into %s", n, survey_dir)
        simulate_survey(survey_dir, n, seed=seed, workers=workers)
    if not (workspace / "workspace.json").is_file():
        logger.info("ingesting %s", survey_dir / "manifest.csv")
        ingest_images(survey_dir / "manifest.csv", workspace, workers=workers)
    ws = Workspace.open(workspace)
    if not ws.has("features"):
        logger.info("embedding with the bundled encoder")
        embed_workspace(ws, workers=workers)
    if not ws.has("morphometry"):
        logger.info("measuring the morphometry of every image")
        measure_workspace(ws, workers=workers)
    if not ws.has("prior"):
        logger.info("scoring the anomaly prior")
        score_workspace(ws)
    if not ws.has("map"):
        logger.info("computing the UMAP map")
        map_workspace(ws)
    logger.info("demo workspace ready at %s (%.0f s)", workspace, time.perf_counter() - started)
    return workspace


def _run(args: argparse.Namespace) -> int:
    build_demo(args.workspace, n=args.n, seed=args.seed, workers=args.workers)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``oddfinder demo`` to the command line."""
    parser = subparsers.add_parser(
        "demo",
        help="build the simulated demo workspace (simulate, ingest, embed, score, map)",
        description=__doc__,
    )
    parser.add_argument("workspace", type=Path, help="workspace folder to build or complete")
    parser.add_argument("-n", type=int, default=DEFAULT_N, help="number of simulated galaxies")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated survey")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.set_defaults(func=_run)
