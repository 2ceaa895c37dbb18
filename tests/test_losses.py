"""mlc.training.losses: masked BCE (unannotated labels cost nothing), positive weights, focal loss, cross-entropy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mlc.training.losses import multilabel_loss, positive_weights, single_label_loss


def test_unannotated_entries_cost_nothing():
    logits = torch.tensor([[2.0, -1.0], [0.5, 3.0]])
    targets = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    mask = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    full = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    assert multilabel_loss(logits, targets, mask).item() == pytest.approx((full * mask).sum().item() / 3)
    assert multilabel_loss(logits, targets).item() == pytest.approx(full.mean().item())
    changed = targets.clone()
    changed[0, 1] = 1.0  # an unannotated cell: its value must not matter
    assert multilabel_loss(logits, changed, mask).item() == pytest.approx(multilabel_loss(logits, targets, mask).item())


def test_focal_loss_down_weights_easy_examples():
    easy, hard = torch.tensor([[4.0]]), torch.tensor([[-1.0]])
    target = torch.tensor([[1.0]])
    ratio_easy = multilabel_loss(easy, target, focal_gamma=2.0) / multilabel_loss(easy, target)
    ratio_hard = multilabel_loss(hard, target, focal_gamma=2.0) / multilabel_loss(hard, target)
    assert ratio_easy < 0.01 < ratio_hard


def test_positive_weights():
    labels = np.array([[1, 0], [0, 0], [0, 0], [0, 0], [1, 0]])
    mask = np.ones_like(labels)
    assert positive_weights(labels, mask, "none", 10.0) is None
    assert positive_weights(labels, mask, "auto", 10.0).tolist() == pytest.approx([1.5, 10.0])
    assert positive_weights(labels, mask, "sqrt", 10.0).tolist() == pytest.approx([1.5 ** 0.5, 10.0 ** 0.5])


def test_single_label_loss_takes_one_hot_rows_or_indices():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    one_hot = torch.tensor([[1, 0, 0], [0, 0, 1]])
    assert single_label_loss(logits, one_hot).item() == pytest.approx(
        single_label_loss(logits, torch.tensor([0, 2])).item())
