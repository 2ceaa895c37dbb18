"""`python -m mlc.predict` through its CLI."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest

from mlc import Classifier
from mlc.inference.args import thresholds_option

from .conftest import ROOT, read_csv_rectangular, run_module

TEXTS = ["My card was charged twice for the same order.", "Mi pedido llegó roto y quiero un reembolso.", "",
         "我的订单还没有到，请尽快处理。"]


def test_csv_in_csv_out_in_input_order(tiny_bundle, tmp_path):
    source = tmp_path / "in.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ticket", "message", "lang"])
        writer.writerows([[f"t{i}", text, "en"] for i, text in enumerate(TEXTS)])
    out = tmp_path / "out.csv"
    run = run_module("mlc.predict", "--model", str(tiny_bundle), "--input", str(source), "--output", str(out),
                     "--text-column", "message", "--thresholds", "0.0")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "1 empty texts (first: row 3)" in run.stderr and "wrote 4 predictions" in run.stderr
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["ticket"] for r in rows] == ["t0", "t1", "t2", "t3"]
    classifier = Classifier.load(tiny_bundle)
    # The file's lang column ("en" on every row, even the Spanish and Chinese ones) picks the n-gram model.
    expected = classifier.predict_proba([TEXTS[0], TEXTS[1], TEXTS[3]], languages=["en"] * 3)
    assert not np.allclose(expected, classifier.predict_proba([TEXTS[0], TEXTS[1], TEXTS[3]]), atol=1e-5)
    got = np.array([[float(rows[i][f"p_{label}"]) for label in classifier.labels] for i in (0, 1, 3)])
    assert np.allclose(got, expected, atol=1e-5)
    assert rows[2]["predicted_labels"] == "" and rows[2][f"p_{classifier.labels[0]}"] == ""
    assert set(rows[0]["predicted_labels"].split("|")) == set(classifier.labels)  # threshold 0 takes every label


def test_stdin_to_jsonl_stdout_and_windows(tiny_bundle, tmp_path):
    import subprocess
    import sys

    from .conftest import ROOT

    long_text = " ".join(TEXTS * 8)
    run = subprocess.run([sys.executable, "-m", "mlc.predict", "--model", str(tiny_bundle), "--input", "-",
                          "--output", "-", "--long-text", "window", "--stride", "8", "--progress", "false"],
                         input=f"{TEXTS[0]}\n{long_text}\n", capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["text"] for line in lines] == [TEXTS[0], long_text]
    expected = Classifier.load(tiny_bundle).predict_proba([long_text], long_text="window", stride=8)[0]
    assert np.allclose(list(lines[1]["predicted_scores"].values()), expected, atol=1e-5)

    jsonl = tmp_path / "out.jsonl"
    (tmp_path / "in.txt").write_text("\n".join(TEXTS[:2]), encoding="utf-8")
    run = run_module("mlc.predict", "--model", str(tiny_bundle), "--input", str(tmp_path / "in.txt"), "--output",
                     str(jsonl))
    assert run.returncode == 0, run.stderr[-2000:]
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    classifier = Classifier.load(tiny_bundle)
    assert lines == [{"text": text, "predicted_labels": result["labels"], "predicted_scores": result["scores"]}
                     for text, result in zip(TEXTS[:2], classifier.predict(TEXTS[:2]), strict=True)]


def test_bad_inputs_exit_2(tiny_bundle, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("a,b\n1,2\n", encoding="utf-8")
    run = run_module("mlc.predict", "--model", str(tiny_bundle), "--input", str(source), "--output",
                     str(tmp_path / "o.csv"))
    assert run.returncode == 2 and "in.csv" in run.stderr and "no text column" in run.stderr
    assert "Traceback" not in run.stderr
    run = run_module("mlc.predict", "--model", str(tiny_bundle), "--input", str(tmp_path / "none.csv"), "--output",
                     str(tmp_path / "o.csv"))
    assert run.returncode == 2 and "none.csv" in run.stderr
    run = run_module("mlc.predict", "--model", str(tiny_bundle), "--input", str(source), "--output",
                     str(tmp_path / "o.xlsx"), "--text-column", "a")
    assert run.returncode == 2 and ".csv, .jsonl or .parquet" in run.stderr
    assert not (tmp_path / "o.csv").exists()


CORPUS = ROOT / "tests" / "malformed"


def predict(bundle, *args):
    return run_module("mlc.predict", "--model", str(bundle), "--progress", "false", *args)


def test_the_input_is_never_the_output(tiny_bundle, tmp_path):
    gold = tmp_path / "gold.jsonl"
    shutil.copy(CORPUS / "gold.jsonl", gold)
    before = gold.read_bytes()
    for extra in ([], ["--overwrite"]):
        run = predict(tiny_bundle, "--input", str(gold), "--output", str(tmp_path / "." / "gold.jsonl"), *extra)
        assert run.returncode == 2 and "is the input" in run.stderr and "Traceback" not in run.stderr
    assert gold.read_bytes() == before


def test_jsonl_keeps_every_input_field(tiny_bundle, tmp_path):
    out = tmp_path / "out.jsonl"
    run = predict(tiny_bundle, "--input", str(CORPUS / "gold.jsonl"), "--output", str(out))
    assert run.returncode == 0, run.stderr[-2000:]
    source = [json.loads(line) for line in (CORPUS / "gold.jsonl").read_text("utf-8").splitlines()]
    written = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    labels = Classifier.load(tiny_bundle).labels
    for before, after in zip(source, written, strict=True):
        assert {k: after[k] for k in before} == before  # gold labels and scores untouched
        assert set(after) == {*before, "predicted_labels", "predicted_scores"}
        assert list(after["predicted_scores"]) == labels


def test_an_existing_output_needs_overwrite(tiny_bundle, tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("precious\n")
    run = predict(tiny_bundle, "--input", str(CORPUS / "gold.jsonl"), "--output", str(out))
    assert run.returncode == 2 and "exists already" in run.stderr and "--overwrite" in run.stderr
    assert out.read_text() == "precious\n"
    run = predict(tiny_bundle, "--input", str(CORPUS / "gold.jsonl"), "--output", str(out), "--overwrite")
    assert run.returncode == 0, run.stderr[-2000:]
    gold = [json.loads(line) for line in (CORPUS / "gold.jsonl").read_text("utf-8").splitlines() if line.strip()]
    assert [row["text"] for row in read_csv_rectangular(out)] == [record["text"] for record in gold]


def test_an_earlier_prediction_is_replaced_as_a_whole(tiny_bundle, tmp_path):
    out = tmp_path / "again.csv"
    run = predict(tiny_bundle, "--input", str(CORPUS / "earlier_prediction.csv"), "--output", str(out))
    assert run.returncode == 0, run.stderr[-2000:]
    assert "its fields were replaced: predicted_labels, p_billing, p_refund" in run.stderr
    rows = read_csv_rectangular(out)
    labels = Classifier.load(tiny_bundle).labels
    assert list(rows[0]) == ["id", "text", "true_labels", "predicted_labels", *[f"p_{x}" for x in labels]]
    assert rows[0]["true_labels"] == "billing" and rows[0]["p_billing"] != "0.9"
    again = tmp_path / "third.csv"  # a prediction of a prediction is as wide as the first
    assert predict(tiny_bundle, "--input", str(out), "--output", str(again)).returncode == 0
    assert list(read_csv_rectangular(again)[0]) == list(rows[0])


def test_an_input_column_named_like_a_prediction_field_is_refused(tiny_bundle, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("text,p_billing\nhello,my own column\n", encoding="utf-8")
    run = predict(tiny_bundle, "--input", str(source), "--output", str(tmp_path / "o.csv"))
    assert run.returncode == 2 and "'p_billing'" in run.stderr and "rename" in run.stderr
    assert not (tmp_path / "o.csv").exists()


def test_output_problems_are_found_before_the_model_is_loaded(tmp_path):
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "file").write_text("x")
    cases = [(tmp_path / "folder.csv", "is a folder"), (tmp_path / "file" / "sub" / "o.csv", "is a file"),
             (tmp_path / "o.xlsx", ".csv, .jsonl or .parquet")]
    for output, message in cases:
        # The bundle does not exist: only an output checked first can give this error.
        run = predict(tmp_path / "no-bundle", "--input", str(CORPUS / "gold.jsonl"), "--output", str(output))
        assert run.returncode == 2 and message in run.stderr, run.stderr
        assert "Traceback" not in run.stderr and "no-bundle" not in run.stderr


@pytest.mark.parametrize("spec, message", [
    ("1.5", "--thresholds must be a number in [0, 1], got 1.5"), ("-3", "got -3.0"), ("nan", "got nan"),
    ("inf", "got inf"),
    (str(CORPUS / "thresholds_out_of_range.json"), "the threshold of 'billing' must be a number in [0, 1], got 7"),
    (str(CORPUS / "thresholds_not_number.json"), "got 'high'"),
    (str(CORPUS / "thresholds_null.json"), "holds null, not thresholds"),
])
def test_thresholds_are_checked(tiny_bundle, tmp_path, spec, message):
    run = predict(tiny_bundle, "--input", str(CORPUS / "gold.jsonl"), "--output", str(tmp_path / "o.csv"),
                  "--thresholds", spec)
    assert run.returncode == 2 and message in run.stderr, run.stderr[-2000:]
    assert "Traceback" not in run.stderr and not (tmp_path / "o.csv").exists()


def test_gzip_and_text_inputs(tiny_bundle, tmp_path):
    import gzip

    source = tmp_path / "in.txt.gz"
    source.write_bytes(gzip.compress("first\u2028still first\nsecond\n".encode()))
    out = tmp_path / "o.jsonl"
    assert predict(tiny_bundle, "--input", str(source), "--output", str(out)).returncode == 0
    lines = out.read_text("utf-8").split("\n")[:-1]
    assert [json.loads(x)["text"] for x in lines] == ["first\u2028still first", "second"]


def test_bundle_thresholds_follow_each_rows_language(tiny_bundle, tmp_path):
    saved = json.loads((tiny_bundle / "thresholds.json").read_text("utf-8"))["per_language"]
    out = tmp_path / "o.csv"  # 1,042 tickets in 8 languages, each with its language column
    run = predict(tiny_bundle, "--input", str(ROOT / "examples" / "support_tickets.csv"), "--output", str(out))
    assert run.returncode == 0, run.stderr[-2000:]
    labels = Classifier.load(tiny_bundle).labels
    for row in read_csv_rectangular(out):
        own = saved[row["language"]]
        expected = {label for label in labels if float(row[f"p_{label}"]) >= own[label]}
        assert set(row["predicted_labels"].split("|")) - {""} == expected  # scores are written exactly


def test_a_thresholds_file_overrides_its_labels_and_leaves_the_others_per_language(tiny_bundle, tmp_path):
    """One rule everywhere: the file's value for its label in every language; each other label keeps its
    language's tuned threshold (the CLI, the Python API and evaluate's decisions agree)."""
    saved = json.loads((tiny_bundle / "thresholds.json").read_text("utf-8"))["per_language"]
    classifier = Classifier.load(tiny_bundle)
    named = classifier.labels[0]
    spec = tmp_path / "t.json"
    spec.write_text(json.dumps({named: 0.37}), encoding="utf-8")
    out = tmp_path / "o.csv"
    run = predict(tiny_bundle, "--input", str(ROOT / "examples" / "support_tickets.csv"), "--output", str(out),
                  "--thresholds", str(spec))
    assert run.returncode == 0, run.stderr[-2000:]
    rows = read_csv_rectangular(out)
    languages = [row["language"] for row in rows]
    probs = np.array([[float(row[f"p_{label}"]) for label in classifier.labels] for row in rows])
    for row, scores in zip(rows, probs, strict=True):
        own = {**saved[row["language"]], named: 0.37}
        expected = {label for label, p in zip(classifier.labels, scores, strict=True) if p >= own[label]}
        assert set(row["predicted_labels"].split("|")) - {""} == expected
    api = classifier.decide(probs, thresholds_option(str(spec), classifier), languages)
    assert api.tolist() == [[int(label in row["predicted_labels"].split("|")) for label in classifier.labels]
                            for row in rows]


def test_stdin_into_an_output_file_is_the_same_job(tiny_bundle, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "o.csv"
    run = subprocess.run([sys.executable, "-m", "mlc.predict", "--model", str(tiny_bundle), "--input", "-",
                          "--output", str(out), "--progress", "false"], input="\n".join(TEXTS) + "\n",
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert [row["text"] for row in read_csv_rectangular(out)] == TEXTS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.csv"]  # the spooled input is gone
