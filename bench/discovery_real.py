"""Discovery benchmark on the real reference sets (../shared/data), printed as JSON.

Sets: ``hsc`` (HSC anomalies, ``interesting == 1``), ``rings`` (all non-rings plus 5% of the
rings, several draws), ``gz1`` (GZ1 dev, ``is_merger == 1``). Features come from a workspace
when ``--workspace-root`` holds ``<set>/features.npy``: the ranking features of
:func:`oddfinder.rank.features.ranking_features` (the bundled encoder's PCA, plus morphometry
when the workspace has it, as a second group for the GP; ``--no-morphometry`` leaves it out);
otherwise, and said so in the output, from raw pixels: images 32x32 RGB, then PCA to 40.
``--seed-examples K`` also runs every set with K interesting galaxies given up front (cold and
seeded starts side by side, the seeded ones named ``<set>_seeded<K>``).
``--extra-features PATH`` appends another feature group (an ``.npy`` in the workspace's row
order), to measure a candidate representation inside the loop.

Usage::

    .venv/bin/python bench/discovery_real.py --sets hsc,rings,gz1 --seeds 5 --labels 200 \
        --workspace-root WS_ROOT --seed-examples 1
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


def workspace_features(root: Path, name: str, *, morphometry: bool = True):
    from oddfinder.io.workspace import Workspace
    from oddfinder.rank.features import ranking_features

    ws = Workspace.open(root / name)
    features = ranking_features(ws, morphometry=morphometry)
    return ws.catalog, features.values, features.groups, "+".join(features.names)


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
    parser.add_argument("--seed-examples", type=int, default=0, help="also run seeded starts")
    parser.add_argument("--no-morphometry", action="store_true", help="embedding PCA only")
    parser.add_argument(
        "--extra-features",
        default=None,
        help="an .npy of further features in the workspace's row order, appended as one more "
        "GP group after robust z-scoring; '{set}' in the path becomes the set's key (e.g. "
        "the scattering coefficients that bench/representation_ceiling.py caches)",
    )
    parser.add_argument(
        "--prior",
        default="iforest",
        help="iforest (default), lof, or answer:COLUMN (the bundled CNN's answer; needs a "
        "workspace) as every method's prior",
    )
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
        groups = None
        if args.workspace_root and (args.workspace_root / folder_name / "features.npy").is_file():
            catalog, feats, groups, names = workspace_features(
                args.workspace_root, folder_name, morphometry=not args.no_morphometry
            )
            source = f"workspace {args.workspace_root / folder_name} ({names})"
            if args.extra_features:
                feats, groups, source = _append_group(
                    feats, groups, Path(args.extra_features.format(set=key)), source
                )
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
            if args.prior.startswith("answer:"):
                from oddfinder.io.workspace import Workspace
                from oddfinder.score.workspace import answer_prior

                if not args.workspace_root:
                    parser.error("--prior answer:COLUMN needs --workspace-root")
                ws = Workspace.open(args.workspace_root / folder_name)
                prior = answer_prior(ws, args.prior.split(":", 1)[1])[keep]
            else:
                prior = score_features(x, method=args.prior)
            n_lab = min(args.labels, x.shape[0] // 2)
            gp_options = json.loads(args.gp_options)
            if groups is not None:
                gp_options["groups"] = groups
            for seed_examples in sorted({0, args.seed_examples}):
                t0 = time.perf_counter()
                res = run_benchmark(
                    x,
                    t,
                    prior=prior,
                    methods=methods,
                    labels=[b for b in budgets if b <= n_lab],
                    seeds=args.seeds,
                    seed_examples=seed_examples,
                    method_options={"gp": gp_options},
                )
                name = key if draws == 1 else f"{key}_draw{draw}"
                if seed_examples:
                    name += f"_seeded{seed_examples}"
                report["sets"][name] = _summary(res, source, time.perf_counter() - t0)
                report["sets"][name]["prior_source"] = args.prior
                print(json.dumps({name: report["sets"][name]}), file=sys.stderr)
    return write_report(report, args.out)


def write_report(report: dict, out: Path | None) -> int:
    """Print ``report`` as JSON (and write it to ``out`` when given); returns 0."""
    text = json.dumps(report, indent=1)
    if out:
        out.write_text(text + "\n")
    print(text)
    return 0


def _append_group(feats, groups, path: Path, source: str):
    """``feats`` with the robust z-scores of the array at ``path`` appended as a new group."""
    from oddfinder.embed.morphometry import standardise

    extra = np.load(path)
    if extra.shape[0] != feats.shape[0]:
        raise SystemExit(f"{path}: {extra.shape[0]} rows, the workspace has {feats.shape[0]}")
    if groups is None:
        groups = np.zeros(feats.shape[1], np.int64)
    values = np.hstack([feats, standardise(extra)]).astype(np.float32)
    groups = np.r_[groups, np.full(extra.shape[1], groups.max() + 1)]
    return values, groups, f"{source} + {path.name}"


def _summary(res: dict, source: str, seconds: float) -> dict:
    """The headline metrics of one benchmark run (mean and worst seed per budget)."""
    summary = {
        "n": res["n"],
        "n_interesting": res["n_interesting"],
        "seed_examples": res["seed_examples"],
        "features": source,
        "labels": res["labels"],
        "seconds": round(seconds, 1),
    }
    for m, s in res["methods"].items():
        summary[m] = {
            k: s[k]
            for k in (
                *("p@20", "p@50", "p@100", "ap", "ap_unlabelled", "found"),
                *("p@20_min", "p@50_min", "ap_min", "ap_unlabelled_min", "found_min"),
            )
        }
    return summary


if __name__ == "__main__":
    sys.exit(main())
