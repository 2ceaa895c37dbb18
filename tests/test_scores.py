"""Metric arithmetic against hand-computed answers, edge cases included."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, f1_score, hamming_loss, jaccard_score

from mlc.metrics.scores import bootstrap_f1, f1_scores, language_f1, multilabel_metrics, single_label_metrics

LABELS = ["a", "b", "c"]
# Hand-checked case: label a: tp=2 fp=1 fn=0; b: tp=1 fp=0 fn=1; c: tp=0 fp=0 fn=0 (never true, never predicted).
TRUTH = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]])
PRED = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 0], [1, 0, 0]])
PROBS = np.array([[0.9, 0.8, 0.1], [0.7, 0.2, 0.2], [0.4, 0.3, 0.3], [0.6, 0.1, 0.05]])


def test_summary_and_per_label_match_hand_computation():
    m = multilabel_metrics(TRUTH, PRED, PROBS, LABELS, thresholds=np.array([0.5, 0.5, 0.5]))
    s, per = m["summary"], m["per_label"]
    assert per["a"]["precision"] == pytest.approx(2 / 3) and per["a"]["recall"] == 1.0
    assert per["a"]["f1"] == pytest.approx(0.8) and per["b"]["f1"] == pytest.approx(2 / 3)
    assert per["c"]["f1"] == 0.0 and per["c"]["support"] == 0
    # micro: tp=3 fp=1 fn=1 -> P=R=F1=0.75
    assert s["micro_f1"] == pytest.approx(0.75) and s["micro_precision"] == pytest.approx(0.75)
    assert s["macro_f1"] == pytest.approx((0.8 + 2 / 3 + 0) / 3)
    # weighted by support (a: 2, b: 2, c: 0)
    assert s["weighted_f1"] == pytest.approx((0.8 + 2 / 3) / 2)
    assert s["subset_accuracy"] == pytest.approx(0.5)
    assert s["hamming_loss"] == pytest.approx(hamming_loss(TRUTH, PRED))
    # rows: [1,1]/[1,1] -> 1; [1]/[1] -> 1; true {b} pred {} -> 0; true {} pred {a} -> 0
    assert s["samples_f1"] == pytest.approx(0.5) and s["samples_jaccard"] == pytest.approx(0.5)
    assert s["true_cardinality"] == 1.0 and s["predicted_cardinality"] == 1.0
    # a: positives 0.9, 0.7 above negatives 0.4, 0.6 -> AUC 1; b: 0.8 > all, 0.3 > 0.2, 0.1 -> 1
    assert per["a"]["roc_auc"] == 1.0 and per["b"]["roc_auc"] == 1.0
    assert per["c"]["roc_auc"] is None and per["c"]["average_precision"] is None
    assert s["macro_roc_auc"] == 1.0 and "ROC-AUC is n/a for c" in m["notes"][0]


def test_agrees_with_sklearn_without_masks():
    rng = np.random.default_rng(3)
    truth = (rng.random((200, 5)) < 0.3).astype(int)
    probs = np.clip(truth * 0.4 + rng.random((200, 5)) * 0.6, 0, 1)
    pred = (probs >= 0.5).astype(int)
    s = multilabel_metrics(truth, pred, probs, list("vwxyz"))["summary"]
    for average in ("micro", "macro", "weighted"):
        assert s[f"{average}_f1"] == pytest.approx(f1_score(truth, pred, average=average, zero_division=0))
    assert s["hamming_loss"] == pytest.approx(hamming_loss(truth, pred))
    # sklearn's zero_division=1 scores a row with no true and no predicted label as 1, as mlc does
    expected = np.mean([jaccard_score(t, p, zero_division=1) for t, p in zip(truth, pred, strict=True)])
    assert s["samples_jaccard"] == pytest.approx(expected)


def test_unannotated_labels_are_neither_errors_nor_counted():
    mask = np.array([[1, 0, 1]] * 4)  # label b not annotated (like English without disgust)
    m = multilabel_metrics(TRUTH, PRED, PROBS, LABELS, mask)
    assert "b" not in m["per_label"] and m["summary"]["labels"] == 2
    # a: F1 0.8, c: 0 -> macro 0.4; micro over a and c only: tp=2 fp=1 fn=0
    assert m["summary"]["macro_f1"] == pytest.approx(0.4)
    assert m["summary"]["micro_f1"] == pytest.approx(0.8)
    assert m["summary"]["hamming_loss"] == pytest.approx(1 / 8)


def test_language_f1_uses_each_languages_labels():
    masks = {"en": [1, 0, 1], "de": [1, 1, 1]}
    out = language_f1(PRED, TRUTH, ["en", "en", "de", "de"], masks)
    # en rows 0-1, labels a, c: a tp=2 -> F1 1, c -> 0; macro 0.5
    assert out["en"]["macro_f1"] == pytest.approx(0.5) and out["en"]["micro_f1"] == 1.0
    # de rows 2-3: a fp=1 -> 0, b fn=1 -> 0, c 0
    assert out["de"]["macro_f1"] == 0.0
    assert out["all"]["macro_f1"] == pytest.approx(0.25)
    assert "macro_ap" not in out["all"]


def test_language_f1_adds_threshold_free_average_precision_with_probabilities():
    masks = {"en": [1, 0, 1], "de": [1, 1, 1]}
    out = language_f1(PRED, TRUTH, ["en", "en", "de", "de"], masks, probs=PROBS)
    # en rows 0-1: a is positive in both (AP 1); b is not annotated in en; c has no positive row: left out
    assert out["en"]["macro_ap"] == pytest.approx(1.0)
    # de rows 2-3: a has no positive row; b: row 2 positive scored 0.3 above row 3's 0.1 (AP 1); c none
    assert out["de"]["macro_ap"] == pytest.approx(1.0)
    probs = PROBS.copy()
    probs[1, 0] = 0.3  # label a: row 3 (a negative, 0.6) now outscores row 1 (a positive)
    out = language_f1(PRED, TRUTH, ["de"] * 4, masks, probs=probs)
    expected = np.mean([average_precision_score(TRUTH[:, j], probs[:, j]) for j in (0, 1)])
    assert out["de"]["macro_ap"] == pytest.approx(expected) and out["all"]["macro_ap"] == pytest.approx(expected)
    assert out["de"]["macro_ap"] == pytest.approx((0.75 + 1) / 2)  # a: precision 1 at rank 1, 2/4 at rank 4; b: 1


def test_bootstrap_interval_contains_the_point_estimate_and_narrows_with_data():
    rng = np.random.default_rng(0)
    truth = (rng.random((400, 4)) < 0.3).astype(int)
    pred = np.where(rng.random((400, 4)) < 0.8, truth, 1 - truth)
    macro, micro = f1_scores(truth, pred)
    wide = bootstrap_f1(truth[:50], pred[:50], rounds=300)
    narrow = bootstrap_f1(truth, pred, rounds=300)
    assert narrow["macro_f1"][0] <= macro <= narrow["macro_f1"][1]
    assert narrow["micro_f1"][0] <= micro <= narrow["micro_f1"][1]
    assert np.diff(narrow["micro_f1"])[0] < np.diff(wide["micro_f1"])[0]


def test_single_label_metrics():
    truth = np.eye(3)[[0, 1, 2, 2]]
    probs = np.eye(3)[[0, 2, 2, 2]] * 0.9
    m = single_label_metrics(truth, probs, LABELS)
    assert m["accuracy"] == 0.75
    assert m["confusion_matrix"]["matrix"] == [[1, 0, 0], [0, 0, 1], [0, 0, 2]]
    assert m["macro_f1"] == pytest.approx((1 + 0 + 0.8) / 3)


def test_empty_subset_does_not_crash():
    m = multilabel_metrics(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 3)), LABELS)
    assert m["summary"]["rows"] == 0 and m["summary"]["micro_roc_auc"] is None
    assert m["summary"]["samples_f1"] is None and m["per_label"] == {}
