"""`python -m mlc.evaluate` through its CLI, on a tiny bundle and on BRIGHTER dev."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
from sklearn.metrics import f1_score

from .conftest import ROOT, read_csv_rectangular, run_module

TICKETS = "examples/support_tickets.csv"


def test_outputs_and_numbers_agree_with_the_predictions(tiny_bundle, tmp_path):
    out = tmp_path / "eval"
    run = run_module("mlc.evaluate", "--model", str(tiny_bundle), "--data", TICKETS, "--output", str(out),
                     "--report-format", "json", "--bootstrap", "100")
    assert run.returncode == 0, run.stderr[-3000:]
    metrics = json.loads(run.stdout)
    assert {p.name for p in out.iterdir()} == {"metrics.json", "report.md", "predictions.csv", "plots"}
    assert {p.name for p in (out / "plots").iterdir()} == {"f1_language_label.png", "precision_recall.png",
                                                           "f1_threshold.png"}
    assert json.loads((out / "metrics.json").read_text()) == metrics
    assert metrics["split"] == "train" and metrics["rows"] == 1042  # one file, scored whole
    labels = metrics["labels"]
    rows = read_csv_rectangular(out / "predictions.csv")
    truth = np.array([[label in r["true_labels"].split("|") for label in labels] for r in rows], dtype=int)
    pred = np.array([[label in r["predicted_labels"].split("|") for label in labels] for r in rows], dtype=int)
    summary = metrics["overall"]["summary"]
    assert summary["micro_f1"] == pytest.approx(f1_score(truth, pred, average="micro", zero_division=0), abs=1e-9)
    assert summary["macro_f1"] == pytest.approx(f1_score(truth, pred, average="macro", zero_division=0), abs=1e-9)
    low, high = metrics["bootstrap"]["micro_f1"]
    assert low <= summary["micro_f1"] <= high
    assert set(metrics["languages"]) == {"ar", "de", "en", "es", "fr", "hi", "ru", "zh"}
    # The bundle tuned thresholds per language: each row is decided by its language's, each language's table
    # reports them, and the pooled table reports none (they differ between languages).
    tuned = json.loads((tiny_bundle / "thresholds.json").read_text())["per_language"]
    probs = np.array([[float(r[f"p_{label}"]) for label in labels] for r in rows])
    own = np.array([[tuned[r["language"]][label] for label in labels] for r in rows])
    # Scores and thresholds are written exactly: re-deciding from the files gives every decision back, even for the
    # scores that thresholds tuned on these rows sit next to.
    assert (pred == (probs >= own)).all()
    for lang, values in tuned.items():
        assert {label: m["threshold"] for label, m in metrics["languages"][lang]["per_label"].items()} == \
            pytest.approx(values, abs=1e-6)
    assert metrics["overall"]["per_label"][labels[0]]["threshold"] is None
    report = (out / "report.md").read_text()
    assert "## Per language" in report and "![f1_language_label](plots/f1_language_label.png)" in report
    # These rows are the bundle's own training and threshold-tuning texts: said, not passed off as a test score.
    seen = metrics["seen_in_bundle"]
    assert seen["train"] >= 900 and seen["tuning"] >= 100 and seen["train"] + seen["tuning"] == 1042
    assert f"{seen['train']} of 1042 rows are texts the bundle was trained on" in run.stderr
    assert "optimistic" in report

    table = run_module("mlc.evaluate", "--model", str(tiny_bundle), "--data", TICKETS, "--thresholds", "0.5",
                       "--bootstrap", "0", "--plots", "false")
    assert table.returncode == 0 and "PER LABEL" in table.stdout and "thresholds: 0.5" in table.stdout


def test_unseen_texts_raise_no_warning_and_old_bundles_still_evaluate(tiny_bundle, tmp_path):
    fresh = tmp_path / "fresh.csv"
    fresh.write_text("text,labels\nThe parcel came two weeks late and nobody answered my emails.,delivery|complaint\n"
                     "\"Merci, le support a été parfait !\",praise\n", encoding="utf-8")
    run = run_module("mlc.evaluate", "--model", str(tiny_bundle), "--data", str(fresh), "--report-format", "json",
                     "--bootstrap", "0", "--plots", "false")
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads(run.stdout)["seen_in_bundle"] == {"train": 0, "tuning": 0} and "warning" not in run.stderr
    old = tmp_path / "old-bundle"
    shutil.copytree(tiny_bundle, old)
    (old / "text_hashes.npz").unlink()  # bundles written before the hashes were kept
    run = run_module("mlc.evaluate", "--model", str(old), "--data", TICKETS, "--report-format", "json",
                     "--bootstrap", "0", "--plots", "false")
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads(run.stdout)["seen_in_bundle"] is None


def test_tune_thresholds_writes_the_bundle_atomically(tiny_bundle, tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    before = json.loads((bundle / "thresholds.json").read_text())
    run = run_module("mlc.evaluate", "--model", str(bundle), "--data", TICKETS, "--tune-thresholds",
                     "--report-format", "json", "--bootstrap", "0", "--plots", "false")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "threshold tuning" in run.stderr and "before" in run.stderr
    after = json.loads((bundle / "thresholds.json").read_text())
    assert json.loads((bundle / "thresholds.previous.json").read_text()) == before
    assert after["per_label"] != before["per_label"] and "tuned (f1)" in after["source"]
    metrics = json.loads(run.stdout)
    # Per-label F1 tuning maximises pooled macro-F1 among per-label thresholds, 0.5 for all among them.
    reference = run_module("mlc.evaluate", "--model", str(tiny_bundle), "--data", TICKETS, "--report-format", "json",
                           "--bootstrap", "0", "--plots", "false", "--thresholds", "0.5")
    old = json.loads(reference.stdout)
    assert metrics["overall"]["summary"]["macro_f1"] >= old["overall"]["summary"]["macro_f1"]

    per_language = run_module("mlc.evaluate", "--model", str(bundle), "--data", TICKETS, "--tune-thresholds",
                              "--tune-objective", "per-language-f1", "--report-format", "json", "--bootstrap", "0",
                              "--plots", "false")
    assert per_language.returncode == 0, per_language.stderr[-3000:]
    saved = json.loads((bundle / "thresholds.json").read_text())
    assert set(saved["per_language"]) == {"en", "es", "de", "fr", "ar", "zh", "hi", "ru"}
    by_language = json.loads(per_language.stdout)["languages"]
    for lang, values in saved["per_language"].items():  # each language's report shows its own thresholds
        assert {label: m["threshold"] for label, m in by_language[lang]["per_label"].items()} == pytest.approx(values, abs=1e-6)

    precise = run_module("mlc.evaluate", "--model", str(bundle), "--data", TICKETS, "--tune-thresholds",
                         "--tune-objective", "precision", "--target", "0.6", "--report-format", "json",
                         "--bootstrap", "0", "--plots", "false")
    assert precise.returncode == 0, precise.stderr[-3000:]
    missed = re.search(r"out of reach for (.+?); they keep their threshold", precise.stderr)
    unreachable = set(missed.group(1).split(", ")) if missed else set()
    reached = {label: m for label, m in json.loads(precise.stdout)["overall"]["per_label"].items()
               if label not in unreachable}
    assert reached and all(m["precision"] >= 0.6 for m in reached.values()), (unreachable, reached)


def test_bad_inputs_exit_2_with_a_clear_line(tiny_bundle, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("text,labels\nhello,joy\nworld,anger|billing\n", encoding="utf-8")
    run = run_module("mlc.evaluate", "--model", str(tiny_bundle), "--data", str(other), "--label-column", "labels")
    assert run.returncode == 2 and "labels the bundle does not know: anger, joy" in run.stderr
    assert "Traceback" not in run.stderr
    missing = run_module("mlc.evaluate", "--model", str(tmp_path / "nope"), "--data", TICKETS)
    assert missing.returncode == 2 and "no such bundle folder" in missing.stderr
    split = run_module("mlc.evaluate", "--model", str(tiny_bundle), "--data", TICKETS, "--split", "test")
    assert split.returncode == 2 and "--split test: the data has only train" in split.stderr


@pytest.fixture(scope="module")
def brighter_bundle(shared_data, tiny_model_dir, tmp_path_factory):
    from mlc.commands.train import fit
    from mlc.training.args import TrainArgs

    root = tmp_path_factory.mktemp("brighter")
    (root / "train").mkdir()
    for lang in ("eng", "deu"):
        (root / "train" / f"{lang}.csv").symlink_to(shared_data / "brighter" / "train" / f"{lang}.csv")
    fit(TrainArgs(data=str(root / "train"), model=str(tiny_model_dir), output=str(root / "bundle"),
                    schedule="joint", max_steps=10, max_length=32))
    return root / "bundle"


def test_brighter_dev_per_language_labels(shared_data, brighter_bundle, tmp_path):
    """English is annotated without `disgust`: it must be n/a there, and counted for German."""
    dev = shared_data / "brighter" / "dev"
    data = tmp_path / "dev"
    data.mkdir()
    for lang in ("eng", "deu"):
        (data / f"{lang}.csv").symlink_to(dev / f"{lang}.csv")
    run = run_module("mlc.evaluate", "--model", str(brighter_bundle), "--data", str(data), "--report-format",
                     "json", "--bootstrap", "0", "--plots", "false")
    assert run.returncode == 0, run.stderr[-3000:]
    metrics = json.loads(run.stdout)
    assert metrics["language_label_f1"]["eng"].get("disgust") is None
    assert metrics["languages"]["eng"]["summary"]["labels"] == 5
    assert metrics["languages"]["deu"]["summary"]["rows"] > 0


def test_two_processes_under_torchrun_share_the_scoring_and_report_once(tiny_bundle):
    """Each process scores every other chunk; both get every row's scores, process 0 alone reports: the metrics of
    one process exactly."""
    import os
    import subprocess
    import sys

    options = ["--model", str(tiny_bundle), "--data", TICKETS, "--report-format", "json", "--bootstrap", "50",
               "--chunk-rows", "100", "--threads", "1"]
    single = run_module("mlc.evaluate", *options, env={"OMP_NUM_THREADS": "1"})
    assert single.returncode == 0, single.stderr[-3000:]
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                          "-m", "mlc.evaluate", *options], cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads(run.stdout) == json.loads(single.stdout)  # one report, the same numbers
    assert run.stderr.count("rows are texts the bundle was trained on") == 1


def test_tuning_on_some_languages_keeps_what_it_cannot_tune(tiny_bundle, tmp_path):
    """per-language-f1 on English rows alone: English gets new thresholds; every other language keeps its table;
    a label with no English positive keeps its English threshold. Said on stderr."""
    import csv

    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    before = json.loads((bundle / "thresholds.json").read_text())
    with open(TICKETS, encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["language"] == "en"]
    dropped = rows[0]["labels"].split("|")[0]  # a label that these rows will have no positive of
    english = [row for row in rows if dropped not in row["labels"].split("|")]
    path = tmp_path / "en.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(english[0]))
        writer.writeheader()
        writer.writerows(english)
    for objective in ("per-language-f1", "f1"):
        run = run_module("mlc.evaluate", "--model", str(bundle), "--data", str(path), "--tune-thresholds",
                         "--tune-objective", objective, "--bootstrap", "0", "--plots", "false")
        assert run.returncode == 0, run.stderr[-3000:]
        after = json.loads((bundle / "thresholds.json").read_text())
        assert set(after["per_language"]) == set(before["per_language"])
        for language, values in before["per_language"].items():
            if language != "en":
                assert after["per_language"][language] == values  # exactly: no rows, no change
        assert after["per_language"]["en"][dropped] == before["per_language"]["en"][dropped]
        assert re.search(rf"no positive example of [^;]*\b{dropped}\b[^;]*; they keep their thresholds", run.stderr)
        assert "no rows in ar, de, es, fr, hi, ru, zh; these languages keep their thresholds" in run.stderr
        shutil.copy(bundle / "thresholds.previous.json", bundle / "thresholds.json")


@pytest.mark.parametrize("target", ["0", "1.5", "-0.2"])
def test_a_target_outside_0_1_is_refused_before_scoring(tiny_bundle, target):
    run = run_module("mlc.evaluate", "--model", str(tiny_bundle), "--data", TICKETS, "--tune-thresholds",
                     "--tune-objective", "precision", "--target", target)
    assert run.returncode == 2 and f"--target must be more than 0 and at most 1, got {float(target)}" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
