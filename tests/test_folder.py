"""mlc.bundle.folder: a bundle's files are written, read back and validated; damage is a one-line ModelError."""

from __future__ import annotations

import json
import shutil

import pytest

from mlc.bundle.folder import (
    BUNDLE_FILE,
    MODELING_FILE,
    PREVIOUS_THRESHOLDS_FILE,
    load_bundle_model,
    read_bundle_info,
    replace_thresholds,
)
from mlc.bundle.thresholds import THRESHOLDS_FILE
from mlc.core.errors import ModelError


def test_a_trained_bundle_reads_back(tiny_bundle):
    info = read_bundle_info(tiny_bundle)
    assert info["format"] == 1 and len(info["labels"]) == 8 and set(info["thresholds"]["per_label"]) == \
        set(info["labels"])
    assert (tiny_bundle / MODELING_FILE).is_file()
    model, tokenizer, loaded = load_bundle_model(tiny_bundle)
    assert model.config.num_labels == 8 and tokenizer("hello")["input_ids"] and loaded["labels"] == info["labels"]


def test_thresholds_are_replaced_atomically_keeping_the_previous(tiny_bundle, tmp_path):
    folder = tmp_path / "b"
    shutil.copytree(tiny_bundle, folder)
    before = json.loads((folder / THRESHOLDS_FILE).read_text())
    replace_thresholds(folder, {**before, "source": "test"})
    assert json.loads((folder / PREVIOUS_THRESHOLDS_FILE).read_text()) == before
    assert json.loads((folder / THRESHOLDS_FILE).read_text())["source"] == "test"
    assert not [p for p in folder.iterdir() if ".tmp-" in p.name]


@pytest.mark.parametrize("damage, message", [
    (lambda f: (f / BUNDLE_FILE).write_text("{not json"), "damaged"),
    (lambda f: (f / THRESHOLDS_FILE).unlink(), "missing from the bundle"),
    (lambda f: (f / BUNDLE_FILE).write_text('{"labels": "a"}'), "a damaged bundle"),
    (lambda f: (f / "model.safetensors").write_bytes(b"\0" * 10), "the bundle's model cannot be loaded"),
])
def test_damage_is_a_model_error(tiny_bundle, tmp_path, damage, message):
    folder = tmp_path / "b"
    shutil.copytree(tiny_bundle, folder)
    damage(folder)
    with pytest.raises(ModelError, match=message):
        load_bundle_model(folder)
