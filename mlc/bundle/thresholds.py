"""Thresholds as a bundle stores and a user gives them: each one a finite number in [0, 1], checked wherever it
comes from (a bundle's thresholds.json, --thresholds, a JSON file, the Python API, the demo's HTTP API)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from mlc.core.errors import ConfigError, DataError, FileAccessError, ModelError
from mlc.metrics.thresholds import DEFAULT_THRESHOLD

THRESHOLDS_FILE = "thresholds.json"


class InvalidThreshold(ValueError):
    """A threshold that is not a finite number in [0, 1]; the message names it and says what it was."""


def check_threshold(value: Any, what: str = "threshold") -> float:
    """`value` as a float when it is a finite number in [0, 1] (a probability cut-off); else InvalidThreshold.
    Strings, booleans and None are refused: a threshold of True or "0.5" in a JSON file is a mistake to report."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidThreshold(f"{what} must be a number in [0, 1], got {value!r}")
    number = float(value)
    if not np.isfinite(number) or not 0.0 <= number <= 1.0:
        raise InvalidThreshold(f"{what} must be a number in [0, 1], got {value!r}")
    return number


def check_threshold_array(values: Any, what: str = "thresholds") -> np.ndarray:
    """An array of thresholds, each checked as `check_threshold` does."""
    if np.asarray(values).dtype == bool:
        raise InvalidThreshold(f"{what} must be numbers in [0, 1], not true/false")
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InvalidThreshold(f"{what} must be numbers in [0, 1], got {values!r}"[:300]) from None
    bad = ~np.isfinite(array) | (array < 0) | (array > 1)
    if bad.any():
        raise InvalidThreshold(f"{what} must be numbers in [0, 1], got {array[bad].ravel()[0]!r}")
    return array


def parse_thresholds_option(spec: str) -> Any:
    """--thresholds as given: None for 'bundle', one number checked to lie in [0, 1], or the payload of a JSON file
    (its values are checked against the bundle's labels by `Classifier.resolve_thresholds`). Called before the model
    is loaded, so that a bad value costs no scoring."""
    if spec == "bundle":
        return None
    try:
        number = float(spec)
    except ValueError:
        return read_thresholds_file(spec)
    try:
        return check_threshold(number, "--thresholds")
    except InvalidThreshold as err:
        raise ConfigError(str(err)) from None


def read_thresholds_file(spec: str) -> Any:
    """The thresholds in a JSON file: its `per_label` object (the bundle's format), or the whole payload."""
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(f"--thresholds {spec}: not 'bundle', a number in [0, 1], or an existing JSON file")
    try:
        payload = json.loads(path.read_text("utf-8"))
    except OSError as error:
        raise FileAccessError(error, "cannot read") from None
    except UnicodeDecodeError as error:
        raise DataError(f"not UTF-8 text ({error.reason})", path=str(path)) from None
    except json.JSONDecodeError as error:
        raise DataError(f"invalid JSON ({error.msg})", path=str(path), line=error.lineno) from None
    if isinstance(payload, dict) and isinstance(payload.get("per_label"), dict):
        payload = payload["per_label"]
    if payload is None or isinstance(payload, str):
        raise DataError(f"holds {json.dumps(payload)}, not thresholds", path=str(path),
                        hint='write {"label": 0.4, ...}, a list with one number per label, or one number')
    return payload
def threshold_payload(labels: list[str], per_label: np.ndarray, per_language: dict[str, np.ndarray],
                      language_labels: dict[str, list[str]]) -> dict[str, Any]:
    """thresholds.json's per_label and, if any, per_language entries (each language's annotated labels only)."""
    payload: dict[str, Any] = {"per_label": {label: float(t) for label, t in zip(labels, per_label, strict=True)}}
    if per_language:
        payload["per_language"] = {
            lang: {label: float(t) for label, t in zip(labels, values, strict=True)
                   if label in language_labels.get(lang, labels)} for lang, values in per_language.items()}
    return payload


def default_thresholds(labels: list[str], scores_precision: str) -> dict[str, Any]:
    """thresholds.json before tuning: 0.5 for every label. `scores_precision` is what scores are computed in (fp32,
    bf16, fp16); inference follows it (mlc.model.dtypes)."""
    return {"default": DEFAULT_THRESHOLD, "per_label": dict.fromkeys(labels, DEFAULT_THRESHOLD),
            "source": "default 0.5", "scores_precision": scores_precision}


def bundle_thresholds(payload: dict[str, Any], labels: list[str], path: Path | None
                      ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A bundle's thresholds.json: one threshold per label, and the ones tuned per language and label
    (per-language-f1; a language's missing labels keep the per-label ones). A value out of [0, 1] is a ModelError."""
    try:
        fallback = check_threshold(payload.get("default", DEFAULT_THRESHOLD), "default")
        per_label = payload["per_label"]
        shared = np.array([check_threshold(per_label.get(label, fallback), f"per_label {label!r}")
                           for label in labels])
        per_language = {lang: np.array([check_threshold(values.get(label, t), f"per_language {lang!r} {label!r}")
                                        for label, t in zip(labels, shared, strict=True)])
                        for lang, values in payload.get("per_language", {}).items()}
    except (InvalidThreshold, KeyError, AttributeError, TypeError) as err:
        raise ModelError(f"{path or 'bundle'}/{THRESHOLDS_FILE}: {err} (hint: fix the file, or restore "
                         "thresholds.previous.json)") from None
    return shared, per_language
