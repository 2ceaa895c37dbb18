"""Resolve a `--model` value (`default`, a local folder or a Hugging Face hub id) and load its tokenizer safely."""

from __future__ import annotations

import json
import os
from pathlib import Path

from mlc.core.errors import ConfigError, ModelError

DEFAULT = "default"


def resolve_model(spec: str | os.PathLike | None, cache_dir: str | os.PathLike | None = None) -> str:
    """Turn a model spec into something `from_pretrained` accepts: a local folder or a hub id.

    `default` (or None) builds/uses the embedded multilingual-e5-small; an existing folder must hold a
    config.json; anything that looks like a path but does not exist is an error rather than a hub lookup.
    """
    if spec is None or str(spec) == DEFAULT:
        from mlc.model.default_model import ensure_default_model

        return str(ensure_default_model(cache_dir))
    text = str(spec)
    path = Path(text).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelError(f"{text}: a model must be a folder (with config.json), a hub id, or 'default'")
        if not (path / "config.json").is_file():
            raise ModelError(f"{text}: folder has no config.json (hint: point --model at a folder written by "
                             "save_pretrained or by `python -m mlc.train`)")
        return str(path)
    if text.startswith((".", "/", "~")) or text.count("/") > 1 or os.sep in text.replace("/", ""):
        raise ModelError(f"{text}: no such model folder (hint: use 'default', a hub id like "
                         "'intfloat/multilingual-e5-small', or an existing folder)")
    return text


def _vocab_size(name_or_path: str) -> int | None:
    """The model's vocabulary size: from a local folder's config.json as plain JSON (a bundle's encoder config is
    nested under `encoder`), so that checking a tokenizer needs neither torch nor the model's class."""
    config_file = Path(name_or_path) / "config.json"
    if config_file.is_file():
        config = json.loads(config_file.read_text("utf-8"))
    else:
        from transformers import AutoConfig

        from mlc.model import modeling  # noqa: F401  (registers the `mlc` model type of bundles)

        config = AutoConfig.from_pretrained(name_or_path).to_dict()
    return config.get("vocab_size") or (config.get("encoder") or {}).get("vocab_size")


def _tokenizer_class(name_or_path: str):
    """The class named in a local folder's tokenizer_config.json (so that a bundle's tokenizer loads without its
    model class, and without torch), else AutoTokenizer, with the `mlc` model type registered."""
    import transformers

    config_file = Path(name_or_path) / "tokenizer_config.json"
    if config_file.is_file():
        name = json.loads(config_file.read_text("utf-8")).get("tokenizer_class")
        found = getattr(transformers, name, None) if isinstance(name, str) else None
        if found is not None:
            return found
    from mlc.model import modeling  # noqa: F401  (registers the `mlc` model type of bundles)

    return transformers.AutoTokenizer


def check_max_length(tokenizer, max_length: int) -> None:
    """Refuse a max_length that leaves no room for text beside the tokenizer's special tokens."""
    special = tokenizer.num_special_tokens_to_add()
    if max_length <= special:
        raise ConfigError(f"--max-length {max_length} leaves no token for the text: this tokenizer adds {special} "
                          "special tokens (hint: --max-length 128, the default)")


def load_tokenizer(name_or_path: str, vocab_size: int | None = None):
    """Load a tokenizer and refuse a silently-defaulted one (transformers builds a tiny vocabulary when
    tokenizer files are missing or broken)."""
    try:
        tokenizer = _tokenizer_class(name_or_path).from_pretrained(name_or_path)
        if vocab_size is None:
            vocab_size = _vocab_size(name_or_path)
    except (OSError, ValueError) as err:
        raise ModelError(f"{name_or_path}: cannot load the tokenizer ({str(err).splitlines()[0]}) (hint: with no "
                         "network, use a local folder or 'default'; set HF_HUB_OFFLINE=1 to use the hub cache)"
                         ) from err
    if vocab_size and len(tokenizer) < 0.5 * vocab_size:
        raise ModelError(f"{name_or_path}: tokenizer has {len(tokenizer)} tokens but the model's vocabulary has "
                         f"{vocab_size}: the tokenizer files are missing or broken")
    return tokenizer
