"""`mlc.train --refit`: the first run chooses thresholds, n-gram weights and epochs on the validation rows; the
shipped model is trained again on train + validation with those choices."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from mlc import Classifier
from mlc.commands.train import fit
from mlc.data import load_data
from mlc.model.ngrams import NGRAMS_DIR, NgramModel
from mlc.training.args import TrainArgs
from mlc.training.trainer import Trainer

from .conftest import ROOT, run_module

MARKER = "zqxvalidationonly"  # a word that occurs in the validation file alone


@pytest.fixture(scope="module")
def split_files(tmp_path_factory):
    """support_tickets.csv as a train file and a validation file (every 8th row), the validation texts marked."""
    folder = tmp_path_factory.mktemp("refit-data")
    with (ROOT / "examples" / "support_tickets.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    validation = [{**row, "text": f"{row['text']} {MARKER}"} for row in rows[::8]]
    for name, part in (("train.csv", [r for i, r in enumerate(rows) if i % 8]), ("validation.csv", validation)):
        with (folder / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(part)
    return folder


def options(split_files, tiny_model_dir, output, **extra) -> TrainArgs:
    settings = dict(schedule="joint", epochs=1, batch_size=16, max_length=32, learning_rate=1e-3,
                    freeze_embeddings=False, blend="per-language", blend_shrinkage=20)
    return TrainArgs(data=str(split_files / "train.csv"), validation=str(split_files / "validation.csv"),
                     model=str(tiny_model_dir), output=str(output), **{**settings, **extra})


@pytest.fixture(scope="module")
def bundles(split_files, tiny_model_dir, tmp_path_factory):
    """The same run without and with --refit (same seed: the refit's first run is the plain run)."""
    folder = tmp_path_factory.mktemp("refit")
    fit(options(split_files, tiny_model_dir, folder / "plain"))
    fit(options(split_files, tiny_model_dir, folder / "refit", refit="all", export="onnx"))
    return folder / "plain", folder / "refit"


def test_the_refit_trains_on_the_union_of_rows(bundles, split_files):
    plain, refit = bundles
    data = load_data(str(split_files / "train.csv"), validation=str(split_files / "validation.csv"))
    train, validation = len(data["train"]), len(data["validation"])
    record = json.loads((refit / "metrics.json").read_text("utf-8"))
    assert record["refit"]["rows"] == train + validation and record["refit"]["trained_on"] == "train+validation"
    assert record["steps"] == math.ceil((train + validation) / 16)  # one epoch of the union
    assert record["refit"]["first_run"]["steps"] == math.ceil(train / 16)
    # The validation file's word is in the refit's n-gram vocabulary, not in the first run's.
    vocabulary = {name: {w for m in NgramModel.load(b).models.values() for w in m.words.get_feature_names_out()}
                  for name, b in (("plain", plain), ("refit", refit))}
    assert MARKER in vocabulary["refit"] and MARKER not in vocabulary["plain"]
    assert not (refit.parent / "refit.before-refit").exists()  # the first run's folder is gone


def test_the_refit_keeps_the_first_runs_choices(bundles):
    plain, refit = bundles
    first, final = (json.loads((b / "thresholds.json").read_text("utf-8")) for b in bundles)
    assert final["per_language"] == first["per_language"] and final["per_label"] == first["per_label"]
    assert final["source"] == f"{first['source']}, before the refit on those rows"
    weights = [json.loads((b / NGRAMS_DIR / "index.json").read_text("utf-8")) for b in bundles]
    assert weights[1]["language_weights"] == weights[0]["language_weights"] and weights[0]["language_weights"]
    assert weights[1]["weight"] == weights[0]["weight"]
    assert (refit / "evaluation" / "report.md").read_text("utf-8") == (plain / "evaluation" / "report.md").read_text(
        "utf-8")
    assert "Refitted" in (refit / "README.md").read_text("utf-8")
    texts = ["My card was charged twice.", "Mi pedido llegó roto."]
    scores = [Classifier.load(b, backend="torch", precision="fp32").predict_proba(texts, ngrams=False)
              for b in bundles]
    assert not np.allclose(scores[0], scores[1], atol=1e-4)  # the encoder was trained again


def test_evaluate_knows_the_refit_trained_on_the_validation_texts(bundles, split_files):
    run = run_module("mlc.evaluate", "--model", str(bundles[1]), "--data", str(split_files / "validation.csv"),
                     "--backend", "torch", timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "texts the bundle was trained on" in run.stdout + run.stderr


def test_a_refit_bundle_scores_the_same_through_onnx(bundles):
    texts = ["My card was charged twice.", "Mi pedido llegó roto.", "我的订单还没有到"]
    torch_scores = Classifier.load(bundles[1], backend="torch", device="cpu", precision="fp32").predict_proba(texts)
    onnx_scores = Classifier.load(bundles[1], backend="onnx-fp32").predict_proba(texts)
    assert onnx_scores == pytest.approx(torch_scores, abs=1e-4)


def test_a_stage_trains_the_epochs_it_is_given(split_files, tiny_model_dir, tmp_path):
    """What a refit repeats: the epochs recorded per stage, and a stage told to train 0.5 epochs does."""
    args = options(split_files, tiny_model_dir, tmp_path / "b", blend="global", eval_steps=5,
                   early_stopping_patience=1, epochs=3)
    trainer = Trainer(args)
    result = trainer.train()
    per_epoch = math.ceil(len(trainer.data["train"]) / 16)
    best = result.choices["joint"] * per_epoch  # batches to the best evaluation, which came every 5 steps
    assert best == pytest.approx(round(best)) and round(best) % 5 == 0 and 0 < best < 3 * per_epoch
    plain = replace(args, eval_steps=0, early_stopping_patience=0)
    assert Trainer(plain).train().choices == {"joint": 3.0}
    half = Trainer(plain, stage_epochs={"joint": 0.5}).train()
    assert half.steps == round(per_epoch * 0.5)


def test_refit_ngrams_refits_the_ngram_model_alone(bundles, split_files, tiny_model_dir, tmp_path):
    plain = bundles[0]
    fit(options(split_files, tiny_model_dir, tmp_path / "b", refit="ngrams"))
    bundle = tmp_path / "b"
    record = json.loads((bundle / "metrics.json").read_text("utf-8"))["refit"]
    assert record["what"] == "ngrams" and record["trained_on"] == "train+validation"
    words = {w for m in NgramModel.load(bundle).models.values() for w in m.words.get_feature_names_out()}
    assert MARKER in words  # fitted on the validation rows too
    texts = ["My card was charged twice.", "Mi pedido llegó roto."]
    encoders = [Classifier.load(b, backend="torch", precision="fp32").predict_proba(texts, ngrams=False)
                for b in (plain, bundle)]
    assert encoders[0] == pytest.approx(encoders[1], abs=1e-6)  # the encoder is the first run's
    for name in ("thresholds.json", f"{NGRAMS_DIR}/index.json"):
        first, final = (json.loads((b / name).read_text("utf-8")) for b in (plain, bundle))
        keys = ("per_language", "per_label") if name == "thresholds.json" else ("weight", "language_weights")
        assert all(final[key] == first[key] for key in keys)  # chosen before the refit, on unseen rows
    run = run_module("mlc.evaluate", "--model", str(bundle), "--data", str(split_files / "validation.csv"),
                     "--backend", "torch", timeout=300)
    assert run.returncode == 0 and "texts the bundle was trained on" in run.stdout + run.stderr


def test_head_only_refit_repeats_the_chosen_regularisation(split_files, tiny_model_dir, tmp_path):
    fit(options(split_files, tiny_model_dir, tmp_path / "plain", mode="head-only", blend="global"))
    fit(options(split_files, tiny_model_dir, tmp_path / "refit", mode="head-only", blend="global", refit="all"))
    plain, refit = (json.loads((tmp_path / name / "metrics.json").read_text("utf-8")) for name in ("plain", "refit"))
    assert refit["choices"] == plain["choices"] and set(plain["choices"]) == {"C"}
    assert refit["refit"]["rows"] > len(load_data(str(split_files / "train.csv"))["train"])


@pytest.mark.parametrize("extra", [["--validation-size", "0", "--refit", "all"], ["--ngram-weight", "0", "--refit",
                                                                                "ngrams"]])
def test_refit_without_what_it_needs_is_refused_before_training(tiny_model_dir, tmp_path, extra):
    run = run_module("mlc.train", "--data", str(ROOT / "examples" / "support_tickets.csv"), "--model",
                     str(tiny_model_dir), "--output", str(tmp_path / "b"), *extra)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines()[-1].startswith(f"error: --refit {extra[-1]}")
    assert not (tmp_path / "b").exists() and not (tmp_path / "b.before-refit").exists()


def test_a_resumed_refit_reuses_its_first_run_only_with_the_same_options_and_data(split_files, tiny_model_dir,
                                                                                   tmp_path):
    import shutil

    from mlc.core.errors import ConfigError

    files = Path(shutil.copytree(split_files, tmp_path / "data"))
    output = tmp_path / "b"
    first = options(files, tiny_model_dir, f"{output}.before-refit", mode="head-only", blend="global",
                    export="none", overwrite=True)
    fit(first)
    with pytest.raises(ConfigError, match="other dropout"):
        fit(options(files, tiny_model_dir, output, mode="head-only", blend="global", refit="all", resume=True,
                    dropout=0.2))
    original = (files / "train.csv").read_bytes()
    (files / "train.csv").write_bytes(original.replace(b"order", b"parcel", 1))
    with pytest.raises(ConfigError, match="other data files"):
        fit(options(files, tiny_model_dir, output, mode="head-only", blend="global", refit="all", resume=True))
    (files / "train.csv").write_bytes(original)
    fit(options(files, tiny_model_dir, output, mode="head-only", blend="global", refit="all", resume=True))
    assert json.loads((output / "metrics.json").read_text("utf-8"))["refit"]["what"] == "all"
    assert not (tmp_path / "b.before-refit").exists()


def test_an_existing_first_run_folder_is_refused_without_resume_or_overwrite(split_files, tiny_model_dir, tmp_path):
    from mlc.core.errors import OutputError

    kept = tmp_path / "b.before-refit"
    kept.mkdir()
    (kept / "notes.txt").write_text("not mlc's", encoding="utf-8")
    with pytest.raises(OutputError, match=r"--refit all's first run .*b\.before-refit: exists already"):
        fit(options(split_files, tiny_model_dir, tmp_path / "b", mode="head-only", refit="all"))
    assert [p.name for p in kept.iterdir()] == ["notes.txt"] and not (tmp_path / "b").exists()
