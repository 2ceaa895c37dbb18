"""mlc.evaluation.report: the text and markdown reports and the plots, from an evaluation of the tiny bundle."""

from __future__ import annotations

import json

from mlc.evaluation.args import EvaluateArgs
from mlc.evaluation.evaluator import evaluate
from mlc.evaluation.report import markdown_report, text_report, write_plots
from mlc.inference.classifier import Classifier

from .conftest import ROOT


def test_reports_show_overall_language_and_label_scores(tiny_bundle, tmp_path):
    classifier = Classifier.load(tiny_bundle, device="cpu")
    evaluation = evaluate(EvaluateArgs(data=str(ROOT / "examples" / "support_tickets.csv"), model=str(tiny_bundle),
                                       label_column="labels", bootstrap=20), classifier)
    metrics = evaluation.metrics
    text = text_report(metrics)
    micro = f"{metrics['overall']['summary']['micro_f1']:.4f}"
    assert micro in text and all(lang in text for lang in metrics["languages"])
    assert all(label in text for label in classifier.labels)
    images = write_plots(evaluation, tmp_path / "plots")
    assert images and all(p.suffix == ".png" and p.stat().st_size > 1000 for p in images)
    markdown = markdown_report(metrics, images)
    assert micro in markdown and "|---" in markdown and all(f"({p.relative_to(tmp_path)})" in markdown or p.name in
                                                           markdown for p in images)
    json.dumps(metrics)  # what metrics.json holds is plain JSON
