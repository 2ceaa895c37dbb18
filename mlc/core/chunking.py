"""Work in chunks of rows: the one chunk size that reading, scoring and writing share, and the one way to cut a
stream into chunks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

CHUNK_ROWS = 10_000  # rows read (and scored, and written) at a time

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` in consecutive lists of `size` (the last one shorter), read as they are consumed."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, not {size}")
    iterator = iter(items)
    while block := list(islice(iterator, size)):
        yield block
