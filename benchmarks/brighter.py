"""BRIGHTER (SemEval-2025 Task 11, track A) on dev: mlc recipes against a TF-IDF baseline and the published numbers.

Trains on BRIGHTER train of the chosen languages (validation: a stratified 10% of train, so dev stays unseen),
scores dev per language with the official metric (macro-F1 over the language's own labels) and micro-F1, and writes
a table beside the published test-set numbers (dev is the proxy; test is held out). Every variant's thresholds are
scored four ways on dev: 0.5, the bundle's own (tuned on validation by its threshold_objective; per language and
label by default), one global threshold tuned on validation, and one threshold per language tuned on that language's
validation rows; bundles with an n-gram model (mlc's default) are also scored by their encoder alone, its
thresholds tuned the bundle's way. Usage:

  python benchmarks/brighter.py --quick                 # 4 languages, examples/brighter.yaml: under 10 minutes
  python benchmarks/brighter.py --languages eng,deu,esp,ron --variants joint,per-language-then-joint
  python benchmarks/brighter.py --all --config examples/brighter.yaml    # all 28 languages
  python benchmarks/brighter.py --from-json runs/all.json    # re-render a saved run's table

Variants are named options of `TrainArgs` on top of --config: `joint`, `per-language-then-joint`, or
`name:key=value;key=value` (e.g. `lr3e-4:learning_rate=3e-4`). A variant with `refit=all` is scored twice: its first
run (every rule above; the validation rows unseen by it) and the refitted bundle (`refit, thr bundle`: trained on the
validation rows too, with the first run's thresholds and weights); with `refit=ngrams` only the rules 0.5 and bundle
are clean (the others tune on rows its n-gram model has seen). `--train-fraction 0.8` trains on 80% of each
language's training rows, for a learning curve.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    load_saved_run,
    machine_description,
    mean,
    per_language,
    scored,
    tfidf_baseline,
    thresholds_like_bundle,
)

from mlc.data import load_data  # noqa: E402
from mlc.metrics.thresholds import DEFAULT_THRESHOLD  # noqa: E402

BRIGHTER = ROOT.parent / "shared" / "data" / "brighter"
# --quick: the four smallest languages with published numbers (Algerian Arabic, Sundanese, Tatar, Swedish: three
# scripts, four families), so that the 28-language recipe runs end to end in under 10 minutes on 2 CPU cores.
QUICK = ["arq", "sun", "tat", "swe"]
# Table 5 of Muhammad et al. 2025 (test macro-F1, %), from ../shared/data/README.md: (LaBSE, RemBERT, best of 5).
PUBLISHED = {
    "afr": (30.76, 37.14, 37.14), "arq": (45.46, 41.41, 45.46), "ary": (45.81, 47.16, 47.16),
    "chn": (53.47, 53.08, 58.48), "deu": (55.02, 64.23, 64.23), "eng": (64.24, 70.83, 70.83),
    "esp": (72.88, 77.44, 77.44), "hau": (58.49, 59.55, 59.55), "hin": (75.25, 85.51, 85.51),
    "ibo": (45.90, 47.90, 47.90), "kin": (50.64, 46.29, 50.64), "mar": (80.76, 82.20, 82.20),
    "pcm": (51.30, 55.50, 55.50), "ptbr": (42.60, 42.57, 42.60), "ptmz": (36.95, 45.91, 45.91),
    "ron": (69.79, 76.23, 76.23), "rus": (75.62, 83.77, 83.77), "sun": (36.93, 37.31, 37.31),
    "swa": (27.53, 22.65, 27.53), "swe": (49.23, 51.98, 51.98), "tat": (57.71, 53.94, 57.71),
    "ukr": (50.07, 53.45, 53.45), "vmw": (21.13, 12.14, 21.13), "yor": (32.55, 9.22, 32.55),
}


def data_view(languages: list[str], folder: Path, fraction: float = 1.0) -> Path:
    """A folder of symlinks train/<lang>.csv and dev/<lang>.csv into ../shared (read in place, never copied); with
    `fraction` < 1, train/<lang>.csv holds that share of the language's training rows instead (a seeded sample, in
    this temporary folder), for a learning curve."""
    for split in ("train", "dev"):
        (folder / split).mkdir(parents=True, exist_ok=True)
        for lang in languages:
            source, target = BRIGHTER / split / f"{lang}.csv", folder / split / f"{lang}.csv"
            if split == "dev" or fraction >= 1:
                target.symlink_to(source)
                continue
            with source.open(encoding="utf-8", newline="") as handle:
                reader = csv.reader(handle)
                header, rows = next(reader), list(reader)
            keep = np.sort(np.random.default_rng(0).permutation(len(rows))[: round(len(rows) * fraction)])
            with target.open("w", encoding="utf-8", newline="") as handle:
                csv.writer(handle).writerows([header, *(rows[i] for i in keep)])
    return folder


def run_rows(run, seed: int, validation_size: float, folder: Path):
    """The rows behind a saved run (FILE-<variant>.npz): (data, train, held-back, dev) aligned with its labels, the
    split remade with its split seed and validation size in `folder`; exits with a hint if they differ."""
    from mlc.data.aligned import align

    labels = [str(label) for label in run["labels"]]
    view = data_view(sorted(set(run["dev_languages"].tolist())), folder / "data")
    data = load_data(str(view / "train"), test=str(view / "dev"), validation_size=validation_size, seed=seed)
    train, val, dev = (align(data, [split], labels, split) for split in ("train", "validation", "test"))
    if not (np.array_equal(val.truth, run["val_truth"]) and np.array_equal(dev.truth, run["dev_truth"])
            and list(val.languages) == list(run["val_languages"])):
        sys.exit(f"the saved run's rows do not match BRIGHTER's split with seed {seed} and validation size "
                 f"{validation_size} (hint: pass the --seed (its split seed) and --validation-size of the run)")
    return data, train, val, dev


def global_threshold(probs: np.ndarray, truth: np.ndarray, mask: np.ndarray, languages: np.ndarray) -> float:
    """The single threshold maximising the mean over languages of macro-F1 (a low-variance alternative)."""
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    scores = [np.mean([m["macro_f1"] for m in per_language((probs >= t).astype(int), truth, mask,
                                                           languages).values()]) for t in grid]
    return float(grid[int(np.argmax(scores))])


def parse_variant(spec: str) -> tuple[str, dict]:
    if ":" not in spec:
        return spec, {"schedule": spec}
    name, options = spec.split(":", 1)
    values = {}
    for item in options.split(";"):
        key, value = item.split("=", 1)
        try:
            values[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            values[key.strip()] = value
    return name, values


def run_variant(name: str, options: dict, base: dict, view: Path, work: Path, data,
                save_probs: Path | None = None) -> dict:
    """Train one variant, score dev under each threshold rule; save_probs: also keep the dev and validation
    encoder's probabilities (an .npz per variant beside this path) for offline studies (thresholds.py, blend.py)."""
    from mlc import Classifier
    from mlc.commands.train import fit, fit_and_refit
    from mlc.data.aligned import align
    from mlc.model.ngrams import mix
    from mlc.training.args import TrainArgs

    output = work / f"bundle-{name}"
    started = time.perf_counter()
    args = TrainArgs(**{**base, **options, "data": str(view / "train"), "output": str(output)})
    fit_and_refit(args, keep_first=True) if args.refit == "all" else fit(args)
    seconds = time.perf_counter() - started
    # With --refit all, everything below scores its first run (whose choices the validation rows made, unseen by it),
    # and the refitted bundle, which trained on those rows, is scored on dev alone with its own thresholds.
    folder = Path(f"{output}.before-refit") if args.refit == "all" else output
    clf = Classifier.load(folder)
    dev = align(data, ["test"], clf.labels, "dev")
    languages = np.asarray(dev.languages)
    # The rows the bundle held back (the variant's own split seed, which a variant's seed or split_seed may change).
    validation = load_data(str(view / "train"), validation_size=args.validation_size, seed=args.split_random_state)
    val = align(validation, ["validation"], clf.labels, "validation")
    val_languages = np.asarray(val.languages)
    # The encoder's scores, then what the bundle predicts (blended with its n-gram model, if it has one).
    (dev_encoder, dev_probs), (val_encoder, val_probs) = scored(clf, dev), scored(clf, val)
    shared = global_threshold(val_probs, val.truth, val.mask, val_languages)
    results = {}
    for rule, thresholds in (("0.5", np.full(len(clf.labels), DEFAULT_THRESHOLD)),
                             ("bundle", clf.resolve_thresholds(None, languages)),
                             (f"global {shared:.2f}", np.full(len(clf.labels), shared))):
        results[rule] = per_language((dev_probs >= thresholds).astype(int), dev.truth, dev.mask, languages)
    # One threshold per language, tuned on that language's validation rows (the "language-specific threshold").
    by_language = {lang: global_threshold(val_probs[val_languages == lang], val.truth[val_languages == lang],
                                          val.mask[val_languages == lang], val_languages[val_languages == lang])
                   for lang in sorted(set(languages))}
    row_thresholds = np.array([by_language[lang] for lang in languages])[:, None]
    results["per-language"] = per_language((dev_probs >= row_thresholds).astype(int), dev.truth, dev.mask, languages)
    ngram_scores = {}
    if clf.ngrams is not None:  # each side alone, its thresholds tuned the bundle's way on the same rows
        raw = {split: clf.ngrams.predict_proba(rows.texts, rows.languages) for split, rows in (("dev", dev), ("val", val))}
        ngram_scores = {f"{split}_ngram_probs": np.nan_to_num(probs, nan=0.0) for split, probs in raw.items()}
        sides = [("encoder alone", val_encoder, dev_encoder),
                 ("n-grams alone", ngram_scores["val_ngram_probs"], ngram_scores["dev_ngram_probs"])]
        if clf.ngrams.language_weights:  # per-language weights against one weight for all (the pooled and 0.5)
            sides += [(f"one weight {w:.1f}", mix(val_encoder, raw["val"], w), mix(dev_encoder, raw["dev"], w))
                      for w in sorted({clf.ngrams.weight, 0.5})]
        for side, val_side, dev_side in sides:
            tuned = thresholds_like_bundle(folder, val_side, val, languages)
            results[f"bundle's way, {side}"] = per_language((dev_side >= tuned).astype(int), dev.truth,
                                                            dev.mask, languages)
    if args.refit == "all":
        refit = Classifier.load(output)
        probs = scored(refit, dev)[1]
        results["refit, bundle"] = per_language((probs >= refit.resolve_thresholds(None, languages)).astype(int),
                                                dev.truth, dev.mask, languages)
    if save_probs:
        np.savez_compressed(save_probs.with_name(f"{save_probs.stem}-{name}.npz"), dev_probs=dev_encoder,
                            dev_truth=dev.truth, dev_mask=dev.mask, dev_languages=languages, val_probs=val_encoder,
                            val_truth=val.truth, val_mask=val.mask, val_languages=val_languages,
                            bundle_thresholds=clf.thresholds, labels=np.asarray(clf.labels), **ngram_scores)
    return {"name": name, "options": options, "train_seconds": seconds, "dev": results,
            "thresholds_per_language": by_language,
            "validation_by_stage": json.loads((output / "metrics.json").read_text())["validation_by_stage"],
            "refit": json.loads((output / "metrics.json").read_text()).get("refit")}


def markdown(languages: list[str], baseline: dict, runs: list[dict], command: str, machine: str, wall: float) -> str:
    lines = [f"`{command}`", "", f"Machine: {machine}. Wall time {wall / 60:.1f} min in all. Dev macro-F1 (%) per "
             "language (BRIGHTER's metric: macro over the language's own labels); published numbers are on test.",
             ""]
    columns = ["lang", "LaBSE (pub.)", "RemBERT (pub.)", "best of 5 (pub.)", "TF-IDF + LR"]
    for run in runs:
        for rule in run["dev"]:
            columns.append(f"{run['name']}, thr {rule}")
    lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for lang in languages:
        pub = PUBLISHED.get(lang)
        cells = [lang, *(f"{v:.1f}" for v in pub)] if pub else [lang, "", "", ""]
        cells.append(f"{100 * baseline[lang]['macro_f1']:.1f}")
        for run in runs:
            cells += [f"{100 * res[lang]['macro_f1']:.1f}" for res in run["dev"].values()]
        lines.append("| " + " | ".join(cells) + " |")
    published = [lang for lang in languages if lang in PUBLISHED]
    for subset in ([languages, published] if published and len(published) < len(languages) else [languages]):
        pub = len(published) == len(subset)
        cells = [f"**mean ({len(subset)}{' published' if pub and subset is published else ''})**",
                 *(f"{mean(PUBLISHED[lang][i] for lang in subset):.1f}" if pub else "" for i in range(3)),
                 f"{100 * mean(baseline[lang]['macro_f1'] for lang in subset):.1f}"]
        for run in runs:
            cells += [f"**{100 * mean(res[lang]['macro_f1'] for lang in subset):.1f}**" for res in run["dev"].values()]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for run in runs:  # the bar: beat the cheap baseline in every language, not only on average
        for key in (k for k in ("bundle", "refit, bundle") if k in run["dev"]):
            bundle, who = run["dev"][key], run["name"] + (" refitted" if key != "bundle" else "")
            for rival, name in (("TF-IDF", "TF-IDF + LR at 0.5"),
                                ("bundle's way, n-grams alone", "its own n-gram model alone, thresholds tuned the same way")):
                other = baseline if rival == "TF-IDF" else run["dev"].get(rival)
                if other is None:
                    continue
                losses = [lang for lang in languages if bundle[lang]["macro_f1"] <= other[lang]["macro_f1"]]
                lines.append(f"{who} with its own thresholds beats {name} in {len(languages) - len(losses)} of "
                             f"{len(languages)} languages" + (f" (not in {', '.join(losses)})." if losses else ".")
                             + "  ")
    lines += ["", "Micro-F1 (%) with the bundle's thresholds: " + "; ".join(
        f"{run['name']} " + ", ".join(f"{lang} {100 * run['dev']['bundle'][lang]['micro_f1']:.1f}"
                                      for lang in languages) for run in runs) + ".", "",
              "Training wall time: " + ", ".join(f"{run['name']} {run['train_seconds'] / 60:.1f} min" + (
                  f" (first run {run['refit']['first_run']['seconds'] / 60:.1f} min, then the refit on "
                  f"{run['refit']['rows']} rows)" if run.get("refit") else "") for run in runs)
              + ". Options: " + "; ".join(f"{run['name']} `{json.dumps(run['options'])}`" for run in runs) + "."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--languages", help="comma-separated BRIGHTER codes")
    parser.add_argument("--quick", action="store_true", help=f"the 4 languages {','.join(QUICK)}, with "
                        "examples/brighter.yaml unless --config says otherwise")
    parser.add_argument("--all", action="store_true", help="all 28 languages")
    parser.add_argument("--variants", default="per-language-then-joint")
    parser.add_argument("--config", help="YAML/JSON of TrainArgs options under the variants")
    parser.add_argument("--json", help="also write the raw results here")
    parser.add_argument("--no-results", action="store_true")
    parser.add_argument("--from-json", help="write the table of a run saved with --json instead of training")
    parser.add_argument("--command", help="with --from-json: the command that made it, if the file does not say")
    parser.add_argument("--keep", help="train in this new folder and keep its bundles (bundle-<variant>/) for "
                        "later studies, instead of a temporary folder")
    parser.add_argument("--train-fraction", type=float, default=1.0,
                        help="train on this share of each language's training rows (a learning curve; default 1)")
    parser.add_argument("--section", default="brighter", help="RESULTS.md section to write (default: brighter)")
    opts = parser.parse_args()
    if not 0 < opts.train_fraction <= 1:
        parser.error(f"--train-fraction must be above 0 and at most 1, got {opts.train_fraction}")
    if opts.from_json:
        return render_saved(Path(opts.from_json), opts)
    if not BRIGHTER.is_dir():
        sys.exit(f"BRIGHTER not found at {BRIGHTER}")
    languages = (QUICK if opts.quick else sorted(p.stem for p in (BRIGHTER / "dev").glob("*.csv")) if opts.all
                 else opts.languages.split(",") if opts.languages else QUICK)
    base: dict = {"model": "default", "validation_size": 0.1}
    if opts.quick and not opts.config:  # the 28-language recipe, on 4 languages
        opts.config = str(ROOT / "examples" / "brighter.yaml")
    if opts.config:
        from mlc.core.options import load_config_file

        base.update(load_config_file(opts.config))
    started = time.perf_counter()
    if opts.keep:
        Path(opts.keep).mkdir(parents=True)  # a new folder: a run never mixes with an earlier one's bundles
    with (contextlib.nullcontext(opts.keep) if opts.keep else tempfile.TemporaryDirectory(prefix="mlc-brighter-")) as tmp:
        view = data_view(languages, Path(tmp) / "data", opts.train_fraction)
        data = load_data(str(view / "train"), test=str(view / "dev"), validation_size=0)
        baseline_probs = tfidf_baseline(data)
        dev_truth = np.array(list(data["test"]["labels"]))
        dev_mask = np.array([data.label_mask(lang) for lang in data["test"]["language"]])
        baseline = per_language((baseline_probs >= 0.5).astype(int), dev_truth, dev_mask,
                                np.asarray(list(data["test"]["language"])))
        print("TF-IDF baseline:", {k: round(v["macro_f1"], 4) for k, v in baseline.items()}, flush=True)
        runs = []
        for spec in opts.variants.split(","):
            name, options = parse_variant(spec)
            runs.append(run_variant(name, options, base, view, Path(tmp), data,
                                    Path(opts.json) if opts.json else None))
            print(json.dumps({"variant": name, "dev_macro_f1": {rule: round(mean(r["macro_f1"] for r in res.values()), 4)
                                                                 for rule, res in runs[-1]["dev"].items()},
                              "minutes": round(runs[-1]["train_seconds"] / 60, 1)}), flush=True)
    wall = time.perf_counter() - started
    machine = machine_description()
    command = "python benchmarks/brighter.py " + " ".join(sys.argv[1:])
    result = {"languages": languages, "baseline": baseline, "runs": runs, "wall_seconds": wall, "machine": machine,
              "command": command}
    if opts.json:
        Path(opts.json).write_text(json.dumps(result, indent=2))
    publish(result, opts)


def publish(result: dict, opts: argparse.Namespace) -> None:
    """Print the run's table and write it into RESULTS.md's section (unless --no-results)."""
    languages = result["languages"]
    table = markdown(languages, result["baseline"], result["runs"], result["command"], result["machine"],
                     result["wall_seconds"])
    print(table)
    if not opts.no_results:
        from results import update_section

        update_section(opts.section, "## BRIGHTER dev macro-F1 per language (`benchmarks/brighter.py`)\n\n"
                       f"Languages: {', '.join(languages)}.\n\n{table}")


def render_saved(path: Path, opts: argparse.Namespace) -> None:
    """--from-json: the table of a saved run, e.g. after editing its section by hand went wrong."""
    publish(load_saved_run(path, opts.command), opts)


if __name__ == "__main__":
    main()
