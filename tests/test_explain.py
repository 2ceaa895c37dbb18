"""Explanations by occlusion (mlc.inference.explain): words in every script, effects against an oracle, and through
the public surfaces (`Classifier.explain`, `python -m mlc.predict --explain K`)."""

from __future__ import annotations

import csv
import itertools
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlc import Classifier
from mlc.core.errors import ConfigError
from mlc.inference.explain import Span, occlude, without, words

from .conftest import read_csv_rectangular, run_module


@pytest.mark.parametrize("text, expected", [
    ("I don't like it, really!", ["I", "don't", "like", "it", "really"]),
    ("我的订单还没有到，请尽快处理。", list("我的订单还没有到请尽快处理")),
    ("abc中文def", ["abc", "中", "文", "def"]),
    ("Привет мир 123", ["Привет", "мир", "123"]),
    ("ሰላም ነው፡ እንዴት", ["ሰላም", "ነው", "እንዴት"]),
    ("नमस्ते दुनिया", ["नमस्ते", "दुनिया"]),  # combining vowel signs stay in their word
    ("สวัสดีครับ", ["ส", "วั", "ส", "ดี", "ค", "รั", "บ"]),  # no spaces: characters with their marks
    ("So happy 😂😂 today 👍🏽", ["So", "happy", "😂", "😂", "today", "👍🏽"]),
    ("l'amour d’été", ["l'amour", "d’été"]),
    ("... !!! ---", []),
])
def test_words_in_many_scripts(text, expected):
    assert [span.text for span in words(text)] == expected


@given(st.text(max_size=60))
def test_words_are_ordered_disjoint_slices_of_the_text(text):
    spans = words(text)
    for span in spans:
        assert text[span.start : span.end] == span.text and span.text
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    for span in spans:  # leaving a word out removes exactly its characters
        assert without(text, span) == text[: span.start] + text[span.end :]


def test_effects_are_the_score_differences_of_an_oracle():
    """A scorer whose label 0 counts the word 'bad' and label 1 is 1 minus the share of 'good': every effect is known
    in advance, and every variant of every text is scored in one call."""
    calls = []

    def score(variants: list[str], owners: list[int]) -> np.ndarray:
        calls.append((list(variants), list(owners)))
        rows = []
        for v in variants:
            found = [w.text for w in words(v)]
            rows.append([found.count("bad") / 10, 1 - found.count("good") / max(len(found), 1)])
        return np.array(rows)

    texts = ["bad food, good view", "good view"]
    first, second = occlude(texts, score)
    assert len(calls) == 1 and calls[0][1] == [0, 0, 0, 0, 0, 1, 1, 1]
    assert [s.text for s in first.spans] == ["bad", "food", "good", "view"]
    assert first.effects[:, 0] == pytest.approx([0.1, 0, 0, 0])
    assert first.effects[:, 1] == pytest.approx([0.75 - 2 / 3, 0.75 - 2 / 3, 0.75 - 1, 0.75 - 2 / 3])
    assert first.strongest(0, 3) == [(Span("bad", 0, 3), pytest.approx(0.1))]  # only words that raised it
    assert [s.text for s, _ in first.strongest(1, 2)] == ["bad", "food"]
    assert second.scores == pytest.approx([0, 0.5]) and second.effects[:, 1] == pytest.approx([-0.5, 0.5])


def test_classifier_explain_equals_scoring_the_text_without_each_word(tiny_bundle):
    clf = Classifier.load(tiny_bundle)
    text = "My card was charged twice, I want my money back!"
    found = clf.explain(text, language="en")
    assert list(found) == clf.labels
    variants = [without(text, span) for span, _ in found[clf.labels[0]]]
    scores = clf.predict_proba([text, *variants], languages=["en"] * (len(variants) + 1))
    for j, label in enumerate(clf.labels):
        assert [span.text for span, _ in found[label]] == ["My", "card", "was", "charged", "twice", "I", "want",
                                                           "my", "money", "back"]
        assert [effect for _, effect in found[label]] == pytest.approx(scores[0, j] - scores[1:, j], abs=1e-5)
    one = clf.explain(text, label=clf.labels[2], language="en")
    assert list(one) == [clf.labels[2]] and [s for s, _ in one[clf.labels[2]]] == [s for s, _ in found[clf.labels[2]]]
    assert [e for _, e in one[clf.labels[2]]] == pytest.approx([e for _, e in found[clf.labels[2]]], abs=1e-5)
    # the blended score is explained: without the n-grams the effects differ
    encoder = clf.explain(text, label=clf.labels[0], language="en", ngrams=False)[clf.labels[0]]
    assert not np.allclose([e for _, e in encoder], [e for _, e in found[clf.labels[0]]], atol=1e-4)


@pytest.mark.parametrize("call, message", [
    (lambda clf: clf.explain("hello there", label="nope"), "no label 'nope' in this bundle"),
    (lambda clf: clf.explain("  ...  "), "the text has no word to explain"),
    (lambda clf: clf.explain_many(["fine words", ""]), "text 2 has no word to explain"),
])
def test_explain_refuses_in_one_line(tiny_bundle, call, message):
    with pytest.raises(ConfigError, match=message):
        call(Classifier.load(tiny_bundle))


def test_predict_explain_adds_the_strongest_words_of_each_predicted_label(tiny_bundle, tmp_path):
    source = tmp_path / "in.csv"
    texts = ["My card was charged twice for the same order.", "", "我的订单还没有到，请尽快处理。", "?!"]
    with source.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["id", "text"], *([f"r{i}", t] for i, t in enumerate(texts))])
    for name in ("out.csv", "out.jsonl", "out.parquet"):
        out = tmp_path / name
        run = run_module("mlc.predict", "--model", str(tiny_bundle), "--input", str(source), "--output", str(out),
                         "--thresholds", "0", "--explain", "2")
        assert run.returncode == 0, run.stderr[-3000:]
        rows = _rows(out)
        assert [r["text"] for r in rows] == texts
        clf = Classifier.load(tiny_bundle)
        for text, row in zip(texts, rows, strict=True):
            explained = row["predicted_words"]
            explained = json.loads(explained) if isinstance(explained, str) else explained
            labels = row["predicted_labels"]
            labels = labels.split("|") if isinstance(labels, str) else list(labels or [])
            labels = [x for x in labels if x]
            if not words(text):
                assert explained == {}
                continue
            assert sorted(explained) == sorted(labels) == sorted(clf.labels)  # threshold 0: every label
            expected = clf.explain(text)
            for label in labels:
                best = sorted(expected[label], key=lambda pair: -pair[1])[:2]
                assert [w for w, _ in explained[label]] == [s.text for s, e in best if e > 0]
                assert [e for _, e in explained[label]] == pytest.approx([e for _, e in best if e > 0], abs=1e-5)


def _rows(path) -> list[dict]:
    if path.suffix == ".csv":
        return read_csv_rectangular(path)
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()
