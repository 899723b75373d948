"""``oddfinder map``: compute the UMAP map of a workspace."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def _run_map(args: argparse.Namespace) -> int:
    import logging

    from oddfinder.io.workspace import Workspace
    from oddfinder.map.umap_map import map_workspace

    ws = Workspace.open(args.workspace)
    table = map_workspace(ws, seed=args.seed, n_neighbors=args.n_neighbors)
    logging.getLogger("oddfinder").info(
        "wrote %s (%d galaxies)", ws.path / "map.parquet", len(table)
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``map`` subcommand."""
    parser = subparsers.add_parser(
        "map",
        help="compute the 2-d UMAP map of the features (WS/map.parquet)",
        description="Project the workspace's features to 2-d with UMAP for the app's Map page.",
    )
    parser.add_argument("workspace", help="workspace folder (after `oddfinder embed`)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--n-neighbors", type=int, default=15, help="UMAP neighbourhood size (default 15)"
    )
    parser.set_defaults(func=_run_map)
