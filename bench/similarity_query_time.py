"""Query time of the similarity index at 10^6 galaxies: exact (IndexFlat) and HNSW.

Random float32 features (normal), 10 dimensions (the PCA the search uses) and 40 (the
pipeline's features). For each: build time, and the median and 95th percentile time of
single-galaxy queries (``SimilarityIndex.query(row, k=20)``), plus HNSW recall@20 against the
exact answer. Prints JSON and writes ``bench/results/similarity_query_time.json``.

    .venv/bin/python bench/similarity_query_time.py [--n 1000000] [--dims 10 40] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dims", type=int, nargs="+", default=[10, 40])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--metric", default="cosine")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "similarity_query_time"))
    args = parser.parse_args()

    import faiss

    from oddfinder.map.similarity import SimilarityIndex

    faiss.omp_set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    results = []
    for d in args.dims:
        features = rng.normal(size=(args.n, d)).astype(np.float32)
        rows = rng.choice(args.n, size=args.queries, replace=False)
        answers = {}
        for kind in ("exact", "hnsw"):
            t0 = time.perf_counter()
            index = SimilarityIndex(features, metric=args.metric, index=kind)
            build = time.perf_counter() - t0
            times, found = [], []
            for row in rows:
                t0 = time.perf_counter()
                neighbours, _ = index.query(int(row), args.k)
                times.append(time.perf_counter() - t0)
                found.append(neighbours)
            answers[kind] = found
            entry = {
                "n": args.n,
                "dim": d,
                "index": kind,
                "metric": args.metric,
                "build_s": round(build, 2),
                "query_ms_median": round(1e3 * float(np.median(times)), 3),
                "query_ms_p95": round(1e3 * float(np.percentile(times, 95)), 3),
            }
            if kind == "hnsw":
                recall = np.mean(
                    [
                        len(set(a.tolist()) & set(b.tolist())) / args.k
                        for a, b in zip(answers["exact"], found, strict=True)
                    ]
                )
                entry["recall_at_k"] = round(float(recall), 4)
            results.append(entry)
            print(json.dumps(entry), flush=True)
            del index
    out = {
        "k": args.k,
        "queries": args.queries,
        "faiss_threads": args.threads,
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "results": results,
    }
    path = Path(args.out).with_suffix(".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
