"""Simulate a whole survey: images on disk and a manifest with the ground truth for every galaxy.

Galaxies are drawn in chunks by a pool of spawned worker processes; each writes its JPEGs and
returns its manifest rows. Galaxy ``i`` depends only on ``(seed, i)`` and its kind, never on the
worker count or the chunk it fell in.
"""

from __future__ import annotations

import io
import logging
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oddfinder.io.atomic import atomic_path
from oddfinder.survey.errors import SurveyError
from oddfinder.survey.kinds import (
    ARTEFACT_KINDS,
    assign_kinds,
    validate_fractions,
)

__all__ = ["MANIFEST_COLUMNS", "simulate_survey"]

logger = logging.getLogger(__name__)

_ANSWERS = {
    "smooth": float,
    "edge_on": int,
    "bar": int,
    "spiral_arms": int,
    "bulge_size": float,
    "merging": int,
}
_FLAGS = {"is_ring": "ring", "is_merger": "merger", "is_lens": "lens", "is_irregular": "irregular"}
_PARAMS_FLOAT = (
    "mag_r",
    "g_r",
    "r_z",
    "r_half_px",
    "sersic_n",
    "axis_ratio",
    "pa_deg",
    "bulge_frac",
    "arm_pitch_deg",
    "ring_radius_px",
    "separation_px",
    "flux_ratio",
    "einstein_radius_px",
    "source_offset_px",
    "psf_fwhm_px",
    "sky_sigma_r",
)
_PARAMS_INT = ("n_neighbours",)
_PARAMS_STR = ("host_kind", "psf_model")

#: Manifest columns, in order.
MANIFEST_COLUMNS: tuple[str, ...] = (
    "id",
    "path",
    "ra",
    "dec",
    "kind",
    *_ANSWERS,
    *_FLAGS,
    "is_artefact",
    *_PARAMS_STR,
    *_PARAMS_FLOAT,
    *_PARAMS_INT,
)

_JPEG_QUALITY = 92
_CHUNK = 32


def _draw_chunk(task: tuple[str, int, int, Sequence[tuple[int, str]]]) -> list[dict[str, Any]]:
    """Draw and save one chunk of galaxies; return their manifest rows (runs in a worker)."""
    from PIL import Image

    from oddfinder.survey.scene import render_object

    out, seed, size, items = task
    images = Path(out) / "images"
    rows = []
    for index, kind in items:
        rgb, truth = render_object(index, kind, seed=seed, size=size)
        gid = f"sim{index:06d}"
        target = images / f"{gid}.jpg"
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="JPEG", quality=_JPEG_QUALITY)
        # Written beside the target and renamed: a reader never sees half an image.
        partial = target.with_name(f".{target.name}.partial")
        partial.write_bytes(buffer.getvalue())
        os.replace(partial, target)
        row = {"id": gid, "path": f"images/{gid}.jpg", "kind": kind}
        row.update(truth)
        rows.append(row)
    return rows


def _manifest(rows: list[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    for column in MANIFEST_COLUMNS:
        if column not in table:
            table[column] = np.nan
    for flag, kind in _FLAGS.items():
        table[flag] = (table["kind"] == kind).astype(int)
    table["is_artefact"] = table["kind"].isin(ARTEFACT_KINDS).astype(int)
    for column, kind in _ANSWERS.items():
        table[column] = table[column].astype(kind)
    for column in _PARAMS_FLOAT:
        table[column] = table[column].astype(float).round(4)
    for column in _PARAMS_INT:
        table[column] = table[column].astype(int)
    table["bulge_size"] = table["bulge_size"].round(4)
    table["smooth"] = table["smooth"].round(4)
    extra = [c for c in table.columns if c not in MANIFEST_COLUMNS]
    return table[list(MANIFEST_COLUMNS) + sorted(extra)]


def simulate_survey(
    out: str | os.PathLike,
    n: int,
    *,
    seed: int = 0,
    size: int = 128,
    workers: int = 2,
    kind_fractions: Mapping[str, float] | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Draw a simulated DECaLS-like survey of ``n`` galaxies into ``out``.

    Writes ``out/images/sim000000.jpg`` ... (RGB JPEG, ``size`` x ``size``) and
    ``out/manifest.csv`` (atomically, last), and returns the manifest. See
    :data:`MANIFEST_COLUMNS` and the README for the columns.

    Parameters
    ----------
    out
        Output folder; created if missing. Existing images of the same ids are replaced.
    n
        Number of galaxies, > 0.
    seed
        Seed of the whole survey: the same seed gives the same bytes.
    size
        Side of the cutouts in pixels (>= 32); lengths scale with it.
    workers
        Worker processes (spawned); 1 draws in this process. Results do not depend on it.
    kind_fractions
        Fraction of each kind (see :data:`oddfinder.survey.kinds.KINDS`), summing to 1; missing
        kinds get 0. Default :data:`oddfinder.survey.kinds.DEFAULT_FRACTIONS`.
    progress
        Show a progress bar: True, False, or None for only on a terminal.

    Returns
    -------
    pandas.DataFrame
        The manifest, one row per galaxy, in id order.

    Raises
    ------
    SurveyError
        If ``n``, ``size`` or ``workers`` is out of range, or ``kind_fractions`` names an
        unknown kind, has a negative value, or does not sum to 1.

    Examples
    --------
    >>> import tempfile
    >>> table = simulate_survey(tempfile.mkdtemp(), 3, size=48, workers=1, progress=False)
    >>> list(table["id"])
    ['sim000000', 'sim000001', 'sim000002']
    """
    from tqdm.auto import tqdm

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise SurveyError(f"n must be a positive integer, got {n!r}")
    if not isinstance(size, (int, np.integer)) or size < 32:
        raise SurveyError(f"size must be an integer >= 32 pixels, got {size!r}")
    if not isinstance(workers, (int, np.integer)) or workers < 1:
        raise SurveyError(f"workers must be an integer >= 1, got {workers!r}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SurveyError(f"seed must be an integer >= 0, got {seed!r}")
    fractions = validate_fractions(kind_fractions)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SurveyError(f"output {out} exists and is not a folder")
    (out / "images").mkdir(parents=True, exist_ok=True)

    kinds = assign_kinds(int(n), seed=int(seed), fractions=fractions)
    items = list(enumerate(kinds))
    chunk = max(1, min(_CHUNK, math.ceil(n / (4 * workers))))
    tasks = [
        (str(out), int(seed), int(size), items[i : i + chunk]) for i in range(0, len(items), chunk)
    ]
    logger.info(
        "simulating %d galaxies (%dx%d) with %d worker(s) into %s", n, size, size, workers, out
    )
    rows: list[dict[str, Any]] = []
    bar = tqdm(
        total=int(n),
        unit="gal",
        desc="simulate",
        disable=None if progress is None else not progress,
    )
    try:
        if workers == 1 or len(tasks) == 1:
            for task in tasks:
                rows.extend(_draw_chunk(task))
                bar.update(len(task[3]))
        else:
            import multiprocessing

            context = multiprocessing.get_context("spawn")
            with context.Pool(min(workers, len(tasks))) as pool:
                for result in pool.imap(_draw_chunk, tasks):
                    rows.extend(result)
                    bar.update(len(result))
    finally:
        bar.close()
    table = _manifest(rows)
    with atomic_path(out / "manifest.csv", suffix=".csv") as tmp:
        table.to_csv(tmp, index=False)
    logger.info("wrote %s", out / "manifest.csv")
    return table
