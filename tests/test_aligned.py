"""mlc.data.aligned: rows of a split aligned with a bundle's label list (a superset of the data's labels)."""

from __future__ import annotations

import numpy as np

from mlc.data import load_data
from mlc.data.aligned import align


def test_rows_align_with_a_superset_of_labels_and_mask_unannotated_ones(tmp_path):
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "en.csv").write_text("id,text,joy,anger\n1,happy,1,0\n2,mad,0,1\n", encoding="utf-8")
    (tmp_path / "train" / "de.csv").write_text("id,text,joy\n3,froh,1\n4,naja,0\n", encoding="utf-8")
    data = load_data(str(tmp_path), validation_size=0)
    rows = align(data, ["train"], ["fear", "anger", "joy"], "train")
    order = {text: i for i, text in enumerate(rows.texts)}
    assert sorted(rows.texts) == ["froh", "happy", "mad", "naja"] and rows.split == "train"
    assert rows.truth[order["mad"]].tolist() == [0, 1, 0] and rows.truth[order["froh"]].tolist() == [0, 0, 1]
    assert rows.mask[order["happy"]].tolist() == [0, 1, 1]  # fear: not in the data at all
    assert rows.mask[order["naja"]].tolist() == [0, 0, 1]  # German rows were never annotated with anger
    assert rows.notes == ["bundle labels absent from the data, left out of every score: fear"]
    assert rows.truth.dtype == np.int8
