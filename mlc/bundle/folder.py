"""The bundle: one folder holding everything inference needs. This module writes, reads and validates its files
and nothing else (no training, no metrics, no plots); the writer (python -m mlc.train) fills a temporary folder and
renames it into place once complete.

    config.json, model.safetensors     the classifier (save_pretrained): encoder config, pooling, id2label,
                                       label2id, problem_type, auto_map
    modeling_mlc.py                    a copy of mlc/model/modeling.py, so transformers loads the bundle without mlc
    tokenizer files                    save_pretrained
    mlc.json                           labels, per-language label sets, pooling, problem, max_length
    thresholds.json                    a threshold per label, per language and label (per-language-f1), a global
                                       fallback, and the precision of the scores they were tuned on
    ngrams/                            the n-gram model blended into the scores (mlc.model.ngrams), unless turned off
    evaluation/                        the validation report: metrics.json, report.md, plots/*.png
    metrics.json                       validation metrics per stage and language
    training_args.json, train-log.jsonl, README.md (model card)
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from mlc.bundle.thresholds import THRESHOLDS_FILE
from mlc.core.atomic import atomic_file
from mlc.core.errors import ModelError

BUNDLE_FILE = "mlc.json"
MODELING_FILE = "modeling_mlc.py"
PREVIOUS_THRESHOLDS_FILE = "thresholds.previous.json"
# The index of a --schedule per-language output folder: {"schedule": ..., "bundles": {language: subfolder}}.
LANGUAGES_FILE = "languages.json"
EVALUATION_DIR = "evaluation"
# What serving a bundle reads (with an ONNX graph) and shows (its card and validation report): relative paths, as
# fnmatch patterns. The PyTorch weights, the training log and the training texts' hashes are not among them.
SERVING_PATTERNS = (BUNDLE_FILE, THRESHOLDS_FILE, "config.json", "tokenizer*.json", "special_tokens_map.json",
                    "added_tokens.json", "sentencepiece*.model", "spiece.model", "vocab.*", "merges.txt",
                    "ngrams/*", "README.md", "metrics.json", "data_summary.json", f"{EVALUATION_DIR}/*",
                    f"{EVALUATION_DIR}/plots/*", "onnx/export.json")
WEIGHT_PATTERNS = ("model*.safetensors", "pytorch_model*.bin", MODELING_FILE)


def bundle_files(folder: Path, patterns: tuple[str, ...]) -> list[Path]:
    """The files of a bundle folder whose path relative to it matches one of `patterns`."""
    import fnmatch

    return sorted(path for path in folder.rglob("*") if path.is_file() and
                  any(fnmatch.fnmatch(path.relative_to(folder).as_posix(), p) for p in patterns))


def write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False), "utf-8")


def write_bundle(folder: Path, model, tokenizer, info: dict[str, Any], thresholds: dict[str, Any],
                 ngrams=None) -> None:
    """The files inference needs, into `folder` (a temporary folder the caller renames into place): the model
    (save_pretrained, plus modeling_mlc.py so that transformers loads it without mlc), the tokenizer, mlc.json
    (`info`: labels, language_labels, pooling, problem, max_length, base_model), thresholds.json and the n-gram
    model, if any."""
    from mlc.model import modeling

    model.save_pretrained(folder)
    shutil.copyfile(Path(modeling.__file__), folder / MODELING_FILE)
    tokenizer.save_pretrained(folder)
    write_json(folder / BUNDLE_FILE, {"format": 1, **info})
    write_json(folder / THRESHOLDS_FILE, thresholds)
    if ngrams is not None:
        ngrams.save(folder)


def replace_thresholds(folder: Path, payload: dict[str, Any], keep_previous: bool = True) -> None:
    """Write thresholds.json atomically; with `keep_previous`, the one it replaces goes to
    thresholds.previous.json first."""
    path = folder / THRESHOLDS_FILE
    if keep_previous and path.is_file():
        old = _read_bundle_json(path)
        with atomic_file(folder / PREVIOUS_THRESHOLDS_FILE, encoding="utf-8") as handle:
            json.dump(old, handle, indent=2, ensure_ascii=False)
    with atomic_file(path, encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2, ensure_ascii=False)


def read_bundle_info(folder: str | os.PathLike) -> dict[str, Any]:
    folder = Path(folder)
    path = folder / BUNDLE_FILE
    if not path.is_file() and (folder / LANGUAGES_FILE).is_file():
        languages = json.loads((folder / LANGUAGES_FILE).read_text("utf-8"))["bundles"]
        raise ModelError(f"{folder}: holds one bundle per language (--schedule per-language), not a bundle "
                         f"(hint: load one of {', '.join(str(folder / p) for p in languages.values())})")
    if not path.is_file():
        raise ModelError(f"{folder}: not an mlc bundle (no {BUNDLE_FILE}) (hint: train one with python -m mlc.train)")
    info = _read_bundle_json(path)
    info["thresholds"] = _read_bundle_json(folder / THRESHOLDS_FILE)
    if not isinstance(info.get("labels"), list) or not isinstance(info["thresholds"].get("per_label"), dict):
        raise ModelError(f"{folder}: a damaged bundle (no label list in {BUNDLE_FILE} or no per_label thresholds in "
                         f"{THRESHOLDS_FILE}) (hint: retrain it, or restore its files)")
    return info


def bundle_id(folder: str | os.PathLike) -> str:
    """A bundle's name and version, for records that outlive it (corrections): the folder's name and a digest of
    its mlc.json and thresholds.json, so that a retrained or retuned bundle has another id."""
    import hashlib

    folder = Path(folder)
    digest = hashlib.blake2b(digest_size=6)
    for name in (BUNDLE_FILE, THRESHOLDS_FILE):
        digest.update((folder / name).read_bytes())
    return f"{folder.name}@{digest.hexdigest()}"


def _read_bundle_json(path: Path) -> dict[str, Any]:
    """One JSON object of a bundle; a missing, unreadable or damaged file is a ModelError naming it."""
    try:
        payload = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: missing from the bundle (hint: retrain it, or restore the file)") from None
    except OSError as err:
        raise ModelError(f"{path}: cannot read it: {err.strerror}") from None
    except ValueError as err:  # JSON or UTF-8
        raise ModelError(f"{path}: damaged ({err}) (hint: retrain the bundle, or restore the file)") from None
    if not isinstance(payload, dict):
        raise ModelError(f"{path}: damaged (not a JSON object) (hint: retrain the bundle, or restore the file)")
    return payload


def load_bundle_model(folder: str | os.PathLike):
    """(MlcForSequenceClassification, tokenizer, info) from a bundle; weights from safetensors only."""
    from mlc.model import modeling
    from mlc.model.encoders import load_tokenizer

    folder = Path(folder)
    info = read_bundle_info(folder)
    try:
        model = modeling.MlcForSequenceClassification.from_pretrained(str(folder), use_safetensors=True)
    except Exception as err:  # safetensors, transformers and torch raise their own types for a damaged file
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelError(f"{folder}: the bundle's model cannot be loaded ({first}) (hint: retrain it, or restore "
                         "its files)") from None
    model.eval()
    return model, load_tokenizer(str(folder)), info
