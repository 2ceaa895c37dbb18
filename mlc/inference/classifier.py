"""The inference API, separate from training:

    from mlc import Classifier
    clf = Classifier.load("bundle/")          # a folder written by python -m mlc.train
    clf.predict_proba(["Mi pedido no llegó"])  # [n_texts, n_labels] probabilities
    clf.predict(["Mi pedido no llegó"])        # [{"labels": [...], "scores": {label: p}}] with tuned thresholds
    clf.explain("Mi pedido no llegó")          # {label: [(word, effect), ...]}: why each label got its score

A bundle with an n-gram model (mlc.model.ngrams; the default for multi-label training) blends it into every score;
pass `languages` when you know them (else each text's language is detected, mlc.data.languages), or `ngrams=False`
for the encoder alone. This module never imports training: loading and scoring need the bundle's files alone.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mlc.bundle.folder import PREVIOUS_THRESHOLDS_FILE, load_bundle_model, read_bundle_info
from mlc.bundle.hub import resolve_bundle
from mlc.bundle.thresholds import (
    InvalidThreshold,
    bundle_thresholds,
    check_threshold,
    check_threshold_array,
)
from mlc.core.cpus import usable_cpus
from mlc.core.errors import ConfigError, ModelError
from mlc.core.text import normalize_text
from mlc.data.languages import resolve_languages
from mlc.inference.args import AGGREGATIONS, BACKENDS, LONG_TEXT_MODES
from mlc.inference.explain import Occlusion, Span, occlude, words
from mlc.model.dtypes import PRECISIONS, emulation_warning, precision_name, scoring_dtype
from mlc.model.encoders import load_tokenizer
from mlc.model.ngrams import NGRAMS_DIR, NgramModel
from mlc.model.onnx_model import INT8_FILE, OnnxModel, onnx_file
from mlc.model.scoring import Progress, score_batches, score_ids

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt")


class Classifier:
    """A loaded bundle: model, tokenizer, labels and tuned thresholds. The model is a PyTorch module, or an
    `OnnxModel` (the bundle's exported graph, run by ONNX Runtime)."""

    def __init__(self, model, tokenizer, info: dict[str, Any], device: Any = "cpu", path: Path | None = None,
                 ngrams=None, precision: str = "auto"):
        if precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
        self.model, self.tokenizer, self.info, self.device, self.path = model, tokenizer, info, device, path
        self.onnx = isinstance(model, OnnxModel)
        # The autocast dtype of PyTorch scoring (None: fp32); auto follows the bundle's scores_precision.
        self.amp_dtype = None if self.onnx else \
            scoring_dtype(precision, device, info["thresholds"].get("scores_precision"))
        warning = None if self.onnx else emulation_warning(self.amp_dtype, device)
        if warning:
            print(warning, file=sys.stderr)
        self.ngrams = ngrams  # mlc.model.ngrams.NgramModel or None
        self.labels: list[str] = list(info["labels"])
        self.problem: str = info.get("problem", "multi_label")
        self.max_length: int = int(info.get("max_length") or 512)
        self.language_labels: dict[str, list[str]] = info.get("language_labels", {})
        self.thresholds, self.language_thresholds = bundle_thresholds(info["thresholds"], self.labels, path)

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "auto", precision: str = "auto", backend: str = "auto",
             threads: int | None = None, revision: str | None = None) -> Classifier:
        """Load a bundle: a folder written by `python -m mlc.train`, or a Hub repository id (ORG/NAME, at
        `revision`) holding one, downloaded through huggingface_hub's cache (mlc.bundle.hub).

        `backend`: torch; onnx (the bundle's int8 graph, else its fp32 one; see python -m mlc.export), onnx-int8 or
        onnx-fp32; auto (default): on a CPU with onnxruntime installed, the bundle's int8 graph, else its fp32 graph
        (said on stderr), else torch. `precision` (torch): auto (the precision the bundle's thresholds were tuned in, where this
        device has instructions for it, else fp32), fp32, bf16 or fp16 (autocast). `threads`: CPU threads (default:
        the cores this process may use)."""
        folder = resolve_bundle(path, revision, weights=backend == "torch")
        if not folder.is_dir():
            raise ModelError(f"{folder}: no such bundle folder (hint: train one with python -m mlc.train --output "
                             "DIR; python -m mlc.demo builds the demo bundle and prints its folder)")
        if backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        graph = _onnx_graph(folder, backend, device, precision)
        if graph is not None:
            info = read_bundle_info(folder)
            return cls(OnnxModel(graph, threads), load_tokenizer(str(folder)), info, "cpu", folder,
                       NgramModel.load(folder), "auto")
        import torch

        from mlc.model.device import pick_device

        torch.set_num_threads(threads or usable_cpus())
        model, tokenizer, info = load_bundle_model(folder)
        target = pick_device(device)
        return cls(model.to(target), tokenizer, info, target, folder, NgramModel.load(folder), precision)

    def model_files(self) -> list[Path]:
        """The bundle's files this classifier was loaded from: the weights (PyTorch) or the graph (ONNX), the
        tokenizer, configuration and thresholds, and the n-gram models."""
        if self.path is None:
            return []
        folder, skip = Path(self.path), {"README.md", PREVIOUS_THRESHOLDS_FILE}
        files = [p for p in folder.iterdir() if p.is_file() and p.name not in skip
                 and not (self.onnx and p.suffix in WEIGHT_SUFFIXES)]
        if self.ngrams is not None:
            files += [p for p in (folder / NGRAMS_DIR).rglob("*") if p.is_file()]
        if self.onnx:
            files.append(Path(self.model.path))
        return sorted(files)

    @property
    def languages(self) -> list[str]:
        """The languages of the bundle's training data."""
        return sorted(self.language_labels)

    def resolve_languages(self, texts: Sequence[str], languages: Sequence[str | None] | None = None) -> list[str]:
        """Each text's language among the bundle's (mlc.data.languages.resolve_language): the given code or its
        alias, else the detected one. Resolved codes resolve to themselves, so callers resolve once."""
        return resolve_languages(texts, languages, self.languages)

    # ---- scores -----------------------------------------------------------------------------------------------

    def predict_proba(self, texts: Sequence[str], batch_size: int = 32, long_text: str = "truncate",
                      stride: int | None = None, aggregate: str = "max", progress: Progress = False,
                      languages: Sequence[str | None] | None = None, ngrams: bool = True) -> np.ndarray:
        """Probabilities [len(texts), len(labels)] in input order: sigmoid per label (multi-label) or softmax
        (single-label). Texts are batched by length with dynamic padding. `long_text="window"` scores overlapping
        windows of `max_length` tokens, `stride` tokens of overlap (default a quarter of max_length), and merges them
        per label by `aggregate`. The bundle's n-gram model, if any, is blended in (`ngrams=False`: the encoder
        alone, as `transformers.pipeline` scores the bundle); `languages` pick its per-language model (default:
        detected per text)."""
        if isinstance(texts, str):
            raise TypeError("predict_proba takes a list of texts, not one string (hint: wrap it: [text])")
        if long_text not in LONG_TEXT_MODES:
            raise ConfigError(f"long_text must be one of {', '.join(LONG_TEXT_MODES)}, not {long_text!r}")
        if aggregate not in AGGREGATIONS:
            raise ConfigError(f"aggregate must be one of {', '.join(AGGREGATIONS)}, not {aggregate!r}")
        if languages is not None and len(languages) != len(texts):
            raise ConfigError(f"got {len(languages)} languages for {len(texts)} texts (one per text, or None)")
        texts = [normalize_text(t if isinstance(t, str) else "" if t is None else str(t)) for t in texts]
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        window = long_text == "window"
        stride = self.max_length // 4 if stride is None else stride
        if window and not 0 <= stride < self.max_length - 2:
            raise ConfigError(f"stride must be in [0, {self.max_length - 2}) for max_length {self.max_length}")
        encoded = self.tokenizer(texts, truncation=True, max_length=self.max_length,
                                 return_overflowing_tokens=window, stride=stride if window else 0)
        ids: list[list[int]] = encoded["input_ids"]
        owner = np.asarray(encoded["overflow_to_sample_mapping"] if window else range(len(texts)))
        scores = self._score(ids, batch_size, progress)
        if window:
            scores = merge_windows(scores, owner, len(texts), aggregate)
        if ngrams and self.ngrams is not None:
            scores = self.ngrams.blend(scores, texts, self.resolve_languages(texts, languages))
        return scores

    def _score(self, ids: list[list[int]], batch_size: int, progress: Progress) -> np.ndarray:
        single = self.problem == "single_label"
        if self.onnx:
            return score_batches(self.tokenizer, ids, batch_size, self.model.logits, len(self.labels), single,
                                 progress)
        return score_ids(self.model, self.tokenizer, ids, batch_size, self.device, self.amp_dtype, single, progress)

    # ---- decisions --------------------------------------------------------------------------------------------

    def resolve_thresholds(self, thresholds: float | Mapping[str, float] | Sequence[float] | None = None,
                           languages: Sequence[str | None] | None = None) -> np.ndarray:
        """The bundle's tuned thresholds: [labels], or [len(languages), labels] when `languages` are given and the
        bundle has per-language thresholds (a row whose language has none gets the per-label ones). Overridden by
        one float, a {label: threshold} mapping (other labels keep the tuned value), one value per label, or
        [texts, labels] values."""
        tuned = self.thresholds.copy()
        if languages is not None and self.language_thresholds:
            tuned = np.stack([self.language_thresholds.get(lang, self.thresholds)
                              for lang in self._known(languages)]) if len(languages) else \
                np.zeros((0, len(self.labels)))
        try:
            return self._override(tuned, thresholds)
        except InvalidThreshold as err:
            raise ConfigError(f"{err} (hint: a threshold is a probability cut-off between 0 and 1)") from None

    def _override(self, tuned: np.ndarray, thresholds: Any) -> np.ndarray:
        if thresholds is None:
            return tuned
        if isinstance(thresholds, str):
            raise InvalidThreshold(f"thresholds must be numbers, not the string {thresholds!r}")
        if isinstance(thresholds, Mapping):
            unknown = sorted(set(map(str, thresholds)) - set(self.labels))
            if unknown:
                raise ConfigError(f"thresholds for unknown labels: {', '.join(unknown)} (the bundle's labels: "
                                  f"{', '.join(self.labels)})")
            for j, label in enumerate(self.labels):
                if label in thresholds:
                    tuned[..., j] = check_threshold(thresholds[label], f"the threshold of {label!r}")
            return tuned
        if np.ndim(thresholds) == 0:
            return np.full(len(self.labels), check_threshold(thresholds))
        values = check_threshold_array(thresholds)
        if values.shape[-1:] != (len(self.labels),) or values.ndim > 2:
            raise ConfigError(f"expected {len(self.labels)} thresholds, one per label (or such a row per text), got "
                              f"shape {values.shape}")
        return values

    def decide(self, probs: np.ndarray, thresholds: float | Mapping[str, float] | Sequence[float] | None = None,
               languages: Sequence[str | None] | None = None) -> np.ndarray:
        """0/1 decisions [n, labels] from probabilities. Single-label bundles take the arg-max. With `languages`,
        a row's language picks its thresholds (if the bundle has per-language ones), and a label the bundle's training
        data never annotated in that language is not predicted for that row."""
        probs = np.asarray(probs)
        if self.problem == "single_label":
            return np.eye(len(self.labels), dtype=np.int8)[probs.argmax(1)] if len(probs) else \
                np.zeros((0, len(self.labels)), dtype=np.int8)
        decided = (probs >= self.resolve_thresholds(thresholds, languages)).astype(np.int8)
        if languages is not None:
            decided *= np.array([self.label_mask(lang) for lang in self._known(languages)],
                                dtype=np.int8).reshape(decided.shape)
        return decided

    def label_mask(self, language: str | None) -> list[int]:
        """1 for each label the bundle's training data annotated in `language` (every label for other languages)."""
        annotated = set(self.language_labels.get(language, self.labels)) if language else set(self.labels)
        return [int(label in annotated) for label in self.labels]

    def _known(self, languages: Sequence[str | None]) -> list[str]:
        """Languages given without their texts, resolved without detection (a missing one is undetermined)."""
        return self.resolve_languages([""] * len(languages), languages)

    def predict(self, texts: Sequence[str], thresholds: float | Mapping[str, float] | Sequence[float] | None = None,
                languages: Sequence[str | None] | None = None, **options: Any) -> list[dict[str, Any]]:
        """Per text: {"labels": predicted labels (highest score first), "scores": {label: probability}}.
        `options` go to `predict_proba` (batch_size, long_text, stride, aggregate, progress, ngrams). Without
        `languages`, a bundle with per-language thresholds detects each text's language."""
        if not isinstance(texts, str) and (languages is not None or self.language_thresholds or self.ngrams):
            languages = self.resolve_languages(texts, languages)
        probs = self.predict_proba(texts, languages=languages, **options)
        decided = self.decide(probs, thresholds, languages)
        results = []
        for row, chosen in zip(probs, decided, strict=True):
            order = np.argsort(-row, kind="stable")
            results.append({"labels": [self.labels[j] for j in order if chosen[j]],
                            "scores": {label: float(p) for label, p in zip(self.labels, row, strict=True)}})
        return results

    # ---- explanations -----------------------------------------------------------------------------------------

    def explain(self, text: str, label: str | Sequence[str] | None = None, language: str | None = None,
                **options: Any) -> dict[str, list[tuple[Span, float]]]:
        """Why each label got its score: per label (all of them, or `label`: one name or a list), (word, effect) for
        every word of `text` in order, the effect being the label's score minus its score without that word (the
        bundle's own blended score: mlc.inference.explain). `language` as in `predict` (default: detected);
        `options` go to `predict_proba`. All the variants are scored in one call."""
        if not isinstance(text, str):
            raise TypeError("explain takes one text (a string); for many, use explain_many")
        names = self.labels if label is None else [label] if isinstance(label, str) else list(label)
        unknown = [name for name in names if name not in self.labels]
        if unknown:
            raise ConfigError(f"no label {unknown[0]!r} in this bundle (its labels: {', '.join(self.labels)})")
        occlusion = self.explain_many([text], [language], **options)[0]
        return {name: occlusion.effects_of(self.labels.index(name)) for name in names}

    def explain_many(self, texts: Sequence[str], languages: Sequence[str | None] | None = None, **options: Any
                     ) -> list[Occlusion]:
        """The occlusion of each text (mlc.inference.explain.Occlusion: words, scores, effects per word and label),
        every variant of every text scored together. A text without a word is refused."""
        spans = [words(text) for text in texts]
        empty = [i for i, found in enumerate(spans) if not found]
        if empty:
            raise ConfigError(f"text {empty[0] + 1} has no word to explain (it is empty, or only punctuation)"
                              if len(texts) > 1 else "the text has no word to explain (it is empty, or only "
                                                     "punctuation): give a text to explain")
        resolved = self.resolve_languages(texts, languages)
        return occlude(texts, lambda variants, owners: self.predict_proba(
            variants, languages=[resolved[i] for i in owners], **options), spans)

    def __repr__(self) -> str:
        return (f"Classifier({str(self.path)!r}, {len(self.labels)} labels, {self.problem}, backend={self.backend}, "
                f"device={self.device}, precision={self.precision})")

    @property
    def precision(self) -> str:
        """The precision scores are computed in: fp32, bf16 or fp16 (PyTorch), fp32 or int8 (ONNX)."""
        return self.model.kind if self.onnx else precision_name(self.amp_dtype)

    @property
    def backend(self) -> str:
        return "onnx" if self.onnx else "torch"


def _onnx_graph(folder: Path, backend: str, device: str, precision: str) -> Path | None:
    """The ONNX graph that `backend` asks for (None: PyTorch). auto takes the int8 graph only where nothing else was
    asked for: a CPU, the default precision, the graph present and onnxruntime installed."""
    if backend == "torch":
        return None
    if backend == "auto":
        import importlib.util

        graph = onnx_file(folder, "int8")
        if not graph.is_file() and onnx_file(folder, "fp32").is_file():
            graph = onnx_file(folder, "fp32")
        usable = device in ("auto", "cpu") and precision == "auto" and graph.is_file() and \
            importlib.util.find_spec("onnxruntime") is not None
        if not usable or (device == "auto" and _has_gpu()):
            return None
        if graph.name != INT8_FILE:
            print(f"mlc: {folder} has no int8 graph (its export kept none, or was not asked for one); scoring with "
                  "its fp32 ONNX graph", file=sys.stderr)
        return graph
    if device not in ("auto", "cpu"):
        raise ConfigError(f"--backend {backend} runs on the CPU (hint: --device cpu, or --backend torch)")
    kind = backend.removeprefix("onnx-") if backend != "onnx" else \
        ("int8" if onnx_file(folder, "int8").is_file() else "fp32")
    graph = onnx_file(folder, kind)
    if not graph.is_file():
        raise ModelError(f"{graph}: the bundle has no {kind} ONNX graph (hint: python -m mlc.export --model "
                         f"{folder}{' --quantize int8' if kind == 'int8' else ''})")
    return graph


def _has_gpu() -> bool:
    """Whether torch sees a CUDA GPU; without an NVIDIA device node there is none, and torch is not imported."""
    import importlib.util

    if not Path("/dev/nvidiactl").exists() or importlib.util.find_spec("torch") is None:
        return False
    import torch

    return torch.cuda.is_available()


def merge_windows(scores: np.ndarray, owner: np.ndarray, n_texts: int, aggregate: str) -> np.ndarray:
    """Per text, the max or mean over its windows' scores (`owner[i]`: the text of window i), in one pass."""
    if aggregate == "max":
        merged = np.full((n_texts, scores.shape[1]), -np.inf, dtype=np.float32)
        np.maximum.at(merged, owner, scores)
        return merged
    merged = np.zeros((n_texts, scores.shape[1]), dtype=np.float64)
    np.add.at(merged, owner, scores)
    return (merged / np.bincount(owner, minlength=n_texts)[:, None]).astype(np.float32)
