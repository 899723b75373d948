"""Few-label ring classification on ../shared/data/rings: head vs full fine-tune vs scratch.

For each seed a fixed test set of 35 rings and 35 non-rings is held out; classifiers are
trained on N rings and N non-rings (N = 2, 10, 20, 50, 100, 200) drawn from the rest
(:func:`oddfinder.finetune.curve.few_label_curve`). Prints JSON (accuracy and ROC AUC, mean
and standard deviation over seeds) and writes ``docs/figures/finetune_rings.{json,png}``.

    .venv/bin/python bench/finetune_rings.py [--seeds 5] [--counts 2 10 20 50 100 200]

Data: the Zoobot example ring catalogue (GZ DECaLS DR5 images, Galaxy Zoo labels).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "rings"
FIGURES = ROOT / "docs" / "figures"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--counts", type=int, nargs="+", default=[2, 10, 20, 50, 100, 200])
    parser.add_argument("--modes", nargs="+", default=["head", "full", "scratch"])
    parser.add_argument("--max-steps", type=int, default=80)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=str(FIGURES / "finetune_rings"))
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import torch

    from oddfinder.embed.encoders import load_encoder
    from oddfinder.finetune.curve import (
        few_label_curve,
        plot_curve,
        read_labelled_images,
        summarise_curve,
    )

    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    images, y, _ = read_labelled_images(DATA / "manifest.csv", "ring")
    encoder = load_encoder("bundled", device="cpu")
    embeddings = np.concatenate(
        [
            encoder.embed(torch.from_numpy(images[i : i + 128])).numpy()
            for i in range(0, len(y), 128)
        ]
    )
    runs = few_label_curve(
        images,
        embeddings,
        y,
        counts=args.counts,
        seeds=args.seeds,
        modes=args.modes,
        max_steps=args.max_steps,
    )
    curve = summarise_curve(runs).round(4)
    result = {
        "data": "rings (GZ DECaLS DR5, 470 images, 235 rings)",
        "test_set": "35 rings + 35 non-rings per seed",
        "seeds": args.seeds,
        "max_steps": args.max_steps,
        "torch_threads": args.threads,
        "curve": curve.to_dict(orient="records"),
        "runs": runs.to_dict(orient="records"),
        "total_seconds": round(time.perf_counter() - start, 1),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    fig = plot_curve(curve, title="Few-label ring classification (GZ DECaLS rings)")
    fig.savefig(out.with_suffix(".png"), dpi=110)
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=1))


if __name__ == "__main__":
    main()
