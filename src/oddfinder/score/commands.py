"""``oddfinder score``: the unsupervised anomaly prior of a workspace."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``score`` subcommand."""
    parser = subparsers.add_parser(
        "score",
        help="anomaly prior (isolation forest or LOF) of every galaxy -> WS/prior.parquet",
    )
    parser.add_argument("workspace", help="workspace folder")
    parser.add_argument("--method", choices=("iforest", "lof"), default="iforest")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from oddfinder.io.workspace import Workspace
    from oddfinder.score.workspace import score_workspace

    ws = Workspace.open(args.workspace)
    prior = score_workspace(ws, method=args.method, seed=args.seed)
    print(f"wrote {ws.path / 'prior.parquet'}: {prior.size} galaxies ({args.method})")
    return 0
