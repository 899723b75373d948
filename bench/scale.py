"""Survey scale on one machine: a 10^6-galaxy workspace, its timings and peak memory (JSON).

Builds a workspace with ``oddfinder simulate --embeddings-only`` (10^6 x 512 embeddings and
10^6 x 40 features, memory-mapped; no images), in a child process so that its peak memory is
measured apart. Then, in this process, as the app does: ``Workspace.open`` and the catalogue,
the memory-mapped features, a researcher's ``LabellingLoop`` (``RankingSession``, GP), ten
labels and a next round, the similarity index and a query, and a chunked pass over the
embeddings (what a PCA or export would read). Peak RSS (``ru_maxrss``) is reported after each
step. ``--app`` also times the real Streamlit app (AppTest): first load, entering a researcher,
a label click, next round, the Map and Similar pages.

    .venv/bin/python bench/scale.py --n 1000000 --app
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

APP = Path(__file__).resolve().parents[1] / "anomaly_app" / "streamlit_app.py"


def _rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)  # KiB on Linux


def _build(path: str, n: int, seed: int) -> None:
    from oddfinder.cli import main

    main(["simulate", path, "-n", str(n), "--embeddings-only", "--seed", str(seed)])


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, round(time.perf_counter() - start, 3)


def _library(ws_path: Path, report: dict) -> None:
    from oddfinder.io.workspace import Workspace
    from oddfinder.labels.loop import LabellingLoop
    from oddfinder.labels.store import LabelStore
    from oddfinder.map.similarity import SimilarityIndex

    t = report["seconds"]
    rss = report["peak_rss_mib"]
    rss["start"] = _rss_mib()
    ws, t["open_workspace"] = _timed(lambda: Workspace.open(ws_path))
    _, t["catalog_ids_row_of"] = _timed(lambda: (ws.catalog, ws.ids, ws.row_of))
    features, t["features_mmap"] = _timed(ws.features)
    prior, t["prior"] = _timed(lambda: ws.read_table("prior")["prior"].to_numpy())
    rss["after_open"] = _rss_mib()
    interesting = ws.catalog["interesting"].to_numpy()
    loop, t["first_batch_loop_init"] = _timed(
        lambda: LabellingLoop(
            LabelStore(ws.labels_path), "bench", ids=ws.ids, features=features, prior=prior
        )
    )
    rss["after_first_batch"] = _rss_mib()
    start = time.perf_counter()
    for row in loop.batch:
        loop.label(ws.ids[row], 5 if interesting[row] else 0)
    t["ten_labels"] = round(time.perf_counter() - start, 3)
    rounds = []
    for _ in range(3):
        batch, seconds = _timed(loop.next_round)
        rounds.append(seconds)
        for row in batch:
            loop.label(ws.ids[row], 5 if interesting[row] else 0)
    t["next_round"] = rounds
    labels = loop.labels()
    report["interesting_found_in_40_labels"] = int(sum(s == 5 for s in labels.values()))
    rss["after_rounds"] = _rss_mib()
    start = time.perf_counter()
    index = SimilarityIndex(features)
    t["similarity_index_build"] = round(time.perf_counter() - start, 3)
    start = time.perf_counter()
    index.query(int(np.flatnonzero(interesting)[0]), 12)
    t["similarity_query_k12"] = round(time.perf_counter() - start, 3)
    rss["after_similarity"] = _rss_mib()
    del index


def _app(ws_path: Path, report: dict) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    t = report["app_seconds"] = {}
    os.environ["ODDFINDER_WORKSPACE"] = str(ws_path)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(APP), default_timeout=900)
    _, t["first_load"] = _timed(at.run)
    _, t["enter_researcher"] = _timed(
        lambda: at.text_input(key="researcher_input").set_value("app").run()
    )
    gids = [b.key.split("_")[1] for b in at.button if b.key and b.key.endswith("_0")]
    clicks = []
    for i, gid in enumerate(gids):
        clicks.append(_timed(at.button(key=f"score_{gid}_{5 * (i % 2)}").click().run)[1])
    t["label_click_median"] = sorted(clicks)[len(clicks) // 2]
    t["next_round"] = []
    for _ in range(2):
        t["next_round"].append(_timed(at.button(key="next_round").click().run)[1])
    _, t["map_page"] = _timed(at.switch_page("app_pages/map.py").run)
    _, t["similar_page"] = _timed(at.switch_page("app_pages/similar.py").run)
    _, t["similar_query_first_incl_index"] = _timed(
        lambda: at.text_input(key="similar_id").set_value(gids[0]).run()
    )
    _, t["similar_query_again"] = _timed(at.slider(key="similar_k").set_value(20).run)
    report["app_exceptions"] = [str(e.message)[:200] for e in at.exception]
    report["peak_rss_mib"]["after_app"] = _rss_mib()


def _scan_embeddings(ws_path: Path, report: dict) -> None:
    """A chunked pass over the memory-mapped embeddings (what PCA or an export reads)."""
    from oddfinder.io.workspace import Workspace

    t = report["seconds"]
    embeddings = Workspace.open(ws_path).embeddings()

    def scan():
        total = np.zeros(embeddings.shape[1])
        for start in range(0, embeddings.shape[0], 65_536):
            total += embeddings[start : start + 65_536].sum(axis=0, dtype=np.float64)
        return total

    _, t["embeddings_chunked_scan"] = _timed(scan)
    report["peak_rss_mib"]["after_embeddings_scan_incl_page_cache"] = _rss_mib()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", default=None, help="where to build (default: a temp dir)")
    parser.add_argument("--app", action="store_true", help="also time the app with AppTest")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        ws_path = Path(tmp) / "ws"
        report: dict = {"n": args.n, "seconds": {}, "peak_rss_mib": {}}
        child = multiprocessing.get_context("spawn").Process(
            target=_build, args=(str(ws_path), args.n, args.seed)
        )
        start = time.perf_counter()
        child.start()
        child.join()
        report["seconds"]["build_workspace"] = round(time.perf_counter() - start, 3)
        report["peak_rss_mib"]["build_child"] = _rss_mib(resource.RUSAGE_CHILDREN)
        report["files_mib"] = {
            p.name: round(p.stat().st_size / 2**20, 1) for p in sorted(ws_path.iterdir())
        }
        _library(ws_path, report)
        if args.app:
            _app(ws_path, report)
        _scan_embeddings(ws_path, report)
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
