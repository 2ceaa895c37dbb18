"""Fitting the n-gram model of the blend on a run's training rows (the model itself: mlc.model.ngrams)."""

from __future__ import annotations

import sys
import time

from mlc.data import MultiLabelData
from mlc.data.aligned import align
from mlc.model.ngrams import NgramModel


def fit_ngrams(data: MultiLabelData, weight: float):
    """The n-gram model of the blend, fitted on the training split (see mlc.ngrams)."""
    started = time.perf_counter()
    rows = align(data, ["train"], data.labels, "train")
    model = NgramModel.fit(rows.texts, rows.truth, rows.mask, rows.languages, data.labels, weight)
    print(f"mlc: n-gram models for {len(model.models)} languages in {time.perf_counter() - started:.0f} s"
          + "".join(f"; {lang} skipped: {why}" for lang, why in model.skipped.items()), file=sys.stderr)
    return model
