"""Time ``oddfinder ingest``: prints JSON, one object per measurement.

Usage::

    python bench/ingest_speed.py images [--manifest ../shared/data/gz1_dev/manifest.csv]
    python bench/ingest_speed.py embeddings [--rows 1000000] [--dim 40]

``images`` ingests a manifest (thumbnails included; default: the 3,304 gz1_dev JPEGs).
``embeddings`` writes a Zoobot-shaped table (``dr8_id``, ``ra``, ``dec``, ``feat_pca_*``) of
``--rows`` rows to a temporary folder, then ingests it, reporting the peak memory of the ingest.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_images(manifest: Path, workers: int, thumb_size: int) -> dict:
    from oddfinder.io.ingest import ingest_images

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ws = ingest_images(manifest, Path(tmp) / "ws", workers=workers, thumb_size=thumb_size)
        seconds = time.perf_counter() - start
        n = ws.n
    return {
        "bench": "ingest_images",
        "manifest": str(manifest),
        "n": n,
        "workers": workers,
        "thumb_size": thumb_size,
        "seconds": round(seconds, 2),
        "images_per_s": round(n / seconds, 1),
        "load_avg": os.getloadavg()[0],
    }


def _write_table(path: Path, rows: int, dim: int) -> None:
    """Write a Zoobot-shaped Parquet table in chunks (run in a child process)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    writer = None
    for lo in range(0, rows, 500_000):
        m = min(500_000, rows - lo)
        columns = {
            "dr8_id": pa.array([f"{300000 + i // 1000}_{i}" for i in range(lo, lo + m)]),
            "ra": pa.array(rng.uniform(0, 360, m)),
            "dec": pa.array(rng.uniform(-30, 80, m)),
        }
        features = rng.normal(size=(m, dim)).astype(np.float32)
        for j in range(dim):
            columns[f"feat_pca_{j}"] = pa.array(features[:, j])
        table = pa.table(columns)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=100_000)
    writer.close()


def bench_embeddings(rows: int, dim: int, batch_rows: int) -> dict:
    import multiprocessing

    from oddfinder.io.embeddings_file import ingest_embeddings

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "representations.parquet"
        child = multiprocessing.get_context("spawn").Process(
            target=_write_table, args=(path, rows, dim)
        )
        child.start()
        child.join()
        rss_before = _peak_rss_mb()
        start = time.perf_counter()
        ws = ingest_embeddings(path, Path(tmp) / "ws", batch_rows=batch_rows)
        seconds = time.perf_counter() - start
        result = {
            "bench": "ingest_embeddings",
            "rows": ws.n,
            "dim": dim,
            "parquet_mb": round(path.stat().st_size / 2**20, 1),
            "batch_rows": batch_rows,
            "seconds": round(seconds, 2),
            "rows_per_s": round(ws.n / seconds),
            "peak_rss_mb_before": round(rss_before),
            "peak_rss_mb_after": round(_peak_rss_mb()),
            "load_avg": os.getloadavg()[0],
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    images = sub.add_parser("images")
    images.add_argument("--manifest", type=Path, default=DATA / "gz1_dev" / "manifest.csv")
    images.add_argument("--workers", type=int, default=2)
    images.add_argument("--thumb-size", type=int, default=160)
    embeddings = sub.add_parser("embeddings")
    embeddings.add_argument("--rows", type=int, default=1_000_000)
    embeddings.add_argument("--dim", type=int, default=40)
    embeddings.add_argument("--batch-rows", type=int, default=262_144)
    args = parser.parse_args()
    if args.what == "images":
        result = bench_images(args.manifest, args.workers, args.thumb_size)
    else:
        result = bench_embeddings(args.rows, args.dim, args.batch_rows)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
