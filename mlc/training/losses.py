"""Losses over logits, always computed in fp32: masked BCE with positive weights, focal BCE, cross-entropy."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def positive_weights(labels: np.ndarray, mask: np.ndarray, mode: str, max_weight: float) -> np.ndarray | None:
    """Per-label weight of the positive class from training labels [n, L] and annotation mask [n, L].

    auto: negatives / positives; sqrt: its square root; both clipped to [1, max_weight]. A label with no positive
    gets `max_weight`. Returns None for mode `none`.
    """
    if mode == "none":
        return None
    positives = (labels * mask).sum(0).astype(np.float64)
    negatives = ((1 - labels) * mask).sum(0).astype(np.float64)
    ratio = np.where(positives > 0, negatives / np.maximum(positives, 1), max_weight)
    if mode == "sqrt":
        ratio = np.sqrt(ratio)
    return np.clip(ratio, 1.0, max_weight).astype(np.float32)


def multilabel_loss(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None = None,
                    pos_weight: torch.Tensor | None = None, focal_gamma: float | None = None) -> torch.Tensor:
    """Mean BCE-with-logits over annotated (mask=1) entries; focal when `focal_gamma` is set."""
    logits, targets = logits.float(), targets.float()
    loss = F.binary_cross_entropy_with_logits(logits, targets, pos_weight=pos_weight, reduction="none")
    if focal_gamma:
        p = torch.sigmoid(logits)
        p_t = p * targets + (1 - p) * (1 - targets)
        loss = loss * (1 - p_t).pow(focal_gamma)
    if mask is None:
        return loss.mean()
    mask = mask.float()
    return (loss * mask).sum() / mask.sum().clamp(min=1.0)


def single_label_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy; `targets` are one-hot rows (as the loader gives) or class indices."""
    if targets.dim() == 2:
        targets = targets.argmax(-1)
    return F.cross_entropy(logits.float(), targets.long())
