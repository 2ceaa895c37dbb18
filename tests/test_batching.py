"""mlc.demo.batching: concurrent requests are scored in shared batches, and each gets its own answer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from mlc.demo.batching import MicroBatcher
from mlc.demo.service import DemoService

from .conftest import TINY_SENTENCES


def _concurrently(fn, jobs: list, workers: int) -> list:
    start = threading.Barrier(workers)

    def run(job):
        start.wait()
        return fn(*job)

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run, jobs))


def test_waiting_requests_share_a_model_call_and_get_their_own_rows():
    calls = []

    def score(texts, languages):
        calls.append(len(texts))
        return np.array([[len(t), len(lang)] for t, lang in zip(texts, languages)], dtype=float)

    batcher = MicroBatcher(score, max_batch=8, max_wait=0.2)
    jobs = [("x" * i, "l" * (i % 3)) for i in range(16)]
    rows = _concurrently(batcher.submit, jobs, workers=16)
    assert [row.tolist() for row in rows] == [[len(t), len(lang)] for t, lang in jobs]
    assert sum(calls) == 16 and max(calls) > 1 and max(calls) <= 8 and calls == batcher.batch_sizes


def test_an_error_reaches_every_request_of_its_batch_and_the_worker_goes_on():
    def score(texts, languages):
        if "boom" in texts:
            raise ValueError("boom")
        return np.zeros((len(texts), 1))

    batcher = MicroBatcher(score, max_batch=4, max_wait=0.01)
    with pytest.raises(ValueError, match="boom"):
        batcher.submit("boom", "en")
    assert batcher.submit("fine", "en").tolist() == [0.0]


def test_concurrent_demo_requests_keep_their_own_thresholds_and_languages(tiny_bundle):
    service = DemoService(str(tiny_bundle), max_wait=0.2).start(background=False)
    labels = service.labels
    jobs = [(text, language, {labels[i % len(labels)]: round(i / 20, 3)})
            for i, (text, language) in enumerate(zip(TINY_SENTENCES * 2, ["auto-detect", "en", "es", "de"] * 5))]
    together = _concurrently(service.predict, jobs, workers=len(jobs))
    alone = [service.predict(*job) for job in jobs]
    assert max(service.batcher.batch_sizes[: -len(jobs)]) > 1  # the concurrent ones were batched
    for job, shared, single in zip(jobs, together, alone):
        label, value = next(iter(job[2].items()))
        assert shared["thresholds"][label] == value and shared["language"] == single["language"]
        # padding a text beside others moves its scores a little (bf16 autocast on CPUs that have it)
        assert shared["scores"] == pytest.approx(single["scores"], abs=5e-3)
        clear = {name for name, p in single["scores"].items() if abs(p - shared["thresholds"][name]) > 0.01}
        assert set(shared["labels"]) & clear == set(single["labels"]) & clear
