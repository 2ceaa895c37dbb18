"""mlc.demo.service: what the demo serves, without its widgets (the app's HTTP API and browser are in test_app)."""

from __future__ import annotations

import numpy as np
import pytest

from mlc.core.errors import ConfigError, ModelError
from mlc.demo.service import AUTO, DemoService


@pytest.fixture(scope="module")
def service(tiny_bundle):
    return DemoService(str(tiny_bundle), max_chars=60).start(background=False)


def test_a_request_gets_its_own_thresholds_and_language(service):
    first = service.labels[0]
    low = service.predict("My card was charged twice for the same order.", "en", {first: 0.0})
    high = service.predict("My card was charged twice for the same order.", "en", {first: 1.0})
    assert first in low["labels"] and first not in high["labels"]
    assert low["thresholds"][first] == 0.0 and high["thresholds"][first] == 1.0
    assert low["scores"] == high["scores"] and low["language"] == "en" and low["detected_language"] is None
    detected = service.predict("Mi pedido llegó roto y quiero un reembolso.", AUTO)
    assert detected["detected_language"] == "es" and detected["language"] == "es"
    tuned = service.tuned_thresholds("es")
    assert detected["thresholds"] == pytest.approx(dict(zip(service.labels, tuned, strict=True)), abs=1e-6)


def test_long_empty_and_out_of_range_requests(service):
    scored = service.score("word " * 100, "en")
    assert "only the first 60 were classified" in scored.note
    with pytest.raises(ConfigError, match="the text is empty"):
        service.predict("   ", AUTO)
    with pytest.raises(ConfigError, match=r"must be a number in \[0, 1\]"):
        service.predict("hello", AUTO, {service.labels[0]: 2})
    assert service.decide(np.ones(len(service.labels)), [0.5] * len(service.labels), None) == service.labels


def test_status_and_a_model_that_is_not_a_bundle(service, tmp_path):
    assert service.ready and service.status().startswith("**Ready.**")
    with pytest.raises(ModelError, match="not an mlc bundle"):
        DemoService(str(tmp_path))
