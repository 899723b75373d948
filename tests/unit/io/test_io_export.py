"""Exports round-trip through CSV, Parquet and FITS and cannot escape the exports folder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oddfinder.io.export import ExportError, export_bytes, safe_export_path, write_export


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "rank": np.arange(1, 101),
            "id": [f"gal_{i}" for i in range(100)],
            "ra": rng.uniform(0, 360, 100),
            "dec": rng.uniform(-90, 90, 100),
            "label": pd.array([5, None] * 50, dtype="Int64"),
            "kind": ["spiral", "ring"] * 50,
            "note": ["é", None] * 50,
        }
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".fits"])
def test_round_trip(tmp_path, table, suffix):
    path = write_export(table, tmp_path / "exports" / f"top{suffix}")
    assert path.is_file()
    if suffix == ".csv":
        back = pd.read_csv(path)
    elif suffix == ".parquet":
        back = pd.read_parquet(path)
    else:
        from astropy.table import Table

        back = Table.read(path).to_pandas()
        back["id"] = back["id"].str.decode("utf-8") if back["id"].dtype == object else back["id"]
    assert len(back) == 100
    assert list(back["id"].astype(str)[:2]) == ["gal_0", "gal_1"]
    assert np.allclose(back["ra"], table["ra"])
    assert list(back.columns[:4]) == ["rank", "id", "ra", "dec"]
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]


def test_bad_suffix_writes_nothing(tmp_path, table):
    with pytest.raises(ExportError, match=r"top\.txt"):
        write_export(table, tmp_path / "top.txt")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name", ["", "../x.csv", "a/b.csv", "/tmp/x.csv", "..", ".hidden.csv", "x.exe", "a\\b.csv"]
)
def test_safe_export_path_refuses_escapes(tmp_path, name):
    with pytest.raises(ExportError):
        safe_export_path(tmp_path / "exports", name)


def test_safe_export_path_accepts_plain_names(tmp_path):
    path = safe_export_path(tmp_path / "exports", " top 100.fits ")
    assert path == tmp_path / "exports" / "top 100.fits"


def test_export_bytes_unknown_format(table):
    with pytest.raises(ExportError, match="xlsx"):
        export_bytes(table, "xlsx")
