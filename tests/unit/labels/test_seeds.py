"""Seed examples: ids from a list, a text file or a CSV become rows and labels of 5."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from oddfinder.errors import LabelError
from oddfinder.io.workspace import FORMAT_VERSION, Workspace
from oddfinder.labels.seeds import (
    SEED_SCORE,
    add_seed_examples,
    parse_seed_ids,
    record_seed_examples,
    resolve_seed_examples,
)
from oddfinder.labels.store import LabelStore


@pytest.fixture()
def ws(tmp_path):
    path = tmp_path / "ws"
    path.mkdir()
    (path / "workspace.json").write_text(json.dumps({"format_version": FORMAT_VERSION}))
    workspace = Workspace.open(path)
    workspace.write_table("catalog", pd.DataFrame({"id": [f"G{i:03d}" for i in range(50)]}))
    return workspace


def test_comma_separated_ids_resolve_to_rows_in_order(ws):
    rows = resolve_seed_examples(ws, "G007, G027,G003")
    assert rows.dtype == np.int64
    assert rows.tolist() == [7, 27, 3]
    assert resolve_seed_examples(ws, ["G001", "G002"]).tolist() == [1, 2]


def test_text_file_one_id_per_line(ws, tmp_path):
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("# rings I like\nid\nG010\n\n  G011  \nG012\n")
    assert resolve_seed_examples(ws, str(seeds)).tolist() == [10, 11, 12]
    assert resolve_seed_examples(ws, seeds).tolist() == [10, 11, 12]  # a Path too


def test_csv_file_with_an_id_column(ws, tmp_path):
    seeds = tmp_path / "picked.csv"
    seeds.write_text('ra,id,note\n1.0,G020,nice\n\n2.0,G021,"ring, faint"\n')
    assert resolve_seed_examples(ws, str(seeds)).tolist() == [20, 21]


def test_uploaded_bytes_are_read_like_a_file(ws):
    assert resolve_seed_examples(ws, b"id\nG030\nG031\n", name="mine.csv").tolist() == [30, 31]
    assert resolve_seed_examples(ws, b"G032\r\nG033\r\n", name="mine.txt").tolist() == [32, 33]


def test_unknown_id_names_the_id_file_and_line(ws, tmp_path):
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("G001\nG002\nnope\nalso-nope\n")
    with pytest.raises(LabelError) as caught:
        resolve_seed_examples(ws, str(seeds))
    message = str(caught.value)
    assert "'nope'" in message and f"{seeds} line 3" in message and "1 more unknown" in message
    assert "\n" not in message


def test_unknown_id_in_a_list_names_its_place(ws):
    with pytest.raises(LabelError, match=r"unknown galaxy id 'G999' \(seed example 2\)"):
        resolve_seed_examples(ws, "G001,G999")


def test_unknown_id_in_a_csv_names_the_line(ws, tmp_path):
    seeds = tmp_path / "s.csv"
    seeds.write_text("id,score\nG001,5\nX,5\n")
    with pytest.raises(LabelError, match=r"'X' \(.*s\.csv line 3\)"):
        resolve_seed_examples(ws, str(seeds))


def test_duplicate_id_is_refused_naming_both_places(ws, tmp_path):
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("G001\nG002\nG001\n")
    with pytest.raises(LabelError, match=r"'G001' is given twice \(.* line 1 and .* line 3\)"):
        resolve_seed_examples(ws, str(seeds))
    with pytest.raises(LabelError, match="given twice"):
        resolve_seed_examples(ws, "G004,G004")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "lists no galaxy ids"),
        ("\n# only a comment\n", "lists no galaxy ids"),
        ("id\n", "lists no galaxy ids"),
    ],
)
def test_empty_files_are_refused(ws, tmp_path, content, message):
    seeds = tmp_path / "empty.txt"
    seeds.write_text(content)
    with pytest.raises(LabelError, match=message):
        resolve_seed_examples(ws, str(seeds))


def test_bad_specs_give_one_line_errors(ws, tmp_path):
    with pytest.raises(LabelError, match="no seed example ids given"):
        resolve_seed_examples(ws, " , ")
    with pytest.raises(LabelError, match="seed examples file not found"):
        resolve_seed_examples(ws, str(tmp_path / "missing.csv"))
    table = tmp_path / "noid.csv"
    table.write_text("name,score\nG001,5\n")
    with pytest.raises(LabelError, match="no 'id' column"):
        resolve_seed_examples(ws, str(table))
    with pytest.raises(LabelError, match="not UTF-8"):
        resolve_seed_examples(ws, b"\xff\xfe\x00G", name="bad.txt")


def test_parse_reports_where_each_id_came_from(tmp_path):
    seeds = tmp_path / "s.txt"
    seeds.write_text("A\n\nB\n")
    assert parse_seed_ids(seeds, name="s.txt") == [("A", "s.txt line 1"), ("B", "s.txt line 3")]


def test_add_seed_examples_records_label_5(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite")
    store.add("ada", "G001", 0, round=2)
    recorded = add_seed_examples(store, "ada", ["G001", "G002", "G002"])
    assert recorded == ["G001", "G002"]
    assert store.labels("ada") == {"G001": SEED_SCORE, "G002": SEED_SCORE} == {"G001": 5, "G002": 5}
    history = store.history("ada")
    assert history["round"].tolist() == [2, 2, 2]  # the researcher's current round
    store.save_batch("ada", 4, ["G010"])
    add_seed_examples(store, "ada", ["G003"])
    assert store.history("ada")["round"].iloc[-1] == 4
    assert store.labels("bob") == {}


def test_add_seed_examples_refuses_nothing(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite")
    with pytest.raises(LabelError, match="no seed examples"):
        add_seed_examples(store, "ada", [])
    with pytest.raises(LabelError, match="invalid researcher"):
        add_seed_examples(store, "a/b", ["G001"])


def test_record_writes_all_or_nothing(ws):
    with pytest.raises(LabelError):
        record_seed_examples(ws, "ada", "G001,nope")
    assert LabelStore(ws.labels_path).labels("ada") == {}
    assert record_seed_examples(ws, "ada", "G005,G006") == ["G005", "G006"]
    assert LabelStore(ws.labels_path).labels("ada") == {"G005": 5, "G006": 5}


def test_seed_examples_are_marked_as_examples_until_relabelled(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite")
    store.add("ada", "G001", 0)
    add_seed_examples(store, "ada", ["G002", "G003"])
    assert store.history("ada")["source"].tolist() == ["label", "example", "example"]
    assert store.examples("ada") == {"G002", "G003"}
    store.add("ada", "G003", 2)  # the researcher relabels one in a round: no longer an example
    assert store.examples("ada") == {"G002"}
    assert store.examples("bob") == set()
