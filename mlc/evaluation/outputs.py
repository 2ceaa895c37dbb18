"""What python -m mlc.evaluate writes: the output folder (metrics, report, predictions, plots) and tuned thresholds
into the bundle."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from mlc.bundle.folder import read_bundle_info, replace_thresholds
from mlc.core.atomic import atomic_folder
from mlc.core.numbers import exact_float
from mlc.evaluation.evaluator import Evaluation
from mlc.evaluation.report import markdown_report, write_plots


def save_thresholds(bundle: Path, tuned: dict[str, Any], source: str, precision: str) -> None:
    """Replace the bundle's thresholds.json with `tuned` (Evaluation.tuned, from scores computed in `precision`)
    atomically (the old one is kept as thresholds.previous.json)."""
    old = read_bundle_info(bundle)["thresholds"]
    replace_thresholds(bundle, {"default": old.get("default", 0.5), **tuned, "source": source,
                                "scores_precision": precision})


def write_outputs(evaluation: Evaluation, output: str | Path, plots: bool = True) -> Path:
    """OUTPUT/metrics.json, report.md, predictions.csv and plots/*.png, written as one atomic folder."""
    with atomic_folder(output) as tmp:
        (tmp / "metrics.json").write_text(json.dumps(evaluation.metrics, indent=2, ensure_ascii=False), "utf-8")
        images = write_plots(evaluation, tmp / "plots") if plots else []
        (tmp / "report.md").write_text(markdown_report(evaluation.metrics, images), "utf-8")
        data, labels = evaluation.data, evaluation.labels
        with (tmp / "predictions.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "language", "text", "true_labels", "predicted_labels",
                             *[f"p_{label}" for label in labels]])
            for i, text in enumerate(data.texts):  # streamed texts are read again from the data, in order
                writer.writerow([data.ids[i], data.languages[i], text,
                                 "|".join(label for j, label in enumerate(labels) if data.truth[i, j]),
                                 "|".join(label for j, label in enumerate(labels) if evaluation.pred[i, j]),
                                 *map(exact_float, evaluation.probs[i])])
    return Path(output)
