"""``oddfinder map`` (the UMAP map of a workspace) and ``oddfinder similar`` (neighbours)."""

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


def _run_similar(args: argparse.Namespace) -> int:
    from oddfinder.errors import OddfinderError
    from oddfinder.io.workspace import Workspace
    from oddfinder.map.similarity import find_similar

    if (args.id is None) == (args.image is None):
        raise OddfinderError("give a galaxy ID or --image FILE (one of them)")
    ws = Workspace.open(args.workspace)
    components = None if args.components == 0 else args.components
    if args.image is not None:
        from oddfinder.map.query_image import find_similar_to_image

        table = find_similar_to_image(
            ws,
            args.image,
            k=args.k,
            metric=args.metric,
            n_components=components,
            index=args.index,
            encoder=args.encoder,
        ).drop(columns="row")
    else:
        table = find_similar(
            ws, args.id, k=args.k, metric=args.metric, n_components=components, index=args.index
        )
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``map`` and ``similar`` subcommands."""
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

    similar = subparsers.add_parser(
        "similar",
        help="print the galaxies nearest to one galaxy, or to an image of your own",
        description=(
            "Nearest neighbours of galaxy ID, or of an image file of your own (--image, "
            "embedded with the workspace's encoder), in the first principal components of the "
            "embedding (exact search up to 10^6 galaxies, HNSW beyond)."
        ),
    )
    similar.add_argument("workspace", help="workspace folder (after `oddfinder embed`)")
    similar.add_argument("id", nargs="?", help="the galaxy's id in the catalogue")
    similar.add_argument(
        "--image",
        metavar="FILE",
        help="find the galaxies nearest to this JPEG, PNG or FITS image instead of an ID",
    )
    similar.add_argument(
        "--encoder",
        metavar="SPEC",
        help="with --image: the encoder that embedded the workspace, when workspace.json's "
        "cannot be loaded (e.g. file:PATH)",
    )
    similar.add_argument("-k", type=int, default=20, help="number of neighbours (default 20)")
    similar.add_argument(
        "--metric", choices=("cosine", "euclidean"), default="cosine", help="default cosine"
    )
    similar.add_argument(
        "--components",
        type=int,
        default=10,
        help="principal components searched (default 10; 0 = all features)",
    )
    similar.add_argument(
        "--index",
        choices=("auto", "exact", "hnsw"),
        default="auto",
        help="auto: exact up to 10^6 galaxies, HNSW beyond (default auto)",
    )
    similar.set_defaults(func=_run_similar)
