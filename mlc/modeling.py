"""Encoder + pooling + dropout + linear head, for any Hugging Face encoder."""

from __future__ import annotations

import torch
from torch import nn

POOLING_LAYERS = {"mean": 1, "cls": 1, "cls-last4": 4}


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


class EncoderClassifier(nn.Module):
    """Logits for `num_labels` labels from a text encoder. The head has no activation: sigmoid (multi-label) or
    softmax (single-label) is applied by the loss and at inference."""

    def __init__(self, encoder: nn.Module, num_labels: int, pooling: str = "mean", dropout: float = 0.1) -> None:
        super().__init__()
        if pooling not in POOLING_LAYERS:
            raise ValueError(f"unknown pooling {pooling!r}; use one of {', '.join(POOLING_LAYERS)}")
        if pooling == "cls-last4" and getattr(encoder.config, "num_hidden_layers", 4) < 3:
            from .errors import ConfigError

            raise ConfigError("pooling cls-last4 needs at least 3 encoder layers (4 hidden states); use mean or cls")
        self.encoder, self.pooling = encoder, pooling
        hidden = encoder.config.hidden_size * POOLING_LAYERS[pooling]
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, num_labels)
        nn.init.normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    @classmethod
    def from_pretrained(cls, name_or_path: str, num_labels: int, pooling: str = "mean", dropout: float = 0.1
                        ) -> EncoderClassifier:
        from transformers import AutoModel

        encoder = AutoModel.from_pretrained(name_or_path, add_pooling_layer=False) \
            if _takes_pooling_flag(name_or_path) else AutoModel.from_pretrained(name_or_path)
        return cls(encoder, num_labels, pooling, dropout)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **extra: torch.Tensor) -> torch.Tensor:
        extra = {k: v for k, v in extra.items() if k == "token_type_ids"}
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                           output_hidden_states=self.pooling == "cls-last4", **extra)
        states = out.hidden_states if self.pooling == "cls-last4" else (out.last_hidden_state,)
        return self.head(self.dropout(pool(states, attention_mask, self.pooling)))

    def encoder_layers(self) -> list[nn.Module]:
        """The encoder's transformer blocks, bottom first (empty if the architecture is not recognised)."""
        for path in ("encoder.layer", "layers", "transformer.layer", "layer"):
            node = self.encoder
            for part in path.split("."):
                node = getattr(node, part, None)
                if node is None:
                    break
            if isinstance(node, nn.ModuleList):
                return list(node)
        return []

    def embeddings(self) -> nn.Module | None:
        return getattr(self.encoder, "embeddings", None)


def _takes_pooling_flag(name_or_path: str) -> bool:
    """BERT-like models accept `add_pooling_layer`; the pooler is unused here, so skip building it."""
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(name_or_path).model_type in ("bert", "roberta", "xlm-roberta", "camembert",
                                                                    "longformer")
