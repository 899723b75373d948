"""What a representation allows: a classifier given *every* label, against the 200-label loop.

The discovery loop finds interesting galaxies with a few hundred labels; no ranker can do better
than the representation lets it separate them. This benchmark measures that ceiling on the real
reference sets: for each representation, a classifier trained on all the other folds' labels
(5-fold cross-validation, thousands of labels) ranks the held-out fold: a logistic regression
and an RBF support-vector machine (the GP's kernel), each reporting

* ``auc``, ``ap``: ROC AUC and average precision of the cross-validated scores;
* ``hits@50``, ``hits@200``: interesting galaxies among its top 50 and top 200;
* ``p@50_after_200``: the discovery benchmark's top-50 precision if a researcher had labelled
  exactly this ranking's top 200 (found ones first, then the rest by score): an upper bound,
  in practice, for what 200 labels can reach on this representation.

Representations: ``pixels`` (32x32 RGB, PCA 40), ``embedding`` (the workspace's CNN PCA),
``morphometry`` (robust z-scores), ``embedding+morphometry`` (the ranker's default), and with
``--scattering`` the reduced wavelet scattering coefficients (Cheng & Menard 2021:
rotation-averaged first- and second-order Morlet scattering of the grey image at 64 px, J = 4
scales, L = 8 angles, in a central and an outer window; cached as ``CACHE/<set>_scattering.npy``
for ``discovery_real.py --extra-features``) alone and with the default features.

Usage::

    .venv/bin/python bench/representation_ceiling.py --workspace-root WS_ROOT \
        [--sets gz1,hsc,rings] [--scattering]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from discovery_real import DATA, SETS, pixel_features, write_report

SCATTERING = {"size": 64, "scales": 4, "angles": 8}


def morlet_bank(n: int, scales: int, angles: int) -> np.ndarray:
    """Fourier-domain Morlet wavelets ``(scales, angles, n, n)`` (zero mean)."""
    from scipy import fft

    k = fft.fftfreq(n) * 2 * np.pi
    ky, kx = np.meshgrid(k, k, indexing="ij")
    slant = min(1.0, 4.0 / angles)
    bank = np.zeros((scales, angles, n, n))
    for j in range(scales):
        xi, sigma = 3 * np.pi / 4 / 2**j, 0.8 * 2**j
        for a in range(angles):
            theta = np.pi * a / angles
            u = kx * np.cos(theta) + ky * np.sin(theta)
            v = -kx * np.sin(theta) + ky * np.cos(theta)
            envelope = np.exp(-0.5 * sigma**2 * (u**2 + v**2 / slant**2))
            wave = np.exp(-0.5 * sigma**2 * ((u - xi) ** 2 + v**2 / slant**2))
            bank[j, a] = wave - np.exp(-0.5 * sigma**2 * xi**2) * envelope
    return bank


def scattering(gray: np.ndarray, bank: np.ndarray) -> np.ndarray:
    """Reduced scattering coefficients of one ``(n, n)`` grey image (module docstring)."""
    from scipy import fft

    scales, angles, n, _ = bank.shape
    r = np.hypot(*(np.mgrid[:n, :n] - (n - 1) / 2))
    inner = np.exp(-0.5 * (r / (n / 8)) ** 2)
    outer = np.clip(np.exp(-0.5 * (r / (n / 3)) ** 2) - inner, 0, None)
    windows = [w / w.sum() for w in (inner, outer)]
    gray = gray - np.median(gray)
    gray = gray / max(float((gray * windows[0]).sum()), 1e-3)
    first = np.abs(fft.ifft2(fft.fft2(gray)[None, None] * bank))
    first_hat = fft.fft2(first)
    s1 = [(first * w).sum(axis=(-1, -2)) for w in windows]
    out = [np.log2(s.mean(axis=1) + 1e-4) for s in s1]
    for j1 in range(scales - 1):
        for j2 in range(j1 + 1, scales):
            second = np.abs(fft.ifft2(first_hat[j1][:, None] * bank[j2][None]))
            for w, s in zip(windows, s1, strict=True):
                ratio = (second * w).sum(axis=(-1, -2)) / (s[j1][:, None] + 1e-4)
                by_angle = np.array(
                    [
                        np.mean([ratio[a, (a + d) % angles] for a in range(angles)])
                        for d in range(angles)
                    ]
                )
                mean = by_angle.mean()
                anisotropy = (by_angle[0] - by_angle[angles // 2]) / (mean + 1e-4)
                out.append([np.log2(mean + 1e-4), anisotropy])
    return np.concatenate([np.ravel(o) for o in out]).astype(np.float32)


def _scattering_path(path: str) -> np.ndarray:
    from oddfinder.embed.dataset import read_uint8

    size, scales, angles = SCATTERING["size"], SCATTERING["scales"], SCATTERING["angles"]
    gray = read_uint8(path, size=size).astype(np.float32).mean(axis=2) / 255.0
    return scattering(gray, morlet_bank(size, scales, angles))


def scattering_features(paths: list[str], target: Path, *, workers: int = 2) -> np.ndarray:
    """Scattering coefficients of every image, cached at ``target``."""
    from concurrent.futures import ProcessPoolExecutor

    if target.is_file():
        return np.load(target)
    with ProcessPoolExecutor(workers) as pool:
        rows = list(pool.map(_scattering_path, paths, chunksize=32))
    values = np.stack(rows)
    target.parent.mkdir(parents=True, exist_ok=True)
    np.save(target, values)
    return values


CLASSIFIERS = {
    "logistic": "logistic regression, C = 0.01, balanced classes",
    "rbf_svm": "support-vector machine, RBF kernel, C = 1, gamma 'scale', balanced classes",
}


def ceiling(
    x: np.ndarray, truth: np.ndarray, *, classifier: str, labels: int, folds: int = 5
) -> dict:
    """Cross-validated scores of ``classifier`` (a key of :data:`CLASSIFIERS`) on all labels."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.svm import SVC

    if classifier == "logistic":
        model = LogisticRegression(C=0.01, max_iter=5000, class_weight="balanced")
    else:
        model = SVC(C=1.0, gamma="scale", class_weight="balanced")
    cv = StratifiedKFold(folds, shuffle=True, random_state=0)
    score = cross_val_predict(model, x, truth, cv=cv, method="decision_function")
    order = np.argsort(-score)
    labelled = order[:labels]
    found = truth[labelled]
    after = np.r_[labelled[found], labelled[~found], order[labels:]]
    return {
        "auc": round(float(roc_auc_score(truth, score)), 3),
        "ap": round(float(average_precision_score(truth, score)), 3),
        "hits@50": int(truth[order[:50]].sum()),
        f"hits@{labels}": int(found.sum()),
        f"p@50_after_{labels}": round(float(truth[after[:50]].mean()), 3),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace-root", type=Path, required=True)
    parser.add_argument("--sets", default="gz1,hsc,rings")
    parser.add_argument("--labels", type=int, default=200)
    parser.add_argument("--scattering", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/oddfinder_bench_cache"))
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)

    from oddfinder.embed.morphometry import standardise
    from oddfinder.evaluate.oracle import truth_from_catalog
    from oddfinder.io.workspace import Workspace
    from oddfinder.rank.features import ranking_features

    report: dict = {"labels": args.labels, "folds": 5, "classifiers": CLASSIFIERS, "sets": {}}
    for key in args.sets.split(","):
        folder_name, expr = SETS[key]
        ws = Workspace.open(args.workspace_root / folder_name)
        truth = truth_from_catalog(ws.catalog, interesting=expr) >= 3
        feats = ranking_features(ws)
        if feats.groups is None:
            parser.error(f"{ws.path} has no morphometry: run `oddfinder embed` on it")
        scale = float(feats.values[:, 0].std())
        embedding, morph = feats.values[:, feats.groups == 0], feats.values[:, feats.groups == 1]
        manifest, pixels = pixel_features(DATA / folder_name, args.cache)
        if not np.array_equal(manifest["id"].astype(str).to_numpy(), ws.ids):
            parser.error(f"{ws.path} is not in the order of {DATA / folder_name}/manifest.csv")
        reps = {
            "pixels": pixels / pixels[:, 0].std() * scale,
            "embedding": embedding,
            "morphometry": morph,
            "embedding+morphometry": feats.values,
        }
        seconds = {}
        if args.scattering:
            t0 = time.perf_counter()
            paths = list(ws.catalog["path"].astype(str))
            target = args.cache / f"{key}_scattering.npy"
            cached = target.is_file()
            scat = standardise(scattering_features(paths, target))
            seconds["scattering"] = "cached" if cached else round(time.perf_counter() - t0, 1)
            reps["scattering"] = scat
            reps["embedding+morphometry+scattering"] = np.hstack([feats.values, scat])
        results = {
            name: {
                clf: ceiling(x, truth, classifier=clf, labels=args.labels) for clf in CLASSIFIERS
            }
            for name, x in reps.items()
        }
        report["sets"][key] = {
            "n": int(truth.size),
            "n_interesting": int(truth.sum()),
            "representations": results,
            "seconds": seconds,
        }
        print(json.dumps({key: report["sets"][key]}), file=sys.stderr)
    return write_report(report, args.out)


if __name__ == "__main__":
    sys.exit(main())
