"""``oddfinder score``: the unsupervised anomaly prior of a workspace."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``score`` subcommand."""
    parser = subparsers.add_parser(
        "score",
        help="prior of every galaxy (isolation forest, LOF, or a CNN answer) -> WS/prior.parquet",
    )
    parser.add_argument("workspace", help="workspace folder")
    parser.add_argument(
        "--method",
        type=_method,
        default="iforest",
        help="iforest (default) or lof: anomaly priors; answer:COLUMN: the bundled CNN's answer "
        "COLUMN (e.g. answer:merging) as an informative prior",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=_run)


def _method(value: str) -> str:
    if value in ("iforest", "lof") or (value.startswith("answer:") and len(value) > 7):
        return value
    raise argparse.ArgumentTypeError(f"{value!r}: use iforest, lof or answer:COLUMN")


def _run(args: argparse.Namespace) -> int:
    from oddfinder.io.workspace import Workspace
    from oddfinder.score.workspace import score_workspace

    ws = Workspace.open(args.workspace)
    prior = score_workspace(ws, method=args.method, seed=args.seed)
    print(f"wrote {ws.path / 'prior.parquet'}: {prior.size} galaxies ({args.method})")
    return 0
