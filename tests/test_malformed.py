"""The malformed-file corpus in tests/malformed/ (and files that cannot be committed as text, written here): each
file gives a one-line error naming the file, line and column, or the right result, through the Python API and
through `python -m mlc.data`. Never a traceback, never a silent drop or merge."""

from __future__ import annotations

import gzip
import json
import warnings
from pathlib import Path

import pytest

from mlc.core import errors
from mlc.data import DataWarning, load_data

from .conftest import run_module

CORPUS = Path(__file__).with_name("malformed")

# file, options, error type, what its message must say
ERRORS = [
    ("na_labels.csv", {}, errors.MissingLabelError,
     ["na_labels.csv", "line 9", "column 'billing'", "11 such cells", "--missing-labels zero"]),
    ("minus_one.csv", {}, errors.LabelValueError, ["minus_one.csv", "line 2", "-1", "--minus-one zero"]),
    ("label_value_2.csv", {}, errors.LabelValueError, ["line 32", "column 'billing'", "'2' is not 0/1",
                                                       "1 such cell"]),
    ("blank_label.csv", {}, errors.MissingLabelError, ["line 5", "column 'billing'", "blank or NA"]),
    ("stray_quote.tsv", {}, errors.QuotingError, ["stray_quote.tsv", "line 22", "--quoting false"]),
    ("merged_rows.tsv", {}, errors.QuotingError, ["line 2", "merged rows", "--quoting false"]),
    ("quote_in_text.csv", {}, errors.QuotingError, ["line 2", "--quoting false"]),
    ("label_dict_bad.jsonl", {}, errors.LabelValueError, ["line 2", "column 'labels.billing'", "label value 2 is not 0/1"]),
    ("header_only.csv", {}, errors.DataError, ["header_only.csv", "a header line but no rows"]),
    ("headerless_no_labels.csv", {}, errors.ColumnError, ["no header line was recognised", "--header true"]),
    ("ragged.csv", {}, errors.DataError, ["line 3", "has 4 fields but the header has 3", "--bad-lines skip"]),
    ("bad_json.jsonl", {}, errors.DataError, ["line 2", "invalid JSON"]),
    ("duplicate_header.csv", {}, errors.ColumnError, ["column 'billing'", "twice"]),
    ("empty.csv", {}, errors.DataError, ["empty.csv", "no rows"]),
    ("list_na.csv", {}, errors.MissingLabelError, ["line 3", "column 'labels'", "--missing-labels"]),
    ("not_a_list.json", {}, errors.DataError, ["not_a_list.json", "list of objects"]),
    ("missing.csv", {}, errors.MissingFileError, ["missing.csv", "no such file"]),
]


@pytest.mark.parametrize("name, options, kind, parts", ERRORS, ids=[case[0] for case in ERRORS])
def test_malformed_file_is_one_clear_error(name, options, kind, parts):
    with pytest.raises(kind) as raised:
        load_data(CORPUS / name, validation_size=0, **options)
    message = str(raised.value)
    assert "\n" not in message
    for part in parts:
        assert part in message, message


@pytest.mark.parametrize("name, options, kind, parts", ERRORS, ids=[case[0] for case in ERRORS])
def test_malformed_file_through_the_cli(name, options, kind, parts):
    run = run_module("mlc.data", "--data", str(CORPUS / name), "--validation-size", "0", timeout=120)
    assert run.returncode == 2, run.stderr[-2000:]
    assert "Traceback" not in run.stderr and run.stdout == ""
    line = run.stderr.strip()
    assert line.startswith("error: ") and "\n" not in line, run.stderr
    for part in parts:
        assert part in line, line


def load(path, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return load_data(path, validation_size=0, **options)


def label_sets(data):
    return [{data.labels[j] for j, v in enumerate(row) if v} for row in data["train"]["labels"]]


def test_missing_labels_read_as_zero_or_dropped_and_counted():
    zero = load(CORPUS / "na_labels.csv", missing_labels="zero")
    assert len(zero["train"]) == 1000 and zero.labels == ["billing", "refund", "delivery"]
    assert zero.summary()["missing_labels_read_as_zero"] == 11
    dropped = load(CORPUS / "na_labels.csv", missing_labels="drop")
    assert len(dropped["train"]) == 989 and dropped.summary()["dropped_missing_labels"] == 11
    assert "dropped missing labels: 11" in dropped.summary_table()


def test_minus_one_encodings():
    zero = load(CORPUS / "minus_one.csv", minus_one="zero")
    assert zero.labels == ["billing", "refund", "delivery"] and len(zero["train"]) == 50
    raw = (CORPUS / "minus_one.csv").read_text().splitlines()[1].split(",")
    assert label_sets(zero)[0] == {label for label, v in zip(zero.labels, raw[2:], strict=True) if v == "1"}
    with pytest.raises(errors.MissingLabelError):
        load(CORPUS / "minus_one.csv", minus_one="missing")
    assert len(load(CORPUS / "minus_one.csv", minus_one="missing", missing_labels="drop")["train"]) < 50


def test_quoting_off_reads_every_line_as_one_row():
    data = load(CORPUS / "stray_quote.tsv", quoting=False)
    assert len(data["train"]) == 199
    assert data["train"]["text"][20] == '"Great product'


def test_label_dicts_are_read_as_label_to_0_or_1():
    data = load(CORPUS / "label_dict.jsonl")
    assert data.labels == ["billing", "refund", "other"]
    assert label_sets(data)[:2] == [{"refund"}, {"billing"}]
    assert data.language_labels["und"] == ["billing", "refund", "other"]


def test_a_single_0_1_column_is_one_binary_label():
    data = load(CORPUS / "binary_label.csv")
    assert data.labels == ["label"] and label_sets(data)[:2] == [set(), {"label"}]
    assert any("one binary label" in w for w in data.warnings)


def test_semicolon_csv_and_gzip(tmp_path):
    data = load(CORPUS / "semicolons.csv")
    assert data.labels == ["billing", "refund"] and data["train"]["text"][0] == "hola, qué tal"
    for suffix in (".csv.gz", ".tsv.gz", ".jsonl.gz"):
        path = tmp_path / f"data{suffix}"
        if suffix == ".jsonl.gz":
            body = "".join(json.dumps({"text": f"t{i}", "labels": ["a"] if i % 2 else []}) + "\n" for i in range(4))
        else:
            sep = "," if suffix == ".csv.gz" else "\t"
            body = sep.join(["text", "a"]) + "\n" + "".join(f"t{i}{sep}{i % 2}\n" for i in range(4))
        path.write_bytes(gzip.compress(body.encode()))
        assert label_sets(load(path)) == [set(), {"a"}, set(), {"a"}], suffix
    (tmp_path / "broken.csv.gz").write_text("text,a\nx,1\n")
    with pytest.raises(errors.DataError, match=r"broken\.csv\.gz: not a complete gzip file"):
        load(tmp_path / "broken.csv.gz")


def test_gzipped_per_language_files_take_their_language_from_the_name(tmp_path):
    for language in ("en", "es"):
        (tmp_path / f"{language}.csv.gz").write_bytes(gzip.compress(b"text,a\nx,1\ny,0\n"))
    assert load(tmp_path).languages == ["en", "es"]


def test_line_separators_inside_json_strings_stay_text():
    data = load(CORPUS / "line_separator.jsonl")
    assert list(data["train"]["raw_text"]) == ["one\u2028two\x0cthree", "b"]


def test_nul_characters_and_utf16(tmp_path):
    (tmp_path / "nul.csv").write_bytes(b"text,a\nhe\x00llo,1\nx,0\n")
    with pytest.raises(errors.DecodeError, match=r"nul.csv, line 2: holds NUL characters"):
        load(tmp_path / "nul.csv")
    (tmp_path / "wide.csv").write_bytes("text,a\nhello,1\n".encode("utf-16-le"))
    with pytest.raises(errors.DecodeError, match="utf-16"):
        load(tmp_path / "wide.csv")
    (tmp_path / "nul.jsonl").write_text('{"text": "a\\u0000b", "labels": []}\n')
    with pytest.raises(errors.DecodeError, match=r"nul.jsonl, line 1, column 'text': holds a NUL character"):
        load(tmp_path / "nul.jsonl")


def test_unreadable_files_and_folders_are_one_line(tmp_path, monkeypatch):
    path = tmp_path / "d.csv"
    path.write_text("text,a\nx,1\n")

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(errors.FileAccessError, match=r"d.csv: cannot read it: Permission denied \(hint: check"):
        load(path)
    monkeypatch.undo()

    def unlistable(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", unlistable)
    with pytest.raises(errors.FileAccessError, match="cannot list it"):
        load(tmp_path)


def test_warnings_are_one_line_per_kind(tmp_path):
    columns = [f"l{j}" for j in range(300)]
    (tmp_path / "d.csv").write_text("text," + ",".join(columns) + "\nx," + ",".join(["0"] * 299 + ["1"]) + "\n")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        load_data(tmp_path / "d.csv", validation_size=0)
    assert [str(w.message) for w in seen] == ["299 label(s) never occur in the training data: l0, l1, l2, l3, l4 "
                                              "and 294 more"]


def _duplicate_files(folder: Path) -> dict[str, Path]:
    """The same table with the column 'text' named twice, in every input format."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = {
        "csv": ("dup.csv", "text,labels,text\nfirst,a,second\n"),
        "tsv": ("dup.tsv", "text\tlabels\ttext\nfirst\ta\tsecond\n"),
        "jsonl": ("dup.jsonl", '{"text": "first", "labels": ["a"], "text": "second"}\n'),
        "json": ("dup.json", '[{"text": "first", "labels": ["a"], "text": "second"}]'),
    }
    paths = {kind: folder / name for kind, (name, _) in files.items()}
    for kind, (_, body) in files.items():
        paths[kind].write_text(body, encoding="utf-8")
    table = pa.Table.from_arrays([pa.array(["first"]), pa.array(["a"]), pa.array(["second"])],
                                 names=["text", "labels", "text"])
    paths["parquet"] = folder / "dup.parquet"
    pq.write_table(table, paths["parquet"])
    return paths


@pytest.mark.parametrize("kind", ["csv", "tsv", "jsonl", "json", "parquet"])
def test_a_column_named_twice_is_refused_in_every_format(tmp_path, kind):
    from mlc.data.args import InputArgs
    from mlc.inference.files import read_inputs

    path = _duplicate_files(tmp_path)[kind]
    with pytest.raises(errors.DataError) as training:
        load_data(str(path))
    with pytest.raises(errors.DataError) as prediction:
        read_inputs(str(path), InputArgs())
    for error in (training.value, prediction.value):
        message = str(error)
        assert path.name in message and "'text'" in message and ("twice" in message or "more than one" in message)
        assert "\n" not in message


@pytest.mark.parametrize("block", [3, 7, 16, 1 << 20])
def test_a_lone_carriage_return_is_text_at_any_offset(tmp_path, monkeypatch, block):
    """Whatever block a lone CR falls in (before the first newline included), it never splits a text; a file
    without any newline is old Mac text, split at CRs."""
    from mlc.data import readers, textfiles
    from mlc.data.textfiles import iter_lines

    monkeypatch.setattr(textfiles, "BLOCK", block)
    texts = [f"line{i} has a lone\rcarriage return" if i % 2 else f"plain line {i}" for i in range(12)]
    for prefix in ("", "\r", "x\r", "a long first line with a lone\rreturn in it"):
        lines = [prefix + texts[0], *texts[1:]]
        path = tmp_path / "texts.txt"
        path.write_bytes("\r\n".join(lines).encode("utf-8") + b"\n")
        assert list(iter_lines(path)) == lines
        table = tmp_path / "table.csv"
        table.write_bytes(("text,labels\n" + "".join(f'"{t}",a\n' for t in lines)).encode("utf-8"))
        assert [r["text"] for r in readers.read_table(table, known_columns={"text"}).rows] == lines
    path.write_bytes(b"mac one\rmac two\rmac three\r")
    assert list(iter_lines(path)) == ["mac one", "mac two", "mac three"]
