"""Embedding throughput, end to end (JPEG decode in workers + forward), on this CPU.

Prints JSON: images/s of ``embed_workspace`` over real SDSS JPEGs (423 px, gz1_dev) and over
128 px DECaLS JPEGs (rings), plus decode-only and forward-only rates to show where time goes.

    .venv/bin/python bench/embed_throughput.py [--n 3000] [--encoder bundled] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def _workspace(folder: Path, paths: list[str]):
    from oddfinder.io.workspace import Workspace

    ws = Workspace(folder)
    folder.mkdir(parents=True)
    ws.update_meta(format_version=1)
    ids = [f"g{i}" for i in range(len(paths))]
    ws.write_table("catalog", pd.DataFrame({"id": ids, "path": paths}))
    return Workspace.open(folder)


def _paths(dataset: str, n: int) -> list[str]:
    manifest = pd.read_csv(DATA / dataset / "manifest.csv")
    paths = [str((DATA / dataset / p).resolve()) for p in manifest["path"]]
    return [paths[i % len(paths)] for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="images per dataset")
    parser.add_argument("--encoder", default="bundled")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()

    import torch

    from oddfinder.embed.dataset import read_uint8
    from oddfinder.embed.encoders import load_encoder
    from oddfinder.embed.inference import embed_workspace

    encoder = load_encoder(args.encoder, device="cpu")
    result = {
        "encoder": encoder.name,
        "version": encoder.version,
        "image_size": encoder.image_size,
        "embedding_dim": encoder.embedding_dim,
        "workers": args.workers,
        "batch_size": args.batch_size,
        "torch_threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "load_average_before": list(os.getloadavg()),
    }
    batch = torch.randint(0, 255, (args.batch_size, 3, encoder.image_size, encoder.image_size))
    batch = batch.to(torch.uint8)
    encoder.embed(batch)
    start = time.perf_counter()
    for _ in range(10):
        encoder.embed(batch)
    result["forward_only_images_per_s"] = round(
        10 * args.batch_size / (time.perf_counter() - start), 1
    )
    tmp = Path(tempfile.mkdtemp(prefix="oddfinder-bench-"))
    try:
        for dataset, label in (("gz1_dev", "sdss_423px_jpeg"), ("rings", "decals_128px_jpeg")):
            paths = _paths(dataset, args.n)
            for p in paths[:200]:  # warm the page cache, as a second pass over a survey would be
                read_uint8(p, size=encoder.image_size)
            start = time.perf_counter()
            for p in paths[:500]:
                read_uint8(p, size=encoder.image_size)
            decode = 500 / (time.perf_counter() - start)
            ws = _workspace(tmp / dataset, paths)
            start = time.perf_counter()
            embeddings = embed_workspace(
                ws,
                encoder=encoder,
                batch_size=args.batch_size,
                workers=args.workers,
                components=None,
                progress=False,
            )
            elapsed = time.perf_counter() - start
            assert embeddings.shape == (args.n, encoder.embedding_dim)
            assert np.isfinite(np.asarray(embeddings)).all()
            result[label] = {
                "images": args.n,
                "seconds": round(elapsed, 2),
                "images_per_s": round(args.n / elapsed, 1),
                "decode_only_one_process_images_per_s": round(decode, 1),
            }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["load_average_after"] = list(os.getloadavg())
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
