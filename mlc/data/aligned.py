"""Rows of labelled data aligned with a label list (a bundle's, a superset of the data's): texts, languages, 0/1
truth and the annotation mask, as arrays that training, tuning and evaluation share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from mlc.data.loader import MultiLabelData, column_values

if TYPE_CHECKING:
    from mlc.data.streaming import StreamedTexts


@dataclass
class LabelledRows:
    """Rows aligned with a bundle's labels: truth [n, labels] and mask [n, labels] (1 where the row's language was
    annotated with the label in this data). `texts` is a list, or a `StreamedTexts` (read again from the files
    whenever they are iterated) for data too large to hold."""

    ids: list[str]
    texts: list[str] | StreamedTexts
    languages: list[str]
    truth: np.ndarray
    mask: np.ndarray
    split: str
    notes: list[str] = field(default_factory=list)


def align(data: MultiLabelData, parts: list[str], labels: list[str], name: str) -> LabelledRows:
    """Rows of `parts` with truth and annotation mask over `labels` (a superset of the data's labels)."""
    position = {label: j for j, label in enumerate(labels)}
    ids, texts, languages, rows = [], [], [], []
    for part in parts:
        ids += column_values(data[part], "id")
        texts += column_values(data[part], "text")
        languages += column_values(data[part], "language")
        rows += column_values(data[part], "labels")
    truth = np.zeros((len(ids), len(labels)), dtype=np.int8)
    if rows:
        truth[:, [position[label] for label in data.labels]] = np.asarray(rows, dtype=np.int8)
    mask = annotation_mask(languages, data.language_labels, data.labels, labels)
    return LabelledRows(ids, texts, languages, truth, mask, name, absent_labels_note(labels, data.labels))


def annotation_mask(languages: list[str], language_labels: dict[str, list[str]], data_labels: list[str],
                    labels: list[str]) -> np.ndarray:
    """[rows, labels]: 1 where the row's language was annotated with the label (a language the data does not
    list: with every label of the data)."""
    position = {label: j for j, label in enumerate(labels)}
    codes = {language: j for j, language in enumerate(dict.fromkeys(languages))}
    by_language = np.zeros((len(codes), len(labels)), dtype=np.int8)
    for language, j in codes.items():
        by_language[j, [position[x] for x in language_labels.get(language, data_labels)]] = 1
    return by_language[[codes[language] for language in languages]] if languages else \
        np.zeros((0, len(labels)), dtype=np.int8)


def absent_labels_note(labels: list[str], data_labels: list[str]) -> list[str]:
    absent = [label for label in labels if label not in data_labels]
    return [f"bundle labels absent from the data, left out of every score: {', '.join(absent)}"] if absent else []
