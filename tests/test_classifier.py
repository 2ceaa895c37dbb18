"""The inference API: Classifier.load / predict_proba / predict."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from mlc import Classifier
from mlc.core.errors import ConfigError, ModelError

TEXTS = ["My card was charged twice for the same order.", "Mi pedido llegó roto y quiero un reembolso.",
         "我的订单还没有到，请尽快处理。", "Great service!", "طلبي لم يصل بعد، أرجو المساعدة"]


@pytest.fixture(scope="module")
def classifier(tiny_bundle):
    return Classifier.load(tiny_bundle, device="cpu")


def test_batched_scores_equal_one_by_one_in_input_order(classifier):
    batched = classifier.predict_proba(TEXTS, batch_size=2)
    single = np.vstack([classifier.predict_proba([text]) for text in TEXTS])
    assert batched.shape == (len(TEXTS), len(classifier.labels))
    assert np.allclose(batched, single, atol=1e-5)
    assert ((batched > 0) & (batched < 1)).all()
    assert classifier.predict_proba([]).shape == (0, len(classifier.labels))


def test_predict_applies_thresholds(classifier):
    everything = classifier.predict(TEXTS, thresholds=0.0)
    assert all(r["labels"] and set(r["labels"]) == set(classifier.labels) for r in everything)
    assert all(r["labels"] == [] for r in classifier.predict(TEXTS, thresholds=1.0))
    given = classifier.predict(TEXTS, thresholds=list(classifier.thresholds))
    probs = classifier.predict_proba(TEXTS)
    for row, result in zip(probs, given, strict=True):
        expected = {label for label, p, t in zip(classifier.labels, row, classifier.thresholds, strict=True) if p >= t}
        assert set(result["labels"]) == expected
        assert result["labels"] == sorted(result["labels"], key=lambda label: -result["scores"][label])
    only = classifier.labels[0]
    mixed = classifier.predict(TEXTS, thresholds={only: 0.0, **dict.fromkeys(classifier.labels[1:], 1.0)})
    assert all(r["labels"] == [only] for r in mixed)
    with pytest.raises(ConfigError, match="unknown labels: nope"):
        classifier.predict(TEXTS, thresholds={"nope": 0.3})
    with pytest.raises(ConfigError, match="one per label"):
        classifier.predict(TEXTS, thresholds=[0.5, 0.5])


def test_per_language_thresholds_follow_each_text_language(classifier, tiny_bundle):
    saved = json.loads((tiny_bundle / "thresholds.json").read_text("utf-8"))
    assert saved["source"].startswith("per-language-f1") and set(saved["per_language"]) == set(
        classifier.language_labels)
    assert any(saved["per_language"][lang][label] != saved["per_label"][label]
               for lang in saved["per_language"] for label in classifier.labels)
    texts, languages = [TEXTS[0], TEXTS[1], TEXTS[2], TEXTS[4]], ["en", "es", "zh", "ar"]
    probs = classifier.predict_proba(texts, languages=languages)
    for given in (languages, None):  # given, or detected from each text
        for row, lang, result in zip(probs, languages, classifier.predict(texts, languages=given), strict=True):
            own = saved["per_language"][lang]
            assert set(result["labels"]) == {label for label, p in zip(classifier.labels, row, strict=True) if p >= own[label]}
    # A language without thresholds of its own gets the per-label ones; a mapping overrides one label everywhere.
    rows = classifier.resolve_thresholds(None, ["xx", "es"])
    assert rows[0].tolist() == [saved["per_label"][label] for label in classifier.labels]
    assert rows[1].tolist() == [saved["per_language"]["es"][label] for label in classifier.labels]
    first = classifier.labels[0]
    assert (classifier.resolve_thresholds({first: 0.9}, ["xx", "es"])[:, 0] == 0.9).all()


def test_language_masks_labels_never_annotated_in_that_language(classifier, monkeypatch):
    # monkeypatch restores the shared fixture afterwards
    monkeypatch.setattr(classifier, "language_labels", {**classifier.language_labels, "xx": classifier.labels[:2]})
    results = classifier.predict(TEXTS[:2], thresholds=0.0, languages=["xx", "en"])
    assert results[0]["labels"] and set(results[0]["labels"]) <= set(classifier.labels[:2])
    assert set(results[1]["labels"]) == set(classifier.labels)


def test_long_texts_windows(classifier):
    long_text = " ".join(TEXTS * 6)  # far beyond the bundle's 32 tokens
    assert classifier.max_length == 32
    truncated = classifier.predict_proba([long_text, TEXTS[0]])
    window_max = classifier.predict_proba([long_text, TEXTS[0]], long_text="window", stride=8)
    window_mean = classifier.predict_proba([long_text, TEXTS[0]], long_text="window", stride=8, aggregate="mean")
    assert np.allclose(window_max[1], truncated[1], atol=1e-4)  # a short text is one window (GPU kernels round
    # differently with another batch's padding, hence not 1e-6)
    assert (window_max[0] >= window_mean[0] - 1e-6).all() and not np.allclose(window_max[0], window_mean[0])
    assert not np.allclose(window_max[0], truncated[0])
    with pytest.raises(ConfigError, match="stride"):
        classifier.predict_proba([long_text], long_text="window", stride=40)


def test_bad_calls_are_clear(classifier, tmp_path):
    with pytest.raises(TypeError, match="list of texts"):
        classifier.predict_proba("one string")
    with pytest.raises(ModelError, match="no such bundle folder"):
        Classifier.load(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(ModelError, match="not an mlc bundle"):
        Classifier.load(tmp_path / "plain")


@pytest.mark.parametrize(("tuned", "native", "asked", "expected"), [
    ("bf16", True, "auto", "bf16"), ("bf16", False, "auto", "fp32"), ("fp32", True, "auto", "fp32"),
    (None, True, "auto", "fp32"), ("fp32", False, "bf16", "bf16"), ("bf16", True, "fp32", "fp32")])
def test_precision_auto_scores_in_the_precision_the_thresholds_were_tuned_in(tiny_bundle, tmp_path, monkeypatch,
                                                                             capsys, tuned, native, asked, expected):
    """auto: the bundle's scores_precision where the CPU has instructions for it, else fp32 (None: an older bundle
    that does not record it); an explicit precision wins."""
    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    saved = json.loads((bundle / "thresholds.json").read_text("utf-8"))
    saved.pop("scores_precision")
    if tuned:
        saved["scores_precision"] = tuned
    (bundle / "thresholds.json").write_text(json.dumps(saved), "utf-8")
    monkeypatch.setattr("mlc.model.dtypes.cpu_has_native_bf16", lambda: native)
    clf = Classifier.load(bundle, device="cpu", precision=asked)
    assert clf.precision == expected and f"precision={expected}" in repr(clf)
    # Only a precision forced onto a CPU that emulates it is warned about (auto never picks one).
    assert ("bf16 is emulated" in capsys.readouterr().err) == (expected == "bf16" and not native)
    fp32 = Classifier.load(bundle, device="cpu", precision="fp32").predict_proba(TEXTS, ngrams=False)
    gap = np.abs(clf.predict_proba(TEXTS, ngrams=False) - fp32).max()
    assert (0 < gap < 0.05) if expected == "bf16" else gap == 0


def test_a_bundle_scores_as_when_its_thresholds_were_tuned(tiny_model_dir, tmp_path, monkeypatch):
    """Trained in bf16, the bundle records it, and auto scores its validation rows as the trainer did when it tuned
    the thresholds on them; fp32 scoring would not."""
    from mlc.commands.train import fit
    from mlc.training.args import TrainArgs
    from mlc.training.trainer import Trainer

    monkeypatch.setattr("mlc.model.dtypes.cpu_has_native_bf16", lambda: True)
    args = TrainArgs(data="examples/support_tickets.csv", model=str(tiny_model_dir), output=str(tmp_path / "b"),
                     schedule="joint", max_steps=8, batch_size=8, max_length=32, learning_rate=1e-3,
                     precision="bf16", device="cpu")
    result = fit(args)
    assert json.loads((tmp_path / "b" / "thresholds.json").read_text("utf-8"))["scores_precision"] == "bf16"
    tuned_on = Trainer(args, result.data).predict_proba(result.model, result.tokenizer, "validation")
    texts = list(result.data["validation"]["text"])
    clf = Classifier.load(tmp_path / "b", device="cpu")
    assert clf.precision == "bf16"
    # In bf16 a text's score depends a little on the padded length of its batch: score in the trainer's batches.
    same_batches = {"ngrams": False, "batch_size": args.eval_batch_size}
    assert np.abs(clf.predict_proba(texts, **same_batches) - tuned_on).max() < 1e-5
    fp32 = Classifier.load(tmp_path / "b", device="cpu", precision="fp32")
    assert np.abs(fp32.predict_proba(texts, **same_batches) - tuned_on).max() > 1e-4


def test_loading_a_bundle_never_imports_training(tiny_bundle):
    import ast
    import subprocess
    import sys

    code = ("import sys; from mlc import Classifier; Classifier.load(sys.argv[1], device='cpu'); "
            "print(sorted(m for m in sys.modules if m.startswith('mlc.')))")
    run = subprocess.run([sys.executable, "-c", code, str(tiny_bundle)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    loaded = ast.literal_eval(run.stdout.strip().splitlines()[-1])
    assert "mlc.inference.classifier" in loaded
    upward = [m for m in loaded if m.startswith(("mlc.training", "mlc.evaluation", "mlc.commands", "mlc.demo"))]
    assert not upward, f"loading a bundle imported {upward}"
