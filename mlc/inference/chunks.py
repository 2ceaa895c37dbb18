"""Scoring many rows: a chunk of rows at a time (the token ids of one chunk in memory, not of every text), with a
progress bar in rows for long jobs: rows done, rows per second and the time left, updated after each batch, and
across processes when the rows finished by the others can be counted."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mlc.data.streaming import CHUNK_ROWS, StreamedTexts, text_chunks
from mlc.model import distributed
from mlc.model.scoring import Progress


class RowProgress:
    """`total` rows, `initial` of them done before (a resumed job). `finished_elsewhere()`, when given, counts the
    rows finished by every process (a few times a second at most); without it, this process's finished rows count."""

    def __init__(self, total: int, initial: int = 0, show: bool = True,
                 finished_elsewhere: Callable[[], int] | None = None, desc: str = "predict") -> None:
        self.bar, self.base, self.own, self.checked = None, initial, 0.0, 0.0
        self.finished_elsewhere = finished_elsewhere
        if show:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=initial, desc=desc, unit="row", unit_scale=True,
                            file=sys.stderr, dynamic_ncols=True, smoothing=0.05)

    def __enter__(self) -> RowProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def within(self, rows: int) -> Progress:
        """The scoring loop's callback while a chunk of `rows` rows is scored (sequences done, sequences)."""
        def update(done: int, total: int) -> None:
            self.own = rows * done / max(total, 1)
            self._show()
        return update if self.bar is not None else False

    def finished(self, rows: int) -> None:
        self.own = 0.0
        self.base += rows
        self._show(force=True)

    def _show(self, force: bool = False) -> None:
        if self.bar is None:
            return
        if self.finished_elsewhere is not None and (force or time.monotonic() - self.checked > 0.5):
            self.checked = time.monotonic()
            self.base = self.finished_elsewhere()
        self.bar.update(max(0, int(self.base + self.own) - self.bar.n))


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
    starts = range(0, rows, chunk_rows)[world.rank::world.size]
    share = sum(min(chunk_rows, rows - start) for start in starts)
    label = desc if not world.distributed else f"{desc} (process 0 of {world.size})"
    with RowProgress(share, show=progress and world.main, desc=label) as bar:
        for index, chunk in enumerate(text_chunks(texts, chunk_rows)):
            if index % world.size != world.rank:
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
