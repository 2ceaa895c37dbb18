"""Early stopping within a stage: the best validation evaluation so far, a copy of its weights, and the patience
left; saved in and restored from checkpoints."""

from __future__ import annotations

import torch


def rank(metrics: dict) -> tuple[float, float]:
    """How evaluations compare: macro-F1 at 0.5, ties broken by the macro average precision. The tie-break matters
    early on, when every score is still under 0.5 and F1 is 0 evaluation after evaluation while training works."""
    ap = metrics["all"].get("macro_ap")
    return metrics["all"]["macro_f1"], -1.0 if ap is None else ap


class BestTracker:
    """Best validation evaluation within a stage (by `rank`), with a copy of its weights, for early stopping."""

    def __init__(self, patience: int) -> None:
        self.patience, self.score, self.state, self.metrics, self.bad = patience, -1.0, None, None, 0
        self.batches = 0  # the stage's batches done at the best evaluation

    def better(self, metrics: dict) -> bool:
        return self.metrics is None or rank(metrics) > rank(self.metrics)

    def update(self, metrics: dict, model: torch.nn.Module, batches: int) -> bool:
        """Record an evaluation after `batches` of the stage's batches; True when the stage should stop."""
        if self.better(metrics):
            self.score, self.metrics, self.bad, self.batches = metrics["all"]["macro_f1"], metrics, 0, batches
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            return False
        self.bad += 1
        return bool(self.patience) and self.bad >= self.patience

    def summary(self) -> dict:
        return {"score": self.score, "metrics": self.metrics, "bad": self.bad, "batches": self.batches}

    def restore(self, summary: dict, weights: dict[str, torch.Tensor] | None, device: torch.device) -> None:
        """Continue from a checkpoint: the best score so far, its metrics and weights, and the patience used."""
        self.score, self.metrics, self.bad = summary["score"], summary["metrics"], summary["bad"]
        self.batches = summary.get("batches", 0)
        self.state = None if weights is None else {k: v.to(device) for k, v in weights.items()}
