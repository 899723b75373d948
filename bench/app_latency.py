"""Server-side latency of the app's label click and "Next round" at survey scale (JSON).

Builds a synthetic workspace (default 100,000 galaxies, 40-d features, a 2% cluster of
"interesting" ones, no thumbnails), drives the real app with Streamlit's AppTest and times
each interaction (callback plus the full page rerun), and the library calls behind them.
Targets: a label click <= 0.2 s, a next round <= 2 s.

    .venv/bin/python bench/app_latency.py --n 100000 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

APP = Path(__file__).resolve().parents[1] / "anomaly_app" / "streamlit_app.py"


def build_workspace(path: Path, n: int, d: int, seed: int) -> Path:
    """A workspace with catalogue, features, prior and map; no thumbnails."""
    from oddfinder.io.workspace import Workspace

    rng = np.random.default_rng(seed)
    special = rng.random(n) < 0.02
    features = rng.normal(size=(n, d)).astype(np.float32)
    features[special, :5] += 3.0
    ids = np.array([f"G{i:07d}" for i in range(n)])
    ws = Workspace(path)
    path.mkdir(parents=True, exist_ok=True)
    ws.update_meta(n=n, feature_dim=d, source="bench/app_latency.py")
    ws.write_table(
        "catalog",
        pd.DataFrame({"id": ids, "ra": rng.uniform(0, 360, n), "dec": rng.uniform(-30, 60, n)}),
    )
    ws.write_array("features", features)
    prior = np.clip(rng.uniform(0, 0.6, n) + 0.3 * special, 0, 1)
    ws.write_table("prior", pd.DataFrame({"id": ids, "prior": prior}))
    ws.write_table("map", pd.DataFrame({"id": ids, "x": features[:, 0], "y": features[:, 1]}))
    return path


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(values), 4),
        "max_s": round(max(values), 4),
        "n": len(values),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="galaxies")
    parser.add_argument("--d", type=int, default=40, help="feature dimensions")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of 10 labels")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from oddfinder.io.workspace import Workspace
    from oddfinder.labels.loop import LabellingLoop
    from oddfinder.labels.store import LabelStore

    with tempfile.TemporaryDirectory() as tmp:
        ws_path = build_workspace(Path(tmp) / "ws", args.n, args.d, args.seed)
        ws = Workspace.open(ws_path)
        special = set(np.flatnonzero(ws.features()[:, :5].mean(axis=1) > 1.5).tolist())

        # 1. The whole app: callback plus full page rerun, as the server does it.
        os.environ["ODDFINDER_WORKSPACE"] = str(ws_path)
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(APP), default_timeout=600)
        first_load = _timed(at.run)
        start_session = _timed(
            lambda: at.text_input(key="researcher_input").set_value("bench").run()
        )
        clicks, rounds = [], []
        for _ in range(args.rounds):
            gids = [b.key.split("_")[1] for b in at.button if b.key and b.key.endswith("_0")]
            for gid in gids:
                score = 5 if ws.row_of[gid] in special else 0
                clicks.append(_timed(at.button(key=f"score_{gid}_{score}").click().run))
            rounds.append(_timed(at.button(key="next_round").click().run))
        assert not at.exception, at.exception
        ranking_page = _timed(at.switch_page("app_pages/ranking.py").run)
        ranking_rerun = _timed(at.number_input(key="top_n").set_value(200).run)
        map_page = _timed(at.switch_page("app_pages/map.py").run)
        assert not at.exception, at.exception

        # 2. The library calls behind them (no Streamlit).
        store = LabelStore(Path(tmp) / "direct.sqlite")
        features = ws.features()
        prior = ws.read_table("prior")["prior"].to_numpy()
        build = time.perf_counter()
        loop = LabellingLoop(store, "direct", ids=ws.ids, features=features, prior=prior)
        build = time.perf_counter() - build
        direct_labels, direct_rounds = [], []
        for _ in range(args.rounds):
            for row in list(loop.batch):
                score = 5 if row in special else 0
                direct_labels.append(_timed(lambda r=row, s=score: loop.label(ws.ids[r], s)))
            direct_rounds.append(_timed(loop.next_round))

    result = {
        "benchmark": "app_latency",
        "n_galaxies": args.n,
        "feature_dim": args.d,
        "rounds": args.rounds,
        "cpu_count": os.cpu_count(),
        "app": {
            "first_page_load_s": round(first_load, 3),
            "enter_researcher_s": round(start_session, 3),
            "label_click": _summary(clicks),
            "next_round": _summary(rounds),
            "ranking_page_first_s": round(ranking_page, 3),
            "ranking_page_rerun_s": round(ranking_rerun, 3),
            "map_page_s": round(map_page, 3),
        },
        "library": {
            "new_loop_s": round(build, 3),
            "label": _summary(direct_labels),
            "next_round": _summary(direct_rounds),
        },
        "targets": {"label_click_s": 0.2, "next_round_s": 2.0},
        "meets_targets": bool(
            statistics.median(clicks) <= 0.2 and statistics.median(rounds) <= 2.0
        ),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
