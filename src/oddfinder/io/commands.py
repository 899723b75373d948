"""``oddfinder ingest``: a manifest of images, or precomputed embeddings, to a workspace."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]

_DESCRIPTION = """\
Create a workspace from a manifest of galaxy images (CSV, Parquet or FITS table with a `path`
column; optional `id`, `ra`, `dec`; other columns kept), or from precomputed embeddings
(--embeddings: a Parquet table with an id column and feature columns, or a .npy with --ids).
The workspace is built beside WS and renamed into place only when everything succeeded."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``ingest`` subcommand."""
    parser = subparsers.add_parser(
        "ingest",
        help="create a workspace from a manifest of images or from precomputed embeddings",
        description=_DESCRIPTION,
    )
    parser.add_argument(
        "manifest",
        metavar="MANIFEST",
        nargs="?",
        type=Path,
        help="CSV, Parquet or FITS table of images (omit with --embeddings)",
    )
    parser.add_argument("--out", metavar="WS", type=Path, required=True, help="workspace folder")
    parser.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip bad rows (listed in WS/ingest_report.json) instead of failing",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing workspace")
    images = parser.add_argument_group("images")
    images.add_argument("--thumb-size", type=int, default=160, help="thumbnail side (160)")
    images.add_argument("--workers", type=int, default=2, help="image-reading processes (2)")
    embeddings = parser.add_argument_group("precomputed embeddings")
    embeddings.add_argument(
        "--embeddings", metavar="FILE", type=Path, help="Parquet table or .npy of embeddings"
    )
    embeddings.add_argument(
        "--id-column",
        metavar="COL",
        help="id column (default: id, dr8_id, iauname, objid, galaxy_id, or the only string one)",
    )
    embeddings.add_argument(
        "--feature-columns",
        metavar="PREFIX_OR_LIST",
        help="feature column prefix, or a comma-separated list (default: feat_pca_*, feat_*, "
        "or every numeric column but id/ra/dec)",
    )
    embeddings.add_argument(
        "--ids",
        metavar="FILE",
        type=Path,
        help="for a .npy: ids, one per line, or a table with an `id` column",
    )
    embeddings.add_argument(
        "--batch-rows", type=int, default=262_144, help="rows read per batch (262144)"
    )
    parser.set_defaults(func=_run)

    migrate = subparsers.add_parser(
        "migrate",
        help="bring a workspace written by an older oddfinder to the current format",
        description="Migrate WS in place (each step atomic, the version bumped last); a "
        "workspace from a newer oddfinder is refused with a clear message.",
    )
    migrate.add_argument("workspace", help="workspace folder")
    migrate.add_argument("--dry-run", action="store_true", help="only say what would be done")
    migrate.set_defaults(func=_migrate)


def _migrate(args: argparse.Namespace) -> int:
    from oddfinder.io.migrate import migrate_workspace

    steps = migrate_workspace(args.workspace, dry_run=args.dry_run)
    print("\n".join(steps) if steps else f"{args.workspace}: already current")
    return 0


def _run(args: argparse.Namespace) -> int:
    from oddfinder.errors import IngestError

    if args.embeddings is None:
        if args.manifest is None:
            raise IngestError("give a MANIFEST of images, or --embeddings FILE")
        extra = [f for f in ("id_column", "feature_columns", "ids") if getattr(args, f)]
        if extra:
            flags = ", ".join("--" + f.replace("_", "-") for f in extra)
            raise IngestError(f"{flags} only apply with --embeddings")
        from oddfinder.io.ingest import ingest_images

        ingest_images(
            args.manifest,
            args.out,
            skip_bad=args.skip_bad,
            thumb_size=args.thumb_size,
            workers=args.workers,
            force=args.force,
        )
        return 0
    if args.manifest is not None:
        raise IngestError("give either a MANIFEST or --embeddings, not both")
    from oddfinder.io.embeddings_file import ingest_embeddings

    features = args.feature_columns
    if features is not None and "," in features:
        features = [name.strip() for name in features.split(",") if name.strip()]
    ingest_embeddings(
        args.embeddings,
        args.out,
        id_column=args.id_column,
        feature_columns=features,
        ids_file=args.ids,
        skip_bad=args.skip_bad,
        force=args.force,
        batch_rows=args.batch_rows,
    )
    return 0
