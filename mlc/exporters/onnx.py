"""A bundle's encoder, pooling and head as one ONNX graph (onnx/model.onnx), and its dynamic int8 quantisation by
ONNX Runtime (onnx/model.int8.onnx), each checked against PyTorch before it is kept, with a record of how they were
made (onnx/export.json). The n-gram blend, per-language thresholds and label masks stay in mlc's Python."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from mlc.bundle.folder import load_bundle_model
from mlc.bundle.thresholds import bundle_thresholds
from mlc.core.atomic import atomic_folder
from mlc.core.errors import ConfigError, MlcError
from mlc.model.onnx_model import FP32_FILE, INPUTS, INT8_FILE, ONNX_DIR, RECORD_FILE, OnnxModel

OPSET = 17
FP32_TOLERANCE = 1e-4  # the largest probability difference from PyTorch an fp32 graph may show
INT8_AGREEMENT = 0.99  # the share of texts whose whole label set an int8 graph must keep
MIN_CHECK_TEXTS = 500  # texts of the bundle's own kind an int8 graph is judged on, at least
MAX_CHECK_TEXTS = 1000
# Texts the parity checks score: several scripts, short and long (up to the bundle's max_length).
CHECK_TEXTS = [
    "My card was charged twice for the same order and I want my money back.",
    "The parcel never arrived and nobody answers the phone.",
    "Mi pedido llegó roto y quiero un reembolso, por favor.",
    "Meine Rechnung ist falsch, bitte korrigieren Sie sie schnell.",
    "Je ne peux pas me connecter à mon compte depuis hier soir.",
    "Мой заказ задерживается уже неделю, что происходит?",
    "طلبي لم يصل بعد، أرجو المساعدة في أقرب وقت",
    "我的订单还没有到，请尽快处理。",
    "मेरा रिफंड अभी तक नहीं मिला है, कृपया जल्दी करें।",
    "Great service, thank you so much!",
    "ok",
    "Asante sana kwa huduma nzuri, nimefurahi sana na bidhaa.",
    " ".join(["The app crashes whenever I open the basket, and the refund I asked for last week has still not "
              "arrived, so I am writing again."] * 6),
]


class ExportError(MlcError):
    """An exported graph does not score like the PyTorch model."""


def _logits_module(model):
    """The bundle's model as a module of (input_ids, attention_mask) to logits: what the graph computes."""
    import torch

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).logits

    return Logits().eval()


def check_int8_texts(texts: list[str] | None, what: str) -> None:
    """Refuse to judge an int8 graph on fewer than MIN_CHECK_TEXTS texts of the bundle's kind."""
    count = len([t for t in texts or [] if t.strip()])
    if count < MIN_CHECK_TEXTS:
        raise ConfigError(f"{what} has {count} texts; an int8 graph is judged on at least {MIN_CHECK_TEXTS} texts of "
                          "the bundle's own kind (hint: --check-texts FILE with more rows, or --quantize none)")


def export_onnx(bundle: str | Path, quantize: bool = True, texts: list[str] | None = None,
                source: str = "given texts") -> dict[str, Any]:
    """Write BUNDLE/onnx/ (replacing an earlier export atomically) and return its record. The graphs are checked on
    `texts` (the bundle's own kind, `source` saying where they come from; at most MAX_CHECK_TEXTS): the int8 graph
    needs MIN_CHECK_TEXTS of them; the fp32 graph is checked on them, else on a few built-in texts in several
    scripts."""
    import torch

    from mlc.model.scoring import score_ids

    texts = [t for t in texts or [] if t.strip()][:MAX_CHECK_TEXTS]
    if quantize:
        check_int8_texts(texts, source)
    bundle = Path(bundle)
    model, tokenizer, info = load_bundle_model(bundle)
    where = f"{len(texts)} {source}" if texts else f"{len(CHECK_TEXTS)} built-in texts"
    texts = texts or CHECK_TEXTS
    check = _Check(tokenizer(texts, truncation=True, max_length=int(info.get("max_length") or 512))["input_ids"],
                   tokenizer, info)
    check.reference = score_ids(model, tokenizer, check.ids, 32, torch.device("cpu"), single_label=check.single)
    record: dict[str, Any] = {"format": 1, "opset": OPSET, "torch": torch.__version__, "inputs": list(INPUTS),
                              "outputs": ["logits"], "checked_on": where, "files": {}}
    with atomic_folder(bundle / ONNX_DIR) as folder:
        _export(model, tokenizer, folder / FP32_FILE)
        record["files"][FP32_FILE] = _check_fp32(folder / FP32_FILE, check)
        if quantize:
            record["files"][INT8_FILE] = _quantize(folder, check, bundle)
        import onnxruntime

        record["onnxruntime"] = onnxruntime.__version__
        (folder / RECORD_FILE).write_text(json.dumps(record, indent=2), "utf-8")
    return record


class _Check:
    """The texts the graphs are checked on (token ids), and the PyTorch model's probabilities for them."""

    def __init__(self, ids: list[list[int]], tokenizer, info: dict[str, Any]) -> None:
        self.ids, self.tokenizer, self.info = ids, tokenizer, info
        self.single = info.get("problem") == "single_label"
        self.reference = np.zeros((0, 0))

    def scores(self, path: Path) -> np.ndarray:
        from mlc.model.scoring import score_batches

        return score_batches(self.tokenizer, self.ids, 32, OnnxModel(path).logits, len(self.info["labels"]),
                             self.single)

    def agreement(self, probs: np.ndarray, thresholds: np.ndarray) -> dict[str, float]:
        """The share of texts whose decisions (label set, or arg-max) are unchanged, and of (text, label) cells."""
        if self.single:
            same = probs.argmax(1) == self.reference.argmax(1)
            return {"texts": float(same.mean()), "cells": float(same.mean())}
        same = (probs >= thresholds) == (self.reference >= thresholds)
        return {"texts": float(same.all(1).mean()), "cells": float(same.mean())}


def _export(model, tokenizer, path: Path) -> None:
    import torch

    sample = tokenizer(CHECK_TEXTS[:2], padding=True, return_tensors="pt")  # the trace's example; shapes are dynamic
    dynamic = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
               "logits": {0: "batch"}}
    with warnings.catch_warnings():  # the TorchScript tracer's notes on Python control flow it has checked
        warnings.simplefilter("ignore")
        torch.onnx.export(_logits_module(model), (sample["input_ids"], sample["attention_mask"]), str(path),
                          input_names=list(INPUTS), output_names=["logits"], dynamic_axes=dynamic,
                          opset_version=OPSET, dynamo=False)


def _check_fp32(path: Path, check: _Check) -> dict[str, Any]:
    gap = float(np.abs(check.scores(path) - check.reference).max())
    if gap > FP32_TOLERANCE:
        raise ExportError(f"{path.name}: probabilities differ from PyTorch's by up to {gap:.2e} (more than "
                          f"{FP32_TOLERANCE:g}); the graph was not kept")
    return {"precision": "fp32", "max_probability_difference": gap}


# Dynamic int8 recipes, fastest first: every weight matrix; then the feed-forward output projections kept in fp32
# (their inputs, GELU outputs, have the widest range); then both feed-forward projections kept in fp32.
RECIPES = {"every matrix": (), "feed-forward output in fp32": ("output/dense",),
           "feed-forward in fp32": ("output/dense", "intermediate/dense")}


def _quantize(folder: Path, check: _Check, bundle: Path) -> dict[str, Any]:
    """Dynamic int8 quantisation (weights int8 per channel, activations quantised per batch at run time): the
    fastest recipe that keeps the whole label set of INT8_AGREEMENT of the texts at the bundle's thresholds, or
    none."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    thresholds, _ = bundle_thresholds(check.info["thresholds"], list(check.info["labels"]), bundle)
    graph = onnx.load(str(folder / FP32_FILE), load_external_data=False)
    names = [n.name for n in graph.graph.node if n.op_type in ("MatMul", "Gemm")]
    tried = {}
    for recipe, kept_fp32 in RECIPES.items():
        exclude = [n for n in names if any(part in n for part in kept_fp32) and "attention" not in n]
        root = logging.getLogger()
        level, _ = root.level, root.setLevel(logging.ERROR)  # its advice to run shape inference does not apply here
        try:
            quantize_dynamic(str(folder / FP32_FILE), str(folder / INT8_FILE), weight_type=QuantType.QInt8,
                             per_channel=True, nodes_to_exclude=exclude)
        finally:
            root.setLevel(level)
        probs = check.scores(folder / INT8_FILE)
        tried[recipe] = check.agreement(probs, thresholds)
        if tried[recipe]["texts"] >= INT8_AGREEMENT:
            return {"precision": "int8", "kept": True, "recipe": recipe, "decision_agreement": tried,
                    "quantization": "onnxruntime.quantization.quantize_dynamic, QInt8 weights per channel",
                    "max_probability_difference": float(np.abs(probs - check.reference).max())}
    (folder / INT8_FILE).unlink()
    print(f"mlc: warning: no int8 recipe keeps the label sets of {INT8_AGREEMENT:.0%} of the check texts ("
          + ", ".join(f"{name}: {share['texts']:.2%}" for name, share in tried.items()) + "); only the fp32 graph "
          "was kept, which the auto backend then serves", file=sys.stderr)
    return {"precision": "int8", "kept": False, "decision_agreement": tried}


def onnx_record(bundle: str | Path) -> dict[str, Any] | None:
    """The export record of a bundle, or None when it has no ONNX graph."""
    path = Path(bundle) / ONNX_DIR / RECORD_FILE
    return json.loads(path.read_text("utf-8")) if path.is_file() else None

