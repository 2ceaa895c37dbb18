"""mlc.bundle.text_hashes: a bundle remembers which texts it saw, so evaluating on them is flagged."""

from __future__ import annotations

import numpy as np

from mlc.bundle.text_hashes import HASHES_FILE, save_text_hashes, seen_in_bundle, seen_note, text_hashes


def test_hashes_are_stable_and_distinguish_texts():
    first = text_hashes(["hello", "world", "hello"])
    assert first.dtype == np.dtype("<u8") and first[0] == first[2] and first[0] != first[1]
    assert np.array_equal(first, text_hashes(["hello", "world", "hello"]))


def test_seen_counts_train_and_tuning_texts(tmp_path):
    save_text_hashes(tmp_path, ["a", "b", "c"], ["d"])
    assert (tmp_path / HASHES_FILE).is_file()
    seen = seen_in_bundle(tmp_path, ["a", "d", "x", "b"])
    assert seen == {"train": 2, "tuning": 1}
    note = seen_note(seen, 4)
    assert note.startswith("2 of 4 rows are texts the bundle was trained on; 1 are texts its thresholds")
    assert seen_note({"train": 0, "tuning": 0}, 4) is None


def test_a_bundle_without_hashes_says_nothing(tmp_path):
    assert seen_in_bundle(tmp_path, ["a"]) is None and seen_note(None, 1) is None
