"""mlc.model.scoring: the one scoring loop, shared by training's validation and Classifier."""

from __future__ import annotations

import numpy as np
import torch

from mlc.model.encoders import load_tokenizer
from mlc.model.modeling import MlcForSequenceClassification
from mlc.model.scoring import score_ids

from .conftest import TINY_SENTENCES


def test_scores_are_in_input_order_whatever_the_batching_and_the_mode_is_kept(tiny_model_dir):
    model = MlcForSequenceClassification.from_encoder(str(tiny_model_dir), ["a", "b", "c"], "mean", 0.1,
                                                      "multi_label_classification")
    tokenizer = load_tokenizer(str(tiny_model_dir))
    ids = tokenizer(TINY_SENTENCES, truncation=True, max_length=32)["input_ids"]
    model.train()
    batched = score_ids(model, tokenizer, ids, 3, torch.device("cpu"))
    assert model.training  # dropout was off while scoring, and training mode is back
    single = np.vstack([score_ids(model, tokenizer, [row], 1, torch.device("cpu")) for row in ids])
    assert batched.shape == (len(ids), 3) and np.allclose(batched, single, atol=1e-5)
    softmax = score_ids(model, tokenizer, ids, 4, torch.device("cpu"), single_label=True)
    assert np.allclose(softmax.sum(1), 1.0, atol=1e-5)
    assert score_ids(model, tokenizer, [], 4, torch.device("cpu")).shape == (0, 3)
