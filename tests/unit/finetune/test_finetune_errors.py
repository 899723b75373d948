"""finetune: bad label columns, too few labels and unknown training ids give clear errors."""

from __future__ import annotations

import pytest

from oddfinder.cli import main
from oddfinder.errors import LabelError
from oddfinder.finetune.targets import training_labels
from oddfinder.finetune.workspace import finetune_workspace


def test_missing_column(tiny_ws, tmp_path):
    with pytest.raises(LabelError, match="no label column 'ring'"):
        finetune_workspace(tiny_ws, "ring", out=tmp_path / "m.pt")
    assert not (tmp_path / "m.pt").exists()


def test_non_binary_column_names_the_row(tiny_ws):
    with pytest.raises(LabelError, match=r"0/1 labels.*row 0 \(id G000\) has 'round'"):
        training_labels(tiny_ws, "kind")


def test_too_few_labels(tiny_ws):
    with pytest.raises(LabelError, match="1 positive and 2 negative"):
        training_labels(tiny_ws, "label", train_ids=["G004", "G005", "G007"])


def test_unknown_and_unlabelled_train_ids(tiny_ws, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text("# training set\nG004\nG999\n")
    with pytest.raises(LabelError, match=r"ids.txt: entry 2: unknown galaxy id 'G999'"):
        training_labels(tiny_ws, "label", train_ids=ids)
    with pytest.raises(LabelError, match="'G001' has no 'label' label"):
        training_labels(tiny_ws, "label", train_ids=["G004", "G001"])


def test_positive_value_and_id_file(tiny_ws, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(f"G{i:03d}" for i in range(8)) + "\n")
    rows, y = training_labels(tiny_ws, "kind", positive="round", train_ids=ids)
    assert rows.tolist() == list(range(8))
    assert y.tolist() == [1, 0] * 4


def test_cli_runs_and_reports_errors_on_one_line(tiny_ws, tmp_path, capsys):
    status = main(
        ["finetune", str(tiny_ws.path), "--label-column", "label", "--out", str(tmp_path / "h.pt")]
    )
    assert status == 0
    assert '"column": "finetune_label"' in capsys.readouterr().out
    status = main(
        ["finetune", str(tiny_ws.path), "--label-column", "nope", "--out", str(tmp_path / "x.pt")]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "no label column 'nope'" in err
