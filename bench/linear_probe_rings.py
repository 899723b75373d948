"""Linear probe on GZ DECaLS rings: does the bundled embedding separate rings with few labels?

For 20 and 100 training rings (and as many non-rings), over several random draws, fit a
logistic regression and test on the rest of the 470 images; compare the bundled CNN's
embedding (512-d, and its 40-d PCA as the pipeline uses) with raw-pixel PCA features
(32 x 32 colour pixels, PCA to 40). Prints JSON: mean and std of accuracy and ROC AUC.

    .venv/bin/python bench/linear_probe_rings.py [--draws 20] [--encoder bundled]

Data: Zoobot's example ring catalogue (GZ DECaLS DR5 images, Galaxy Zoo labels).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "rings"


def _probe(features: np.ndarray, y: np.ndarray, n_train: int, draws: int) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    acc, auc = [], []
    for seed in range(draws):
        rng = np.random.default_rng(seed)
        pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
        train = np.concatenate(
            [rng.choice(pos, n_train, replace=False), rng.choice(neg, n_train, replace=False)]
        )
        test = np.setdiff1d(np.arange(len(y)), train)
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
        model.fit(features[train], y[train])
        acc.append(accuracy_score(y[test], model.predict(features[test])))
        auc.append(roc_auc_score(y[test], model.predict_proba(features[test])[:, 1]))
    return {
        "accuracy_mean": round(float(np.mean(acc)), 3),
        "accuracy_std": round(float(np.std(acc)), 3),
        "roc_auc_mean": round(float(np.mean(auc)), 3),
        "roc_auc_std": round(float(np.std(auc)), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--encoder", default="bundled")
    args = parser.parse_args()

    import torch
    from sklearn.decomposition import PCA

    from oddfinder.embed.dataset import read_uint8
    from oddfinder.embed.encoders import load_encoder

    manifest = pd.read_csv(DATA / "manifest.csv")
    paths = [str(DATA / p) for p in manifest["path"]]
    y = manifest["ring"].to_numpy().astype(int)

    encoder = load_encoder(args.encoder, device="cpu")
    images = np.stack([read_uint8(p, size=encoder.image_size) for p in paths])
    batch = torch.from_numpy(images).permute(0, 3, 1, 2)
    embedding = np.concatenate(
        [encoder.embed(batch[i : i + 128]).numpy() for i in range(0, len(batch), 128)]
    )
    pixels = np.stack([read_uint8(p, size=32) for p in paths]).reshape(len(paths), -1) / 255.0
    feature_sets = {
        f"{encoder.name}_embedding_{embedding.shape[1]}d": embedding,
        f"{encoder.name}_pca40": PCA(40, random_state=0).fit_transform(embedding),
        "raw_pixels_32px_colour_pca40": PCA(40, random_state=0).fit_transform(pixels),
    }
    result: dict = {
        "dataset": "rings (GZ DECaLS DR5, 470 images, 235 rings)",
        "encoder": encoder.name,
        "encoder_version": encoder.version,
        "draws": args.draws,
        "classifier": "StandardScaler + LogisticRegression(C=0.1)",
    }
    for n_train in (20, 100):
        result[f"train_{n_train}_rings_{n_train}_nonrings"] = {
            name: _probe(features, y, n_train, args.draws)
            for name, features in feature_sets.items()
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
