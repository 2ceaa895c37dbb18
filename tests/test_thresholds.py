"""Threshold tuning: hand-computed cases for each rule."""

from __future__ import annotations

import numpy as np
import pytest

from mlc.metrics.scores import language_f1
from mlc.metrics.thresholds import (
    SHRINK_STRENGTH,
    best_f1_threshold,
    global_threshold,
    language_label_thresholds,
    shrunk_thresholds,
    tune_thresholds,
    tune_thresholds_for,
)


def test_best_f1_threshold_cuts_midway_at_the_f1_maximum():
    # Cutting below 0.9, 0.8, 0.3, 0.2 gives F1 2/3, 1/2, 4/5, 2/3: the best cut lies between 0.3 and 0.2.
    assert best_f1_threshold([0.9, 0.8, 0.3, 0.2], [1, 0, 1, 0]) == pytest.approx(0.25)
    assert best_f1_threshold([0.9, 0.1], [0, 0], fallback=0.4) == 0.4


def test_global_threshold_maximises_the_mean_of_language_macro_f1():
    # Language a is perfect for t in (0.2, 0.35], language b for t in (0.3, 0.45]: both for t in (0.3, 0.35];
    # among the grid points 0.31..0.35 the one nearest 0.5 wins. Label 1 is not annotated in b, so b's wrong
    # scores on it must not count.
    probs = np.array([[0.35, 0.9], [0.2, 0.1], [0.45, 0.9], [0.3, 0.9]])
    truth = np.array([[1, 1], [0, 0], [1, 0], [0, 0]])
    mask = np.array([[1, 1], [1, 1], [1, 0], [1, 0]])
    assert global_threshold(probs, truth, mask, ["a", "a", "b", "b"]) == pytest.approx(0.35)


def test_global_threshold_agrees_with_a_brute_force_search_over_the_metric():
    rng = np.random.default_rng(1)
    languages = rng.choice(["a", "b", "c"], 300)
    truth = (rng.random((300, 4)) < 0.25).astype(int)
    probs = np.clip(0.3 * truth + 0.6 * rng.random((300, 4)), 0, 1)
    mask = np.ones_like(truth)
    mask[languages == "c", 3] = 0
    masks = {"a": [1, 1, 1, 1], "b": [1, 1, 1, 1], "c": [1, 1, 1, 0]}

    def mean_macro(t):
        return language_f1((probs >= t).astype(int), truth, list(languages), masks)["all"]["macro_f1"]

    found = global_threshold(probs, truth, mask, languages)
    assert mean_macro(found) == pytest.approx(max(mean_macro(t) for t in np.arange(0.02, 0.985, 0.01)))


def test_shrunk_thresholds_move_rare_labels_towards_the_global_one():
    rng = np.random.default_rng(0)
    truth = np.zeros((400, 3), dtype=int)
    truth[:200, 0] = 1  # frequent
    truth[:3, 1] = 1  # rare
    probs = np.clip(0.4 * truth + 0.5 * rng.random((400, 3)), 0, 1)
    own, shared = tune_thresholds(probs, truth), global_threshold(probs, truth)
    shrunk = shrunk_thresholds(probs, truth)
    positives = truth.sum(0)
    expected = (positives * own + SHRINK_STRENGTH * shared) / (positives + SHRINK_STRENGTH)
    np.testing.assert_allclose(shrunk, expected)
    assert shrunk[2] == pytest.approx(shared)  # no positives: the global threshold
    assert abs(shrunk[0] - own[0]) < abs(shrunk[1] - own[1]) or own[1] == pytest.approx(shared)


def test_objectives_by_name():
    probs = np.array([[0.9, 0.2], [0.1, 0.7], [0.6, 0.4]])
    truth = np.array([[1, 0], [0, 1], [1, 0]])
    same, missed = tune_thresholds_for(probs, truth, np.ones_like(truth), "global-f1")
    assert missed == [] and same[0] == same[1]
    np.testing.assert_allclose(tune_thresholds_for(probs, truth, np.ones_like(truth), "f1")[0],
                               tune_thresholds(probs, truth))


def test_language_label_thresholds_pull_each_language_towards_the_shared_threshold():
    # One label, two languages with different score scales: in "a" positives score 0.30/0.35 and negatives
    # 0.05/0.10 (F1 is best cut at 0.2), in "b" positives 0.8/0.9 and negatives 0.6/0.7 (best cut 0.75).
    probs = np.array([0.30, 0.35, 0.05, 0.10, 0.8, 0.9, 0.6, 0.7])[:, None]
    truth = np.array([1, 1, 0, 0, 1, 1, 0, 0])[:, None]
    languages = ["a"] * 4 + ["b"] * 4
    # Shared (language-macro-f1): a cut in (0.1, 0.3] gives a F1 1 and b F1 2/3, the best sum; midway: 0.2.
    shared, per_language = language_label_thresholds(probs, truth, np.ones_like(truth), languages, strength=2)
    assert shared[0] == pytest.approx(0.2)
    assert per_language["a"][0] == pytest.approx(0.2)  # its own optimum is the shared one
    # b: 2 positives, strength 2: half its own 0.75, half the shared 0.2.
    assert per_language["b"][0] == pytest.approx(0.5 * 0.75 + 0.5 * 0.2)
    # With a large strength every language keeps the shared threshold.
    _, pulled = language_label_thresholds(probs, truth, np.ones_like(truth), languages, strength=1e9)
    assert pulled["b"][0] == pytest.approx(0.2, abs=1e-6)


def test_unknown_objectives_are_refused_not_treated_as_recall():
    probs, truth = np.array([[0.9], [0.1]]), np.array([[1], [0]])
    with pytest.raises(ValueError, match="language_label_thresholds"):
        tune_thresholds_for(probs, truth, np.ones_like(truth), "per-language-f1")
    with pytest.raises(ValueError, match="unknown threshold objective 'f2'"):
        tune_thresholds_for(probs, truth, np.ones_like(truth), "f2")
