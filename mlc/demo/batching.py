"""The demo's one owner of the model: a single worker thread makes every model call. Fast tokenizers and model
sessions are not documented as safe under concurrent use, so no request thread ever calls them: texts are submitted
and scored in shared batches (up to `max_batch` texts, the worker waiting at most `max_wait` seconds for more, so a
lone request pays at most that), and any other use of the model (a file of rows, an evaluation, swapping the model)
is a job the worker runs alone, between batches."""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")
HISTORY = 1000  # batch sizes remembered (for the tests and the status), not one per batch for ever


@dataclass
class _Text:
    text: str
    language: str
    done: Future


@dataclass
class _Job:
    run: Callable[[], Any]
    done: Future


class ShortBatch(RuntimeError):
    """The model answered a batch with a different number of rows than it had texts."""


class MicroBatcher:
    """`submit(text, language)` returns that text's probabilities, computed in a batch with its neighbours by
    `score(texts, languages)`; `call(job)` returns `job()`, run on the worker thread between batches. An error in a
    batch (including an answer with the wrong number of rows) is raised in every request of that batch; the worker
    goes on."""

    def __init__(self, score: Callable[[list[str], list[str]], np.ndarray], max_batch: int = 32,
                 max_wait: float = 0.005) -> None:
        self.score, self.max_batch, self.max_wait = score, max_batch, max_wait
        self.pending: queue.Queue[_Text | _Job] = queue.Queue()
        self.batch_sizes: deque[int] = deque(maxlen=HISTORY)  # what the latest model calls scored
        self.thread = threading.Thread(target=self._work, name="mlc-scorer", daemon=True)
        self.thread.start()

    def submit(self, text: str, language: str) -> np.ndarray:
        return self.submit_many([text], [language])[0]

    def submit_many(self, texts: Sequence[str], languages: Sequence[str]) -> list[np.ndarray]:
        """Every text queued at once (they may share a batch with each other and with other requests)."""
        items = [_Text(text, language, Future()) for text, language in zip(texts, languages, strict=True)]
        for item in items:
            self.pending.put(item)
        return [item.done.result() for item in items]

    def call(self, job: Callable[[], T]) -> T:
        """`job()` on the worker thread, alone (a call from the worker itself runs at once)."""
        if threading.current_thread() is self.thread:
            return job()
        done: Future = Future()
        self.pending.put(_Job(job, done))
        return done.result()

    def _gather(self, first: _Text) -> tuple[list[_Text], _Job | None]:
        """Texts pending until the batch is full or the deadline passes; a job met on the way runs after them."""
        batch, deadline = [first], time.monotonic() + self.max_wait
        while len(batch) < self.max_batch:
            remaining = deadline - time.monotonic()
            try:
                item = self.pending.get(timeout=remaining) if remaining > 0 else self.pending.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, _Job):
                return batch, item
            batch.append(item)
        return batch, None

    def _work(self) -> None:
        while True:
            item = self.pending.get()
            if isinstance(item, _Job):
                self._run_job(item)
                continue
            batch, job = self._gather(item)
            self._run(batch)
            if job is not None:
                self._run_job(job)

    @staticmethod
    def _run_job(job: _Job) -> None:
        try:
            job.done.set_result(job.run())
        except BaseException as error:  # the caller hears of it; the worker goes on
            job.done.set_exception(error)

    def _run(self, batch: Sequence[_Text]) -> None:
        self.batch_sizes.append(len(batch))
        try:
            probs = self.score([item.text for item in batch], [item.language for item in batch])
            if len(probs) != len(batch):
                raise ShortBatch(f"the model answered {len(probs)} rows for a batch of {len(batch)} texts")
        except BaseException as error:  # every waiting request hears of it; the worker goes on
            for item in batch:
                item.done.set_exception(error)
            return
        for row, item in zip(probs, batch, strict=True):
            item.done.set_result(row)
