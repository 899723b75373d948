"""Similarity search on the Galaxy Zoo field guide: do neighbours illustrate the same answer?

Ingests ../shared/data/field_guide into a scratch workspace, embeds it with the bundled CNN
and searches neighbours (cosine, PCA to 10 components, as in Walmsley et al. 2022) only among
images of the same survey. Two scopes:

- ``survey``: neighbours among all of the survey's examples; a hit illustrates the same
  question *and* answer;
- ``survey+question``: neighbours among the survey's examples of the same question; a hit
  illustrates the same answer.

Groups with fewer than k + 2 images are left out (there every other image is a neighbour,
whatever the representation). Baselines: a random ordering (exact expectation) and raw
pixels (32 x 32 colour, PCA to 10).
Prints JSON and writes ``docs/figures/similarity_field_guide.json``.

    .venv/bin/python bench/similarity_field_guide.py [--k 5] [--workspace /tmp/fg_ws]

Data: Galaxy Zoo field-guide images (Apache-2.0) from SDSS, DECaLS, GAMA, UKIDSS, CANDELS,
GOODS, FERENGI.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "field_guide"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--workspace", default="/tmp/oddfinder_field_guide_ws")
    parser.add_argument("--out", default=str(ROOT / "docs" / "figures" / "similarity_field_guide"))
    args = parser.parse_args()

    from oddfinder.embed import embed_workspace
    from oddfinder.io.ingest import ingest_images
    from oddfinder.io.workspace import Workspace
    from oddfinder.map.similarity import similarity_features
    from oddfinder.map.similarity_eval import pixel_features, precision_table

    path = Path(args.workspace)
    if not (path / "features.npy").is_file():
        ws = ingest_images(DATA / "manifest.csv", path, workers=1, force=True)
        embed_workspace(ws, workers=0, progress=False, device="cpu")
    ws = Workspace.open(path)
    table = ws.catalog
    representations = {
        "bundled_pca10": similarity_features(ws, n_components=10),
        "bundled_512d": np.asarray(ws.embeddings()),
        "pixels_pca10": pixel_features(table["path"].tolist(), size=32, n_components=10),
        "random": None,
    }
    result = {"k": args.k, "metric": "cosine", "min_group": args.k + 2, "n_images": len(table)}
    for scope, group in (("survey", ["survey"]), ("survey+question", ["survey", "question"])):
        answer = ["question", "answer"] if scope == "survey" else ["answer"]
        summary = precision_table(
            table,
            representations,
            group=group,
            answer=answer,
            by="question",
            k=args.k,
            min_group=args.k + 2,
        )
        result[scope] = {
            str(q): {c: round(float(v), 4) for c, v in row.items()} for q, row in summary.iterrows()
        }
    out = Path(args.out).with_suffix(".json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
