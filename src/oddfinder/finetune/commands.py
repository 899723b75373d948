"""``oddfinder finetune``: a classifier from a few labels, scored into the workspace."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def _run_finetune(args: argparse.Namespace) -> int:
    import json

    from oddfinder.finetune.workspace import finetune_workspace
    from oddfinder.io.workspace import Workspace

    ws = Workspace.open(args.workspace)
    result = finetune_workspace(
        ws,
        args.label_column,
        mode=args.mode,
        out=args.out,
        train_ids=args.train_ids,
        positive=args.positive,
        column=args.column,
        seed=args.seed,
        epochs=args.epochs,
        max_steps=args.max_steps,
    )
    print(json.dumps(result))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``finetune`` subcommand."""
    parser = subparsers.add_parser(
        "finetune",
        help="train a classifier from a few labels and score the workspace with it",
        description=(
            "Train a binary classifier on a catalogue label column: a head on the frozen "
            "embedding (head), the bundled CNN fine-tuned with augmentation (full), or the same "
            "network from random weights (scratch, the baseline). Saves it to --out and writes "
            "its scores to WS/scores.parquet (column finetune_COL) for the app."
        ),
    )
    parser.add_argument("workspace", help="workspace folder")
    parser.add_argument("--label-column", required=True, help="catalogue column of 0/1 labels")
    parser.add_argument("--positive", help="value of --label-column that counts as positive")
    parser.add_argument("--train-ids", help="file of galaxy ids to train on (one a line)")
    parser.add_argument("--mode", choices=("head", "full", "scratch"), default="head")
    parser.add_argument("--out", required=True, help="where to save the classifier (.pt)")
    parser.add_argument("--column", help="score column name (default finetune_COL)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--epochs", type=float, default=10.0, help="passes over the labels (full, scratch)"
    )
    parser.add_argument(
        "--max-steps", type=int, default=80, help="most optimiser steps (full, scratch)"
    )
    parser.set_defaults(func=_run_finetune)
