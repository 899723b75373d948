"""Small image files and manifests for the ingest tests, written into a temporary folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

__all__ = ["leftovers", "make_images", "write_fits_table", "write_manifest"]


def make_images(folder: Path, *, seed: int = 0) -> pd.DataFrame:
    """One image of each supported kind; returns a manifest frame with relative paths."""
    rng = np.random.default_rng(seed)
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 255, (40, 50, 3), dtype=np.uint8)).save(images / "a.jpg")
    Image.fromarray(rng.integers(0, 255, (30, 30), dtype=np.uint8)).save(images / "b.png")
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(images / "c.png")

    from astropy.io import fits

    fits.writeto(images / "d.fits", rng.normal(0, 1, (32, 32)).astype(np.float32))
    cube = rng.normal(0, 1, (3, 24, 24)).astype(np.float32)
    cube[1, 3, 3] = np.nan
    fits.writeto(images / "e.fits", cube)
    return pd.DataFrame(
        {
            "id": ["gal_a", "007", "43153636661928257", "gal d", "gal-e"],
            "path": [f"images/{name}" for name in ("a.jpg", "b.png", "c.png", "d.fits", "e.fits")],
            "ra": [10.5, 20.0, np.nan, 359.9, 0.0],
            "dec": [-5.0, 0.0, np.nan, 89.0, -90.0],
            "mag": [17.1, 18.2, 19.3, 20.4, 21.5],
            "kind": ["jpeg", "grey png", "rgb png", "fits", "fits cube"],
        }
    )


def write_manifest(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as CSV, Parquet or FITS according to the suffix of ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".fits":
        write_fits_table(frame, path)
    else:
        raise ValueError(path)
    return path


def write_fits_table(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as a FITS binary table with upper-case column names, as surveys do."""
    from astropy.table import Table

    table = Table.from_pandas(frame.rename(columns=str.upper))
    table.write(path, format="fits", overwrite=True)


def leftovers(folder: Path) -> list[str]:
    """Names in ``folder`` other than the inputs the tests made (images, manifests)."""
    inputs = {"images", "manifest.csv", "manifest.parquet", "manifest.fits"}
    return sorted(p.name for p in folder.iterdir() if p.name not in inputs)
