"""Discovery benchmark on the real reference sets (../shared/data), printed as JSON.

Sets: ``hsc`` (HSC anomalies, ``interesting == 1``), ``rings`` (all non-rings plus 5% of the
rings, several draws), ``gz1`` (GZ1 dev, ``is_merger == 1``). Features come from a workspace
when ``--workspace-root`` holds ``<set>/features.npy`` (the bundled encoder); otherwise, and
said so in the output, from raw pixels: images downsampled to 32x32 RGB, then PCA to 40.

Usage::

    .venv/bin/python bench/discovery_real.py --sets hsc,rings,gz1 --seeds 5 --labels 200
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
SETS = {
    "hsc": ("hsc_anomalies", "interesting == 1"),
    "rings": ("rings", "ring == 1"),
    "gz1": ("gz1_dev", "is_merger == 1"),
}


def pixel_features(folder: Path, cache: Path, *, size: int = 32) -> tuple[pd.DataFrame, np.ndarray]:
    """Raw-pixel features (size x size RGB -> PCA 40), cached as .npy under ``cache``."""
    from sklearn.decomposition import PCA

    from oddfinder.io.images import load_image

    manifest = pd.read_csv(folder / "manifest.csv", dtype={"id": str})
    target = cache / f"{folder.name}_px{size}.npy"
    if target.is_file():
        return manifest, np.load(target)
    pixels = np.stack([load_image(folder / p, size=size).ravel() for p in manifest["path"]]).astype(
        np.float32
    )
    feats = PCA(n_components=40, random_state=0).fit_transform(pixels).astype(np.float32)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(target, feats)
    return manifest, feats


def workspace_features(root: Path, name: str):
    from oddfinder.io.workspace import Workspace

    ws = Workspace.open(root / name)
    return ws.catalog, np.asarray(ws.features(), np.float32)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="hsc,rings,gz1")
    parser.add_argument("--methods", default="gp,random,prior,neighbourscore,walmsley")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--labels", type=int, default=200)
    parser.add_argument("--ring-draws", type=int, default=5)
    parser.add_argument("--ring-fraction", type=float, default=0.05)
    parser.add_argument("--workspace-root", type=Path, default=None)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/oddfinder_bench_cache"))
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--gp-options", default="{}", help="JSON of GPRanker options")
    parser.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="another image set (e.g. a simulated survey): set name 'custom', with --expr",
    )
    parser.add_argument("--expr", default="is_merger == 1", help="interesting, for --manifest")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    from oddfinder.evaluate.benchmark import run_benchmark
    from oddfinder.evaluate.oracle import truth_from_catalog
    from oddfinder.evaluate.survey import budgets_up_to
    from oddfinder.score.workspace import score_features

    methods = args.methods.split(",")
    budgets = budgets_up_to(args.labels)
    report: dict = {"labels": budgets, "seeds": args.seeds, "sets": {}}
    sets = dict(SETS)
    if args.manifest is not None:
        sets["custom"] = (args.manifest.parent.name, args.expr)
    for key in args.sets.split(","):
        folder_name, expr = sets[key]
        folder = args.manifest.parent if key == "custom" else DATA / folder_name
        if args.workspace_root and (args.workspace_root / folder_name / "features.npy").is_file():
            catalog, feats = workspace_features(args.workspace_root, folder_name)
            source = f"workspace {args.workspace_root / folder_name}"
        else:
            catalog, feats = pixel_features(folder, args.cache)
            source = "raw pixels 32x32 RGB -> PCA 40"
        truth = truth_from_catalog(catalog, interesting=expr) >= 3
        draws = args.ring_draws if key == "rings" else 1
        for draw in range(draws):
            if key == "rings":
                rng = np.random.default_rng(draw)
                pos = np.flatnonzero(truth)
                keep_pos = rng.choice(pos, max(1, round(args.ring_fraction * pos.size)), False)
                keep = np.sort(np.concatenate([np.flatnonzero(~truth), keep_pos]))
            else:
                keep = np.arange(truth.size)
            x, t = feats[keep], truth[keep]
            prior = score_features(x)
            n_lab = min(args.labels, x.shape[0] // 2)
            t0 = time.perf_counter()
            res = run_benchmark(
                x,
                t,
                prior=prior,
                methods=methods,
                labels=[b for b in budgets if b <= n_lab],
                seeds=args.seeds,
                method_options={"gp": json.loads(args.gp_options)},
            )
            name = key if draws == 1 else f"{key}_draw{draw}"
            summary = {
                "n": res["n"],
                "n_interesting": res["n_interesting"],
                "features": source,
                "labels": res["labels"],
                "seconds": round(time.perf_counter() - t0, 1),
            }
            for m, s in res["methods"].items():
                summary[m] = {
                    k: s[k]
                    for k in (
                        *("p@20", "p@50", "p@100", "ap", "ap_unlabelled", "found"),
                        *("p@20_min", "p@50_min", "ap_min", "ap_unlabelled_min"),
                    )
                }
            report["sets"][name] = summary
            print(json.dumps({name: summary}), file=sys.stderr)
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
