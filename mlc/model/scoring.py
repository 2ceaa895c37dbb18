"""The one scoring loop: token ids to probabilities, batched by length with dynamic padding. Training's validation
and `Classifier` score through it, with PyTorch or with an ONNX Runtime graph of the same model."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# True: a progress bar on stderr; a function: called with (sequences done, sequences) after each batch.
Progress = bool | Callable[[int, int], None]


def score_batches(tokenizer, ids: Sequence[list[int]], batch_size: int, logits_of: Callable[[dict], np.ndarray],
                  n_labels: int, single_label: bool = False, progress: Progress = False, tensors: str = "np",
                  pad_to_multiple_of: int | None = None, finish: Callable | None = None) -> np.ndarray:
    """Probabilities [len(ids), n_labels] in input order: sigmoid per label, or softmax with `single_label`, of
    `logits_of(padded batch)` (or `finish` of its output). Rows go longest first, so that memory peaks at the first
    batch. `progress`: True for a bar, or a function called with (sequences done, sequences) after each batch."""
    finish = finish or (lambda logits: probabilities(logits, single_label))
    out = np.zeros((len(ids), n_labels), dtype=np.float32)
    order = np.argsort([len(x) for x in ids], kind="stable")[::-1]
    starts: Any = range(0, len(order), batch_size)
    if progress is True:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="predict", unit="batch", file=sys.stderr, dynamic_ncols=True)
    for start in starts:
        rows = order[start : start + batch_size]
        batch = tokenizer.pad({"input_ids": [ids[i] for i in rows]}, return_tensors=tensors,
                              pad_to_multiple_of=pad_to_multiple_of)
        out[rows] = finish(np.asarray(logits_of(batch), dtype=np.float32))
        if callable(progress):
            progress(start + len(rows), len(order))
    return out


def probabilities(logits: np.ndarray, single_label: bool = False) -> np.ndarray:
    """Sigmoid per label, or softmax over labels."""
    if single_label:
        shifted = np.exp(logits - logits.max(-1, keepdims=True))
        return shifted / shifted.sum(-1, keepdims=True)
    return 1.0 / (1.0 + np.exp(-logits))


def score_ids(model, tokenizer, ids: Sequence[list[int]], batch_size: int, device, amp_dtype=None,
              single_label: bool = False, progress: Progress = False) -> np.ndarray:
    """`score_batches` with a PyTorch model (autocast to `amp_dtype` if given). On a GPU, lengths are padded to
    multiples of 8 (the fast paths of tensor-core kernels)."""
    return _torch_batches(model, lambda batch: model(**batch).logits, tokenizer, ids, batch_size, device, amp_dtype,
                          model.config.num_labels, progress, single_label=single_label)


def embed_ids(model, tokenizer, ids: Sequence[list[int]], batch_size: int, device, amp_dtype=None,
              progress: Progress = False) -> np.ndarray:
    """The pooled sentence vectors [len(ids), hidden] that the model's head reads, through the same loop."""
    return _torch_batches(model, lambda batch: model.pooled(**batch), tokenizer, ids, batch_size, device, amp_dtype,
                          model.head.in_features, progress, finish=lambda vectors: vectors)


def _torch_batches(model, forward: Callable, tokenizer, ids, batch_size: int, device, amp_dtype, width: int,
                   progress: Progress, **options: Any) -> np.ndarray:
    """`score_batches` over `forward(batch on device)` in inference mode and autocast; the model is left in the
    mode it was in."""
    import torch

    def outputs_of(batch: dict) -> np.ndarray:
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            return forward({k: v.to(device) for k, v in batch.items()}).float().cpu().numpy()

    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            return score_batches(tokenizer, ids, batch_size, outputs_of, width, progress=progress, tensors="pt",
                                 pad_to_multiple_of=8 if device.type == "cuda" else None, **options)
    finally:
        model.train(was_training)
