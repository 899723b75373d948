"""Galaxies nearest to an image of the user's own: the workspace's encoder, its PCA, the index."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from oddfinder.cli import main
from oddfinder.embed.encoders import EncoderError
from oddfinder.embed.inference import embed_workspace
from oddfinder.errors import ImageError, WorkspaceError
from oddfinder.io.workspace import FORMAT_VERSION, Workspace
from oddfinder.map.query_image import (
    FeatureMap,
    find_similar_to_image,
    image_features,
    workspace_encoder,
)

KINDS = ("round", "edge_on", "pair")
N = 36


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _galaxy(kind: str, rng: np.random.Generator, size: int = 64) -> np.ndarray:
    y, x = np.mgrid[:size, :size] - (size - 1) / 2
    r = size / rng.uniform(7.0, 9.0)
    if kind == "round":
        image = np.exp(-0.5 * (x**2 + y**2) / r**2)
        colour = np.array([1.0, 0.8, 0.5])
    elif kind == "edge_on":
        angle = rng.uniform(0, np.pi)
        u = x * np.cos(angle) + y * np.sin(angle)
        v = -x * np.sin(angle) + y * np.cos(angle)
        image = np.exp(-0.5 * ((u / (2 * r)) ** 2 + (v / (0.25 * r)) ** 2))
        colour = np.array([0.8, 0.9, 1.0])
    else:
        dx = size / 5
        image = np.exp(-0.5 * ((x - dx) ** 2 + y**2) / r**2)
        image += 0.8 * np.exp(-0.5 * ((x + dx) ** 2 + (y - dx / 2) ** 2) / r**2)
        colour = np.array([0.6, 0.7, 1.0])
    rgb = image[..., None] * colour + rng.normal(0, 0.02, (size, size, 3))
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    """A workspace of N images embedded with the bundled encoder (PCA to 12 features)."""
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("query_image")
    rng = np.random.default_rng(0)
    (root / "images").mkdir()
    ids, paths, kinds = [], [], []
    for i in range(N):
        kind = KINDS[i % len(KINDS)]
        path = root / "images" / f"g{i:03d}.png"
        Image.fromarray(_galaxy(kind, rng)).save(path)
        ids.append(f"G{i:03d}")
        paths.append(str(path))
        kinds.append(kind)
    ws = Workspace(root / "ws")
    ws.path.mkdir()
    ws.update_meta(format_version=FORMAT_VERSION, n=N)
    ws.write_table("catalog", pd.DataFrame({"id": ids, "path": paths, "kind": kinds}))
    ws = Workspace.open(ws.path)
    embed_workspace(ws, encoder="bundled", workers=0, batch_size=16, components=12, progress=False)
    return ws, rng


def test_feature_map_recovers_the_workspace_pca(survey):
    ws, _ = survey
    fmap = FeatureMap.from_workspace(ws)
    assert fmap.residual < 1e-4
    np.testing.assert_allclose(
        fmap.transform(np.asarray(ws.embeddings())), ws.features(), atol=1e-3 * fmap.weights.std()
    )


def test_a_catalogue_image_finds_itself_first(survey):
    ws, _ = survey
    table = find_similar_to_image(ws, ws.catalog["path"][13], k=5)
    assert list(table.columns) == ["rank", "id", "row", "distance"]
    assert table["rank"].tolist() == [1, 2, 3, 4, 5]
    assert table["id"].iloc[0] == "G013" and table["row"].iloc[0] == 13
    assert table["distance"].iloc[0] < 1e-4
    assert (np.diff(table["distance"]) >= 0).all()


def test_a_new_image_finds_its_own_kind(survey):
    ws, _ = survey
    rng = np.random.default_rng(123)
    kind_of = dict(zip(ws.ids, ws.catalog["kind"], strict=True))
    for kind in KINDS:
        data = Image.fromarray(_galaxy(kind, rng))
        import io

        buffer = io.BytesIO()
        data.save(buffer, format="JPEG", quality=92)
        table = find_similar_to_image(ws, buffer.getvalue(), name="mine.jpg", k=5)
        same = sum(kind_of[g] == kind for g in table["id"])
        assert same >= 4, (kind, table["id"].tolist())


def test_image_features_match_the_features_of_the_same_image(survey):
    ws, _ = survey
    vector = image_features(ws, ws.catalog["path"][4])
    assert vector.shape == (ws.features().shape[1],)
    np.testing.assert_allclose(vector, ws.features()[4], atol=1e-3 * np.abs(ws.features()).max())


def test_fits_upload_is_read(survey, tmp_path):
    from astropy.io import fits

    ws, _ = survey
    rng = np.random.default_rng(5)
    data = _galaxy("round", rng)[..., 0].astype(np.float32)
    path = tmp_path / "mine.fits"
    fits.PrimaryHDU(data).writeto(path)
    assert len(find_similar_to_image(ws, path, k=3)) == 3
    assert len(find_similar_to_image(ws, path.read_bytes(), name="mine.fits", k=3)) == 3


def test_unreadable_image_is_one_line(survey, tmp_path):
    ws, _ = survey
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg at all")
    with pytest.raises(ImageError, match=r"cannot read image .*broken\.jpg") as caught:
        find_similar_to_image(ws, bad)
    assert "\n" not in str(caught.value)
    with pytest.raises(ImageError, match=r"cannot read image upload\.png"):
        find_similar_to_image(ws, b"garbage", name="upload.png")
    with pytest.raises(ImageError, match="image not found"):
        find_similar_to_image(ws, tmp_path / "missing.png")


def test_cli_similar_image_prints_neighbours(survey, capsys):
    ws, _ = survey
    assert main(["similar", str(ws.path), "--image", ws.catalog["path"][7], "-k", "4"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["rank", "id", "distance"]
    assert len(lines) == 5 and lines[1].split()[1] == "G007"


def test_cli_similar_needs_an_id_or_an_image(survey, capsys, tmp_path):
    ws, _ = survey
    assert main(["similar", str(ws.path)]) == 2
    assert "give a galaxy ID or --image FILE" in capsys.readouterr().err
    bad = tmp_path / "x.png"
    bad.write_bytes(b"nope")
    assert main(["similar", str(ws.path), "--image", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read image" in err


def _copy_meta(ws, tmp_path, **meta):
    import shutil

    target = Workspace(shutil.copytree(ws.path, tmp_path / "copy"))
    target.update_meta(**meta)
    return Workspace.open(target.path)


def test_an_unloadable_recorded_encoder_asks_for_one(survey, tmp_path):
    ws, _ = survey
    other = _copy_meta(ws, tmp_path, encoder="file:gone.pt")
    with pytest.raises(EncoderError, match="pass the encoder that embedded the workspace"):
        workspace_encoder(other)
    # Given explicitly, the encoder is used.
    table = find_similar_to_image(other, ws.catalog["path"][2], k=2, encoder="bundled")
    assert table["id"].iloc[0] == "G002"


def test_precomputed_embeddings_have_no_encoder(survey, tmp_path):
    ws, _ = survey
    other = _copy_meta(ws, tmp_path, encoder={"name": "precomputed", "source": "x.parquet"})
    with pytest.raises(EncoderError, match="records no image encoder"):
        find_similar_to_image(other, ws.catalog["path"][0])


def test_encoder_of_another_version_or_size_is_refused(survey, tmp_path):
    ws, _ = survey
    other = _copy_meta(ws, tmp_path, encoder_version="0.1-old")
    with pytest.raises(EncoderError, match=r"was embedded with version 0\.1-old"):
        workspace_encoder(other)
    other = _copy_meta(ws, tmp_path / "b", embedding_dim=7)
    with pytest.raises(EncoderError, match="gives 512-d embeddings"):
        workspace_encoder(other)


def test_workspace_without_embeddings_is_refused(survey, tmp_path):
    ws, _ = survey
    other = _copy_meta(ws, tmp_path)
    (other.path / "embeddings.npy").unlink()
    with pytest.raises(WorkspaceError, match=r"needs embeddings\.npy"):
        find_similar_to_image(other, ws.catalog["path"][0])
