"""What a training run hands to the bundle writer: the model, its tokenizer and data, the run's numbers, and the
fitted n-gram model (fine-tuning and head-only training both return it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlc.data import MultiLabelData
from mlc.model.modeling import MlcForSequenceClassification


@dataclass
class TrainResult:
    model: MlcForSequenceClassification
    tokenizer: Any
    data: MultiLabelData
    stage_metrics: dict[str, dict] = field(default_factory=dict)
    steps: int = 0
    seconds: float = 0.0
    samples_per_second: float = 0.0
    truncated: int = 0
    processes: int = 1
    device: str = "cpu"
    precision: str = "fp32"
    bundles: dict[str, str] = field(default_factory=dict)  # --schedule per-language: language -> subfolder
    ngrams: Any = None  # the fitted NgramModel, when the blend is on
    # What the run chose on validation and a refit repeats on more rows: the epochs each stage trained (to its best
    # evaluation, with early stopping) when fine-tuning; the heads' regularisation {"C": c} when head-only.
    choices: dict[str, float] = field(default_factory=dict)
    refit: dict[str, Any] | None = None  # with --refit: the first run's record (rows, steps, seconds, choices)
