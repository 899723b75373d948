"""read_manifest: CSV, Parquet and FITS manifests; ids come back as exact strings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _ingest_fixtures import write_fits_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oddfinder.errors import IngestError
from oddfinder.io.manifest import make_ids, read_manifest, stringify_ids

BIG_IDS = ["43153636661928257", "588848901530583233", "007", "NA", "nan", "1e5", "True"]


def test_csv_ids_are_exact_strings(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    lines = ["id,path,mag,flag"] + [f"{gid},img{i}.jpg,{i}.5,x" for i, gid in enumerate(BIG_IDS)]
    path.write_text("\n".join(lines) + "\n")
    frame = read_manifest(path)
    assert frame["id"].tolist() == BIG_IDS
    assert frame["path"].tolist() == [f"img{i}.jpg" for i in range(len(BIG_IDS))]
    assert frame["mag"].dtype.kind == "f"


def test_csv_metadata_missing_values_become_nan(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("id,path,z\nNA,a.jpg,NA\nb,,0.3\n")
    frame = read_manifest(path)
    assert frame["id"].tolist() == ["NA", "b"]  # a real id, not missing
    assert frame["path"].tolist() == ["a.jpg", ""]
    assert np.isnan(frame["z"].iloc[0]) and frame["z"].iloc[1] == pytest.approx(0.3)


def test_csv_with_byte_order_mark_spaces_and_upper_case(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes("\ufeffID , Path ,RA,DEC,Note\n 007 , a.jpg ,1.5,-2.5,é\n".encode())
    frame = read_manifest(path)
    assert list(frame.columns) == ["id", "path", "ra", "dec", "Note"]
    assert frame["id"].tolist() == ["007"]
    assert frame["path"].tolist() == ["a.jpg"]
    assert frame["Note"].tolist() == ["é"]


def test_latin1_csv_falls_back(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes("id,path\ngalaxie_\xe9,a.jpg\n".encode("latin-1"))
    assert read_manifest(path)["id"].tolist() == ["galaxie_é"]


def test_tsv(tmp_path: Path) -> None:
    path = tmp_path / "m.tsv"
    path.write_text("id\tpath\n1\ta, b.jpg\n")
    assert read_manifest(path)["path"].tolist() == ["a, b.jpg"]


def test_parquet_integer_ids_stay_exact(tmp_path: Path) -> None:
    path = tmp_path / "m.parquet"
    ids = np.array([43153636661928257, 588848901530583233, 7], dtype=np.int64)
    pd.DataFrame({"id": ids, "path": ["a", "b", "c"]}).to_parquet(path)
    assert read_manifest(path)["id"].tolist() == ["43153636661928257", "588848901530583233", "7"]


def test_fits_table_upper_case_and_integer_ids(tmp_path: Path) -> None:
    path = tmp_path / "m.fits"
    frame = pd.DataFrame(
        {
            "id": np.array([43153636661928257, 12], dtype=np.int64),
            "path": ["images/a.fits", "images/b.fits"],
            "ra": [1.0, 2.0],
            "mag": [np.nan, 3.0],
        }
    )
    write_fits_table(frame, path)
    read = read_manifest(path)
    assert list(read.columns) == ["id", "path", "ra", "MAG"]
    assert read["id"].tolist() == ["43153636661928257", "12"]
    assert read["path"].tolist() == ["images/a.fits", "images/b.fits"]


def test_fits_multidimensional_columns_are_dropped(tmp_path: Path) -> None:
    from astropy.table import Table

    path = tmp_path / "m.fits"
    Table({"id": ["a", "b"], "path": ["x", "y"], "flux": np.ones((2, 3))}).write(path)
    assert list(read_manifest(path).columns) == ["id", "path"]


def test_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="manifest not found"):
        read_manifest(tmp_path / "missing.csv")
    odd = tmp_path / "m.xlsx"
    odd.write_text("x")
    with pytest.raises(IngestError, match=r"m\.xlsx: unknown manifest type"):
        read_manifest(odd)
    broken = tmp_path / "m.parquet"
    broken.write_text("not parquet")
    with pytest.raises(IngestError, match=r"m\.parquet: cannot read manifest"):
        read_manifest(broken)
    dup = tmp_path / "d.csv"
    dup.write_text("id,path,ID\na,b,c\n")
    frame = read_manifest(dup)  # "ID" is kept as a user column since "id" exists
    assert list(frame.columns) == ["id", "path", "ID"]


def test_make_ids_and_stringify() -> None:
    assert make_ids(3).tolist() == ["row000001", "row000002", "row000003"]
    assert make_ids(1_234_567)[-1] == "row1234567"
    assert stringify_ids(pd.Series([1.0, 2.0, np.nan])).tolist() == ["1", "2", ""]
    assert stringify_ids(pd.Series([b" x ", 3])).tolist() == ["x", "3"]


# Ids a survey might use: printable text in any script (ASCII in FITS, which stores no other),
# no control characters, no leading or trailing spaces (those are stripped on reading).
def _ids(ascii_only: bool) -> st.SearchStrategy[str]:
    characters = st.characters(
        blacklist_categories=("Cc", "Cs", "Zl", "Zp"),
        blacklist_characters="\ufeff",
        max_codepoint=126 if ascii_only else None,
    )
    text = st.text(alphabet=characters, min_size=1, max_size=20)
    text = text.filter(lambda s: s.strip() == s and s != "")
    return st.one_of(text, st.from_regex(r"0[0-9]{1,18}", fullmatch=True))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), suffix=st.sampled_from([".csv", ".parquet", ".fits"]))
def test_any_ids_round_trip(tmp_path: Path, data: st.DataObject, suffix: str) -> None:
    ids = data.draw(st.lists(_ids(suffix == ".fits"), min_size=1, max_size=8, unique=True))
    path = tmp_path / f"m{suffix}"
    frame = pd.DataFrame({"id": ids, "path": [f"images/{i}.png" for i in range(len(ids))]})
    frame["score"] = np.arange(len(ids), dtype=float)
    if suffix == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8")
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        from astropy.table import Table

        Table.from_pandas(frame).write(path, overwrite=True)
    read = read_manifest(path)
    assert read["id"].tolist() == ids
    assert read["path"].tolist() == frame["path"].tolist()
    np.testing.assert_allclose(read["score"], frame["score"])
