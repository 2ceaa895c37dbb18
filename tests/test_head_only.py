"""mlc.training.head_only: a frozen encoder's cached sentence vectors and per-label logistic regressions, written
into the model's head: the same bundle as fine-tuning, in seconds."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlc.commands.train import fit
from mlc.core.errors import ConfigError
from mlc.inference.classifier import Classifier
from mlc.training.args import TrainArgs
from mlc.training.head_only import EmbeddingCache, fit_heads

from .conftest import ROOT

TICKETS = str(ROOT / "examples" / "support_tickets.csv")


def test_a_head_only_bundle_is_a_bundle_and_its_vectors_are_cached(tiny_model_dir, tmp_path, monkeypatch):
    common = dict(data=TICKETS, model=str(tiny_model_dir), max_length=32, cache_dir=str(tmp_path / "cache"),
                  mode="head-only", schedule="joint")
    result = fit(output=str(tmp_path / "a"), **common)
    assert "head-only" in result.stage_metrics
    clf = Classifier.load(tmp_path / "a", backend="torch", precision="fp32")
    metrics = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert metrics["validation_by_stage"]["head-only"]["all"]["macro_ap"] > 0.3  # far from chance on 8 labels
    assert (tmp_path / "a" / "thresholds.json").is_file() and (tmp_path / "a" / "evaluation" / "report.md").is_file()
    texts = ["My card was charged twice", "Mi pedido no llegó"]
    probs = clf.predict_proba(texts)
    predicted = clf.predict(texts)
    decided = clf.decide(probs, languages=clf.resolve_languages(texts))
    assert [p["labels"] for p in predicted] == [[label for j, label in sorted(enumerate(clf.labels),
                                                                               key=lambda item: -probs[i, item[0]])
                                                 if decided[i, j]] for i in range(len(texts))]
    assert [list(p["scores"].values()) for p in predicted] == probs.tolist()
    # A second run over the same texts computes no vector: every one comes from the cache.
    monkeypatch.setattr("mlc.training.head_only.embed_ids", lambda *a, **k: pytest.fail("recomputed vectors"))
    again = fit(output=str(tmp_path / "b"), **common)
    assert np.allclose(again.model.head.weight.detach().numpy(), result.model.head.weight.detach().numpy())


def test_the_cache_finds_what_it_stored(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.add(np.array([5, 3], dtype="<u8"), np.array([[1.0, 1.0], [2.0, 2.0]], dtype=np.float32))
    found, rows = EmbeddingCache(tmp_path).lookup(np.array([3, 9, 5], dtype="<u8"))
    assert found.tolist() == [True, False, True]
    assert EmbeddingCache(tmp_path).vectors[rows].tolist() == [[2.0, 2.0], [1.0, 1.0]]


def test_heads_per_label_on_annotated_rows():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype(np.float32)
    labels = np.stack([(x[:, 0] > 0), np.zeros(200), (x[:, 1] > 0)], axis=1).astype(np.float32)
    masks = np.ones_like(labels)
    masks[:100, 2] = 0  # label 2 annotated on half the rows only
    weights, biases = fit_heads(x, labels, masks, 1.0)
    assert weights[0, 0] > 1 and abs(weights[0, 1]) < 0.5
    assert not weights[1].any() and biases[1] == pytest.approx(np.log(1e-3 / (1 - 1e-3)))  # no positive at all
    assert weights[2, 1] > 1


def test_head_only_is_for_multi_label_problems_in_one_process(monkeypatch):
    with pytest.raises(ConfigError, match="head-only fits per-label heads"):
        TrainArgs(data=TICKETS, output="x", mode="head-only", problem="single_label", ngram_weight=0).validate()
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ConfigError, match="head-only runs in one process"):
        TrainArgs(data=TICKETS, output="x", mode="head-only").validate()
