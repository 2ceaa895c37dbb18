"""Weight averaging (--ema-decay): the average's formula, its place in training, and resuming with it."""

from __future__ import annotations

import pytest
import torch

from mlc.core.errors import ConfigError
from mlc.training.averaging import WeightAverage
from mlc.training.trainer import Trainer

from .test_trainer import tiny_args


def test_the_average_follows_its_formula_over_trainable_weights_only():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    model[1].requires_grad_(False)
    frozen = model[1].weight.detach().clone()
    average = WeightAverage(model, decay=0.9)
    expected = model[0].weight.detach().clone()
    for step in range(30):
        with torch.no_grad():
            model[0].weight.add_(torch.randn_like(model[0].weight))
        rate = 1 - min(0.9, (1 + step) / (10 + step))
        expected = expected + rate * (model[0].weight.detach() - expected)
        average.update()
    last = model[0].weight.detach().clone()
    average.apply()
    assert torch.allclose(model[0].weight, expected, atol=1e-6)
    assert not torch.allclose(model[0].weight, last)
    assert torch.equal(model[1].weight, frozen)
    assert average.names == ["0.weight", "0.bias"]


def test_training_ends_with_the_average_and_an_instant_average_is_the_last_weights(tiny_model_dir, tmp_path):
    plain = Trainer(tiny_args(tiny_model_dir, tmp_path / "a", schedule="joint", learning_rate=1e-3)).train()
    instant = Trainer(tiny_args(tiny_model_dir, tmp_path / "b", schedule="joint", learning_rate=1e-3,
                                ema_decay=1e-9)).train()
    averaged = Trainer(tiny_args(tiny_model_dir, tmp_path / "c", schedule="joint", learning_rate=1e-3,
                                 ema_decay=0.9)).train()
    weights = [r.model.state_dict() for r in (plain, instant, averaged)]
    for name, value in weights[0].items():
        assert torch.equal(value, weights[1][name]), name  # averaging leaves the trajectory untouched
    trainable = {n for n, p in plain.model.named_parameters() if p.requires_grad}
    frozen = set(weights[0]) - trainable
    assert frozen and all(torch.equal(weights[0][n], weights[2][n]) for n in frozen)
    assert any(not torch.equal(weights[0][n], weights[2][n]) for n in trainable)
    assert set(averaged.stage_metrics) == {"joint"}


def test_resume_with_averaging_continues_the_average_exactly(tiny_model_dir, tmp_path):
    common = dict(schedule="per-language-then-joint", language_epochs=0.1, epochs=0.2, learning_rate=1e-3,
                  ema_decay=0.8)
    straight = Trainer(tiny_args(tiny_model_dir, tmp_path / "a", max_steps=12, **common)).train()
    Trainer(tiny_args(tiny_model_dir, tmp_path / "b", max_steps=7, checkpoint_steps=7, **common)).train()
    resumed = Trainer(tiny_args(tiny_model_dir, tmp_path / "b", max_steps=12, resume=True, **common)).train()
    atol = 1e-6 if next(straight.model.parameters()).device.type == "cpu" else 1e-4
    for (name, a), (_, b) in zip(straight.model.state_dict().items(), resumed.model.state_dict().items(), strict=True):
        assert torch.allclose(a, b, atol=atol), name


def test_averaging_options_are_checked(tiny_model_dir, tmp_path):
    with pytest.raises(ConfigError, match="--ema-decay must be at least 0 and less than 1"):
        tiny_args(tiny_model_dir, tmp_path, ema_decay=1.0).validate()
    with pytest.raises(ConfigError, match="--ema-decay averages fine-tuned weights"):
        tiny_args(tiny_model_dir, tmp_path, ema_decay=0.99, mode="head-only", schedule="joint").validate()
