"""Scoring many rows: a chunk of rows at a time (the token ids of one chunk in memory, not of every text), with a
bar in rows (mlc.inference.progress), shared out between processes under torchrun."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mlc.core.chunking import CHUNK_ROWS
from mlc.data.streaming import StreamedTexts, text_chunks
from mlc.inference.progress import RowProgress
from mlc.model import distributed


def score_in_chunks(classifier, texts: Sequence[str] | StreamedTexts, languages: Sequence[str] | None = None, *,
                    chunk_rows: int = CHUNK_ROWS, progress: bool = True, desc: str = "score", **options: Any
                    ) -> np.ndarray:
    """`classifier.predict_proba` of `texts` (a list, or texts streamed from their files), `chunk_rows` at a time:
    the same scores, with memory for one chunk's texts and token ids, and a bar in rows. `options` go to
    predict_proba (batch_size, long_text, stride, aggregate).

    Under torchrun or accelerate (several processes), process r scores chunks r, r + N, ... and every process gets
    every row's scores (a sum over processes of rows only one of them filled: exact). The bar, on process 0, counts
    its own share of the rows."""
    world = distributed.current()
    rows = len(texts)
    out = np.zeros((rows, len(classifier.labels)), dtype=np.float32)
    share = sum(min(chunk_rows, rows - start) for index, start in enumerate(range(0, rows, chunk_rows))
                if world.takes(index))
    label = desc if not world.distributed else f"{desc} (process 0 of {world.size})"
    with RowProgress(share, show=progress and world.main, desc=label) as bar:
        for index, chunk in enumerate(text_chunks(texts, chunk_rows)):
            if not world.takes(index):
                continue
            part = slice(index * chunk_rows, index * chunk_rows + len(chunk))
            out[part] = classifier.predict_proba(chunk, languages=languages[part] if languages else None,
                                                 progress=bar.within(len(chunk)), **options)
            bar.finished(len(chunk))
    return _shared(out) if world.distributed else out


def _shared(scores: np.ndarray) -> np.ndarray:
    """Every process's rows, on every process (gloo: the scores are on the CPU whatever the device)."""
    import torch

    distributed.setup(torch.device("cpu"), backend="gloo")
    total = torch.from_numpy(scores)
    torch.distributed.all_reduce(total)
    return total.numpy()
