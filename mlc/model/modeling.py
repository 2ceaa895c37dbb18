"""Encoder + pooling + dropout + linear head, for any Hugging Face encoder, as a `transformers` model.

This file is self-contained (torch and transformers only) on purpose: a bundle carries a copy of it as
`modeling_mlc.py`, and its config.json maps `AutoConfig`/`AutoModelForSequenceClassification` to it, so that

    transformers.pipeline("text-classification", model=BUNDLE, trust_remote_code=True, top_k=None,
                          function_to_apply="sigmoid")

loads a bundle without mlc installed. With mlc imported the classes are registered and `trust_remote_code` is not
needed. The config has its own model type (`mlc`) so that loading without either fails loudly instead of building
a `BertForSequenceClassification` with a random head.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForSequenceClassification,
    PretrainedConfig,
    PreTrainedModel,
)
from transformers.modeling_outputs import SequenceClassifierOutput

POOLING_LAYERS = {"mean": 1, "cls": 1, "cls-last4": 4}
# Architectures whose base model builds an (unused here) pooler unless told not to.
_HAS_POOLER_FLAG = ("bert", "roberta", "xlm-roberta", "camembert", "longformer")


def pool(hidden_states: tuple[torch.Tensor, ...], attention_mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """Sentence vectors from the encoder's hidden states ([batch, tokens, hidden] per layer)."""
    last = hidden_states[-1]
    if pooling == "cls":
        return last[:, 0]
    if pooling == "cls-last4":
        return torch.cat([h[:, 0] for h in hidden_states[-4:]], dim=-1)
    if pooling == "mean":
        mask = attention_mask.unsqueeze(-1).to(last.dtype)
        return (last * mask).sum(1) / mask.sum(1).clamp(min=1.0)
    raise ValueError(f"unknown pooling {pooling!r}")


class MlcConfig(PretrainedConfig):
    """The encoder's own config (a dict under `encoder`) plus the head's settings and the label names."""

    model_type = "mlc"

    def __init__(self, encoder: dict | None = None, pooling: str = "mean", dropout: float = 0.1, **kwargs: Any):
        super().__init__(**kwargs)
        self.encoder = encoder or {}
        self.pooling, self.dropout = pooling, dropout

    def encoder_config(self) -> PretrainedConfig:
        encoder = dict(self.encoder)
        return AutoConfig.for_model(encoder.pop("model_type"), **encoder)

    @property
    def encoder_hidden_size(self) -> int:
        return int(self.encoder["hidden_size"])


def _encoder_kwargs(model_type: str) -> dict[str, Any]:
    return {"add_pooling_layer": False} if model_type in _HAS_POOLER_FLAG else {}


class MlcForSequenceClassification(PreTrainedModel):
    """Logits for `config.num_labels` labels. The head has no activation: sigmoid (multi-label) or softmax
    (single-label) is applied by the loss and at inference."""

    config_class = MlcConfig
    base_model_prefix = "mlc"
    # Attention runs inside the wrapped encoder, which checks its own support.
    _supports_sdpa = True
    _supports_flash_attn = True
    _supports_flex_attn = True
    _supports_attention_backend = True

    def __init__(self, config: MlcConfig, encoder: PreTrainedModel | None = None) -> None:
        super().__init__(config)
        if config.pooling not in POOLING_LAYERS:
            raise ValueError(f"unknown pooling {config.pooling!r}; use one of {', '.join(POOLING_LAYERS)}")
        if encoder is None:
            encoder_config = config.encoder_config()
            encoder = AutoModel.from_config(encoder_config, **_encoder_kwargs(encoder_config.model_type))
        if config.pooling == "cls-last4" and getattr(encoder.config, "num_hidden_layers", 4) < 3:
            raise ValueError("pooling cls-last4 needs at least 3 encoder layers (4 hidden states); use mean or cls")
        self.encoder, self.pooling = encoder, config.pooling
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.encoder_hidden_size * POOLING_LAYERS[config.pooling], config.num_labels)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        # Only the head is new; the encoder's weights come from its checkpoint and are never re-initialised here.
        if module is getattr(self, "head", None):
            nn.init.normal_(module.weight, std=0.02)
            nn.init.zeros_(module.bias)

    @classmethod
    def from_encoder(cls, name_or_path: str, labels: list[str], pooling: str = "mean", dropout: float = 0.1,
                     problem_type: str = "multi_label_classification") -> MlcForSequenceClassification:
        """A new classifier on top of a pretrained encoder (hub id or folder), with a freshly initialised head."""
        model_type = AutoConfig.from_pretrained(name_or_path).model_type
        encoder = AutoModel.from_pretrained(name_or_path, **_encoder_kwargs(model_type))
        config = MlcConfig(encoder=encoder.config.to_dict(), pooling=pooling, dropout=dropout,
                           id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)},
                           problem_type=problem_type)
        config.auto_map = {"AutoConfig": "modeling_mlc.MlcConfig",
                           "AutoModelForSequenceClassification": "modeling_mlc.MlcForSequenceClassification"}
        return cls(config, encoder=encoder)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None, **_: Any) -> SequenceClassifierOutput:
        pooled = self.pooled(input_ids, attention_mask, token_type_ids)
        return SequenceClassifierOutput(logits=self.head(self.dropout(pooled)))

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
               token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        """The sentence vector the head reads: the encoder's states pooled by the configured pooling."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                           output_hidden_states=self.pooling == "cls-last4", **extra)
        states = out.hidden_states if self.pooling == "cls-last4" else (out.last_hidden_state,)
        return pool(states, attention_mask, self.pooling)

    def encoder_layers(self) -> list[nn.Module]:
        """The encoder's transformer blocks, bottom first (empty if the architecture is not recognised)."""
        for path in ("encoder.layer", "layers", "transformer.layer", "layer"):
            node: Any = self.encoder
            for part in path.split("."):
                node = getattr(node, part, None)
                if node is None:
                    break
            if isinstance(node, nn.ModuleList):
                return list(node)
        return []

    def embeddings(self) -> nn.Module | None:
        return getattr(self.encoder, "embeddings", None)


AutoConfig.register("mlc", MlcConfig, exist_ok=True)
AutoModelForSequenceClassification.register(MlcConfig, MlcForSequenceClassification, exist_ok=True)
