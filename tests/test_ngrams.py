"""The n-gram blend: fitting, storage without pickle, language routing, and its place in bundles."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlc import Classifier
from mlc.commands.train import fit
from mlc.core.errors import ConfigError
from mlc.data import load_data
from mlc.data.aligned import align
from mlc.data.languages import resolve_languages
from mlc.model.ngrams import NGRAMS_DIR, NgramFeatures, NgramModel
from mlc.training.args import TrainArgs
from tests.conftest import ROOT, run_module

TICKETS = ROOT / "examples" / "support_tickets.csv"


@pytest.fixture(scope="module")
def tickets():
    data = load_data(str(TICKETS), label_column="labels", validation_size=0.2, seed=1)
    return data, align(data, ["train"], data.labels, "train"), align(data, ["validation"], data.labels, "validation")


@pytest.fixture(scope="module")
def fitted(tickets):
    data, rows, _ = tickets
    return NgramModel.fit(rows.texts, rows.truth, rows.mask, rows.languages, data.labels, weight=0.5)


def test_fit_matches_sklearn_and_learns(tickets, fitted):
    from scipy.sparse import hstack
    from sklearn.linear_model import LogisticRegression

    _, rows, val = tickets
    assert sorted(fitted.models) == ["ar", "de", "en", "es", "fr", "hi", "ru", "zh"] and not fitted.skipped
    probs = fitted.predict_proba(val.texts, val.languages)
    assert not np.isnan(probs).any()
    # The stored coefficients reproduce scikit-learn's own predict_proba for one language and label.
    model, train_rows, val_rows = fitted.models["es"], np.asarray(rows.languages) == "es", \
        np.asarray(val.languages) == "es"
    x = hstack([model.words.transform(np.asarray(rows.texts)[train_rows]),
                model.chars.transform(np.asarray(rows.texts)[train_rows])]).tocsr()
    reference = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000).fit(x, rows.truth[train_rows, 0])
    expected = reference.predict_proba(model.features(np.asarray(val.texts)[val_rows]))[:, 1]
    assert np.allclose(probs[val_rows, 0], expected, atol=1e-5)
    # On these natural messages the n-gram model alone ranks the labels well, and decides better than "no label".
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(val.truth, probs, average="macro") > 0.78  # 0.83 when written; chance is 0.5
    assert ((probs >= 0.5) == val.truth.astype(bool)).mean() > 1 - val.truth.mean() + 0.015


def test_save_load_round_trip_without_pickle(tmp_path, tickets, fitted):
    _, _, val = tickets
    fitted.save(tmp_path)
    files = sorted(p.suffix for p in (tmp_path / NGRAMS_DIR).iterdir())
    assert set(files) == {".json", ".safetensors"}
    loaded = NgramModel.load(tmp_path)
    assert loaded.weight == 0.5 and loaded.labels == fitted.labels
    assert np.allclose(loaded.predict_proba(val.texts, val.languages), fitted.predict_proba(val.texts, val.languages),
                       atol=1e-6)
    assert NgramModel.load(tmp_path / "elsewhere") is None


def test_other_features_are_fitted_recorded_and_reloaded(tmp_path, tickets, fitted):
    """n-gram lengths, vocabulary cap and C other than the default: used when fitting, recorded in the index, and
    the loaded model rebuilds the same n-grams (so the same scores)."""
    data, rows, val = tickets
    features = NgramFeatures(words={"ngram_range": (1, 3), "sublinear_tf": True},
                             chars={"analyzer": "char_wb", "ngram_range": (1, 6), "sublinear_tf": True,
                                    "max_features": 3000}, C=1.0)
    model = NgramModel.fit(rows.texts, rows.truth, rows.mask, rows.languages, data.labels, 0.5, features=features)
    english = model.models["en"]
    assert max(len(w.split()) for w in english.words.get_feature_names_out()) == 3
    assert {len(c) for c in english.chars.get_feature_names_out()} >= {1, 6} and len(english.chars.vocabulary_) <= 3000
    assert english.coef.shape[1] != fitted.models["en"].coef.shape[1]
    model.save(tmp_path)
    index = json.loads((tmp_path / NGRAMS_DIR / "index.json").read_text())
    assert index["chars"]["ngram_range"] == [1, 6] and index["C"] == 1.0
    loaded = NgramModel.load(tmp_path)
    assert loaded.features == features
    assert np.allclose(loaded.predict_proba(val.texts, val.languages), model.predict_proba(val.texts, val.languages),
                       atol=1e-6)
    assert not np.allclose(model.predict_proba(val.texts, val.languages), fitted.predict_proba(val.texts, val.languages))


def test_language_routing_and_blend_arithmetic(fitted):
    texts = ["I was charged twice for my order", "Mi pedido llegó roto", "Kiitos paljon avusta"]
    # The bundle's own code, a detected code, and a given unknown one (kept: nothing is guessed over it).
    resolved = resolve_languages(texts, ["en", None, "fi"], sorted(fitted.models))
    assert resolved == ["en", "es", "fi"]
    assert [fitted.model_language(lang) for lang in resolved] == ["en", "es", None]
    assert np.allclose(fitted.predict_proba(texts), fitted.predict_proba(texts, ["en", "es", "fi"]), equal_nan=True)
    encoder = np.full((3, len(fitted.labels)), 0.2, dtype=np.float32)
    ngram = fitted.predict_proba(texts, resolved)
    blended = fitted.blend(encoder, texts, resolved)
    assert np.allclose(blended[:2], 0.5 * 0.2 + 0.5 * ngram[:2])
    assert np.allclose(blended[2], 0.2) and np.isnan(ngram[2]).all()  # no Finnish model: the encoder alone


def test_languages_without_ngrams_or_labels_without_both_classes():
    texts = ["", " ", "good day", "bad day", "good night", "bad night"]
    truth = np.array([[0, 1], [1, 1], [1, 0], [0, 0], [1, 0], [0, 0]])
    mask = np.ones_like(truth)
    model = NgramModel.fit(texts, truth, mask, ["xx", "xx", "en", "en", "en", "en"], ["good", "other"], 0.5)
    assert list(model.models) == ["en"] and "empty vocabulary" in model.skipped["xx"]
    probs = model.predict_proba(["good morning"], ["en"])
    assert probs[0, 0] > 0.5 and np.isnan(probs[0, 1])  # "other" is never positive in English: not fitted


def test_languages_fitted_in_parallel_processes_give_the_same_model(tickets, fitted):
    data, rows, val = tickets
    parallel = NgramModel.fit(rows.texts, rows.truth, rows.mask, rows.languages, data.labels, weight=0.5, workers=2)
    assert sorted(parallel.models) == sorted(fitted.models) and parallel.skipped == fitted.skipped
    np.testing.assert_array_equal(parallel.predict_proba(val.texts, val.languages),
                                  fitted.predict_proba(val.texts, val.languages))
    texts = ["", " ", "good day", "bad day", "good night", "bad night"]  # a skipped language, in a worker too
    truth = np.array([[0, 1], [1, 1], [1, 0], [0, 0], [1, 0], [0, 0]])
    model = NgramModel.fit(texts, truth, np.ones_like(truth), ["xx", "xx", "en", "en", "en", "en"], ["good", "other"],
                           0.5, workers=2)
    assert list(model.models) == ["en"] and "empty vocabulary" in model.skipped["xx"]


def test_bundles_blend_by_default_with_their_recorded_weight(tiny_bundle):
    clf = Classifier.load(tiny_bundle)
    assert clf.ngrams is not None and (tiny_bundle / NGRAMS_DIR / "index.json").is_file()
    texts, languages = ["I was charged twice for order 1234.", "Mi pedido no llegó"], ["en", "es"]
    encoder = clf.predict_proba(texts, ngrams=False)
    ngram = clf.ngrams.predict_proba(texts, languages)
    assert np.allclose(clf.predict_proba(texts, languages=languages), 0.5 * encoder + 0.5 * ngram, atol=1e-6)
    with pytest.raises(ConfigError, match="2 texts"):
        clf.predict_proba(texts, languages=["en"])


def test_weight_zero_turns_the_blend_off_and_single_label_refuses_it(tiny_model_dir, tmp_path):
    common = {"data": str(TICKETS), "label_column": "labels", "model": str(tiny_model_dir), "schedule": "joint",
              "max_steps": 2, "batch_size": 8, "max_length": 16}
    fit(TrainArgs(**common, output=str(tmp_path / "off"), ngram_weight=0))
    assert not (tmp_path / "off" / NGRAMS_DIR).exists() and Classifier.load(tmp_path / "off").ngrams is None
    with pytest.raises(ConfigError, match="multi_label"):
        TrainArgs(**common, output=str(tmp_path / "x"), problem="single_label", ngram_weight=0.5).validate()
    with pytest.raises(ConfigError, match=r"--ngram-weight must be at least 0 and at most 1, got 1.5"):
        TrainArgs(**common, output=str(tmp_path / "x"), ngram_weight=1.5).validate()
    run = run_module("mlc.train", "--help")
    assert "--ngram-weight" in run.stdout
    index = json.loads((tmp_path / "off" / "training_args.json").read_text())
    assert index["ngram_weight"] == 0
