"""ingest_embeddings: Zoobot-style Parquet tables and .npy + ids, streamed in batches."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from oddfinder.errors import IngestError, WorkspaceError
from oddfinder.io.embeddings_file import ingest_embeddings, read_ids_file


def zoobot_table(n: int = 500, dim: int = 40, *, seed: int = 0) -> pd.DataFrame:
    """A table shaped like Zoobot's GZ DESI representations: dr8_id, ra, dec, feat_pca_*."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "dr8_id": [f"{100000 + i}_{i % 7}" for i in range(n)],
            "ra": rng.uniform(0, 360, n),
            "dec": rng.uniform(-30, 80, n),
        }
    )
    features = rng.normal(size=(n, dim))
    for j in range(dim):
        frame[f"feat_pca_{j}"] = features[:, j]
    frame["redshift"] = rng.uniform(0, 0.3, n)
    return frame


def write_parquet(frame: pd.DataFrame, path: Path, *, row_group_size: int = 128) -> Path:
    pq.write_table(
        pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=row_group_size
    )
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("input"))


def test_zoobot_table_auto_detected_and_streamed(tmp_path: Path) -> None:
    frame = zoobot_table()
    path = write_parquet(frame, tmp_path / "input.parquet")
    ws = ingest_embeddings(path, tmp_path / "ws", batch_rows=97)  # batches cross row groups

    embeddings = ws.embeddings()
    assert embeddings.dtype == np.float32
    assert embeddings.shape == (500, 40)
    expected = frame[[f"feat_pca_{j}" for j in range(40)]].to_numpy(np.float32)
    np.testing.assert_array_equal(embeddings, expected)
    catalog = ws.catalog
    assert list(catalog.columns) == ["id", "ra", "dec", "redshift"]
    assert catalog["id"].tolist() == frame["dr8_id"].tolist()
    np.testing.assert_allclose(catalog["ra"], frame["ra"])
    np.testing.assert_allclose(catalog["redshift"], frame["redshift"])
    meta = ws.meta
    assert meta["has_images"] is False
    assert meta["encoder"] == {"name": "precomputed", "source": str(path.absolute())}
    assert meta["embedding_dim"] == 40
    assert meta["n"] == 500
    assert meta["id_column"] == "dr8_id"
    assert meta["feature_columns"][:2] == ["feat_pca_0", "feat_pca_1"]
    assert leftovers(tmp_path) == ["ws"]
    assert sorted(p.name for p in ws.path.iterdir()) == [
        "catalog.parquet",
        "embeddings.npy",
        "workspace.json",
    ]


def test_walmsley_style_table_iauname_and_feat_columns(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"iauname": [f"J{i:06d}" for i in range(50)], "mag": rng.normal(size=50)})
    for j in range(5):
        frame[f"feat_{j}"] = rng.normal(size=50)
    path = write_parquet(frame, tmp_path / "input.parquet")
    ws = ingest_embeddings(path, tmp_path / "ws")
    assert ws.embeddings().shape == (50, 5)
    assert list(ws.catalog.columns) == ["id", "ra", "dec", "mag"]
    assert ws.catalog["ra"].isna().all()


def test_only_string_column_is_the_id_and_numeric_columns_are_features(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "name": ["a", "b", "c"],
            "x": [1.0, 2, 3],
            "y": [4, 5, 6],
            "RA": [1.0, 2, 3],
            "Dec": [0.0, 1, 2],
        }
    )
    path = write_parquet(frame, tmp_path / "input.parquet")
    ws = ingest_embeddings(path, tmp_path / "ws")
    np.testing.assert_array_equal(ws.embeddings(), [[1, 4], [2, 5], [3, 6]])
    assert ws.catalog["id"].tolist() == ["a", "b", "c"]
    np.testing.assert_allclose(ws.catalog["dec"], [0, 1, 2])


def test_named_id_and_feature_columns(tmp_path: Path) -> None:
    frame = zoobot_table(30, 4)
    frame["objid"] = np.arange(30, dtype=np.int64) + 588848901530583233
    path = write_parquet(frame, tmp_path / "input.parquet")
    ws = ingest_embeddings(path, tmp_path / "a", id_column="objid", feature_columns="feat_pca_")
    assert ws.catalog["id"].iloc[0] == "588848901530583233"  # int64 ids exactly
    assert "dr8_id" in ws.catalog.columns
    ws = ingest_embeddings(path, tmp_path / "b", feature_columns=["feat_pca_3", "redshift"])
    np.testing.assert_allclose(ws.embeddings()[:, 1], frame["redshift"], rtol=1e-6)
    with pytest.raises(IngestError, match="no id column 'nope'"):
        ingest_embeddings(path, tmp_path / "c", id_column="nope")
    with pytest.raises(IngestError, match="no columns start with 'zzz'"):
        ingest_embeddings(path, tmp_path / "c", feature_columns="zzz")
    with pytest.raises(IngestError, match="not numeric"):
        ingest_embeddings(path, tmp_path / "c", feature_columns=["dr8_id"])
    assert not (tmp_path / "c").exists()


def test_ambiguous_id_column_asks_for_flag(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"], "f": [1.0, 2.0]})
    path = write_parquet(frame, tmp_path / "input.parquet")
    with pytest.raises(IngestError, match="--id-column"):
        ingest_embeddings(path, tmp_path / "ws")


@pytest.mark.parametrize("bad_value", [np.nan, np.inf, 1e300])
def test_non_finite_embedding_names_the_row(tmp_path: Path, bad_value: float) -> None:
    frame = zoobot_table(300, 8)
    frame.loc[211, "feat_pca_5"] = bad_value  # 1e300 overflows float32
    path = write_parquet(frame, tmp_path / "input.parquet")
    with pytest.raises(IngestError) as caught:
        ingest_embeddings(path, tmp_path / "ws", batch_rows=64)
    message = str(caught.value)
    assert message.startswith(f"{path} row 212 (id {frame['dr8_id'][211]!r}): non-finite")
    assert "dimension 5" in message
    assert leftovers(tmp_path) == []


def test_skip_bad_drops_nan_rows_duplicates_and_bad_coordinates(tmp_path: Path) -> None:
    frame = zoobot_table(300, 8)
    frame.loc[10, "feat_pca_0"] = np.nan
    frame.loc[250, "dr8_id"] = frame.loc[3, "dr8_id"]
    frame.loc[100, "dec"] = -91.0
    path = write_parquet(frame, tmp_path / "input.parquet")
    with pytest.raises(
        IngestError, match=r"row 11 .*non-finite embedding value nan in dimension 0"
    ):
        ingest_embeddings(path, tmp_path / "ws", batch_rows=64)
    ws = ingest_embeddings(path, tmp_path / "ws", batch_rows=64, skip_bad=True)
    keep = np.setdiff1d(np.arange(300), [10, 100, 250])
    assert ws.catalog["id"].tolist() == frame["dr8_id"].iloc[keep].tolist()
    np.testing.assert_array_equal(
        ws.embeddings(), frame.filter(like="feat_pca_").to_numpy(np.float32)[keep]
    )
    report = json.loads((ws.path / "ingest_report.json").read_text())
    assert [item["row"] for item in report] == [11, 101, 251]
    assert report[2]["reason"] == "duplicate id (first at row 4)"
    assert ws.meta["ingest"]["rows_skipped"] == 3
    assert sorted(p.name for p in ws.path.iterdir()) == [
        "catalog.parquet",
        "embeddings.npy",
        "ingest_report.json",
        "workspace.json",
    ]


def test_duplicate_ids_are_an_error(tmp_path: Path) -> None:
    frame = zoobot_table(40, 3)
    frame.loc[30, "dr8_id"] = frame.loc[2, "dr8_id"]
    path = write_parquet(frame, tmp_path / "input.parquet")
    with pytest.raises(IngestError, match=r"row 31 .*duplicate id \(first at row 3\)"):
        ingest_embeddings(path, tmp_path / "ws")
    assert leftovers(tmp_path) == []


def test_npy_with_text_ids(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    array = rng.normal(size=(25, 6))
    np.save(tmp_path / "input.npy", array)
    ids = [f"{43153636661928257 + i}" for i in range(25)]
    (tmp_path / "input_ids.txt").write_text("\n".join(ids) + "\n\n")
    ws = ingest_embeddings(
        tmp_path / "input.npy", tmp_path / "ws", ids_file=tmp_path / "input_ids.txt", batch_rows=7
    )
    assert ws.catalog["id"].tolist() == ids
    np.testing.assert_allclose(ws.embeddings(), array.astype(np.float32))
    assert ws.meta["embedding_dim"] == 6
    assert ws.meta["source"]["ids"] == str((tmp_path / "input_ids.txt").absolute())


def test_npy_with_csv_ids_keeps_coordinates(tmp_path: Path) -> None:
    np.save(tmp_path / "input.npy", np.eye(3, dtype=np.float32))
    (tmp_path / "input_ids.csv").write_text("id,ra,dec,kind\n001,1.5,2.5,x\n002,,,y\n003,3,4,z\n")
    ws = ingest_embeddings(
        tmp_path / "input.npy", tmp_path / "ws", ids_file=tmp_path / "input_ids.csv"
    )
    assert ws.catalog["id"].tolist() == ["001", "002", "003"]
    assert ws.catalog["ra"].isna().tolist() == [False, True, False]
    assert ws.catalog["kind"].tolist() == ["x", "y", "z"]


def test_npy_without_ids_and_bad_ids(tmp_path: Path) -> None:
    np.save(tmp_path / "input.npy", np.ones((4, 2)))
    ws = ingest_embeddings(tmp_path / "input.npy", tmp_path / "ws")
    assert ws.catalog["id"].tolist() == [f"row{i:06d}" for i in range(1, 5)]
    (tmp_path / "input_ids.txt").write_text("a\nb\n")
    with pytest.raises(IngestError, match="holds 2 ids but the embeddings have 4 rows"):
        ingest_embeddings(
            tmp_path / "input.npy", tmp_path / "ws2", ids_file=tmp_path / "input_ids.txt"
        )
    np.save(tmp_path / "input_3d.npy", np.ones((2, 2, 2)))
    with pytest.raises(IngestError, match="expected a 2-d numeric array"):
        ingest_embeddings(tmp_path / "input_3d.npy", tmp_path / "ws2")
    bad = np.ones((4, 2))
    bad[2, 1] = np.nan
    np.save(tmp_path / "input_nan.npy", bad)
    with pytest.raises(IngestError, match=r"input_nan\.npy row 3 \(id 'row000003'\): non-finite"):
        ingest_embeddings(tmp_path / "input_nan.npy", tmp_path / "ws2")
    assert leftovers(tmp_path) == ["ws"]


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="not found"):
        ingest_embeddings(tmp_path / "input.parquet", tmp_path / "ws")
    (tmp_path / "input.csv").write_text("id,x\na,1\n")
    with pytest.raises(IngestError, match=r"use \.parquet or \.npy"):
        ingest_embeddings(tmp_path / "input.csv", tmp_path / "ws")
    (tmp_path / "input.parquet").write_text("junk")
    with pytest.raises(IngestError, match="cannot read Parquet"):
        ingest_embeddings(tmp_path / "input.parquet", tmp_path / "ws")
    empty = zoobot_table(0, 3)
    write_parquet(empty, tmp_path / "input_empty.parquet")
    with pytest.raises(IngestError, match="no rows"):
        ingest_embeddings(tmp_path / "input_empty.parquet", tmp_path / "ws")
    assert leftovers(tmp_path) == []


def test_force_replaces(tmp_path: Path) -> None:
    path = write_parquet(zoobot_table(20, 3), tmp_path / "input.parquet")
    ingest_embeddings(path, tmp_path / "ws")
    with pytest.raises(WorkspaceError, match="already exists"):
        ingest_embeddings(path, tmp_path / "ws")
    write_parquet(zoobot_table(10, 3), path)
    assert ingest_embeddings(path, tmp_path / "ws", force=True).n == 10
    assert leftovers(tmp_path) == ["ws"]


def test_read_ids_file_single_column_table(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("name\n007\nx\n")
    assert read_ids_file(path, 2)["id"].tolist() == ["007", "x"]
