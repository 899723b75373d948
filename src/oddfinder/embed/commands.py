"""CLI: ``oddfinder train-encoder``, ``oddfinder embed`` and ``oddfinder reduce``."""

from __future__ import annotations

import argparse
import shlex

__all__ = ["register"]


def _command_line(options: list[tuple[str, object]]) -> str:
    return "oddfinder train-encoder " + " ".join(
        f"{flag} {shlex.quote(str(value))}" for flag, value in options if value is not None
    )


def _train(args: argparse.Namespace) -> int:
    from oddfinder.errors import OddfinderError

    if (args.survey is None) == (args.self_supervised is None):
        raise OddfinderError("give either --survey (supervised) or --self-supervised WS")
    if args.self_supervised is not None:
        return _train_selfsupervised(args)
    from oddfinder.embed.train import format_metrics, train_encoder

    out = args.out or "data/encoder"
    epochs = 20 if args.epochs is None else args.epochs
    image_size = 64 if args.image_size is None else args.image_size
    command = _command_line(
        [
            ("--survey", args.survey),
            ("--out", out),
            ("--epochs", epochs),
            ("--minutes", args.minutes),
            ("--image-size", image_size),
            ("--batch-size", args.batch_size),
            ("--seed", args.seed),
            ("--threads", args.threads),
        ]
    )
    metrics = train_encoder(
        args.survey,
        out,
        epochs=epochs,
        minutes=args.minutes,
        image_size=image_size,
        batch_size=args.batch_size,
        seed=args.seed,
        workers=args.workers,
        threads=args.threads,
        command=command,
    )
    print(format_metrics({"version": metrics["version"], **metrics.get("heldout", {})}))
    return 0


def _train_selfsupervised(args: argparse.Namespace) -> int:
    from pathlib import Path

    from oddfinder.embed.selfsup import train_selfsupervised

    out = args.out or str(Path(args.self_supervised) / "selfsup_encoder")
    epochs = args.epochs
    if epochs is None and args.minutes is None:
        epochs = 20
    command = _command_line(
        [
            ("--self-supervised", args.self_supervised),
            ("--init", args.init),
            ("--out", out),
            ("--epochs", epochs),
            ("--minutes", args.minutes),
            ("--image-size", args.image_size),
            ("--batch-size", args.batch_size),
            ("--lr", args.lr),
            ("--temperature", args.temperature),
            ("--seed", args.seed),
            ("--threads", args.threads),
            ("--device", args.device),
        ]
    )
    result = train_selfsupervised(
        args.self_supervised,
        out,
        init=args.init,
        epochs=epochs,
        minutes=args.minutes,
        batch_size=args.batch_size,
        lr=args.lr,
        temperature=args.temperature,
        image_size=args.image_size,
        seed=args.seed,
        workers=args.workers,
        threads=args.threads,
        device=args.device,
        command=command,
    )
    print(
        f"{result['weights']}: {result['epochs_completed']} epochs, final loss "
        f"{result['final_loss']:.4f}; embed with: oddfinder embed WS --encoder "
        f"file:{result['weights']}"
    )
    return 0


def _embed(args: argparse.Namespace) -> int:
    from oddfinder.embed.inference import embed_workspace, has_images
    from oddfinder.io.workspace import Workspace

    ws = Workspace.open(args.workspace)
    if args.dask:
        from oddfinder.embed.dask_embed import embed_workspace_dask

        embeddings = embed_workspace_dask(
            ws,
            args.dask,
            encoder=args.encoder,
            device=args.device,
            batch_size=args.batch_size,
            chunk_size=args.chunk_size,
            components=args.components,
        )
    else:
        embeddings = embed_workspace(
            ws,
            encoder=args.encoder,
            device=args.device,
            batch_size=args.batch_size,
            workers=args.workers,
            chunk_size=args.chunk_size,
            components=args.components,
        )
    meta = ws.meta
    print(
        f"{ws.path}: embeddings {embeddings.shape[0]} x {embeddings.shape[1]} "
        f"({meta.get('encoder', 'precomputed')}), features {meta.get('feature_dim')}-d "
        f"(PCA keeps {100 * meta.get('pca_explained_variance_total', 0):.1f}% of the variance)"
    )
    if not args.no_morphometry and has_images(ws):
        from oddfinder.embed.morphometry import measure_workspace

        table = measure_workspace(ws, workers=max(args.workers, 0))
        print(f"{ws.path}: morphometry of {len(table)} images ({table.shape[1] - 1} measures)")
    return 0


def _reduce(args: argparse.Namespace) -> int:
    from oddfinder.embed.reduce import reduce_features
    from oddfinder.io.workspace import Workspace

    ws = Workspace.open(args.workspace)
    features = reduce_features(ws, n_components=args.components)
    total = ws.meta.get("pca_explained_variance_total", 0.0)
    print(f"{ws.path}: features {features.shape[0]} x {features.shape[1]} ({100 * total:.1f}%)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train-encoder``, ``embed`` and ``reduce`` to the ``oddfinder`` command."""
    train = subparsers.add_parser(
        "train-encoder",
        help="train the morphology CNN on a simulated survey, or adapt it to a workspace",
        description="Train the morphology CNN (multi-task: kind and Galaxy-Zoo-style answers) "
        "on a simulated survey (--survey), or adapt it without labels to a workspace's own "
        "images by SimCLR contrastive learning (--self-supervised WS; resumable: rerun the "
        "same command to continue). Writes OUT/morphology_cnn.pt, metrics.json and "
        "MODEL_CARD.md.",
    )
    source = train.add_argument_group("what to train on (one of)")
    source.add_argument("--survey", default=None, help="simulated survey folder or manifest CSV")
    source.add_argument(
        "--self-supervised",
        metavar="WS",
        default=None,
        help="workspace whose images to adapt the encoder to, without labels",
    )
    train.add_argument(
        "--out",
        default=None,
        help="output folder (data/encoder; with --self-supervised: WS/selfsup_encoder)",
    )
    train.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="passes over the data (20; with --self-supervised and --minutes: no limit)",
    )
    train.add_argument("--minutes", type=float, default=None, help="wall-clock training budget")
    train.add_argument(
        "--image-size",
        type=int,
        default=None,
        help="input size in pixels (64; with --self-supervised: the initial encoder's)",
    )
    train.add_argument("--batch-size", type=int, default=128, help="training batch (128)")
    train.add_argument("--workers", type=int, default=2, help="image-reading workers (2)")
    train.add_argument("--seed", type=int, default=0, help="random seed (0)")
    train.add_argument("--threads", type=int, default=None, help="torch threads (torch default)")
    ssl = train.add_argument_group("self-supervised options")
    ssl.add_argument(
        "--init",
        default="bundled",
        help="start from bundled weights (fine-tune; heads kept), scratch, or file:PATH (bundled)",
    )
    ssl.add_argument(
        "--lr", type=float, default=None, help="peak learning rate (5e-4; scratch: 2e-3)"
    )
    ssl.add_argument("--temperature", type=float, default=0.2, help="NT-Xent temperature (0.2)")
    ssl.add_argument("--device", default="auto", help="auto (CUDA if available), cpu, cuda, mps")
    train.set_defaults(func=_train)

    embed = subparsers.add_parser(
        "embed",
        help="embed a workspace's images, then reduce them to PCA features",
        description="Run the encoder over every image (resumable chunks), write "
        "embeddings.npy, then PCA features.npy. Without images, only the PCA step runs.",
    )
    embed.add_argument("workspace", help="workspace folder")
    embed.add_argument(
        "--encoder",
        default="bundled",
        help="bundled, zoobot:NAME, timm:NAME or file:PATH (bundled)",
    )
    embed.add_argument("--device", default="auto", help="auto, cpu, cuda or mps (auto)")
    embed.add_argument("--batch-size", type=int, default=128, help="images per batch (128)")
    embed.add_argument("--workers", type=int, default=2, help="image-decoding processes (2)")
    embed.add_argument("--chunk-size", type=int, default=4096, help="rows per resumable chunk")
    embed.add_argument("--components", type=int, default=40, help="PCA components (40)")
    embed.add_argument(
        "--dask",
        metavar="SCHEDULER",
        default=None,
        help="embed on a Dask cluster: a scheduler address (tcp://HOST:8786) or local:N for a "
        "LocalCluster of N processes; one chunk per task, resumable (needs oddfinder[dask])",
    )
    embed.add_argument(
        "--no-morphometry",
        action="store_true",
        help="skip measuring each image's morphometry (WS/morphometry.parquet, which the "
        "ranking uses beside the embedding)",
    )
    embed.set_defaults(func=_embed)

    reduce = subparsers.add_parser(
        "reduce",
        help="PCA of a workspace's embeddings into features.npy",
        description="Reduce WS/embeddings.npy to WS/features.npy by PCA.",
    )
    reduce.add_argument("workspace", help="workspace folder")
    reduce.add_argument("--components", type=int, default=40, help="PCA components (40)")
    reduce.set_defaults(func=_reduce)
