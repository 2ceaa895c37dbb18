"""Per-language blend weights (mlc.metrics.blend, `mlc.train --blend per-language`): chosen where each member ranks
best, shrunk towards the pooled weight, recorded in the bundle, and applied the same way by every backend."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from mlc import Classifier
from mlc.commands.train import fit
from mlc.core.errors import OutputError
from mlc.metrics.blend import language_weights
from mlc.model.ngrams import NGRAMS_DIR, mix
from mlc.training.args import TrainArgs

from .conftest import ROOT, run_module


def test_each_language_takes_the_member_that_ranks_its_rows_and_small_ones_stay_near_the_pool():
    """Language a: the n-gram scores order its rows right and the encoder's backwards; b: the reverse. c has 5 rows
    that favour the n-grams: with shrinkage 100 its weight stays near the pooled one."""
    rng = np.random.default_rng(0)
    sizes = {"a": 200, "b": 300, "c": 5}
    languages = np.repeat(list(sizes), list(sizes.values()))
    truth = (rng.random((len(languages), 2)) < 0.4).astype(np.int8)
    truth[:2, :] = [[1, 1], [0, 0]]  # every language holds both classes
    truth[200:202, :], truth[500:502, :] = [[1, 1], [0, 0]], [[1, 1], [0, 0]]
    good, bad = truth * 0.6 + 0.2, 0.8 - truth * 0.6
    ngrams = np.where((languages != "b")[:, None], good, bad)
    encoder = np.where((languages == "b")[:, None], good, bad)
    def blend(w: float) -> np.ndarray:
        return mix(encoder, ngrams, w)

    pooled, weights = language_weights(blend, truth, np.ones_like(truth), languages, shrinkage=100.0)
    own = language_weights(blend, truth, np.ones_like(truth), languages, shrinkage=1e-9)[1]
    assert own["a"] > 0.5 and own["c"] > 0.5 and own["b"] < 0.5  # where the n-grams rank right, and where not
    assert pooled > 0.5  # a and c outnumber b in the mean over languages
    for lang, n in sizes.items():
        assert weights[lang] == pytest.approx((n * own[lang] + 100 * pooled) / (n + 100), abs=1e-4)
    assert abs(weights["c"] - pooled) < 0.05 < abs(weights["b"] - pooled)  # 5 rows barely move c


@pytest.fixture(scope="module")
def per_language(tiny_model_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("blend") / "bundle"
    fit(TrainArgs(data=str(ROOT / "examples" / "support_tickets.csv"), model=str(tiny_model_dir), output=str(folder),
                  schedule="joint", max_steps=20, batch_size=16, max_length=32, learning_rate=1e-3,
                  freeze_embeddings=False, blend="per-language", blend_shrinkage=20))
    return folder


def test_the_bundle_records_its_weights_and_scores_by_that_formula(per_language):
    index = json.loads((per_language / NGRAMS_DIR / "index.json").read_text("utf-8"))
    clf = Classifier.load(per_language)
    assert set(index["language_weights"]) == set(clf.ngrams.models) == set(clf.languages)
    assert all(0 <= w <= 1 for w in index["language_weights"].values()) and 0 <= index["weight"] <= 1
    assert len(set(index["language_weights"].values())) > 1  # the languages did not all end up alike
    texts = ["My card was charged twice.", "Mi pedido llegó roto.", "我的订单还没有到", "Mon colis est en retard."]
    languages = ["en", "es", "zh", "fr"]
    encoder = clf.predict_proba(texts, languages=languages, ngrams=False)
    ngrams = clf.ngrams.predict_proba(texts, languages)
    w = np.array([[index["language_weights"][lang]] for lang in languages])
    assert clf.predict_proba(texts, languages=languages) == pytest.approx((1 - w) * encoder + w * ngrams, abs=1e-6)
    thresholds = json.loads((per_language / "thresholds.json").read_text("utf-8"))
    assert set(thresholds["per_language"]) == set(clf.languages)  # tuned on the per-language blend


def test_the_onnx_graph_blends_the_same_way(per_language, tmp_path):
    folder = tmp_path / "bundle"
    shutil.copytree(per_language, folder)
    run = run_module("mlc.export", "--model", str(folder), "--quantize", "none", timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    texts = ["My card was charged twice.", "Mi pedido llegó roto.", "我的订单还没有到"]
    # fp32 on both sides: on a CPU with bf16 instructions the torch backend would score in bf16 by default
    torch_scores = Classifier.load(folder, backend="torch", device="cpu", precision="fp32").predict_proba(texts)
    onnx_scores = Classifier.load(folder, backend="onnx-fp32").predict_proba(texts)
    assert onnx_scores == pytest.approx(torch_scores, abs=1e-4)


@pytest.mark.parametrize(("extra", "says"), [
    (["--ngram-weight", "0"], "the blend is off"),
    (["--validation-size", "0"], "this data has none"),
])
def test_per_language_weights_without_a_blend_or_held_out_rows_are_refused_before_training(tiny_model_dir, tmp_path,
                                                                                          extra, says):
    out = tmp_path / "bundle"
    run = run_module("mlc.train", "--data", "examples/support_tickets.csv", "--model", str(tiny_model_dir),
                     "--output", str(out), "--schedule", "joint", "--max-steps", "2", "--blend", "per-language",
                     *extra, timeout=300)
    assert run.returncode == 2 and says in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert not out.exists()


def test_an_output_inside_the_extra_data_is_refused(tmp_path):
    extra = tmp_path / "corrections"
    extra.mkdir()
    (extra / "feedback.jsonl").write_text('{"text": "hi", "labels": []}\n')
    args = TrainArgs(data=str(ROOT / "examples" / "support_tickets.csv"), extra_data=str(extra),
                     output=str(extra / "bundle"))
    with pytest.raises(OutputError, match=r"is inside the input folder .*corrections"):
        args.check_output()
    assert sorted(p.name for p in extra.iterdir()) == ["feedback.jsonl"]


@pytest.mark.parametrize("validation_size", ["0.2", "0"])
def test_auto_blend_is_per_language_with_validation_rows_and_says_when_there_are_none(tiny_model_dir, tmp_path,
                                                                                     validation_size):
    out = tmp_path / "bundle"
    run = run_module("mlc.train", "--data", "examples/support_tickets.csv", "--model", str(tiny_model_dir),
                     "--output", str(out), "--schedule", "joint", "--max-steps", "2", "--max-length", "32",
                     "--validation-size", validation_size, timeout=300)  # --blend auto: the default
    assert run.returncode == 0, run.stderr[-3000:]
    index = json.loads((out / NGRAMS_DIR / "index.json").read_text("utf-8"))
    says = "no validation rows, so the n-gram model's weight is --ngram-weight 0.5 in every language"
    if validation_size == "0":
        assert says in run.stderr and not index.get("language_weights") and index["weight"] == 0.5
    else:
        assert says not in run.stderr and "n-gram weight per language" in run.stderr
        assert set(index["language_weights"]) == set(Classifier.load(out).ngrams.models)
