"""``oddfinder benchmark``: simulated researchers find the interesting galaxies, per method."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``benchmark`` subcommand."""
    parser = subparsers.add_parser(
        "benchmark",
        help="discovery benchmark: how fast each method finds the interesting galaxies",
    )
    parser.add_argument("source", help="workspace folder, or an image manifest to ingest")
    truth = parser.add_mutually_exclusive_group(required=True)
    truth.add_argument(
        "--interesting", metavar="EXPR", help="pandas expression on the catalogue, e.g. 'ring == 1'"
    )
    truth.add_argument("--score-column", metavar="COL", help="a graded 0-5 catalogue column")
    parser.add_argument("--labels", type=int, default=200, help="label budget (default 200)")
    parser.add_argument("--batch", type=int, default=10, help="labels per round (default 10)")
    parser.add_argument("--seeds", type=int, default=5, help="simulated researchers per method")
    parser.add_argument(
        "--methods",
        default="gp,random,prior,neighbourscore,walmsley",
        help="comma-separated methods (default: all)",
    )
    parser.add_argument(
        "--seed-examples", type=int, default=0, help="interesting examples given up front"
    )
    parser.add_argument("--out", required=True, help="folder for results.json and the plot")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from oddfinder.errors import OddfinderError
    from oddfinder.evaluate.survey import run_benchmark_on
    from oddfinder.rank.session import METHODS

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise OddfinderError(f"unknown method(s) {unknown}: use {', '.join(METHODS)}")
    if args.labels < 1 or args.batch < 1 or args.seeds < 1:
        raise OddfinderError("--labels, --batch and --seeds must be positive")
    results = run_benchmark_on(
        args.source,
        args.out,
        interesting=args.interesting,
        score_column=args.score_column,
        n_labels=args.labels,
        batch=args.batch,
        seeds=args.seeds,
        methods=methods,
        seed_examples=args.seed_examples,
    )
    print(f"{results['n_interesting']} interesting of {results['n']}; {args.out}/results.json")
    print("method          p@50   p@100  ap     found  (mean at the last budget; worst p@100)")
    for name, s in results["methods"].items():
        print(
            f"{name:15s} {s['p@50'][-1]:.3f}  {s['p@100'][-1]:.3f}  {s['ap'][-1]:.3f}  "
            f"{s['found'][-1]:5.1f}  ({s['p@100_min'][-1]:.3f})"
        )
    return 0
