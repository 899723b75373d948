"""simulate_survey: files, determinism, kind fractions, manifest, argument errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from oddfinder.errors import OddfinderError
from oddfinder.survey.kinds import (
    ARTEFACT_KINDS,
    DEFAULT_FRACTIONS,
    KINDS,
    RARE_KINDS,
    assign_kinds,
)
from oddfinder.survey.simulate import MANIFEST_COLUMNS, simulate_survey

EVERY_KIND = dict.fromkeys(KINDS, 1 / len(KINDS))


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    """A small survey with every kind well represented."""
    out = tmp_path_factory.mktemp("survey")
    table = simulate_survey(
        out, 66, seed=7, size=64, workers=1, kind_fractions=EVERY_KIND, progress=False
    )
    return out, table


def test_writes_manifest_and_images(survey):
    out, _ = survey
    on_disk = pd.read_csv(out / "manifest.csv")
    assert list(on_disk.columns[: len(MANIFEST_COLUMNS)]) == list(MANIFEST_COLUMNS)
    assert len(on_disk) == 66
    assert on_disk["id"].is_unique
    assert list(on_disk["id"][:2]) == ["sim000000", "sim000001"]
    for path in on_disk["path"]:
        with Image.open(out / path) as image:
            assert image.format == "JPEG"
            assert image.size == (64, 64)
            assert image.mode == "RGB"
    assert not list((out / "images").glob(".*"))  # no partial files left


def test_manifest_types_and_ranges(survey):
    _, table = survey
    for column in ("ra", "dec", "smooth", "bulge_size", "mag_r", "psf_fwhm_px"):
        assert pd.api.types.is_float_dtype(table[column]), column
    for column in (
        "edge_on",
        "bar",
        "spiral_arms",
        "merging",
        "is_ring",
        "is_merger",
        "is_lens",
        "is_irregular",
        "is_artefact",
        "n_neighbours",
    ):
        assert pd.api.types.is_integer_dtype(table[column]), column
    assert table["smooth"].between(0, 1).all()
    assert table["bulge_size"].between(0, 1).all()
    assert set(table["spiral_arms"]) <= {0, 2, 3, 4}
    assert table["ra"].between(170, 200).all() and table["dec"].between(5, 19).all()
    assert table["kind"].isin(KINDS).all()


def test_truth_consistent_with_kind(survey):
    _, table = survey
    for flag, kind in (
        ("is_ring", "ring"),
        ("is_merger", "merger"),
        ("is_lens", "lens"),
        ("is_irregular", "irregular"),
    ):
        assert (table[flag] == (table["kind"] == kind)).all(), flag
    assert (table["is_artefact"] == table["kind"].isin(ARTEFACT_KINDS)).all()
    spirals = table[table["kind"] == "spiral"]
    assert spirals["spiral_arms"].isin([2, 3, 4]).all()
    assert (table.loc[table["kind"] != "spiral", "spiral_arms"].isin([0, 2, 3, 4])).all()
    assert (table.loc[table["kind"] == "edge_on", "edge_on"] == 1).all()
    assert (table.loc[table["kind"] == "elliptical", "smooth"] == 1).all()
    assert (table.loc[table["kind"] == "merger", "merging"] == 1).all()
    assert (table.loc[table["kind"] != "merger", "merging"] == 0).all()
    hosts = table.loc[table["kind"].isin(["satellite_trail", "truncated"]), "host_kind"]
    assert hosts.isin(["elliptical", "bulge_disk", "spiral", "edge_on"]).all()


def test_images_look_like_cutouts(survey):
    out, table = survey
    for row in table.itertuples():
        rgb = np.asarray(Image.open(out / row.path), dtype=np.float32)
        assert rgb.std() > 3, row.id  # not blank
        if row.kind != "bright_star":
            assert (rgb.max(axis=2) >= 250).mean() < 0.2, row.id  # not saturated overall
            assert 3 < np.median(rgb) < 90, row.id  # dark sky background


def test_same_seed_same_bytes_any_worker_count(tmp_path):
    one = simulate_survey(tmp_path / "a", 12, seed=3, size=48, workers=1, progress=False)
    two = simulate_survey(tmp_path / "b", 12, seed=3, size=48, workers=2, progress=False)
    pd.testing.assert_frame_equal(one, two)
    for path in one["path"]:
        assert (tmp_path / "a" / path).read_bytes() == (tmp_path / "b" / path).read_bytes()
    other = simulate_survey(tmp_path / "c", 12, seed=4, size=48, workers=1, progress=False)
    assert (tmp_path / "a" / one["path"][0]).read_bytes() != (
        tmp_path / "c" / other["path"][0]
    ).read_bytes()


def test_kind_fractions_over_300_galaxies(tmp_path):
    table = simulate_survey(tmp_path, 300, seed=1, size=32, workers=1, progress=False)
    counts = table["kind"].value_counts()
    for kind, fraction in DEFAULT_FRACTIONS.items():
        assert abs(counts.get(kind, 0) - 300 * fraction) <= 1, kind
    assert set(counts.index) == set(KINDS)


def test_default_fractions():
    assert sum(DEFAULT_FRACTIONS.values()) == pytest.approx(1.0)
    for kind in RARE_KINDS:
        assert 0.005 <= DEFAULT_FRACTIONS[kind] <= 0.02
    assert DEFAULT_FRACTIONS["merger"] >= 0.01
    kinds = assign_kinds(10_000, seed=0, fractions=DEFAULT_FRACTIONS)
    assert kinds.count("merger") >= 100


def test_assign_kinds_is_shuffled_and_seeded():
    a = assign_kinds(200, seed=0, fractions=EVERY_KIND)
    assert a == assign_kinds(200, seed=0, fractions=EVERY_KIND)
    assert a != assign_kinds(200, seed=1, fractions=EVERY_KIND)
    assert a[:20] != sorted(a[:20])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, "n must be a positive integer"),
        ({"n": -5}, "n must be a positive integer"),
        ({"n": 2.5}, "n must be a positive integer"),
        ({"n": 3, "kind_fractions": {"blob": 1.0}}, "unknown kind 'blob'"),
        ({"n": 3, "kind_fractions": {"spiral": 0.5, "ring": 0.2}}, "sum to 0.7"),
        ({"n": 3, "kind_fractions": {"spiral": 1.5, "ring": -0.5}}, "ring"),
        ({"n": 3, "size": 16}, "size must be"),
        ({"n": 3, "workers": 0}, "workers must be"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message) as info:
        simulate_survey(tmp_path / "out", progress=False, **kwargs)
    assert isinstance(info.value, OddfinderError)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "out" / "manifest.csv").exists()


def test_cli_simulate_and_contact_sheet(tmp_path, capsys):
    from oddfinder.cli import main

    sheet = tmp_path / "sheet.png"
    status = main(
        [
            "simulate",
            str(tmp_path / "s"),
            "-n",
            "11",
            "--size",
            "40",
            "--workers",
            "1",
            "--fractions",
            ",".join(f"{k}={1 / 11}" for k in KINDS),
            "--contact-sheet",
            str(sheet),
            "--per-kind",
            "2",
        ]
    )
    assert status == 0
    assert len(pd.read_csv(tmp_path / "s" / "manifest.csv")) == 11
    with Image.open(sheet) as image:
        assert image.size[1] >= 11 * 128
    assert main(["simulate", str(tmp_path / "t"), "-n", "0"]) == 2
    assert "n must be a positive integer" in capsys.readouterr().err
    assert main(["simulate", str(tmp_path / "t"), "-n", "3", "--fractions", "spiral"]) == 2
