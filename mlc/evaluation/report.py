"""Rendering an evaluation: a terminal table, a Markdown report and PNG plots (pure presentation, no arithmetic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

SUMMARY_KEYS = ("micro_f1", "macro_f1", "weighted_f1", "samples_f1", "micro_precision", "micro_recall",
                "macro_precision", "macro_recall", "subset_accuracy", "hamming_loss", "samples_jaccard",
                "micro_roc_auc", "macro_roc_auc", "true_cardinality", "predicted_cardinality")


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _table(header: list[str], rows: list[list[Any]], markdown: bool) -> list[str]:
    cells = [[str(h) for h in header]] + [[_fmt(v) for v in row] for row in rows]
    if markdown:
        lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * len(header)]
        return lines + ["| " + " | ".join(row) + " |" for row in cells[1:]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    fmt = lambda row: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))  # noqa: E731
    return [fmt(cells[0]), "  ".join("-" * w for w in widths)] + [fmt(row) for row in cells[1:]]


def _sections(metrics: dict[str, Any], markdown: bool) -> list[str]:
    h = (lambda text: ["", f"## {text}", ""]) if markdown else (lambda text: ["", text.upper()])
    summary = metrics["overall"]["summary"]
    lines = [f"# Evaluation of {metrics.get('model', 'the model')}" if markdown else
             f"mlc evaluate: {metrics.get('model', '')}",
             "",
             f"Split `{metrics['split']}`, {metrics['rows']} rows, {len(metrics['labels'])} labels, thresholds: "
             f"{metrics.get('thresholds_source', 'bundle')}."]
    lines += h("Overall")
    rows = [[key, summary[key]] for key in SUMMARY_KEYS]
    if metrics.get("mean_language_macro_f1") is not None:
        rows.insert(2, ["mean of per-language macro_f1", metrics["mean_language_macro_f1"]])
    boot = metrics.get("bootstrap")
    if boot:
        rows += [[f"macro_f1 {boot['level']:.0%} interval ({boot['rounds']} bootstrap rounds)",
                  f"{boot['macro_f1'][0]:.4f} - {boot['macro_f1'][1]:.4f}"],
                 [f"micro_f1 {boot['level']:.0%} interval", f"{boot['micro_f1'][0]:.4f} - {boot['micro_f1'][1]:.4f}"]]
    lines += _table(["metric", "value"], rows, markdown)
    if "single_label" in metrics:
        single = metrics["single_label"]
        lines += h("Single-label")
        lines += _table(["metric", "value"], [["accuracy", single["accuracy"]], ["macro_f1", single["macro_f1"]],
                                              ["mcc", single["mcc"]]], markdown)
        matrix = single["confusion_matrix"]
        lines += h("Confusion matrix (rows: true, columns: predicted)")
        lines += _table(["", *matrix["labels"]], [[label, *row] for label, row in
                                                 zip(matrix["labels"], matrix["matrix"], strict=True)], markdown)
    lines += h("Per language")
    lines += _table(["language", "rows", "labels", "macro_f1", "micro_f1", "macro_roc_auc"],
                    [[lang, m["summary"]["rows"], m["summary"]["labels"], m["summary"]["macro_f1"],
                      m["summary"]["micro_f1"], m["summary"]["macro_roc_auc"]]
                     for lang, m in metrics["languages"].items()], markdown)
    lines += h("Per label")
    lines += _table(["label", "support", "precision", "recall", "f1", "roc_auc", "avg_precision", "threshold"],
                    [[label, m["support"], m["precision"], m["recall"], m["f1"], m["roc_auc"],
                      m["average_precision"], m["threshold"]]
                     for label, m in metrics["overall"]["per_label"].items()], markdown)
    lines += h("F1 by language and label (n/a: not annotated in that language)")
    lines += _table(["language", *metrics["labels"]],
                    [[lang, *row.values()] for lang, row in metrics["language_label_f1"].items()], markdown)
    if metrics.get("notes"):
        lines += h("Notes")
        lines += [f"- {note}" for note in metrics["notes"]]
    return lines


def text_report(metrics: dict[str, Any]) -> str:
    return "\n".join(_sections(metrics, markdown=False))


def markdown_report(metrics: dict[str, Any], images: list[Path] | None = None) -> str:
    lines = _sections(metrics, markdown=True)
    if images:
        lines += ["", "## Plots", ""]
        lines += [f"![{path.stem}](plots/{path.name})" for path in images]
    return "\n".join(lines) + "\n"


def write_plots(evaluation, folder: Path) -> list[Path]:
    """A language x label F1 heatmap, and per label a precision-recall curve and F1 against the threshold."""
    import matplotlib

    matplotlib.use("Agg")
    folder.mkdir(parents=True, exist_ok=True)
    written = [_heatmap(evaluation.metrics["language_label_f1"], evaluation.labels, folder / "f1_language_label.png")]
    for name, title in (("precision_recall", "Precision-recall per label"), ("f1_threshold", "F1 against threshold")):
        written.append(_label_curves(evaluation, name, title, folder / f"{name}.png"))
    return written


def _heatmap(table: dict[str, dict[str, float | None]], labels: list[str], path: Path) -> Path:
    import matplotlib.pyplot as plt

    languages = list(table)
    grid = np.array([[np.nan if table[lang][label] is None else table[lang][label] for label in labels]
                     for lang in languages], dtype=float)
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * len(labels), 1.0 + 0.35 * len(languages)))
    image = ax.imshow(grid, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(languages)), languages)
    for (i, j), value in np.ndenumerate(grid):
        ax.text(j, i, "n/a" if np.isnan(value) else f"{value:.2f}", ha="center", va="center", fontsize=7,
                color="white" if np.isnan(value) or value < 0.5 else "black")
    fig.colorbar(image, ax=ax, label="F1")
    ax.set_title("F1 by language and label")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _label_curves(evaluation, name: str, title: str, path: Path) -> Path:
    """One panel per label: the precision-recall curve, or F1 against the threshold with the one used in red."""
    import matplotlib.pyplot as plt

    from mlc.metrics.scores import uniform_thresholds

    labels, data = evaluation.labels, evaluation.data
    used = uniform_thresholds(evaluation.thresholds)
    cols = int(np.ceil(np.sqrt(len(labels))))
    rows = int(np.ceil(len(labels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    for j, label in enumerate(labels):
        keep = data.mask[:, j] > 0
        _label_panel(axes[j // cols][j % cols], label, data.truth[keep, j], evaluation.probs[keep, j], used[j], name)
    for k in range(len(labels), rows * cols):
        axes[k // cols][k % cols].axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _label_panel(ax, label: str, truth: np.ndarray, probs: np.ndarray, used: float, name: str) -> None:
    from sklearn.metrics import precision_recall_curve

    ax.set_title(label, fontsize=9)
    if truth.sum() == 0:
        ax.text(0.5, 0.5, "no positives", ha="center", va="center")
        return
    precision, recall, cuts = precision_recall_curve(truth, probs)
    if name == "precision_recall":
        ax.plot(recall, precision)
        ax.set_xlabel("recall", fontsize=8)
        ax.set_ylabel("precision", fontsize=8)
    else:
        ax.plot(cuts, (2 * precision * recall / np.maximum(precision + recall, 1e-12))[:-1])
        if not np.isnan(used):
            ax.axvline(used, color="red", linestyle="--", linewidth=1)
        ax.set_xlabel("threshold (red: used)" if not np.isnan(used) else "threshold (varies by language)", fontsize=8)
        ax.set_ylabel("F1", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
