"""The fastest notebook runs end to end on the project's kernel (the others: `make notebooks`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".." / "shared" / "data"
FASTEST = ROOT / "notebooks" / "02_similarity_search.ipynb"


def _runner():
    spec = importlib.util.spec_from_file_location(
        "notebook_runner", ROOT / "notebooks" / "execute.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.shared_data
def test_similarity_notebook_executes():
    if not (DATA / "field_guide" / "manifest.csv").is_file():
        pytest.skip(f"reference data missing: {DATA}")
    pytest.importorskip("nbclient")
    import nbformat

    before = FASTEST.read_bytes()
    _runner().execute(FASTEST, timeout=120, save=False)
    assert FASTEST.read_bytes() == before  # a test run leaves the notebook as it was
    book = nbformat.read(FASTEST, as_version=4)
    assert any(cell.cell_type == "code" for cell in book.cells)


def test_notebooks_define_no_logic():
    """Notebooks call the library; functions and classes belong in src/."""
    import nbformat

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                lines = cell.source.splitlines()
                assert not any(line.startswith(("def ", "class ")) for line in lines), path.name
