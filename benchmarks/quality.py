"""XED (English and Finnish) and GoEmotions: mlc against a TF-IDF baseline and the published numbers, on test.

XED has no official split: each language's annotated file is split 80/10/10 into train/dev/test, stratified by
labels with iterative stratification (seed 42), into a temporary folder; the data in ../shared is read in place.
GoEmotions uses its own train/dev/test. mlc trains on train (dev is the validation split that tunes the
thresholds) and is scored once on test. Usage:

  python benchmarks/quality.py xed --config examples/xed.yaml
  python benchmarks/quality.py goemotions --config examples/goemotions.yaml
  python benchmarks/quality.py xed --from-json runs/xed.json   # re-render a run saved with --json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    load_saved_run,
    machine_description,
    per_language,
    scored,
    tfidf_baseline,
    thresholds_like_bundle,
)

from mlc.data import load_data  # noqa: E402
from mlc.model.ngrams import mix  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
XED_LABELS = "anger,anticipation,disgust,fear,joy,sadness,surprise,trust"
# (reference name, metric, value) from ../shared/data/README.md.
REFERENCES = {
    "xed": {"en": [("BERT (Öhman et al. 2020)", "F1", 0.530), ("one-vs-rest LinearSVC (ibid.)", "F1", 0.502)],
            "fi": [("SVM (ibid.)", "F1", 0.586)]},
    "goemotions": {"en": [("BERT-base (Demszky et al. 2020)", "macro-F1", 0.46)]},
}


def xed_view(folder: Path, seed: int = 42) -> Path:
    """train/dev/test/<lang>.jsonl for XED en and fi: a seeded, stratified 80/10/10 split of each annotated file."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit

    for lang in ("en", "fi"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = load_data(SHARED / "xed" / "AnnotatedData" / f"{lang}-annotated.tsv", label_names=XED_LABELS,
                             label_id_base=1, language=lang, quoting=False, validation_size=0)
        rows = data["train"]
        y = np.array(list(rows["labels"]))
        splitter = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)
        train_idx, rest = next(splitter.split(np.zeros(len(y)), y))
        splitter = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=0.5, random_state=seed)
        dev_pos, test_pos = next(splitter.split(np.zeros(len(rest)), y[rest]))
        for split, index in (("train", train_idx), ("dev", rest[dev_pos]), ("test", rest[test_pos])):
            (folder / split).mkdir(parents=True, exist_ok=True)
            with (folder / split / f"{lang}.jsonl").open("w", encoding="utf-8") as handle:
                for i in sorted(index):
                    names = [data.labels[j] for j, v in enumerate(y[i]) if v]
                    handle.write(json.dumps({"id": rows[int(i)]["id"], "text": rows[int(i)]["text"],
                                             "labels": names}, ensure_ascii=False) + "\n")
    return folder


def run(dataset: str, config: dict, work: Path) -> dict:
    from mlc import Classifier
    from mlc.commands.train import fit
    from mlc.data.aligned import align
    from mlc.metrics.thresholds import DEFAULT_THRESHOLD
    from mlc.training.args import TrainArgs

    if dataset == "xed":
        folder = xed_view(work / "xed")
        options = {"data": str(folder), "label_column": "labels", "label_names": XED_LABELS}
    else:
        folder = SHARED / "goemotions"
        options = {"data": str(folder), "language": "en"}
    data = load_data(**options)
    truth = np.array(list(data["test"]["labels"]))
    mask = np.array([data.label_mask(lang) for lang in data["test"]["language"]])
    languages = np.asarray(list(data["test"]["language"]))
    started = time.perf_counter()
    baseline = per_language((tfidf_baseline(data) >= 0.5).astype(int), truth, mask, languages)
    baseline_seconds = time.perf_counter() - started
    print("TF-IDF baseline:", json.dumps(baseline), flush=True)

    output = work / "bundle"
    started = time.perf_counter()
    fit(TrainArgs(**{**config, **options, "output": str(output)}))
    seconds = time.perf_counter() - started
    clf = Classifier.load(output)
    test = align(data, ["test"], clf.labels, "test")
    encoder, probs = scored(clf, test)
    scores = {rule: per_language((probs >= thresholds).astype(int), test.truth, test.mask, languages)
              for rule, thresholds in (("0.5", DEFAULT_THRESHOLD), ("bundle", clf.resolve_thresholds(None, languages)))}
    val = align(data, ["validation"], clf.labels, "validation")
    encoder_val = clf.predict_proba(val.texts, batch_size=64, ngrams=False)
    alone = thresholds_like_bundle(output, encoder_val, val, languages)
    scores["encoder alone"] = per_language((encoder >= alone).astype(int), test.truth, test.mask, languages)
    weights = None
    if clf.ngrams is not None:  # the same members at one weight 0.5 (the recipe before --blend per-language)
        one_val = mix(encoder_val, clf.ngrams.predict_proba(val.texts, val.languages), 0.5)
        one_test = mix(encoder, clf.ngrams.predict_proba(test.texts, test.languages), 0.5)
        thresholds = thresholds_like_bundle(output, one_val, val, languages)
        scores["one weight 0.5"] = per_language((one_test >= thresholds).astype(int), test.truth, test.mask, languages)
        weights = {"weight": clf.ngrams.weight, "language_weights": clf.ngrams.language_weights}
    return {"dataset": dataset, "config": config, "baseline": baseline, "mlc": scores, "train_seconds": seconds,
            "baseline_seconds": baseline_seconds, "rows": {s: len(data[s]) for s in data.splits},
            "thresholds_source": json.loads((output / "thresholds.json").read_text())["source"],
            "ngram_weights": weights}


def markdown(result: dict, command: str, machine: str) -> str:
    refs, scores = REFERENCES[result["dataset"]], result["mlc"]
    one = "one weight 0.5" in scores  # runs saved before it was scored lack the column
    weights = result.get("ngram_weights")
    lines = [f"`{command}`", "", f"Machine: {machine}. Rows: {result['rows']}. Training {result['train_seconds'] / 60:.1f} "
             f"min. Test scores (%); thresholds: {result['thresholds_source']} (the encoder alone"
             + (" and the one-weight blend" if one else "") + ": tuned the same way on their own scores)."
             + (f" The bundle's n-gram weight: {weights['weight']:.2f}"
                + "".join(f", {lang} {w:.2f}" for lang, w in weights["language_weights"].items()) + "."
                if weights else ""), "",
             "| lang | published | TF-IDF + LR macro-F1 | mlc encoder alone macro-F1 | "
             + ("mlc one weight 0.5 macro-F1 | " if one else "") + "mlc macro-F1, thr 0.5 | "
             "mlc macro-F1, bundle thr | TF-IDF + LR micro-F1 | mlc micro-F1, bundle thr |",
             "|---|---|---|---|---|---|---|---|" + ("---|" if one else "")]
    for lang in sorted(result["baseline"]):
        published = "; ".join(f"{name} {metric} {100 * value:.1f}" for name, metric, value in refs.get(lang, []))
        b = result["baseline"][lang]
        lines.append(f"| {lang} | {published} | {100 * b['macro_f1']:.1f} | "
                     f"{100 * scores['encoder alone'][lang]['macro_f1']:.1f} | "
                     + (f"{100 * scores['one weight 0.5'][lang]['macro_f1']:.1f} | " if one else "")
                     + f"{100 * scores['0.5'][lang]['macro_f1']:.1f} | "
                     f"**{100 * scores['bundle'][lang]['macro_f1']:.1f}** | {100 * b['micro_f1']:.1f} | "
                     f"{100 * scores['bundle'][lang]['micro_f1']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", choices=("xed", "goemotions"))
    parser.add_argument("--config", help="YAML/JSON of TrainArgs options")
    parser.add_argument("--json", help="also write the raw results here")
    parser.add_argument("--no-results", action="store_true")
    parser.add_argument("--section", help="RESULTS.md section to write (default: the data set's name)")
    parser.add_argument("--from-json", help="write the table of a run saved with --json instead of training")
    parser.add_argument("--command", help="with --from-json: the command that made it, if the file does not say")
    opts = parser.parse_args()
    if opts.from_json:
        return publish(load_saved_run(Path(opts.from_json), opts.command), opts)
    if not SHARED.is_dir():
        sys.exit(f"data sets not found at {SHARED}")
    config: dict = {"model": "default"}
    if opts.config:
        from mlc.core.options import load_config_file

        config.update(load_config_file(opts.config))
    with tempfile.TemporaryDirectory(prefix=f"mlc-{opts.dataset}-") as tmp:
        result = run(opts.dataset, config, Path(tmp))
    result.update(machine=machine_description(), command="python benchmarks/quality.py " + " ".join(sys.argv[1:]))
    if opts.json:
        Path(opts.json).write_text(json.dumps(result, indent=2))
    publish(result, opts)


def publish(result: dict, opts: argparse.Namespace) -> None:
    """Print the run's table and write it into RESULTS.md's section (unless --no-results)."""
    table = markdown(result, result["command"], result["machine"])
    print(table)
    if not opts.no_results:
        from results import update_section

        title = {"xed": "XED English and Finnish", "goemotions": "GoEmotions"}[result["dataset"]]
        update_section(opts.section or result["dataset"], f"## {title} on test (`benchmarks/quality.py`)\n\n{table}")


if __name__ == "__main__":
    main()
