"""``oddfinder rank``: fit the interest model on a researcher's labels, export the top N."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``rank`` subcommand."""
    parser = subparsers.add_parser(
        "rank",
        help="rank the survey by a researcher's labels; export the top N, print the next batch",
    )
    parser.add_argument("workspace", help="workspace folder")
    parser.add_argument("--researcher", required=True, help="whose labels to use")
    parser.add_argument(
        "--method",
        default="gp",
        choices=("gp", "random", "prior", "neighbourscore", "walmsley"),
        help="interest model (default: gp)",
    )
    parser.add_argument(
        "--labels", metavar="CSV", help="read labels (id,score) from this CSV, not the store"
    )
    parser.add_argument(
        "--seed-ids",
        metavar="IDS|FILE",
        help="start from examples: record these galaxies (ID1,ID2 or a text/CSV file of ids) "
        "as the researcher's label 5 in the label store, then rank",
    )
    parser.add_argument(
        "--export",
        metavar="FILE",
        help="top-N table (.csv, .parquet or .fits); default WS/exports/top{N}_{researcher}.csv",
    )
    parser.add_argument("--top", type=int, default=100, help="rows to export (default 100)")
    parser.add_argument("--batch", type=int, default=10, help="size of the next batch")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from oddfinder.errors import LabelError
    from oddfinder.io.export import write_export
    from oddfinder.io.workspace import Workspace
    from oddfinder.labels.store import check_researcher
    from oddfinder.rank.headless import rank_workspace

    researcher = check_researcher(args.researcher)
    ws = Workspace.open(args.workspace)
    if args.seed_ids is not None:
        from oddfinder.labels.seeds import record_seed_examples

        if args.labels is not None:
            raise LabelError(
                "--seed-ids records seeds in the label store, which --labels CSV bypasses: "
                "add them to the CSV with score 5 instead"
            )
        seeds = record_seed_examples(ws, researcher, args.seed_ids)
        print(
            f"recorded {len(seeds)} seed example(s) for {researcher} (label 5): " + " ".join(seeds)
        )
    session, table = rank_workspace(
        ws,
        researcher,
        method=args.method,
        labels_csv=args.labels,
        top=args.top,
        batch_size=args.batch,
        seed=args.seed,
    )
    safe = researcher.replace(" ", "_")
    target = args.export or ws.exports_dir / f"top{args.top}_{safe}.csv"
    path = write_export(table, target)
    print(f"{len(session.labels_)} labels; wrote the top {len(table)} to {path}")
    ids = ws.ids[session.next_batch(args.batch)]
    print("next batch: " + " ".join(ids))
    return 0
