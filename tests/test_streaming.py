"""mlc.data.streaming: labelled rows read in chunks, their texts read again when needed. Whatever the chunk size,
the rows, labels, masks, texts and errors are those of the whole-file loader (`load_data` then `align`)."""

from __future__ import annotations

import csv
import json
import warnings

import numpy as np
import pytest

from mlc.core.errors import DataError, DuplicateIdError, LabelValueError
from mlc.data import DataWarning, load_data
from mlc.data.aligned import align
from mlc.data.args import DataArgs
from mlc.data.streaming import StreamedTexts, read_labelled

from .test_loader import LABELS, ROWS, write_columns, write_jsonl

BUNDLE_LABELS = ["refund", *LABELS[:3], "spam"]  # another order, and a label the data lacks


def whole(path, split: str = "train", **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # ids shared by train and test
        data = load_data(path, validation_size=0, **options)
    parts = list(data.splits) if split == "all" else [split]
    return align(data, parts, BUNDLE_LABELS, split)


def assert_same(streamed, expected):
    assert streamed.ids == expected.ids and streamed.languages == expected.languages
    assert isinstance(streamed.texts, StreamedTexts) and list(streamed.texts) == expected.texts
    assert np.array_equal(streamed.truth, expected.truth) and np.array_equal(streamed.mask, expected.mask)
    assert streamed.split == expected.split and streamed.notes == expected.notes


def write_dicts(path):
    """{label: 0/1} objects whose keys differ by language: the mask comes from the keys each language had."""
    with path.open("w", encoding="utf-8") as fh:
        for ident, text, lang, names in ROWS:
            keys = LABELS if lang != "en" else LABELS[1:]
            fh.write(json.dumps({"id": ident, "text": text, "lang": lang,
                                 "labels": {k: int(k in names) for k in keys}}, ensure_ascii=False) + "\n")
    return path


@pytest.mark.parametrize("chunk_rows", [1, 4, 1000])
def test_every_layout_matches_the_whole_file_loader(tmp_path, chunk_rows):
    cases = {"columns.csv": write_columns(tmp_path / "columns.csv"), "list.jsonl": write_jsonl(tmp_path / "list.jsonl"),
             "dicts.jsonl": write_dicts(tmp_path / "dicts.jsonl")}
    for path in cases.values():
        assert_same(read_labelled(DataArgs(data=str(path)), BUNDLE_LABELS, "auto", chunk_rows), whole(path))
    folder = tmp_path / "by_language"  # one file per language: the file name is the language
    folder.mkdir()
    for lang in ("en", "es"):
        write_columns(folder / f"{lang}.csv", rows=[(f"{lang}{i}", text, "", names)
                                                     for i, (_, text, _, names) in enumerate(ROWS)])
    assert_same(read_labelled(DataArgs(data=str(folder)), BUNDLE_LABELS, "auto", chunk_rows), whole(folder))


def test_splits_chunks_across_files_and_dropped_rows(tmp_path):
    (tmp_path / "data").mkdir()
    write_columns(tmp_path / "data/train.csv")
    rows = [*ROWS, ("b1", "   ", "en", ["refund"]), ("b2", "no label cell", "en", None)]
    with (tmp_path / "data/test.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text", "lang", *LABELS])
        for ident, text, lang, names in rows:
            writer.writerow([ident, text, lang, *["" if names is None else int(x in names) for x in LABELS]])
    options = {"empty_text": "drop", "missing_labels": "drop"}
    args = DataArgs(data=str(tmp_path / "data"), **options)
    for split in ("auto", "train", "all"):
        expected = whole(tmp_path / "data", "test" if split == "auto" else split, **options)
        streamed = read_labelled(args, BUNDLE_LABELS, split, chunk_rows=4)
        assert_same(streamed, expected)
    texts = read_labelled(args, BUNDLE_LABELS, "all", chunk_rows=4).texts  # 6 train + 6 test rows, 2 dropped
    assert [len(chunk) for chunk in texts.chunks(5)] == [5, 5, 2] and len(texts) == 12


def test_errors_name_the_line_in_any_chunk_as_the_whole_file_loader_does(tmp_path):
    bad_cell = tmp_path / "bad.csv"
    write_columns(bad_cell, rows=[*ROWS, ("a7", "late", "en", [])])
    bad_cell.write_text(bad_cell.read_text().replace("a7,late,en,0,0,0,0", "a7,late,en,0,2,0,0"))
    duplicate = write_columns(tmp_path / "dup.csv", rows=[*ROWS, ROWS[1]])
    write_columns(tmp_path / "columns.csv")
    for path, error in ((bad_cell, LabelValueError), (duplicate, DuplicateIdError)):
        with pytest.raises(error) as expected:
            whole(path)
        with pytest.raises(error) as streamed:
            read_labelled(DataArgs(data=str(path)), BUNDLE_LABELS, "auto", chunk_rows=2)
        assert str(streamed.value) == str(expected.value) and ", line 8" in str(streamed.value)
    with pytest.raises(DataError, match="labels the bundle does not know: account"):
        read_labelled(DataArgs(data=str(tmp_path / "columns.csv")), ["billing", "delivery", "refund"])


def test_a_json_lines_key_first_seen_late_and_a_file_that_changes(tmp_path):
    path = tmp_path / "late.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i, (ident, text, lang, names) in enumerate(ROWS):
            record = {"id": ident, "text": text, "labels": names, **({"language": lang} if i >= 4 else {})}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    streamed = read_labelled(DataArgs(data=str(path)), BUNDLE_LABELS, chunk_rows=2)
    assert_same(streamed, whole(path))
    assert streamed.languages == ["und"] * 4 + ["zh", "de"]
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"text": "one more", "labels": []}) + "\n")
    with pytest.raises(DataError, match="changed while it was being read"):
        list(streamed.texts)


def test_the_delimiter_option_reads_other_delimiters(tmp_path):
    path = write_columns(tmp_path / "pipes.csv", sep="|")
    assert_same(read_labelled(DataArgs(data=str(path), delimiter="|"), BUNDLE_LABELS),
                whole(path, delimiter="|"))
    assert whole(path, delimiter="|").ids == [r[0] for r in ROWS]


@pytest.mark.parametrize("rewrite", ["same size, same time", "labels broken"])
def test_a_rewrite_between_passes_is_said_as_a_changed_file(tmp_path, rewrite):
    """Texts of one version are never scored against labels of another: a rewrite of the same size within the
    same modification time is seen (a digest of the bytes), and one that breaks a row is still said as a change."""
    import os

    path = write_columns(tmp_path / "columns.csv")
    streamed = read_labelled(DataArgs(data=str(path)), BUNDLE_LABELS, chunk_rows=2)
    stat, body = path.stat(), path.read_text("utf-8")
    first = streamed.texts.chunks(2)
    next(first)  # the scoring pass has begun
    if rewrite == "same size, same time":
        changed = body.replace(ROWS[3][1], ROWS[3][1][::-1], 1)
    else:
        changed = body.rsplit("\n", 2)[0] + "\nx,y\n"  # a last row the reader would refuse
    path.write_text(changed, "utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(DataError, match=r"columns.csv: the file changed while it was being read"):
        list(first)
