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
        return np.array([[len(t), len(lang)] for t, lang in zip(texts, languages, strict=True)], dtype=float)

    batcher = MicroBatcher(score, max_batch=8, max_wait=0.2)
    jobs = [("x" * i, "l" * (i % 3)) for i in range(16)]
    rows = _concurrently(batcher.submit, jobs, workers=16)
    assert [row.tolist() for row in rows] == [[len(t), len(lang)] for t, lang in jobs]
    assert sum(calls) == 16 and max(calls) > 1 and max(calls) <= 8 and calls == list(batcher.batch_sizes)


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
            for i, (text, language) in enumerate(zip(TINY_SENTENCES * 2, ["auto-detect", "en", "es", "de"] * 5, strict=False))]
    together = _concurrently(service.predict, jobs, workers=len(jobs))
    alone = [service.predict(*job) for job in jobs]
    assert max(list(service.batcher.batch_sizes)[: -len(jobs)]) > 1  # the concurrent ones were batched
    for job, shared, single in zip(jobs, together, alone, strict=True):
        label, value = next(iter(job[2].items()))
        assert shared["thresholds"][label] == value and shared["language"] == single["language"]
        # padding a text beside others moves its scores a little (bf16 autocast on CPUs that have it)
        assert shared["scores"] == pytest.approx(single["scores"], abs=5e-3)
        clear = {name for name, p in single["scores"].items() if abs(p - shared["thresholds"][name]) > 0.01}
        assert set(shared["labels"]) & clear == set(single["labels"]) & clear


def test_a_short_answer_is_an_error_for_every_request_of_its_batch_never_a_hang():
    def score(texts, languages):
        return np.zeros((len(texts) - 1, 2))  # one row short

    batcher = MicroBatcher(score, max_batch=8, max_wait=0.2)
    outcomes = _concurrently(lambda text: _outcome(batcher.submit, text, "en"), [(f"t{i}",) for i in range(6)], 6)
    assert outcomes == ["ShortBatch"] * 6
    assert len(batcher.batch_sizes) <= 6


def _outcome(fn, *args):
    try:
        fn(*args)
        return "ok"
    except Exception as error:
        return type(error).__name__


def test_jobs_and_texts_all_run_on_the_one_worker_thread():
    seen = set()

    def score(texts, languages):
        seen.add(threading.get_ident())
        return np.zeros((len(texts), 1))

    batcher = MicroBatcher(score, max_batch=4, max_wait=0.01)
    jobs = [("text", i) if i % 3 else ("job", i) for i in range(30)]

    def one(kind, i):
        if kind == "job":
            return batcher.call(lambda: seen.add(threading.get_ident()) or i)
        return batcher.submit(f"t{i}", "en").tolist()

    results = _concurrently(one, jobs, workers=30)
    assert results == [i if kind == "job" else [0.0] for kind, i in jobs]
    assert seen == {batcher.thread.ident}
    assert batcher.call(lambda: batcher.call(lambda: 7)) == 7  # a job may use the worker from within


def test_every_model_call_of_the_demo_runs_on_the_scoring_worker(tiny_bundle, tmp_path):
    """Classify, the API and the batch of rows in parallel: the tokenizer is only ever called from one thread."""
    from mlc.demo import app
    from mlc.demo.service import DemoService

    service = DemoService(str(tiny_bundle), max_wait=0.01).start(background=False)
    clf = service.classifier
    callers, real = set(), clf.tokenizer

    class Watched:
        def __call__(self, *args, **kwargs):
            callers.add(threading.get_ident())
            return real(*args, **kwargs)

        def __getattr__(self, name):
            return getattr(real, name)

    clf.tokenizer = Watched()
    rows = tmp_path / "rows.csv"
    import csv

    with rows.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["text"], *([text] for text in TINY_SENTENCES)])
    jobs = [("predict", TINY_SENTENCES[i % len(TINY_SENTENCES)]) if i % 5 else ("file", str(rows))
            for i in range(40)]

    def one(kind, value):
        if kind == "predict":
            return service.predict(value)["labels"] is not None
        return app._label_file(service, value, "", None, 100)[0].endswith(".csv")

    assert all(_concurrently(one, jobs, workers=len(jobs)))
    assert callers == {service.batcher.thread.ident}


@pytest.mark.parametrize(("field", "value"), [("text", 5), ("text", ["a", "b"]), ("language", 3),
                                               ("thresholds", [0.5])])
def test_a_request_field_of_the_wrong_type_is_one_line_naming_it(tiny_bundle, field, value, caplog):
    from mlc.core.errors import ConfigError

    service = DemoService(str(tiny_bundle)).start(background=False)
    request = {"text": "hello", "language": "auto-detect", "thresholds": None, field: value}
    with pytest.raises(ConfigError, match=rf"^the field '{field}' must be "):
        service.predict(**request)
    assert "Traceback" not in caplog.text
