"""The n-gram side of a bundle: per language, TF-IDF of word and character n-grams (1-2 and 2-5 by default, see
NgramFeatures) with a logistic regression per label, blended with the encoder's probabilities:
p = (1 - w) * encoder + w * n-grams.

Why: on BRIGHTER (28 languages) the small embedded encoder and such a TF-IDF model each win in different languages,
and their mean beats both (benchmarks/RESULTS.md, section ngram_blend). Stored without pickle: vocabularies in JSON,
idf vectors and coefficients in safetensors.

A row's language picks its model: the given language (or its alias), else the detected one, else the model of
undetermined-language rows ("und") if the training data had such rows; rows left without a model, and labels a
language's training rows never had both classes of, keep the encoder's probability.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from mlc.core.atomic import atomic_file
from mlc.core.cpus import usable_cpus
from mlc.data.languages import UNDETERMINED, resolve_languages

NGRAMS_DIR = "ngrams"
INDEX_FILE = "index.json"
MIN_DF_ROWS = 100  # languages with at least this many training rows drop n-grams seen in only one text
PARALLEL_MIN_ROWS = 5_000  # below this, starting worker processes costs more than it saves


@dataclass(frozen=True)
class NgramFeatures:
    """What the n-gram model of each language is built from (recorded in ngrams/index.json): TfidfVectorizer
    settings of its word and character n-grams, and the inverse regularisation strength C of its regressions."""

    words: dict = field(default_factory=lambda: {"ngram_range": (1, 2), "sublinear_tf": True})
    chars: dict = field(default_factory=lambda: {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True,
                                                 "max_features": 200_000})
    C: float = 4.0

    @classmethod
    def from_index(cls, index: dict) -> NgramFeatures:
        """The settings ngrams/index.json recorded (JSON gives the n-gram ranges back as lists)."""
        def ranged(params: dict) -> dict:
            return {**params, "ngram_range": tuple(params["ngram_range"])}

        return cls(ranged(index["words"]), ranged(index["chars"]), float(index["C"]))

    def to_index(self) -> dict:
        return asdict(self)


@dataclass
class LanguageNgrams:
    """One language's vectorisers and per-label logistic regressions (`columns`: the label indices fitted)."""

    words: object
    chars: object
    coef: np.ndarray  # [len(columns), n_features]
    intercept: np.ndarray  # [len(columns)]
    columns: np.ndarray

    def features(self, texts: Sequence[str]):
        from scipy.sparse import hstack

        return hstack([self.words.transform(texts), self.chars.transform(texts)]).tocsr()

    def predict(self, texts: Sequence[str], n_labels: int) -> np.ndarray:
        """[len(texts), n_labels] probabilities, NaN in the columns without a fitted regression."""
        out = np.full((len(texts), n_labels), np.nan, dtype=np.float32)
        if len(texts) and len(self.columns):
            logits = self.features(texts) @ self.coef.T + self.intercept
            out[:, self.columns] = 1.0 / (1.0 + np.exp(-logits))
        return out


def mix(encoder_probs: np.ndarray, ngram_probs: np.ndarray, weight: float) -> np.ndarray:
    """(1 - weight) * encoder + weight * n-grams, the encoder alone where the n-gram score is NaN."""
    mixed = (1.0 - weight) * encoder_probs + weight * ngram_probs
    return np.where(np.isnan(ngram_probs), encoder_probs, mixed).astype(np.float32)


def _fit_language(texts: np.ndarray, truth: np.ndarray, mask: np.ndarray,
                  features: NgramFeatures) -> LanguageNgrams | str:
    """One language's model, or why it has none (its texts hold no n-gram)."""
    from scipy.sparse import hstack
    from sklearn.linear_model import LogisticRegression

    min_df = 2 if len(texts) >= MIN_DF_ROWS else 1
    words, chars = _vectorizer(features.words, min_df), _vectorizer(features.chars, min_df)
    try:  # sklearn raises "empty vocabulary" when the texts hold no n-gram
        x = hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
    except ValueError as error:
        return str(error)
    columns, coefs, intercepts = [], [], []
    for j in range(truth.shape[1]):
        y = truth[:, j]
        if not mask[:, j].all() or y.min() == y.max():
            continue
        regression = LogisticRegression(C=features.C, class_weight="balanced", max_iter=2000).fit(x, y)
        columns.append(j)
        coefs.append(regression.coef_[0])
        intercepts.append(regression.intercept_[0])
    return LanguageNgrams(words, chars, np.asarray(coefs, np.float32).reshape(len(columns), x.shape[1]),
                          np.asarray(intercepts, np.float32), np.asarray(columns, np.int64))


def _vectorizer(params: dict, min_df: int = 1, vocabulary: list[str] | None = None, idf: np.ndarray | None = None):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(**params, min_df=min_df, vocabulary=vocabulary)
    if idf is not None:
        vectorizer.idf_ = idf
    return vectorizer


class NgramModel:
    """Per-language TF-IDF + logistic-regression models over a bundle's labels, and their blend weight."""

    def __init__(self, labels: list[str], models: dict[str, LanguageNgrams], weight: float,
                 skipped: dict[str, str] | None = None, language_weights: dict[str, float] | None = None,
                 features: NgramFeatures | None = None) -> None:
        self.labels, self.models, self.weight, self.skipped = list(labels), models, float(weight), skipped or {}
        self.features = features or NgramFeatures()
        # --blend per-language: each language's own weight (mlc.metrics.blend); others take `weight`
        self.language_weights = {lang: float(w) for lang, w in (language_weights or {}).items()}

    @classmethod
    def fit(cls, texts: Sequence[str], truth: np.ndarray, mask: np.ndarray, languages: Sequence[str],
            labels: list[str], weight: float, workers: int | None = None,
            features: NgramFeatures | None = None) -> NgramModel:
        """Fit one model per language on its rows; a label is fitted where the language annotates it and its rows
        hold both classes. A language whose texts yield no n-grams is skipped, with the reason in `skipped`.
        Languages are fitted in parallel processes (`workers`, default: one per CPU core, for data of at least
        PARALLEL_MIN_ROWS rows); the result does not depend on it."""
        features = features or NgramFeatures()
        texts, languages = np.asarray(texts, dtype=object), np.asarray(languages)
        order = sorted(set(languages))
        jobs = [(texts[rows], truth[rows], mask[rows], features) for rows in (languages == lang for lang in order)]
        workers = min(len(jobs), workers or (usable_cpus() if len(texts) >= PARALLEL_MIN_ROWS else 1))
        if workers > 1:
            from joblib import Parallel, delayed

            fitted = Parallel(n_jobs=workers)(delayed(_fit_language)(*job) for job in jobs)
        else:
            fitted = [_fit_language(*job) for job in jobs]
        models = {lang: out for lang, out in zip(order, fitted, strict=True) if isinstance(out, LanguageNgrams)}
        skipped = {lang: out for lang, out in zip(order, fitted, strict=True) if isinstance(out, str)}
        return cls(labels, models, weight, skipped, features=features)

    def model_language(self, language: str | None) -> str | None:
        """The model that scores rows of `language` (a resolved code, see mlc.data.languages): its own, else the
        model of undetermined-language rows if there is one, else None (the encoder's probabilities stay)."""
        if language in self.models:
            return language
        return UNDETERMINED if UNDETERMINED in self.models else None

    def predict_proba(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> np.ndarray:
        """[len(texts), labels] n-gram probabilities; NaN where no model covers the row and label. `languages`:
        each row's resolved language (default: detected per text)."""
        if languages is None:
            languages = resolve_languages(texts, None, sorted(self.models))
        chosen = np.asarray([self.model_language(lang) for lang in languages], dtype=object)
        out = np.full((len(texts), len(self.labels)), np.nan, dtype=np.float32)
        texts = np.asarray(texts, dtype=object)
        for lang, model in self.models.items():
            rows = chosen == lang
            if rows.any():
                out[rows] = model.predict(list(texts[rows]), len(self.labels))
        return out

    def blend(self, encoder_probs: np.ndarray, texts: Sequence[str],
              languages: Sequence[str] | None = None) -> np.ndarray:
        """(1 - w) * encoder + w * n-grams, w the weight of the row's n-gram model's language (its own, with
        per-language weights, else the shared one), the encoder alone where no n-gram model covers a score."""
        if languages is None:
            languages = resolve_languages(texts, None, sorted(self.models))
        return mix(encoder_probs, self.predict_proba(texts, languages), self.weights_for(languages))

    def weights_for(self, languages: Sequence[str]) -> np.ndarray:
        """[rows, 1]: the blend weight of each row's language."""
        return np.array([[self.language_weights.get(self.model_language(lang), self.weight)]
                         for lang in languages], dtype=np.float32).reshape(-1, 1)

    # ---- storage ----------------------------------------------------------------------------------------------

    def save(self, folder: str | os.PathLike) -> None:
        """Write into `folder`/ngrams/ (inside a bundle being written atomically)."""
        from safetensors.numpy import save_file

        target = Path(folder) / NGRAMS_DIR
        target.mkdir()
        files = {}
        for number, (lang, model) in enumerate(sorted(self.models.items())):
            files[lang] = str(number)
            save_file({"word_idf": model.words.idf_.astype(np.float32), "char_idf": model.chars.idf_.astype(np.float32),
                       "coef": model.coef, "intercept": model.intercept, "columns": model.columns},
                      str(target / f"{number}.safetensors"))
            vocab = {"words": model.words.get_feature_names_out().tolist(),
                     "chars": model.chars.get_feature_names_out().tolist()}
            (target / f"{number}.json").write_text(json.dumps(vocab, ensure_ascii=False), "utf-8")
        self.save_index(folder, files)

    def save_index(self, folder: str | os.PathLike, files: dict[str, str] | None = None) -> None:
        """ngrams/index.json: the weights, labels and settings (rewritten alone when the weights are chosen after
        the models were saved)."""
        path = Path(folder) / NGRAMS_DIR / INDEX_FILE
        if files is None:
            files = json.loads(path.read_text("utf-8"))["languages"]
        index = {"format": 1, "weight": self.weight, "language_weights": self.language_weights, "labels": self.labels,
                 "languages": files, **self.features.to_index(), "skipped": self.skipped}
        with atomic_file(path) as handle:
            handle.write(json.dumps(index, indent=2, ensure_ascii=False))

    @classmethod
    def load(cls, folder: str | os.PathLike) -> NgramModel | None:
        """The n-gram model of a bundle folder, or None if it has none."""
        from safetensors.numpy import load_file

        source = Path(folder) / NGRAMS_DIR
        if not (source / INDEX_FILE).is_file():
            return None
        index = json.loads((source / INDEX_FILE).read_text("utf-8"))
        features = NgramFeatures.from_index(index)
        models = {}
        for lang, name in index["languages"].items():
            arrays = load_file(str(source / f"{name}.safetensors"))
            vocab = json.loads((source / f"{name}.json").read_text("utf-8"))
            models[lang] = LanguageNgrams(
                _vectorizer(features.words, vocabulary=vocab["words"], idf=arrays["word_idf"]),
                _vectorizer(features.chars, vocabulary=vocab["chars"], idf=arrays["char_idf"]),
                arrays["coef"], arrays["intercept"], arrays["columns"])
        return cls(index["labels"], models, index["weight"], index.get("skipped"), index.get("language_weights"),
                   features)
