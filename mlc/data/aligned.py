"""Rows of labelled data aligned with a label list (a bundle's, a superset of the data's): texts, languages, 0/1
truth and the annotation mask, as arrays that training, tuning and evaluation share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mlc.data.loader import MultiLabelData, column_values


@dataclass
class LabelledRows:
    """Rows aligned with a bundle's labels: truth [n, labels] and mask [n, labels] (1 where the row's language was
    annotated with the label in this data)."""

    ids: list[str]
    texts: list[str]
    languages: list[str]
    truth: np.ndarray
    mask: np.ndarray
    split: str
    notes: list[str] = field(default_factory=list)


def align(data: MultiLabelData, parts: list[str], labels: list[str], name: str) -> LabelledRows:
    """Rows of `parts` with truth and annotation mask over `labels` (a superset of the data's labels)."""
    position = {label: j for j, label in enumerate(labels)}
    index = [position[label] for label in data.labels]
    ids, texts, languages, rows = [], [], [], []
    for part in parts:
        ids += column_values(data[part], "id")
        texts += column_values(data[part], "text")
        languages += column_values(data[part], "language")
        rows += column_values(data[part], "labels")
    truth = np.zeros((len(ids), len(labels)), dtype=np.int8)
    if rows:
        truth[:, index] = np.asarray(rows, dtype=np.int8)
    annotated = {lang: [position[x] for x in names] for lang, names in data.language_labels.items()}
    mask = np.zeros_like(truth)
    for i, language in enumerate(languages):
        mask[i, annotated.get(language, index)] = 1
    notes = []
    absent = [label for label in labels if label not in data.labels]
    if absent:
        notes.append(f"bundle labels absent from the data, left out of every score: {', '.join(absent)}")
    return LabelledRows(ids, texts, languages, truth, mask, name, notes)
