"""A torch ``Dataset`` over catalogue image paths, decoding images in worker processes."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from oddfinder.errors import ImageError
from oddfinder.io.images import read_rgb

__all__ = ["ImagePathDataset", "read_uint8"]


def read_uint8(path: str | os.PathLike, *, size: int) -> np.ndarray:
    """Read an image as a ``(size, size, 3)`` uint8 array (JPEGs decoded in draft mode).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.png"
    >>> Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(p)
    >>> read_uint8(p, size=8).shape
    (8, 8, 3)
    """
    return np.array(read_rgb(path, size=size), dtype=np.uint8)


class ImagePathDataset(Dataset):
    """Images at ``paths`` as uint8 ``(3, size, size)`` tensors, in row order.

    Item ``i`` is ``(i, image, ok)``: an unreadable image gives zeros and ``ok = False``
    instead of raising in a worker, so the caller can name the row in one clean error.

    Parameters
    ----------
    paths : sequence of str
        Image files, one per catalogue row.
    size : int
        Side of the square image the encoder takes.
    offset : int
        Row number of ``paths[0]`` in the catalogue (used in the returned index).
    """

    def __init__(self, paths: Sequence[str], *, size: int, offset: int = 0) -> None:
        self.paths = list(paths)
        self.size = int(size)
        self.offset = int(offset)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> tuple[int, torch.Tensor, bool]:
        try:
            array = read_uint8(self.paths[i], size=self.size)
            ok = True
        except ImageError:
            array = np.zeros((self.size, self.size, 3), np.uint8)
            ok = False
        return self.offset + i, torch.from_numpy(array).permute(2, 0, 1).contiguous(), ok
