"""Weight averaging within a stage: an exponential moving average (EMA) of the trainable weights, updated after
every optimiser step and swapped into the model when the stage ends; saved in and restored from checkpoints."""

from __future__ import annotations

import torch

from mlc.core.errors import ConfigError


class WeightAverage:
    """EMA of a model's trainable parameters, kept in fp32 beside them (on the same device).

    After step t the average moves towards the weights by 1 - min(decay, (1 + t) / (10 + t)): the warm-up term lets
    the first steps' weights fade quickly instead of anchoring the average to the untrained model."""

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        self.decay = decay
        self.names = [name for name, p in model.named_parameters() if p.requires_grad]
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.average = [p.detach().float().clone() for p in self.params]
        self.updates = 0

    def rate(self) -> float:
        """How far the average moves towards the weights at the next update."""
        return 1.0 - min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self) -> None:
        rate = self.rate()
        for average, param in zip(self.average, self.params, strict=True):
            average.lerp_(param.detach().float(), rate)
        self.updates += 1

    @torch.no_grad()
    def apply(self) -> None:
        """Replace the model's trainable weights with their average."""
        for average, param in zip(self.average, self.params, strict=True):
            param.copy_(average.to(param.dtype))

    def state_dict(self) -> dict:
        return {"updates": self.updates, "average": {n: a.cpu() for n, a in zip(self.names, self.average, strict=True)}}

    def load_state_dict(self, state: dict) -> None:
        saved = state["average"]
        if sorted(saved) != sorted(self.names):
            raise ConfigError("the checkpoint's weight average covers other parameters than the model's trainable ones "
                              "(hint: remove the checkpoint to start over)")
        self.updates = int(state["updates"])
        self.average = [saved[n].to(a.device, a.dtype) for n, a in zip(self.names, self.average, strict=True)]
