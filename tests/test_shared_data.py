"""The real data sets in ../shared/data load completely (skipped in a fresh clone, which has no ../shared)."""

from __future__ import annotations

import csv
import warnings

import pytest

from mlc.data import load_data

pytestmark = pytest.mark.shared_data
XED_LABELS = "anger,anticipation,disgust,fear,joy,sadness,surprise,trust"


def _rows(path) -> int:
    with path.open(encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def test_brighter_dev_loads_28_languages_with_every_row_and_their_label_sets(shared_data):
    folder = shared_data / "brighter" / "dev"
    data = load_data(folder, validation_size=0)
    files = sorted(folder.glob("*.csv"))
    assert len(files) == 28 and data.languages == [f.stem for f in files]
    counts = data.summary()["languages"]
    for f in files:
        assert counts[f.stem]["rows"]["train"] == _rows(f), f.name
        with f.open(encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        assert data.language_labels[f.stem] == header[2:], f.name
    assert "disgust" not in data.language_labels["eng"] and "surprise" not in data.language_labels["afr"]
    assert data.labels == ["anger", "disgust", "fear", "joy", "sadness", "surprise"]
    # spot check one row against the file
    eng = data["train"].filter(lambda r: r["id"] == "eng_dev_track_a_00001")[0]
    assert eng["language"] == "eng" and eng["labels"] == [1, 0, 0, 0, 0, 0]


def test_brighter_root_gives_train_and_dev_splits(shared_data):
    data = load_data(shared_data / "brighter")
    assert set(data.splits) == {"train", "validation"} and len(data.languages) == 28
    assert data.info["validation_source"] == "given"


def test_goemotions_loads_with_its_label_file(shared_data):
    data = load_data(shared_data / "goemotions")
    assert len(data.labels) == 28 and data.labels[0] == "admiration" and data.labels[-1] == "neutral"
    sizes = {s: len(data[s]) for s in data.splits}
    assert sizes == {"train": 43410, "validation": 5426, "test": 5427}


@pytest.mark.parametrize("lang,rows", [("en", 17528), ("fi", 14449)])
def test_xed_annotated(shared_data, lang, rows):
    data = load_data(shared_data / "xed" / "AnnotatedData" / f"{lang}-annotated.tsv", label_names=XED_LABELS,
                     label_id_base=1, language=lang, quoting=False)
    assert len(data["train"]) + len(data["validation"]) == rows
    assert 1.2 < data.summary()["splits"]["train"]["label_cardinality"] < 1.4


def test_xed_projections_read_line_by_line_skipping_pasted_alignment_lines(shared_data):
    path = shared_data / "xed" / "Projections" / "de-projections.tsv"
    expected = 0
    for line in path.read_text("utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) == 2 and all(x.strip().isdigit() for x in fields[1].split(",")):
            expected += 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load_data(path, label_names=XED_LABELS, label_id_base=1, language="de", quoting=False,
                         bad_lines="skip", validation_size=0)
    assert len(data["train"]) == expected
    assert data.summary()["skipped_bad_lines"] > 0


def test_xed_config_file_in_examples_loads_through_the_cli(shared_data):
    from .conftest import run_module

    result = run_module("mlc.data", "--config", "examples/xed-en.yaml", "--json")
    assert result.returncode == 0, result.stderr
    import json

    assert json.loads(result.stdout)["languages"]["en"]["rows"]["train"] > 15000
