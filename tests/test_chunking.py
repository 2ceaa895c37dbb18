"""Chunks of rows: every item once, in order, in lists of the chunk size, read lazily."""

from __future__ import annotations

import itertools

import pytest

from mlc.core.chunking import batched


@pytest.mark.parametrize("count, size", [(0, 3), (1, 3), (6, 3), (7, 3), (5, 1)])
def test_every_item_once_in_order_in_chunks_of_the_size(count, size):
    chunks = list(batched(iter(range(count)), size))
    assert [item for chunk in chunks for item in chunk] == list(range(count))
    assert all(len(chunk) == size for chunk in chunks[:-1]) and all(0 < len(chunk) <= size for chunk in chunks)


def test_an_endless_stream_is_read_only_as_far_as_consumed():
    assert next(batched(itertools.count(), 4)) == [0, 1, 2, 3]


def test_a_size_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        next(batched([1], 0))
