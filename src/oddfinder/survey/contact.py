"""A contact sheet: a few examples of every kind in a simulated survey, one labelled row each."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from oddfinder.errors import IngestError
from oddfinder.io.atomic import atomic_path
from oddfinder.io.images import read_rgb
from oddfinder.survey.errors import SurveyError
from oddfinder.survey.kinds import KINDS

__all__ = ["contact_sheet"]

_LABEL_WIDTH = 110


def contact_sheet(
    manifest_dir: str | os.PathLike,
    out_png: str | os.PathLike,
    *,
    per_kind: int = 8,
    tile: int = 128,
) -> Path:
    """Tile the first ``per_kind`` cutouts of each kind into one labelled PNG.

    Parameters
    ----------
    manifest_dir
        A folder written by :func:`~oddfinder.survey.simulate.simulate_survey`.
    out_png
        Where to write the sheet (atomically).
    per_kind
        Examples per row.
    tile
        Side of each example in the sheet, pixels.

    Returns
    -------
    pathlib.Path
        ``out_png``.

    Raises
    ------
    IngestError
        If the folder has no ``manifest.csv`` or it lacks the ``kind`` or ``path`` column.
    ImageError
        If an image the manifest names is missing or unreadable.
    SurveyError
        If ``per_kind`` or ``tile`` is too small.
    """
    from PIL import Image, ImageDraw

    if per_kind < 1 or tile < 8:
        raise SurveyError(f"per_kind must be >= 1 and tile >= 8, got {per_kind} and {tile}")
    manifest_dir = Path(manifest_dir)
    manifest = manifest_dir / "manifest.csv"
    if not manifest.is_file():
        raise IngestError(f"no manifest.csv in {manifest_dir}")
    table = pd.read_csv(manifest)
    for column in ("kind", "path"):
        if column not in table:
            raise IngestError(f"{manifest} has no {column!r} column")
    kinds = [k for k in KINDS if (table["kind"] == k).any()]
    kinds += sorted(set(table["kind"].astype(str)) - set(kinds))
    gap = 2
    sheet = Image.new(
        "RGB",
        (_LABEL_WIDTH + per_kind * (tile + gap), max(len(kinds), 1) * (tile + gap)),
        (30, 30, 30),
    )
    draw = ImageDraw.Draw(sheet)
    for row, kind in enumerate(kinds):
        top = row * (tile + gap)
        count = int((table["kind"] == kind).sum())
        draw.text((6, top + tile // 2 - 12), f"{kind}\n({count})", fill=(230, 230, 230))
        examples = table[table["kind"] == kind].head(per_kind)
        for col, path in enumerate(examples["path"]):
            thumb = read_rgb(manifest_dir / path, size=tile)
            sheet.paste(thumb, (_LABEL_WIDTH + col * (tile + gap), top))
    out_png = Path(out_png)
    with atomic_path(out_png, suffix=".png") as tmp:
        sheet.save(tmp, format="PNG")
    return out_png
