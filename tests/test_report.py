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
    images = write_plots(evaluation, tmp_path / "plots")
    assert [p.name for p in images] == ["f1_language_label.png", "precision_recall.png", "f1_threshold.png"]
    assert all(p.stat().st_size > 1000 for p in images)
    markdown = markdown_report(metrics, images)
    tables = markdown_tables(markdown)
    # Every row of every table holds exactly the numbers of metrics.json, as the report formats them.
    summary = metrics["overall"]["summary"]
    overall = dict(tables["Overall"])
    assert {key: overall[key] for key in summary if key in overall} == \
        {key: fmt(summary[key]) for key in summary if key in overall}
    assert overall["mean of per-language macro_f1"] == fmt(metrics["mean_language_macro_f1"])
    assert tables["Per language"] == [[lang, str(m["summary"]["rows"]), str(m["summary"]["labels"]),
                                       fmt(m["summary"]["macro_f1"]), fmt(m["summary"]["micro_f1"]),
                                       fmt(m["summary"]["macro_roc_auc"])] for lang, m in metrics["languages"].items()]
    assert [row[0] for row in tables["Per label"]] == classifier.labels
    for row in tables["Per label"]:
        m = metrics["overall"]["per_label"][row[0]]
        assert row[1:] == [str(m["support"]), *map(fmt, (m["precision"], m["recall"], m["f1"], m["roc_auc"],
                                                         m["average_precision"], m["threshold"]))]
    assert [f"![{p.stem}](plots/{p.name})" for p in images] == markdown.rstrip().splitlines()[-len(images):]
    text = text_report(metrics)  # the terminal table: the same cells, aligned
    for row in tables["Per language"]:
        assert any(line.split() == row for line in text.splitlines())
    assert json.loads(json.dumps(metrics)) == metrics  # what metrics.json holds is plain JSON


def fmt(value) -> str:
    return "n/a" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def markdown_tables(markdown: str) -> dict[str, list[list[str]]]:
    """{section title: rows of cells (header and rule left out)} of a Markdown report."""
    tables, title = {}, None
    for line in markdown.splitlines():
        if line.startswith("## "):
            title = line[3:]
        elif line.startswith("| ") and title:
            tables.setdefault(title, []).append([cell.strip() for cell in line.strip("|").split(" | ")])
    return {title: rows[1:] for title, rows in tables.items()}
