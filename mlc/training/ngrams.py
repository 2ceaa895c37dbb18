"""Fitting the n-gram model of the blend on a run's training rows (the model itself: mlc.model.ngrams)."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from mlc.bundle.text_hashes import save_text_hashes
from mlc.data import MultiLabelData
from mlc.data.aligned import align
from mlc.data.loader import column_values
from mlc.model.ngrams import NGRAMS_DIR, NgramModel


def fit_ngrams(data: MultiLabelData, weight: float):
    """The n-gram model of the blend, fitted on the training split (see mlc.ngrams)."""
    started = time.perf_counter()
    rows = align(data, ["train"], data.labels, "train")
    model = NgramModel.fit(rows.texts, rows.truth, rows.mask, rows.languages, data.labels, weight)
    print(f"mlc: n-gram models for {len(model.models)} languages in {time.perf_counter() - started:.0f} s"
          + "".join(f"; {lang} skipped: {why}" for lang, why in model.skipped.items()), file=sys.stderr)
    return model


def refit_ngrams(folder: Path, data: MultiLabelData, weight: float) -> None:
    """--refit ngrams: the bundle being written in `folder`, calibrated (its n-gram weights and thresholds chosen on
    the validation rows), gets an n-gram model fitted on train + validation (+ holdout) rows, with those weights;
    its text hashes then count the validation texts as trained on."""
    chosen = NgramModel.load(folder)
    merged = data.with_held_out_in_train()
    model = fit_ngrams(merged, weight)
    model.weight, model.language_weights = chosen.weight, chosen.language_weights
    shutil.rmtree(folder / NGRAMS_DIR)
    model.save(folder)
    save_text_hashes(folder, column_values(merged["train"], "text"),
                     [text for split in ("validation", "holdout") if split in data.splits
                      for text in column_values(data[split], "text")])
