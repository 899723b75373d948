"""Batch inference over a workspace: images to ``embeddings.npy`` (and the CNN's answers).

Work is done in chunks of rows (default 4096) written as ``WS/.embed_chunks/TAG/chunk_*.npy``,
each atomically; an interrupted run resumes at the first missing chunk. ``TAG`` names the
encoder and fingerprints the image list, so another encoder or catalogue never reuses chunks.
When every chunk exists they are assembled into ``WS/embeddings.npy`` (float32) and removed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from oddfinder.errors import ImageError, WorkspaceError
from oddfinder.io.atomic import atomic_path, write_npy, write_parquet
from oddfinder.io.workspace import Workspace

__all__ = [
    "CHUNK_DIR",
    "embed_workspace",
    "has_images",
    "load_answers",
    "predict_answers",
]

logger = logging.getLogger(__name__)

CHUNK_DIR = ".embed_chunks"
ANSWERS_TABLE = "answers.parquet"


def has_images(ws: Workspace) -> bool:
    """Whether the workspace's catalogue references image files (a ``path`` column)."""
    catalog = ws.catalog
    return "path" in catalog.columns and bool(catalog["path"].notna().any())


def _image_paths(ws: Workspace) -> list[str]:
    paths = ws.catalog["path"]
    missing = np.flatnonzero(paths.isna().to_numpy())
    if missing.size:
        row = int(missing[0])
        raise WorkspaceError(
            f"{ws.path / 'catalog.parquet'}: row {row} (id {ws.ids[row]}) has no image path"
        )
    return [str(p) for p in paths]


def _chunk_tag(encoder, paths: Sequence[str], chunk_size: int) -> str:
    digest = hashlib.sha1()
    digest.update(f"{encoder.name}\0{encoder.version}\0{chunk_size}\0{len(paths)}".encode())
    for p in paths:
        digest.update(p.encode())
        digest.update(b"\0")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", encoder.name)[:40]
    return f"{slug}-{digest.hexdigest()[:12]}"


def _batches(chunks: Sequence[int], n: int, chunk_size: int, batch_size: int) -> Iterator[list]:
    """Row-index batches covering the given chunks, never straddling a chunk boundary."""
    for k in chunks:
        start, stop = k * chunk_size, min((k + 1) * chunk_size, n)
        for b in range(start, stop, batch_size):
            yield list(range(b, min(b + batch_size, stop)))


def _raise_unreadable(ws: Workspace, paths: Sequence[str], row: int) -> None:
    from oddfinder.embed.dataset import read_uint8

    try:
        read_uint8(paths[row], size=8)
        reason = "unreadable image"
    except ImageError as error:
        reason = str(error)
    raise ImageError(
        f"row {row} (id {ws.ids[row]}): {reason}; fix or drop it and rerun (finished chunks "
        "are kept)"
    )


def embed_workspace(
    ws: Workspace,
    *,
    encoder: str | object = "bundled",
    device: str = "auto",
    batch_size: int = 128,
    workers: int = 2,
    chunk_size: int = 4096,
    components: int | None = 40,
    progress: bool = True,
    on_chunk: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Embed every catalogue image into ``WS/embeddings.npy``; then reduce to features.

    Parameters
    ----------
    ws : Workspace
        A workspace whose catalogue has a ``path`` column. Without images (precomputed
        embeddings) only the PCA step runs.
    encoder : str or Encoder
        Spec for :func:`~oddfinder.embed.encoders.load_encoder`, or a loaded encoder.
    device : str
        ``auto``, ``cpu``, ``cuda`` or ``mps``.
    batch_size, workers : int
        Images per forward pass; image-decoding worker processes (0: decode in this process).
    chunk_size : int
        Rows per resumable chunk.
    components : int or None
        Run :func:`~oddfinder.embed.reduce.reduce_features` with this many components after
        embedding (``None``: skip).
    progress : bool
        Show a tqdm progress bar.
    on_chunk : callable, optional
        Called with each chunk's number after it is written (for progress or interruption).

    Returns
    -------
    numpy.ndarray
        The embeddings, float32 ``(n, d)``, memory-mapped read-only.

    Notes
    -----
    For the bundled CNN the morphology answers are written to ``WS/answers.parquet`` too.
    """
    import torch
    from torch.utils.data import DataLoader
    from tqdm.auto import tqdm

    from oddfinder.embed.dataset import ImagePathDataset
    from oddfinder.embed.encoders import load_encoder
    from oddfinder.embed.reduce import reduce_features

    if not has_images(ws):
        if not ws.has("embeddings"):
            raise WorkspaceError(
                f"workspace {ws.path} has neither image paths nor embeddings.npy: re-ingest it"
            )
        logger.info("%s has no images: using its precomputed embeddings", ws.path)
        if components is not None:
            reduce_features(ws, n_components=components)
        return ws.embeddings()

    if chunk_size < 1 or batch_size < 1:
        raise ValueError("chunk_size and batch_size must be positive")
    enc = load_encoder(encoder, device=device) if isinstance(encoder, str) else encoder
    paths = _image_paths(ws)
    n = len(paths)
    if n == 0:
        raise WorkspaceError(f"{ws.path / 'catalog.parquet'} is empty: nothing to embed")
    n_chunks = -(-n // chunk_size)
    chunk_dir = ws.path / CHUNK_DIR / _chunk_tag(enc, paths, chunk_size)
    chunk_dir.mkdir(parents=True, exist_ok=True)

    def chunk_path(k: int) -> Path:
        return chunk_dir / f"chunk_{k:06d}.npy"

    todo = [k for k in range(n_chunks) if not chunk_path(k).is_file()]
    done_rows = sum(min((k + 1) * chunk_size, n) - k * chunk_size for k in range(n_chunks)) - sum(
        min((k + 1) * chunk_size, n) - k * chunk_size for k in todo
    )
    if done_rows:
        logger.info("resuming: %d of %d chunks already embedded", n_chunks - len(todo), n_chunks)
    logger.info(
        "embedding %d images with %s (%s, %d px) on %s",
        n,
        enc.name,
        enc.version,
        enc.image_size,
        enc.device,
    )
    if todo:
        loader = DataLoader(
            ImagePathDataset(paths, size=enc.image_size),
            batch_sampler=list(_batches(todo, n, chunk_size, batch_size)),
            num_workers=workers,
            pin_memory=enc.device.type == "cuda",
            persistent_workers=False,
        )
        n_answers = len(enc.answer_columns)
        buffer: list[np.ndarray] = []
        bar = tqdm(total=n, initial=done_rows, unit="img", disable=not progress, desc="embed")
        try:
            for index, images, ok in loader:
                if not bool(ok.all()):
                    _raise_unreadable(ws, paths, int(index[~ok][0]))
                embedding, answers = enc.embed_and_answer(images)
                block = embedding if answers is None else torch.cat([embedding, answers], dim=1)
                buffer.append(block.numpy().astype(np.float32, copy=False))
                bar.update(len(index))
                last = int(index[-1])
                if last + 1 == n or (last + 1) % chunk_size == 0:
                    k = last // chunk_size
                    write_npy(chunk_path(k), np.concatenate(buffer))
                    buffer = []
                    if on_chunk is not None:
                        on_chunk(k)
        finally:
            bar.close()
    else:
        n_answers = len(enc.answer_columns)

    chunks = [chunk_path(k) for k in range(n_chunks)]
    return _finish(ws, enc, chunks, chunk_dir, n, n_answers, components=components)


def _finish(
    ws: Workspace,
    enc,
    chunks: list[Path],
    chunk_dir: Path,
    n: int,
    n_answers: int,
    *,
    components: int | None,
    **meta,
) -> np.ndarray:
    """Assemble the chunks into the workspace, remove them, record the encoder, run the PCA."""
    from oddfinder.embed.reduce import reduce_features

    embeddings = _assemble(ws, chunks, n, n_answers, enc)
    shutil.rmtree(chunk_dir, ignore_errors=True)
    try:
        (ws.path / CHUNK_DIR).rmdir()
    except OSError:
        pass
    ws.update_meta(
        encoder=enc.name,
        encoder_version=enc.version,
        encoder_image_size=enc.image_size,
        embedding_dim=int(embeddings.shape[1]),
        n_embedded=n,
        **meta,
    )
    if components is not None:
        reduce_features(ws, n_components=components)
    return ws.embeddings()


def _assemble(ws: Workspace, chunk_files: list[Path], n: int, n_answers: int, enc) -> np.ndarray:
    """Concatenate chunks into ``embeddings.npy`` (and ``answers.parquet``), atomically."""
    first = np.load(chunk_files[0], mmap_mode="r")
    dim = first.shape[1] - n_answers
    answers = np.empty((n, n_answers), np.float32) if n_answers else None
    with atomic_path(ws.path / "embeddings.npy", suffix=".npy") as tmp:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(n, dim))
        row = 0
        for path in chunk_files:
            block = np.load(path, mmap_mode="r")
            out[row : row + len(block)] = block[:, :dim]
            if answers is not None:
                answers[row : row + len(block)] = block[:, dim:]
            row += len(block)
        if row != n:
            raise WorkspaceError(f"embedding chunks in {chunk_files[0].parent} cover {row} of {n}")
        out.flush()
        del out
    if answers is not None:
        table = pd.DataFrame(answers, columns=enc.answer_columns)
        table.insert(0, "id", ws.ids)
        write_parquet(ws.path / ANSWERS_TABLE, table)
    elif (ws.path / ANSWERS_TABLE).is_file():
        (ws.path / ANSWERS_TABLE).unlink()  # stale answers of another encoder
    return ws.embeddings()


def load_answers(ws: Workspace) -> pd.DataFrame:
    """The bundled CNN's morphology answers saved by :func:`embed_workspace`.

    Columns: ``id``, then one probability per answer (``kind_merger``, ``merging``, ...).

    Raises
    ------
    WorkspaceError
        If the workspace was not embedded with the bundled CNN.
    """
    path = ws.path / ANSWERS_TABLE
    if not path.is_file():
        raise WorkspaceError(
            f"workspace {ws.path} has no {ANSWERS_TABLE}: run `oddfinder embed` with the "
            "bundled encoder"
        )
    return pd.read_parquet(path)


def predict_answers(
    images: Sequence[str] | np.ndarray,
    *,
    encoder: str | object = "bundled",
    device: str = "cpu",
    batch_size: int = 128,
) -> pd.DataFrame:
    """The bundled CNN's answers (probabilities) for image files or a uint8 ``(N, H, W, 3)`` array.

    Examples
    --------
    >>> predict_answers(np.zeros((2, 64, 64, 3), np.uint8)).shape[0]  # doctest: +SKIP
    2
    """
    import torch

    from oddfinder.embed.dataset import read_uint8
    from oddfinder.embed.encoders import EncoderError, load_encoder

    enc = load_encoder(encoder, device=device) if isinstance(encoder, str) else encoder
    if not enc.answer_columns:
        raise EncoderError(f"encoder {enc.name!r} has no morphology heads to answer with")
    rows = []
    for start in range(0, len(images), batch_size):
        part = images[start : start + batch_size]
        if isinstance(part, np.ndarray):
            arrays = part
        else:
            arrays = np.stack([read_uint8(p, size=enc.image_size) for p in part])
        batch = torch.from_numpy(np.ascontiguousarray(arrays)).permute(0, 3, 1, 2)
        rows.append(enc.embed_and_answer(batch)[1].numpy())
    data = np.concatenate(rows) if rows else np.empty((0, len(enc.answer_columns)), np.float32)
    return pd.DataFrame(data, columns=enc.answer_columns)
