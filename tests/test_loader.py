"""The data loader through its public API: every format, label layout, language source and bad input."""

from __future__ import annotations

import json
import warnings

import pytest

from mlc.core.errors import (
    ColumnError,
    DataError,
    DecodeError,
    DuplicateIdError,
    EmptyTextError,
    LabelValueError,
    MissingFileError,
    UnknownFormatError,
)
from mlc.data import DataWarning, load_data

from .conftest import ROOT, run_module

ROWS = [
    ("a1", "Mi factura está mal", "es", ["billing"]),
    ("a2", "The parcel is late  and\tI want a refund", "en", ["delivery", "refund"]),
    ("a3", "Пакет потерян", "ru", ["delivery"]),
    ("a4", "Thanks, all good!", "en", []),
    ("a5", "我的账户被锁定了", "zh", ["account"]),
    ("a6", "Rechnung doppelt bezahlt, Geld zurück bitte", "de", ["billing", "refund"]),
]
LABELS = ["account", "billing", "delivery", "refund"]


def write_columns(path, rows=ROWS, sep=","):
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=sep)
        writer.writerow(["id", "text", "lang", *LABELS])
        for ident, text, lang, names in rows:
            writer.writerow([ident, text, lang, *[int(label in names) for label in LABELS]])
    return path


def write_jsonl(path, rows=ROWS):
    with path.open("w", encoding="utf-8") as fh:
        for ident, text, lang, names in rows:
            fh.write(json.dumps({"id": ident, "text": text, "language": lang, "labels": names}, ensure_ascii=False))
            fh.write("\n")
    return path


def as_sets(data, split="train"):
    ds = data[split]
    return {i: {data.labels[j] for j, v in enumerate(vec) if v} for i, vec in zip(ds["id"], ds["labels"], strict=True)}


def expected_sets(rows=ROWS):
    return {ident: set(names) for ident, _, _, names in rows}


def load_all(path, **kw):
    return load_data(path, validation_size=0, **kw)


@pytest.mark.parametrize("sep,suffix", [(",", ".csv"), ("\t", ".tsv")])
def test_binary_columns_in_csv_and_tsv(tmp_path, sep, suffix):
    data = load_all(write_columns(tmp_path / f"d{suffix}", sep=sep))
    assert data.labels == LABELS
    assert as_sets(data) == expected_sets()
    assert sorted(set(data["train"]["language"])) == ["de", "en", "es", "ru", "zh"]


def test_jsonl_list_of_names_and_text_normalisation(tmp_path):
    data = load_all(write_jsonl(tmp_path / "d.jsonl"))
    assert data.labels == LABELS  # names in a list column: sorted
    assert as_sets(data) == expected_sets()
    row = data["train"][1]
    assert row["text"] == "The parcel is late and I want a refund"
    assert row["raw_text"] == "The parcel is late  and\tI want a refund"


def test_nfc_normalisation(tmp_path):
    decomposed = "Cafe\u0301 froid"
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"text": decomposed, "labels": ["x"]}) + "\n" + json.dumps({"text": "b", "labels": []}),
                    "utf-8")
    data = load_all(path)
    assert data["train"][0]["text"] == "Café froid" and len(data["train"][0]["text"]) == 10
    assert data["train"][0]["raw_text"] == decomposed


def test_json_array_and_parquet_and_save_to_disk(tmp_path):
    records = [{"id": i, "text": t, "language": lang, "labels": "|".join(n)} for i, t, lang, n in ROWS]
    (tmp_path / "d.json").write_text(json.dumps(records, ensure_ascii=False), "utf-8")
    assert as_sets(load_all(tmp_path / "d.json")) == expected_sets()

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": [r[0] for r in ROWS], "text": [r[1] for r in ROWS], "language": [r[2] for r in ROWS],
                      "labels": [r[3] for r in ROWS]})
    pq.write_table(table, tmp_path / "d.parquet")
    assert as_sets(load_all(tmp_path / "d.parquet")) == expected_sets()

    from datasets import Dataset, DatasetDict

    ds = Dataset.from_dict(table.to_pydict())
    DatasetDict({"train": ds, "validation": ds.select(range(2))}).save_to_disk(str(tmp_path / "saved"))
    data = load_data(tmp_path / "saved")
    assert set(data.splits) == {"train", "validation"} and as_sets(data) == expected_sets()


def test_delimited_names_with_explicit_delimiter_and_json_list_strings(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('text,tags\n"hello, world",billing;refund\nsecond,["delivery"]\nthird,\n', "utf-8")
    data = load_all(path)
    assert data.labels == ["billing", "delivery", "refund"]
    assert [sorted(s) for s in as_sets(data).values()] == [["billing", "refund"], ["delivery"], []]


def test_integer_ids_with_labels_file_beside_headerless_tsv(tmp_path):
    (tmp_path / "labels.txt").write_text("anger\njoy\nneutral\n", "utf-8")
    (tmp_path / "train.tsv").write_text("I am so mad\t0\tx1\nyay\t1,2\tx2\nok then\t2\tx3\nhmm\t2\tx4\n", "utf-8")
    (tmp_path / "dev.tsv").write_text("grr\t0\tx5\n", "utf-8")
    data = load_data(tmp_path)
    assert data.labels == ["anger", "joy", "neutral"]
    assert set(data.splits) == {"train", "validation"}
    assert as_sets(data) == {"x1": {"anger"}, "x2": {"joy", "neutral"}, "x3": {"neutral"}, "x4": {"neutral"}}
    assert data["validation"]["text"] == ["grr"]


def test_one_based_ids_with_label_names_option_and_language_option(tmp_path):
    path = tmp_path / "en-annotated.tsv"
    path.write_text('Run "now\t1, 3\r\nI trust you.\t8\r\nso sad\t6\r\nwow\t7, 5\r\n', "utf-8")
    names = "anger,anticipation,disgust,fear,joy,sadness,surprise,trust"
    data = load_all(path, label_names=names, label_id_base=1, language="en", quoting=False)
    assert data["train"][0]["text"] == 'Run "now'
    assert as_sets(data)["en-annotated-1"] == {"anger", "disgust"}
    assert as_sets(data)["en-annotated-4"] == {"surprise", "joy"}
    assert set(data["train"]["language"]) == {"en"}


def test_per_language_folder_with_different_label_sets(tmp_path):
    for split in ("train", "dev"):
        (tmp_path / split).mkdir()
        (tmp_path / split / "eng.csv").write_text(
            f"id,text,anger,joy\n{split}e1,I am angry,1,0\n{split}e2,happy days,0,1\n{split}e3,meh,0,0\n", "utf-8")
        (tmp_path / split / "deu.csv").write_text(
            f"id,text,anger,disgust,joy\n{split}d1,Ich bin wütend,1,0,0\n{split}d2,Ekelhaft,0,1,0\n", "utf-8")
    data = load_data(tmp_path)
    assert set(data.splits) == {"train", "validation"}
    assert data.labels == ["anger", "disgust", "joy"]
    assert data.language_labels == {"deu": ["anger", "disgust", "joy"], "eng": ["anger", "joy"]}
    assert data.label_mask("eng") == [1, 0, 1]
    summary = data.summary()
    assert summary["languages"]["eng"]["rows"] == {"train": 3, "validation": 3}
    assert summary["train_label_frequency"]["eng"] == {"anger": 1, "joy": 1}
    assert summary["splits"]["train"]["no_label_rows"] == 1
    assert "2/3 (no disgust)" in data.summary_table()


def test_separate_validation_and_test_files(tmp_path):
    train = write_columns(tmp_path / "train_data.csv")
    val = write_columns(tmp_path / "v.csv", ROWS[:2])
    test = write_jsonl(tmp_path / "t.jsonl", ROWS[2:4])
    data = load_data(train, validation=val, test=test)
    assert {s: len(data[s]) for s in data.splits} == {"train": 6, "validation": 2, "test": 2}
    assert data.info["validation_source"] == "given"


def test_language_undetermined_without_column_or_file_name(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("text,a\nx,1\ny,0\n", "utf-8")
    assert set(load_all(path)["train"]["language"]) == {"und"}


def test_stratified_validation_split_is_reproducible_and_covers_languages(tmp_path):
    rows = []
    for i in range(200):
        lang = ["en", "fr", "zh", "ar"][i % 4]
        names = [LABELS[i % 4]] + ([LABELS[(i // 4) % 4]] if i % 3 == 0 else [])
        rows.append((f"r{i}", f"text number {i} in {lang}", lang, sorted(set(names))))
    path = write_columns(tmp_path / "big.csv", rows)
    a = load_data(path, validation_size=0.2, seed=1)
    b = load_data(path, validation_size=0.2, seed=1)
    c = load_data(path, validation_size=0.2, seed=2)
    assert a["validation"]["id"] == b["validation"]["id"] != c["validation"]["id"]
    # split_seed holds the split while the training seed changes (seed studies and ensembles over the same rows).
    d = load_data(path, validation_size=0.2, seed=2, split_seed=1)
    assert d["validation"]["id"] == a["validation"]["id"] and d.info["validation_source"].endswith("(seed 1)")
    assert 38 <= len(a["validation"]) <= 42 and len(a["train"]) + len(a["validation"]) == 200
    assert not set(a["validation"]["id"]) & set(a["train"]["id"])
    from collections import Counter

    assert all(9 <= n <= 11 for n in Counter(a["validation"]["language"]).values())
    assert set(a["validation"]["language"]) == {"en", "fr", "zh", "ar"}
    per_label = [sum(v[j] for v in a["validation"]["labels"]) for j in range(4)]
    full = [sum(v[j] for v in a["train"]["labels"]) + per_label[j] for j in range(4)]
    for got, total in zip(per_label, full, strict=True):
        assert abs(got - total * 0.2) <= 2


# ---- bad input: one clear error naming the file, line and column ------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(MissingFileError, match="no such file"):
        load_data(tmp_path / "nope.csv")


def test_unknown_format(tmp_path):
    (tmp_path / "d.xlsx").write_text("x")
    with pytest.raises(UnknownFormatError, match=r"d\.xlsx.*'\.xlsx'.*hint"):
        load_data(tmp_path / "d.xlsx")


def test_no_text_column(tmp_path):
    (tmp_path / "d.csv").write_text("id,body_text,a\n1,x,1\n")
    with pytest.raises(ColumnError, match=r"d\.csv: no text column .*body_text.*text_column"):
        load_data(tmp_path / "d.csv")


def test_no_label_column(tmp_path):
    (tmp_path / "d.csv").write_text("id,text,source\n1,hello,web\n2,bye,mail\n")
    with pytest.raises(ColumnError, match=r"no label column found.*label_columns"):
        load_data(tmp_path / "d.csv")


def test_bad_binary_label_value(tmp_path):
    lines = ["id,text,a,b"] + [f"{i},t{i},0,1" for i in range(40)] + ["99,bad,2,0"]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(LabelValueError, match=r"d\.csv, line 42, column 'a': label value '2' is not 0/1"):
        load_data(tmp_path / "d.csv")


def test_unknown_label_name_and_out_of_range_id(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"text": "a", "labels": ["joy"]}\n{"text": "b", "labels": ["jyo"]}\n')
    with pytest.raises(LabelValueError, match=r"line 2, column 'labels': unknown label 'jyo'.*known labels: joy"):
        load_data(tmp_path / "d.jsonl", label_names="joy,anger")
    (tmp_path / "e.jsonl").write_text('{"text": "a", "labels": [5]}\n')
    with pytest.raises(LabelValueError, match="label id 5 is outside"):
        load_data(tmp_path / "e.jsonl", label_names="joy,anger")
    (tmp_path / "f.jsonl").write_text('{"text": "a", "labels": [1]}\n')
    with pytest.raises(LabelValueError, match="no label names are known"):
        load_data(tmp_path / "f.jsonl")


def test_empty_text_is_an_error_or_dropped_and_counted(tmp_path):
    (tmp_path / "d.csv").write_text("id,text,a\n1,hello,1\n2,   ,0\n3,,1\n4,bye,0\n")
    with pytest.raises(EmptyTextError, match=r"d\.csv, line 3, column 'text': empty or missing text.*empty_text"):
        load_data(tmp_path / "d.csv")
    data = load_all(tmp_path / "d.csv", empty_text="drop")
    assert data["train"]["id"] == ["1", "4"]
    assert data.summary()["dropped_empty_text"] == 2


def test_bytes_that_do_not_decode_and_the_encoding_option(tmp_path):
    (tmp_path / "d.csv").write_bytes("id,text,a\n1,ok,1\n2,caf\xe9 cr\xe8me,0\n".encode("latin-1"))
    with pytest.raises(DecodeError, match=r"d\.csv, line 3: byte 0xe9 .*does not decode as utf-8.*encoding"):
        load_data(tmp_path / "d.csv")
    data = load_all(tmp_path / "d.csv", encoding="latin-1")
    assert data["train"]["text"][1] == "café crème"


def test_duplicate_ids(tmp_path):
    (tmp_path / "d.csv").write_text("id,text,a\n1,x,1\n2,y,0\n1,z,1\n")
    with pytest.raises(DuplicateIdError, match=r"d\.csv, line 4: duplicate id '1' .*first at .*line 2"):
        load_data(tmp_path / "d.csv")


def test_label_never_in_training_is_a_warning(tmp_path):
    (tmp_path / "d.csv").write_text("id,text,a,b\n1,x,1,0\n2,y,0,0\n")
    with pytest.warns(DataWarning, match=r"1 label\(s\) never occur in the training data: b"):
        data = load_all(tmp_path / "d.csv")
    assert data.warnings == ["1 label(s) never occur in the training data: b"]


def test_lines_with_wrong_field_count_error_or_skip(tmp_path):
    (tmp_path / "d.tsv").write_text("text\tlabels\nfine\tx\nbroken\tx\textra\textra\nalso fine\ty\n")
    with pytest.raises(Exception, match=r"d\.tsv, line 3: has 4 fields but the header has 2.*bad_lines"):
        load_data(tmp_path / "d.tsv")
    data = load_all(tmp_path / "d.tsv", bad_lines="skip")
    assert data["train"]["text"] == ["fine", "also fine"] and data.summary()["skipped_bad_lines"] == 1


def test_nothing_is_written_next_to_the_data(tmp_path):
    write_columns(tmp_path / "d.csv")
    before = sorted(p.name for p in tmp_path.iterdir())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_data(tmp_path / "d.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# ---- the CLI ---------------------------------------------------------------------------------------------------


def test_cli_prints_table_and_json(tmp_path):
    path = write_columns(tmp_path / "d.csv")
    table = run_module("mlc.data", "--data", str(path), "--validation-size", "0")
    assert table.returncode == 0, table.stderr
    assert "labels (4): account, billing, delivery, refund" in table.stdout
    as_json = run_module("mlc.data", "--data", str(path), "--validation-size", "0", "--json")
    assert json.loads(as_json.stdout)["splits"]["train"]["rows"] == 6


def test_cli_bad_input_is_one_line_and_exit_code_2(tmp_path):
    (tmp_path / "d.csv").write_text("id,text,a\n1,,1\n")
    result = run_module("mlc.data", "--data", str(tmp_path / "d.csv"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'd.csv'}, line 2, column 'text': empty or missing text (hint: fix the row, or pass "
        "empty_text='drop' (--empty-text drop) to drop such rows)"
    ]


def test_cli_reads_a_config_file_and_flags_override_it(tmp_path):
    path = write_columns(tmp_path / "d.csv")
    config = tmp_path / "c.yaml"
    config.write_text(f"data: {path}\nvalidation-size: 0.5\n")
    out = run_module("mlc.data", "--config", str(config), "--validation-size", "0", "--json")
    assert out.returncode == 0, out.stderr
    assert set(json.loads(out.stdout)["splits"]) == {"train"}
    config.write_text("bogus_option: 1\n")
    bad = run_module("mlc.data", "--config", str(config))
    assert bad.returncode == 2 and "unknown option(s) bogus_option" in bad.stderr


def test_label_names_may_be_a_list_in_python(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"text": "a", "labels": [1]}\n{"text": "b", "labels": [0, 1]}\n')
    data = load_data(tmp_path / "d.jsonl", label_names=["joy", "anger"], validation_size=0)
    assert data.labels == ["joy", "anger"] and as_sets(data) == {"d-1": {"anger"}, "d-2": {"joy", "anger"}}


def test_extra_data_joins_training_and_leaves_validation_as_it_was(tmp_path):
    examples = ROOT / "examples" / "support_tickets.csv"
    extra = tmp_path / "more.jsonl"
    extra.write_text('{"text": "charged twice again", "language": "en", "labels": ["billing"]}\n'
                     '{"text": "nothing applies here", "language": "en", "labels": []}\n', encoding="utf-8")
    plain, more = load_data(str(examples)), load_data(str(examples), extra_data=str(extra))
    assert list(more["validation"]["id"]) == list(plain["validation"]["id"])  # drawn before the extra rows join
    assert list(more["train"]["id"]) == [*plain["train"]["id"], "more-1", "more-2"]
    assert list(more["train"]["labels"])[-2:] == [[int(x == "billing") for x in plain.labels], [0] * len(plain.labels)]
    assert more.summary()["extra_rows"] == 2 and "extra rows: 2" in more.summary_table()
    extra.write_text('{"text": "a new kind", "language": "en", "labels": ["weather"]}\n', encoding="utf-8")
    (tmp_path / "labels.txt").write_text("billing\nrefund\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"support_tickets.csv, line 3, column 'labels': unknown label 'complaint'"):
        load_data(str(examples), extra_data=str(extra))  # labels.txt beside the extra rows names the labels
    columns = tmp_path / "data" / "train.csv"
    columns.parent.mkdir()
    columns.write_text("text,billing,weather\nrain all day,0,1\ncharged twice,1,0\n", encoding="utf-8")
    extra.write_text('{"text": "charged", "labels": ["billing"]}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"label 'weather' is not among the label names \(billing, refund\)"):
        load_data(str(columns), extra_data=str(extra))
