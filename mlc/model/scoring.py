"""The one scoring loop: token ids to probabilities, batched by length with dynamic padding. Training's validation
and `Classifier` both score through it."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import torch


@torch.inference_mode()
def score_ids(model: torch.nn.Module, tokenizer, ids: Sequence[list[int]], batch_size: int, device: torch.device,
              amp_dtype: torch.dtype | None = None, single_label: bool = False, progress: bool = False
              ) -> np.ndarray:
    """Probabilities [len(ids), labels] in input order: sigmoid per label, or softmax with `single_label`. Rows go
    longest first, so that memory peaks at the first batch; on a GPU, lengths are padded to multiples of 8 (the fast
    paths of tensor-core kernels). The model is left in the mode it was in."""
    was_training = model.training
    model.eval()
    out = np.zeros((len(ids), model.config.num_labels), dtype=np.float32)
    order = np.argsort([len(x) for x in ids], kind="stable")[::-1]
    starts = range(0, len(order), batch_size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="predict", unit="batch", file=sys.stderr, dynamic_ncols=True)
    try:
        for start in starts:
            rows = order[start : start + batch_size]
            batch = tokenizer.pad({"input_ids": [ids[i] for i in rows]}, return_tensors="pt",
                                  pad_to_multiple_of=8 if device.type == "cuda" else None)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                logits = model(**{k: v.to(device) for k, v in batch.items()}).logits.float()
            probs = torch.softmax(logits, -1) if single_label else torch.sigmoid(logits)
            out[rows] = probs.cpu().numpy()
    finally:
        model.train(was_training)
    return out
