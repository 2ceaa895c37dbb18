"""The `evaluate` metric module: loads offline from the package and gives mlc.metrics' numbers."""

from __future__ import annotations

import numpy as np
import pytest

from mlc.metrics.scores import f1_scores, language_f1


def test_evaluate_metric_equals_mlc_metrics():
    import evaluate

    import mlc.metrics.language_f1_metric

    rng = np.random.default_rng(0)
    truth, pred = rng.integers(0, 2, (60, 4)), rng.integers(0, 2, (60, 4))
    languages = ["eng"] * 30 + ["deu"] * 20 + ["amh"] * 10
    names = ["anger", "disgust", "fear", "joy"]
    annotated = {"eng": ["anger", "fear", "joy"]}  # English was not annotated with disgust
    metric = evaluate.load(mlc.metrics.language_f1_metric.__file__)
    got = metric.compute(predictions=pred, references=truth, languages=languages, label_names=names,
                         annotated=annotated)
    masks = {"eng": [1, 0, 1, 1], "deu": [1, 1, 1, 1], "amh": [1, 1, 1, 1]}
    expected = language_f1(pred, truth, languages, masks)
    assert got["language_macro_f1"] == pytest.approx(expected["all"]["macro_f1"])
    assert got["micro_f1"] == pytest.approx(expected["all"]["micro_f1"])
    for language in masks:
        assert got["per_language"][language]["macro_f1"] == pytest.approx(expected[language]["macro_f1"])
    row_masks = np.array([masks[lang] for lang in languages])
    assert got["macro_f1"] == pytest.approx(f1_scores(truth, pred, row_masks)[0])
    assert got["per_label_f1"]["disgust"] == pytest.approx(f1_scores(truth[30:, 1:2], pred[30:, 1:2])[0])
    plain = metric.compute(predictions=pred, references=truth)
    assert plain["macro_f1"] == pytest.approx(f1_scores(truth, pred)[0]) == plain["language_macro_f1"]
    assert list(plain["per_label_f1"]) == ["0", "1", "2", "3"]
