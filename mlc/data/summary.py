"""What the CLIs print about loaded data: rows per language and split, label frequencies, cardinality."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np

from mlc.data.labels import list_examples
from mlc.data.loader import column_values

SHOWN = 40  # labels named in a table line; the JSON summary has them all

# Rows or cells the loader changed as the options asked, counted so that nothing is dropped or zeroed unseen.
COUNTED = ("dropped_empty_text", "dropped_missing_labels", "missing_labels_read_as_zero", "skipped_bad_lines",
           "extra_rows")


def label_matrix(ds, width: int) -> np.ndarray:
    """A split's multi-hot labels as an int array [rows, labels]."""
    rows = column_values(ds, "labels")
    return np.asarray(rows, dtype=np.int64).reshape(len(rows), width)


def summarize(data) -> dict[str, Any]:
    """A JSON-serialisable summary of a `MultiLabelData`."""
    labels = data.labels
    splits: dict[str, Any] = {}
    rows_by_language: dict[str, dict[str, int]] = defaultdict(dict)
    frequency: dict[str, dict[str, int]] = {}
    for split, ds in data.splits.items():
        vectors, languages = label_matrix(ds, len(labels)), np.asarray(column_values(ds, "language"))
        n = len(vectors)
        for language, count in Counter(languages.tolist()).items():
            rows_by_language[language][split] = count
        splits[split] = {
            "rows": n,
            "label_cardinality": round(float(vectors.sum()) / n, 4) if n else 0.0,
            "no_label_rows": int((vectors.sum(axis=1) == 0).sum()),
            "label_counts": dict(zip(labels, vectors.sum(axis=0).tolist(), strict=True)),
        }
        if split == "train":
            frequency = {}
            for language in sorted(set(languages.tolist())):
                counts = vectors[languages == language].sum(axis=0).tolist()
                annotated = set(data.language_labels[language])
                frequency[language] = {label: c for label, c in zip(labels, counts, strict=True) if label in annotated}
    return {
        "labels": labels,
        "languages": {lang: {"rows": rows_by_language[lang], "labels": names}
                      for lang, names in data.language_labels.items()},
        "splits": splits,
        "train_label_frequency": frequency,
        "validation_source": data.info.get("validation_source"),
        **{key: data.info.get(key, 0) for key in COUNTED},
        "warnings": list(data.warnings),
    }


def format_summary(summary: dict[str, Any]) -> str:
    """A compact human-readable table of `summarize`'s output."""
    split_names = list(summary["splits"])
    lines = [f"labels ({len(summary['labels'])}): {list_examples(summary['labels'], SHOWN)}"]
    header = f"{'language':<10}" + "".join(f"{s:>12}" for s in split_names) + "  labels"
    lines += [header, "-" * len(header)]
    n_labels = len(summary["labels"])
    for lang, info in summary["languages"].items():
        annotated = set(info["labels"])
        missing = [x for x in summary["labels"] if x not in annotated]
        note = "all" if not missing else f"{len(info['labels'])}/{n_labels} (no {list_examples(missing, SHOWN)})"
        lines.append(f"{lang:<10}" + "".join(f"{info['rows'].get(s, 0):>12}" for s in split_names) + f"  {note}")
    lines.append(f"{'total':<10}" + "".join(f"{summary['splits'][s]['rows']:>12}" for s in split_names))
    for s in split_names:
        info = summary["splits"][s]
        lines.append(f"{s}: label cardinality {info['label_cardinality']:.2f}, rows with no label "
                     f"{info['no_label_rows']}")
    if "train" in summary["splits"]:
        counts = summary["splits"]["train"]["label_counts"]
        lines.append("train label counts: " + list_examples([f"{k} {v}" for k, v in counts.items()], SHOWN))
    if summary.get("validation_source"):
        lines.append(f"validation: {summary['validation_source']}")
    for key in COUNTED:
        if summary.get(key):
            lines.append(f"{key.replace('_', ' ')}: {summary[key]}")
    lines += [f"warning: {w}" for w in summary.get("warnings", [])]
    return "\n".join(lines)
