"""Pieces the quality benchmarks share: per-language scores, the TF-IDF baseline, the machine's description."""

from __future__ import annotations

import platform

import numpy as np

from mlc.metrics import f1_scores


def per_language(pred: np.ndarray, truth: np.ndarray, mask: np.ndarray, languages: np.ndarray) -> dict:
    out = {}
    for lang in sorted(set(languages)):
        rows = languages == lang
        macro, micro = f1_scores(truth[rows], pred[rows], mask[rows])
        out[lang] = {"macro_f1": macro, "micro_f1": micro}
    return out


def mean(values) -> float:
    values = list(values)
    return float(np.mean(values)) if values else float("nan")


def machine_description() -> str:
    import torch

    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name()}, torch {torch.__version__}"
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}"


def tfidf_baseline(data, split: str = "test") -> np.ndarray:
    """TF-IDF of word 1-2-grams and character 2-5-grams, one-vs-rest logistic regression, per language, fitted on
    `train`; probabilities for `split`. Labels without both classes in a language's train get probability 0."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    train_lang, dev_lang = np.array(list(data["train"]["language"])), np.array(list(data[split]["language"]))
    train_text, dev_text = np.array(list(data["train"]["text"])), np.array(list(data[split]["text"]))
    train_y = np.array(list(data["train"]["labels"]))
    probs = np.zeros((len(dev_text), len(data.labels)))
    for lang in sorted(set(dev_lang)):
        tr, de = train_lang == lang, dev_lang == lang
        words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                                max_features=200_000)
        x_train = hstack([words.fit_transform(train_text[tr]), chars.fit_transform(train_text[tr])]).tocsr()
        x_dev = hstack([words.transform(dev_text[de]), chars.transform(dev_text[de])]).tocsr()
        for j in range(len(data.labels)):
            y = train_y[tr, j]
            if y.min() == y.max():
                continue
            model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)
            probs[de, j] = model.fit(x_train, y).predict_proba(x_dev)[:, 1]
    return probs
