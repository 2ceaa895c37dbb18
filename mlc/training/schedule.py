"""The stage schedule: each language in turn (largest first, or --language-order), then all languages together
(optionally language-balanced), or only one of the two (--schedule)."""

from __future__ import annotations

from dataclasses import dataclass

from mlc.core.errors import ConfigError
from mlc.data import MultiLabelData
from mlc.data.loader import column_values
from mlc.training.args import TrainArgs


@dataclass
class Stage:
    name: str
    languages: list[str] | None  # None: every language
    epochs: float
    balanced: bool  # language-temperature sampling


def stages_for(args: TrainArgs, data: MultiLabelData) -> list[Stage]:
    counts: dict[str, int] = {}
    for language in column_values(data["train"], "language"):
        counts[language] = counts.get(language, 0) + 1
    order = args.language_order or sorted(counts, key=lambda lang: (-counts[lang], lang))
    unknown = [lang for lang in order if lang not in counts]
    if unknown:
        raise ConfigError(f"--language-order names languages without training rows: {', '.join(unknown)}")
    per_language = [Stage(f"language:{lang}", [lang], args.language_epochs, False) for lang in order]
    joint = Stage("joint", None, args.epochs, args.language_temperature != 1.0)
    if args.schedule == "joint":
        return [joint]
    if args.schedule == "per-language":
        return per_language
    return [*per_language, joint]
