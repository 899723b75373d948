"""Safe by default: export names, researcher names, no unpickling, localhost, atomic exports."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oddfinder.app_command import streamlit_command
from oddfinder.cli import build_parser
from oddfinder.errors import IngestError, LabelError, OddfinderError
from oddfinder.io import export
from oddfinder.io.export import ExportError, safe_export_path, write_export
from oddfinder.io.ingest import ingest_images
from oddfinder.labels.store import LabelStore, check_researcher

ROOT = Path(__file__).resolve().parents[2]
NASTY = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "../x.csv",
            "..\\x.csv",
            "/etc/passwd.csv",
            "a/../../b.csv",
            ".hidden.csv",
            "x.csv\x00",
            "~/x.csv",
            "C:\\x.csv",
            "top.csv/..",
            "..",
            ".",
            "top.exe",
            "CON.csv",
            "a\nb.csv",
        ]
    ),
)


@settings(max_examples=200, deadline=None)
@given(name=NASTY)
def test_export_names_cannot_escape_the_exports_folder(tmp_path_factory, name):
    exports = tmp_path_factory.getbasetemp() / "ws" / "exports"
    try:
        path = safe_export_path(exports, name)
    except ExportError as error:
        assert "\n" not in str(error).replace("\\n", "")
        return
    assert path.resolve().parent == exports.resolve()
    assert path.suffix.lower() in (".csv", ".parquet", ".fits")


@settings(max_examples=200, deadline=None)
@given(name=st.one_of(st.text(max_size=80), st.sampled_from(["../bob", "a/b", "x\x00", "", " "])))
def test_researcher_names_are_sanitised(name):
    try:
        clean = check_researcher(name)
    except LabelError:
        return
    assert re.fullmatch(r"[A-Za-z0-9 ._-]{1,64}", clean)
    assert clean == clean.strip() and "/" not in clean and "\\" not in clean


def test_store_refuses_a_bad_researcher_name_and_writes_nothing(tmp_path):
    store = LabelStore(tmp_path / "labels.sqlite")
    with pytest.raises(LabelError):
        store.add("../../etc", "g1", 3)
    assert store.researchers() == []


def test_exports_are_atomic_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "exports" / "top.csv"
    write_export(pd.DataFrame({"id": ["a"]}), target)
    before = target.read_bytes()

    def broken(table, fmt):
        raise OSError("disk full")

    monkeypatch.setattr(export, "export_bytes", broken)
    with pytest.raises(OSError):
        write_export(pd.DataFrame({"id": ["b"]}), target)
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == ["top.csv"]


def _python_files():
    for folder in ("src", "anomaly_app", "bench", "tests"):
        yield from (ROOT / folder).rglob("*.py")


def test_torch_load_always_uses_weights_only_and_nothing_unpickles():
    unsafe = []
    pattern = re.compile(r"torch\.load\(([^()]|\([^()]*\))*\)", re.S)
    for path in _python_files():
        if path == Path(__file__).resolve():
            continue
        text = path.read_text(encoding="utf-8")
        for match in pattern.finditer(text):
            if "weights_only=True" not in match.group(0):
                unsafe.append(f"{path.relative_to(ROOT)}: {match.group(0)[:60]}")
        if path.is_relative_to(ROOT / "src") or path.is_relative_to(ROOT / "anomaly_app"):
            for risky in (
                "pickle.load",
                "allow_pickle=True",
                "read_pickle",
                "joblib.load",
                "dill.load",
                "cloudpickle.load",
            ):
                if risky in text:
                    unsafe.append(f"{path.relative_to(ROOT)}: {risky}")
    assert not unsafe, unsafe


def test_the_app_listens_on_localhost_unless_told_otherwise(tmp_path):
    args = build_parser().parse_args(["app", str(tmp_path)])
    assert args.host == "127.0.0.1"
    command = streamlit_command(tmp_path)
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    other = streamlit_command(tmp_path, host="0.0.0.0")
    assert other[other.index("--server.address") + 1] == "0.0.0.0"


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x01\x02garbage\xff\xfe", b"path\n", "id,path\n\xe9,\x00x.png\n".encode("latin-1")],
)
def test_unreadable_manifests_are_one_line_errors(tmp_path, content):
    manifest = tmp_path / "manifest.csv"
    manifest.write_bytes(content)
    with pytest.raises(OddfinderError) as info:
        ingest_images(manifest, tmp_path / "ws", workers=0)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "ws").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_missing_manifest_is_an_ingest_error(tmp_path):
    with pytest.raises(IngestError):
        ingest_images(tmp_path / "nope.csv", tmp_path / "ws", workers=0)
