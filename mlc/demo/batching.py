"""Requests that arrive together are scored together: each request thread submits its text and waits; one worker
gathers what is pending (up to `max_batch` texts, waiting at most `max_wait` seconds for more) into one call of the
model, so that throughput grows with the load while a lone request pays at most `max_wait`."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future

import numpy as np


class MicroBatcher:
    """`submit(text, language)` returns that text's probabilities, computed in a batch with its neighbours by
    `score(texts, languages)`. An error in a batch is raised in every request of that batch."""

    def __init__(self, score: Callable[[list[str], list[str]], np.ndarray], max_batch: int = 32,
                 max_wait: float = 0.005) -> None:
        self.score, self.max_batch, self.max_wait = score, max_batch, max_wait
        self.pending: queue.Queue[tuple[str, str, Future]] = queue.Queue()
        self.batch_sizes: list[int] = []  # what each model call scored (for tests and the status)
        threading.Thread(target=self._work, name="mlc-batcher", daemon=True).start()

    def submit(self, text: str, language: str) -> np.ndarray:
        done: Future = Future()
        self.pending.put((text, language, done))
        return done.result()

    def _gather(self) -> list[tuple[str, str, Future]]:
        batch = [self.pending.get()]
        deadline = threading.Event()
        timer = threading.Timer(self.max_wait, deadline.set)
        timer.start()
        try:
            while len(batch) < self.max_batch:
                try:
                    batch.append(self.pending.get(timeout=0 if deadline.is_set() else self.max_wait / 4))
                except queue.Empty:
                    if deadline.is_set():
                        break
        finally:
            timer.cancel()
        return batch

    def _work(self) -> None:
        while True:
            batch = self._gather()
            self._run(batch)

    def _run(self, batch: Sequence[tuple[str, str, Future]]) -> None:
        self.batch_sizes.append(len(batch))
        try:
            probs = self.score([text for text, _, _ in batch], [language for _, language, _ in batch])
        except BaseException as error:  # every waiting request hears of it; the worker goes on
            for _, _, done in batch:
                done.set_exception(error)
            return
        for row, (_, _, done) in zip(probs, batch):
            done.set_result(row)
