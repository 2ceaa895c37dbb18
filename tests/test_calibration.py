"""mlc.evaluation.calibration: a new bundle's thresholds are tuned on the scores the bundle itself gives, by the same
tuning that python -m mlc.evaluate --tune-thresholds uses, and its report is written beside them."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from mlc.bundle.thresholds import THRESHOLDS_FILE, default_thresholds
from mlc.data import load_data
from mlc.data.aligned import align
from mlc.evaluation.calibration import calibrate_bundle
from mlc.inference.classifier import Classifier
from mlc.metrics.thresholds import tune

from .conftest import ROOT


@pytest.mark.parametrize("objective", ["per-language-f1", "f1", "none"])
def test_calibration_tunes_on_the_bundles_own_scores(tiny_bundle, tmp_path, objective):
    folder = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, folder, ignore=shutil.ignore_patterns("evaluation"))
    labels = json.loads((folder / "mlc.json").read_text())["labels"]
    (folder / THRESHOLDS_FILE).write_text(json.dumps(default_thresholds(labels, "fp32")))
    data = load_data(str(ROOT / "examples" / "support_tickets.csv"), label_column="labels", seed=42)
    calibrate_bundle(folder, data, objective, "cpu")
    saved = json.loads((folder / THRESHOLDS_FILE).read_text())
    assert (folder / "evaluation" / "report.md").is_file() and (folder / "evaluation" / "metrics.json").is_file()
    if objective == "none":
        assert saved["source"] == "default 0.5"
        return
    classifier = Classifier.load(folder, device="cpu")
    rows = align(data, ["validation"], classifier.labels, "validation")
    found = tune(classifier.predict_proba(rows.texts, languages=rows.languages), rows.truth, rows.mask,
                 rows.languages, objective)
    assert saved["source"].startswith(f"{objective} on validation (")
    assert [saved["per_label"][label] for label in labels] == pytest.approx(found.shared, abs=1e-6)
    assert set(saved.get("per_language", {})) == set(found.per_language)
    assert np.allclose(classifier.thresholds, found.shared, atol=1e-6)
