"""Embedding on a Dask cluster: one catalogue partition per task, one chunk file per partition.

``oddfinder embed WS --dask SCHEDULER`` (or ``--dask local:N`` for a LocalCluster of ``N``
worker processes) sends each partition of the catalogue (``chunk_size`` rows) to a worker,
which runs the encoder on its own CPU or GPU and writes the partition's embeddings as
``WS/.embed_chunks/TAG/chunk_K.npy``, atomically: the same chunk files, names and batches as
:func:`~oddfinder.embed.inference.embed_workspace`, so the result is the single-process one.

Nothing is lost when something dies. A task whose worker dies is rerun by the scheduler on
another worker; a finished partition is never recomputed (its file exists); if the client
dies, running the command again submits only the missing partitions. The workers must see the
workspace and the images at the same paths (a shared file system, as on an HPC cluster).
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from oddfinder.errors import OddfinderError, WorkspaceError
from oddfinder.io.atomic import write_npy
from oddfinder.io.workspace import Workspace

__all__ = ["connect", "embed_partition", "embed_workspace_dask"]

logger = logging.getLogger(__name__)


def connect(scheduler: str) -> tuple[Any, Any]:
    """A Dask ``Client`` for ``scheduler``: ``local:N`` (a LocalCluster of N processes) or an
    address such as ``tcp://10.0.0.5:8786``; returns ``(client, cluster or None)``.

    Raises
    ------
    OddfinderError
        If dask.distributed is not installed or the scheduler cannot be reached.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - depends on the environment
        raise OddfinderError(
            "--dask needs dask.distributed: pip install 'oddfinder[dask]'"
        ) from None
    if scheduler.startswith("local"):
        _, _, count = scheduler.partition(":")
        try:
            n_workers = int(count or 2)
            if n_workers < 1:
                raise ValueError
        except ValueError:
            raise OddfinderError(
                f"--dask {scheduler!r}: use local:N with N >= 1 workers, or a scheduler address"
            ) from None
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout="30s"), None
    except (OSError, TimeoutError) as error:
        raise OddfinderError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None


@functools.lru_cache(maxsize=2)
def _worker_encoder(spec: str, device: str):
    """The encoder, loaded once per worker process."""
    from oddfinder.embed.encoders import load_encoder

    return load_encoder(spec, device=device)


def embed_partition(
    target: str,
    paths: list[str],
    *,
    offset: int,
    encoder: str,
    device: str,
    batch_size: int,
) -> str:
    """Embed one partition of images into ``target`` (``.npy``, atomically); run on a worker.

    Batches are the single-process ones (``batch_size`` rows from the partition's start), so
    the numbers agree to float32 rounding (a worker's BLAS may sum in another order). A
    partition whose file already exists is not recomputed.

    Returns
    -------
    str
        ``target``, or ``"error: ..."`` naming the first unreadable image.
    """
    import torch
    from torch.utils.data import DataLoader

    from oddfinder.embed.dataset import ImagePathDataset

    if Path(target).is_file():
        return target
    enc = _worker_encoder(encoder, device)
    n = len(paths)
    batches = [list(range(b, min(b + batch_size, n))) for b in range(0, n, batch_size)]
    loader = DataLoader(
        ImagePathDataset(paths, size=enc.image_size, offset=offset),
        batch_sampler=batches,
        num_workers=0,
    )
    blocks = []
    with torch.inference_mode():
        for index, images, ok in loader:
            if not bool(ok.all()):
                row = int(index[~ok][0])
                return f"error: row {row}: unreadable image {paths[row - offset]}"
            embedding, answers = enc.embed_and_answer(images)
            block = embedding if answers is None else torch.cat([embedding, answers], dim=1)
            blocks.append(block.numpy().astype(np.float32, copy=False))
    write_npy(target, np.concatenate(blocks))
    return target


def embed_workspace_dask(
    ws: Workspace,
    scheduler: str | Any,
    *,
    encoder: str = "bundled",
    device: str = "auto",
    batch_size: int = 128,
    chunk_size: int = 4096,
    components: int | None = 40,
    retries: int = 3,
    on_chunk: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Embed every catalogue image on a Dask cluster into ``WS/embeddings.npy``; then PCA.

    Parameters
    ----------
    ws : Workspace
        A workspace with image paths that every worker can read.
    scheduler : str or distributed.Client
        ``local:N``, a scheduler address, or a connected ``Client``.
    encoder : str
        Encoder spec, loaded on each worker (``bundled``, ``zoobot:NAME``, ...).
    device : str
        Device on the workers (``auto`` takes each worker's GPU if it has one).
    batch_size, chunk_size : int
        Images per forward pass; rows per partition (one task, one chunk file).
    components : int or None
        PCA components after embedding (``None``: skip).
    retries : int
        Extra attempts of a task that failed with an exception.
    on_chunk : callable, optional
        Called in the client with each partition's number as it finishes.

    Returns
    -------
    numpy.ndarray
        The embeddings, float32 ``(n, d)``, memory-mapped read-only.

    Raises
    ------
    ImageError
        If an image cannot be read; every other partition is finished and kept for the rerun.
    """
    from distributed import as_completed

    from oddfinder.embed.encoders import load_encoder
    from oddfinder.embed.inference import (
        CHUNK_DIR,
        _chunk_tag,
        _finish,
        _image_paths,
        has_images,
    )
    from oddfinder.errors import ImageError

    if not has_images(ws):
        raise WorkspaceError(f"workspace {ws.path} has no image paths: nothing to embed on Dask")
    if chunk_size < 1 or batch_size < 1:
        raise ValueError("chunk_size and batch_size must be positive")
    if not isinstance(encoder, str):
        raise TypeError("on Dask the encoder is given by its spec string (it loads on workers)")
    enc = load_encoder(encoder, device="cpu")  # name, version, answer columns for the tag
    paths = _image_paths(ws)
    n = len(paths)
    n_chunks = -(-n // chunk_size)
    chunk_dir = ws.path.resolve() / CHUNK_DIR / _chunk_tag(enc, paths, chunk_size)

    def chunk_path(k: int) -> Path:
        return chunk_dir / f"chunk_{k:06d}.npy"

    todo = [k for k in range(n_chunks) if not chunk_path(k).is_file()]
    if len(todo) < n_chunks:
        logger.info(
            "resuming: %d of %d partitions already embedded", n_chunks - len(todo), n_chunks
        )
    if todo:
        client, cluster = (
            (scheduler, None) if not isinstance(scheduler, str) else connect(scheduler)
        )
        try:
            chunk_dir.mkdir(parents=True, exist_ok=True)
            logger.info(
                "embedding %d images in %d partitions on %d Dask workers",
                n,
                len(todo),
                len(client.scheduler_info().get("workers", {})),
            )
            futures = {}
            run = uuid.uuid4().hex[:8]  # fresh keys: never a cancelled task of an earlier run
            for k in todo:
                start, stop = k * chunk_size, min((k + 1) * chunk_size, n)
                future = client.submit(
                    embed_partition,
                    str(chunk_path(k)),
                    paths[start:stop],
                    offset=start,
                    encoder=encoder,
                    device=device,
                    batch_size=batch_size,
                    key=f"oddfinder-embed-{chunk_dir.name}-{k}-{run}",
                    retries=retries,
                    pure=False,
                )
                futures[future] = k
            errors = []
            for future in as_completed(futures):
                result = future.result()
                if result.startswith("error: "):
                    errors.append(result[7:])  # the other partitions still finish
                elif on_chunk is not None:
                    on_chunk(futures[future])
            if errors:
                raise ImageError(
                    f"{min(errors)}; fix or drop it and rerun ({len(errors)} partition(s) with "
                    "unreadable images; the others are kept)"
                )
        finally:
            if cluster is not None:
                client.close()
                cluster.close()
    missing = [k for k in range(n_chunks) if not chunk_path(k).is_file()]
    if missing:
        raise WorkspaceError(f"partitions {missing[:5]} of {chunk_dir} were not written: rerun")
    chunks = [chunk_path(k) for k in range(n_chunks)]
    return _finish(
        ws,
        enc,
        chunks,
        chunk_dir,
        n,
        len(enc.answer_columns),
        components=components,
        embedded_on="dask",
    )
