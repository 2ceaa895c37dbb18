"""Classifier-only training (`--mode head-only`): the encoder frozen, its pooled sentence vectors computed once and
cached on disk (by model, pooling, max length and text), and one logistic regression per label fitted on them in
seconds. The regressions become the model's linear head, so the bundle is the same as a fine-tuned one: the n-gram
blend, threshold tuning, evaluation and export work unchanged."""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import numpy as np

from mlc.bundle.text_hashes import text_hashes
from mlc.core.atomic import atomic_file
from mlc.data.loader import MultiLabelData, column_values
from mlc.metrics.scores import language_f1
from mlc.model.default_model import cache_root
from mlc.model.device import pick_device
from mlc.model.dtypes import autocast_dtype, precision_name
from mlc.model.encoders import check_max_length, load_tokenizer, resolve_model
from mlc.model.modeling import MlcForSequenceClassification
from mlc.model.scoring import embed_ids
from mlc.training.args import TrainArgs
from mlc.training.result import TrainResult

C_GRID = (0.25, 1.0, 4.0, 16.0)  # inverse regularisation strengths tried, chosen on validation


class EmbeddingCache:
    """Sentence vectors of one encoder setting, by 64-bit text hash, in one .npz file rewritten atomically."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "vectors.npz"
        self.keys, self.vectors = np.zeros(0, dtype="<u8"), None
        if self.path.is_file():
            with np.load(self.path) as stored:
                self.keys, self.vectors = stored["keys"], stored["vectors"]

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found [n] bool, the rows of the cache for the found ones)."""
        if self.vectors is None:
            return np.zeros(len(hashes), dtype=bool), np.zeros(0, dtype=int)
        order = np.argsort(self.keys)
        at = np.clip(np.searchsorted(self.keys[order], hashes), 0, len(order) - 1)
        found = self.keys[order][at] == hashes
        return found, order[at[found]]

    def add(self, hashes: np.ndarray, vectors: np.ndarray) -> None:
        keys, index = np.unique(hashes, return_index=True)
        self.keys = np.concatenate([self.keys, keys])
        self.vectors = vectors[index] if self.vectors is None else np.concatenate([self.vectors, vectors[index]])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(self.path, mode="wb") as handle:
            np.savez(handle, keys=self.keys, vectors=self.vectors)


def encoder_key(model_path: str, pooling: str, max_length: int) -> str:
    """Which encoder setting produced a vector: the model (its folder's config and weight files, or its hub id),
    the pooling and the maximum length."""
    digest = hashlib.sha256(f"{pooling}|{max_length}".encode())
    folder = Path(model_path)
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix in (".json", ".safetensors", ".bin"):
                digest.update(f"{path.name}:{path.stat().st_size}:{path.stat().st_mtime_ns}".encode())
    else:
        digest.update(model_path.encode())
    return digest.hexdigest()[:16]


def sentence_vectors(model, tokenizer, texts: list[str], args: TrainArgs, device, cache: EmbeddingCache) -> np.ndarray:
    """The pooled vectors of `texts`, from the cache where it has them, computed (and added) where not."""
    hashes = text_hashes(texts)
    found, rows = cache.lookup(hashes)
    out = np.zeros((len(texts), model.head.in_features), dtype=np.float32)
    if found.any():
        out[found] = cache.vectors[rows]
    missing = np.flatnonzero(~found)
    if len(missing):
        ids = tokenizer([texts[i] for i in missing], truncation=True, max_length=args.max_length)["input_ids"]
        vectors = embed_ids(model, tokenizer, ids, args.eval_batch_size, device,
                            autocast_dtype(args.precision, device), progress=True)
        out[missing] = vectors
        cache.add(hashes[missing], vectors)
    return out


def fit_heads(x: np.ndarray, labels: np.ndarray, masks: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """(weights [labels, hidden], biases [labels]): a logistic regression per label on the rows annotated with it;
    a label with one class in those rows gets no weights and the log-odds of its rate."""
    from sklearn.linear_model import LogisticRegression

    weights, biases = np.zeros((labels.shape[1], x.shape[1]), dtype=np.float32), np.zeros(labels.shape[1])
    for j in range(labels.shape[1]):
        rows = masks[:, j] > 0
        y = labels[rows, j]
        if len(np.unique(y)) < 2:
            rate = np.clip(y.mean() if len(y) else 0.0, 1e-3, 1 - 1e-3)
            biases[j] = np.log(rate / (1 - rate))
            continue
        fitted = LogisticRegression(C=c, max_iter=2000).fit(x[rows], y)
        weights[j], biases[j] = fitted.coef_[0], fitted.intercept_[0]
    return weights, biases.astype(np.float32)


def fit_head_only(args: TrainArgs, data: MultiLabelData, c: float | None = None) -> TrainResult:
    import torch

    started = time.perf_counter()
    device = pick_device(args.device)
    model_path = resolve_model(args.model, args.cache_dir)
    tokenizer = load_tokenizer(model_path)
    check_max_length(tokenizer, args.max_length)
    model = MlcForSequenceClassification.from_encoder(model_path, data.labels, args.pooling, args.dropout,
                                                      "multi_label_classification").to(device).eval()
    cache = EmbeddingCache(cache_root(args.cache_dir) / "embeddings" / encoder_key(model_path, args.pooling,
                                                                                  args.max_length))
    split = {name: _split_arrays(data, name, model, tokenizer, args, device, cache)
             for name in ("train", "validation") if name in data.splits}
    if c is None:  # chosen on validation, unless given (a refit repeating the choice)
        c, (weights, biases), metrics = _choose_c(split, data)
    else:
        (weights, biases), metrics = fit_heads(*split["train"][:3], c), {}
    with torch.no_grad():
        model.head.weight.copy_(torch.from_numpy(weights))
        model.head.bias.copy_(torch.from_numpy(biases))
    seconds = time.perf_counter() - started
    print(f"mlc: head-only: {len(data.labels)} logistic regressions (C {c:g}) on {len(split['train'][0])} sentence "
          f"vectors in {seconds:.0f} s", file=sys.stderr)
    return TrainResult(model.cpu() if device.type != "cpu" else model, tokenizer, data,
                       stage_metrics={"head-only": metrics} if metrics else {}, seconds=seconds,
                       samples_per_second=len(split["train"][0]) / seconds, device=str(device),
                       precision=precision_name(autocast_dtype(args.precision, device)), choices={"C": c})


def _split_arrays(data, name, model, tokenizer, args, device, cache):
    """(vectors, 0/1 labels, annotation masks, languages) of a split."""
    texts = column_values(data[name], "text")
    languages = column_values(data[name], "language")
    labels = np.array(column_values(data[name], "labels"), dtype=np.float32)
    masks = np.array([data.label_mask(lang) for lang in languages], dtype=np.float32)
    return sentence_vectors(model, tokenizer, texts, args, device, cache), labels, masks, languages


def _choose_c(split: dict, data: MultiLabelData) -> tuple[float, tuple[np.ndarray, np.ndarray], dict]:
    """The C of C_GRID with the best validation macro average precision (1 without validation), its heads, and its
    validation metrics at 0.5."""
    if "validation" not in split:
        return 1.0, fit_heads(*split["train"][:3], 1.0), {}
    x, labels, _, languages = split["validation"]
    language_masks = {lang: data.label_mask(lang) for lang in set(languages)}
    best = None
    for c in C_GRID:
        weights, biases = fit_heads(*split["train"][:3], c)
        probs = 1 / (1 + np.exp(-(x @ weights.T + biases)))
        metrics = language_f1((probs >= 0.5).astype(int), labels.astype(int), languages, language_masks, probs)
        rank = metrics["all"].get("macro_ap") or 0.0
        if best is None or rank > best[0]:
            best = (rank, c, (weights, biases), metrics)
    return best[1], best[2], best[3]
