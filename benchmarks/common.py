"""Pieces the quality benchmarks share: per-language scores, the TF-IDF baseline, the machine's description."""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import numpy as np

from mlc.metrics.scores import bootstrap_weights, f1_scores


def per_language(pred: np.ndarray, truth: np.ndarray, mask: np.ndarray, languages: np.ndarray) -> dict:
    out = {}
    for lang in sorted(set(languages)):
        rows = languages == lang
        macro, micro = f1_scores(truth[rows], pred[rows], mask[rows])
        out[lang] = {"macro_f1": macro, "micro_f1": micro}
    return out


def paired_bootstrap(pred_a: np.ndarray, pred_b: np.ndarray, truth: np.ndarray, mask: np.ndarray,
                     samples: int = 1000, seed: int = 0) -> dict:
    """How sure is "a beats b" on these rows? Macro-F1 of a minus b (points) on the rows, and over `samples`
    resamples of the rows with replacement: the 95% interval and the share of resamples where a is ahead."""
    diffs = 100 * np.array([f1_scores(truth, pred_a, mask, weights)[0] - f1_scores(truth, pred_b, mask, weights)[0]
                            for weights in bootstrap_weights(len(truth), samples, seed)])
    return {"diff": 100 * (f1_scores(truth, pred_a, mask)[0] - f1_scores(truth, pred_b, mask)[0]),
            "low": float(np.percentile(diffs, 2.5)), "high": float(np.percentile(diffs, 97.5)),
            "a_ahead": float(np.mean(diffs > 0))}


def mean(values) -> float:
    values = list(values)
    return float(np.mean(values)) if values else float("nan")


def machine_description() -> str:
    import torch

    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name()}, torch {torch.__version__}"
    return f"{cpu_description()}, torch {torch.__version__}"


def cpu_description() -> str:
    """The CPU as it matters for speed: model, vector instructions, bf16 support, threads (machines here differ)."""
    import torch

    from mlc.model.dtypes import cpu_has_native_bf16

    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        model = names[0] if names else model
    bf16 = "bf16 instructions" if cpu_has_native_bf16() else "no bf16 instructions"
    return (f"{model} ({torch.backends.cpu.get_cpu_capability()}, {bf16}), "
            f"{torch.get_num_threads()} threads")


def tfidf_baseline(data, split: str = "test") -> np.ndarray:
    """The cheap baseline: mlc's n-gram model alone (TF-IDF of word 1-2-grams and character 2-5-grams, one-vs-rest
    logistic regression, per language; mlc.ngrams), fitted on `train`; probabilities for `split`. Labels without
    both classes in a language's train get probability 0."""
    from mlc.data.aligned import align
    from mlc.model.ngrams import NgramModel

    rows = align(data, ["train"], data.labels, "train")
    model = NgramModel.fit(rows.texts, rows.truth, rows.mask, rows.languages, data.labels, weight=1.0)
    target = align(data, [split], data.labels, split)
    return np.nan_to_num(model.predict_proba(target.texts, target.languages), nan=0.0)


def scored(clf, rows, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(the encoder's probabilities, what the bundle predicts: blended with its n-gram model if it has one)."""
    encoder = clf.predict_proba(rows.texts, batch_size=batch_size, ngrams=False)
    if clf.ngrams is None:
        return encoder, encoder
    return encoder, clf.ngrams.blend(encoder, rows.texts, rows.languages)


def thresholds_like_bundle(bundle, val_probs: np.ndarray, val, languages) -> np.ndarray:
    """Thresholds for other scores of the validation rows (the encoder alone, the n-gram model alone), tuned the
    bundle's way (its threshold_objective): [labels], or [len(languages), labels] for per-language-f1 (rows in
    `languages`)."""
    import json
    from pathlib import Path

    from mlc.metrics.thresholds import DEFAULT_THRESHOLD, language_label_thresholds, tune_thresholds_for

    objective = json.loads((Path(bundle) / "training_args.json").read_text())["threshold_objective"]
    if objective == "none":
        return np.full(val.truth.shape[1], DEFAULT_THRESHOLD)
    if objective == "per-language-f1":
        shared, own = language_label_thresholds(val_probs, val.truth, val.mask, val.languages)
        return np.stack([own.get(lang, shared) for lang in languages])
    return tune_thresholds_for(val_probs, val.truth, val.mask, objective, languages=np.asarray(val.languages))[0]


def load_saved_run(path: Path, command: str | None = None) -> dict:
    """A run saved with a benchmark's --json, for --from-json: its command (given here if the file does not record
    it) and machine (this one if the file does not record it, for runs saved before it was)."""
    try:
        result = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        sys.exit(f"{path}: cannot read a saved run ({error})")
    result.setdefault("command", command)
    if not result["command"]:
        sys.exit(f"{path} does not record its command (runs before it was saved): pass --command '...'")
    if "machine" not in result:
        result["machine"] = machine_description()
        print(f"{path} does not record its machine: taking this one's ({result['machine']})", file=sys.stderr)
    return result

