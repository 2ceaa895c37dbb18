"""`python -m mlc.predict` through its CLI."""

from __future__ import annotations

import csv
import json

import numpy as np

from mlc import Classifier

from .conftest import run_module

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
    assert run.returncode == 0 and len(jsonl.read_text(encoding="utf-8").splitlines()) == 2


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
    assert run.returncode == 2 and ".csv or .jsonl" in run.stderr
    assert not (tmp_path / "o.csv").exists()
