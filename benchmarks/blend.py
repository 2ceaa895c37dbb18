"""The encoder blended with mlc's n-gram model (mlc.ngrams), on BRIGHTER dev: which weight, which thresholds.

Offline over the probabilities that `benchmarks/brighter.py --json FILE` keeps (FILE-<variant>.npz, encoder scores
for the held-back 10% of train, H, and for dev): fits the n-gram model on the same training rows (train minus H,
same seed), blends p = (1 - w) * encoder + w * n-grams for several w, tunes thresholds on H by each rule, and scores
dev per language (BRIGHTER's macro-F1). w = 0 is the encoder alone, w = 1 the n-gram model alone. Threshold rules:
mlc's objectives, and one threshold per language (one value for all labels). Usage:

  python benchmarks/blend.py /tmp/runs/brighter-all-joint.npz
  python benchmarks/blend.py /tmp/runs/seed42-joint.npz /tmp/runs/seed7-seed7.npz   # a 2-seed ensemble
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from brighter import BRIGHTER, PUBLISHED, run_rows  # noqa: E402
from common import mean, paired_bootstrap, per_language  # noqa: E402
from thresholds import per_language_thresholds  # noqa: E402

from mlc.metrics.thresholds import DEFAULT_THRESHOLD, language_label_thresholds, tune_thresholds_for  # noqa: E402
from mlc.model.ngrams import NgramModel, mix  # noqa: E402

WEIGHTS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 1.0)
OBJECTIVES = ("f1", "language-macro-f1", "global-f1", "per-language-f1")
RULES = ("0.5", *OBJECTIVES, "one per language")
STRENGTHS = (0.0, 3.0, 5.0, 10.0, 20.0, 30.0, 100.0)  # per-language-f1's shrinkage, studied at --weight


def thresholds_for(rule: str, probs, truth, mask, languages, dev_languages, strength: float | None = None
                   ) -> np.ndarray:
    """Thresholds tuned on (probs, truth, mask, languages) by `rule`: [labels], or [dev rows, labels]."""
    if rule == "0.5":
        return np.full(truth.shape[1], DEFAULT_THRESHOLD)
    if rule == "one per language":
        return per_language_thresholds(probs, truth, mask, languages, dev_languages)
    if rule == "per-language-f1":
        extra = {} if strength is None else {"strength": strength}
        shared, own = language_label_thresholds(probs, truth, mask, languages, **extra)
        return np.stack([own.get(lang, shared) for lang in dev_languages])
    return tune_thresholds_for(probs, truth, mask, rule, languages=languages)[0]


def study(npzs: list[Path], seed: int, validation_size: float, weight_detail: float) -> dict:
    """Several npz files (runs over the same rows, e.g. seeds with one split_seed): their encoder scores are averaged,
    an ensemble, and each run alone is also scored at `weight_detail` with per-language-f1 thresholds."""
    runs = [np.load(npz, allow_pickle=False) for npz in npzs]
    z, npz = runs[0], npzs[0]
    for other, path in zip(runs[1:], npzs[1:], strict=True):
        if not all(np.array_equal(z[key], other[key]) for key in ("val_truth", "dev_truth", "val_languages",
                                                                   "dev_languages", "labels")):
            sys.exit(f"{path}: its rows or labels differ from {npz}'s (hint: runs to average need one split_seed)")
    encoder_val = np.mean([run["val_probs"] for run in runs], axis=0)
    encoder_dev = np.mean([run["dev_probs"] for run in runs], axis=0)
    languages = sorted(set(z["dev_languages"].tolist()))
    labels = [str(label) for label in z["labels"]]
    with tempfile.TemporaryDirectory(prefix="mlc-blend-") as tmp:
        _, train, val, dev = run_rows(z, seed, validation_size, Path(tmp))
        started = time.perf_counter()
        model = NgramModel.fit(train.texts, train.truth, train.mask, train.languages, labels, weight=1.0)
        fit_seconds = time.perf_counter() - started
        ngram_val = model.predict_proba(val.texts, val.languages)
        ngram_dev = model.predict_proba(dev.texts, dev.languages)
    if "dev_ngram_probs" in z.files:  # the run's own bundle kept its n-gram scores: the refit must match them
        for name, ours in (("val_ngram_probs", ngram_val), ("dev_ngram_probs", ngram_dev)):
            if not np.allclose(np.nan_to_num(ours), z[name], atol=1e-4):
                sys.exit(f"{npz}: {name} differs from the n-gram model refitted here (largest gap "
                         f"{np.abs(np.nan_to_num(ours) - z[name]).max():.2g}); were they trained on other rows?")
    dev_languages, val_languages = np.asarray(dev.languages), np.asarray(val.languages)
    results = {}
    for weight in WEIGHTS:
        blended_val, blended_dev = mix(encoder_val, ngram_val, weight), mix(encoder_dev, ngram_dev, weight)
        if weight == 1.0:  # the n-gram model alone: no encoder score to fall back on
            blended_val, blended_dev = np.nan_to_num(ngram_val), np.nan_to_num(ngram_dev)
        for rule in RULES:
            thr = thresholds_for(rule, blended_val, val.truth, val.mask, val_languages, dev_languages)
            results[(weight, rule)] = per_language((blended_dev >= thr).astype(int), dev.truth, dev.mask,
                                                   dev_languages)
    alone = [per_language((mix(run["dev_probs"], ngram_dev, weight_detail) >= thresholds_for(
        "per-language-f1", mix(run["val_probs"], ngram_val, weight_detail), val.truth, val.mask, val_languages,
        dev_languages)).astype(int), dev.truth, dev.mask, dev_languages) for run in runs] if len(runs) > 1 else []
    blended_val = mix(encoder_val, ngram_val, weight_detail)
    blended_dev = mix(encoder_dev, ngram_dev, weight_detail)
    strengths = {k: per_language((blended_dev >= thresholds_for("per-language-f1", blended_val, val.truth, val.mask,
                                                                val_languages, dev_languages, k)).astype(int),
                                 dev.truth, dev.mask, dev_languages) for k in STRENGTHS}
    # Where the blend and the n-gram model alone differ per language, how sure is it? (a paired bootstrap of dev rows)
    rule = "per-language-f1"
    pred_blend = blended_dev >= thresholds_for(rule, blended_val, val.truth, val.mask, val_languages, dev_languages)
    alone_val, alone_dev = np.nan_to_num(ngram_val), np.nan_to_num(ngram_dev)
    pred_alone = alone_dev >= thresholds_for(rule, alone_val, val.truth, val.mask, val_languages, dev_languages)
    bootstrap = {lang: paired_bootstrap(pred_blend[rows].astype(int), pred_alone[rows].astype(int), dev.truth[rows],
                                        dev.mask[rows])
                 for lang in languages for rows in [dev_languages == lang]}
    return {"languages": languages, "results": results, "fit_seconds": fit_seconds, "train_rows": len(train.texts),
            "strengths": strengths, "bootstrap": bootstrap, "weight": weight_detail, "runs": alone,
            "npz": [str(path) for path in npzs]}


def markdown(found: dict, command: str, default: tuple[float, str]) -> str:
    languages, results = found["languages"], found["results"]
    published = [lang for lang in languages if lang in PUBLISHED]
    rules = [rule for rule in RULES if (0.0, rule) in results]

    def avg(res, langs):
        return 100 * mean(res[lang]["macro_f1"] for lang in langs)

    lines = [f"`{command}`", "", f"The n-gram model fitted on {found['train_rows']:,} training rows in "
             f"{found['fit_seconds']:.0f} s. Dev macro-F1 (%), mean over the {len(published)} published languages "
             f"(over all {len(languages)} in brackets); thresholds tuned on the held-back 10% of train. w = 0: the "
             "encoder alone; w = 1: the n-gram model alone (the TF-IDF baseline). Published means over the same "
             f"{len(published)} languages (test): LaBSE {mean(PUBLISHED[x][0] for x in published):.1f}, RemBERT "
             f"{mean(PUBLISHED[x][1] for x in published):.1f}, best of 5 per language "
             f"{mean(PUBLISHED[x][2] for x in published):.1f}."
             + (f" The encoder's scores are the mean of {len(found['runs'])} runs (an ensemble); each run alone at "
                f"w = {found['weight']:g} with per-language-f1 thresholds: " + ", ".join(
                    f"{Path(name).name} {avg(res, published):.1f} ({avg(res, languages):.1f})"
                    for name, res in zip(found["npz"], found["runs"], strict=True)) + "." if found["runs"] else ""), "",
             "| n-gram weight w | " + " | ".join(f"thr {rule}" for rule in rules) + " |",
             "|---|" + "---|" * len(rules)]
    for weight in sorted({w for w, _ in results}):
        cells = [f"{avg(results[(weight, r)], published):.1f} ({avg(results[(weight, r)], languages):.1f})"
                 for r in rules]
        lines.append(f"| {weight:g} | " + " | ".join(cells) + " |")
    lines += ["", f"per-language-f1 at w = {default[0]:g} by its shrinkage strength k (a label's threshold within a "
              "language weighs its own F1 optimum by positives / (positives + k) against the shared one; k = 0: "
              "each language's own; mlc uses 10): " + ", ".join(
                  f"k = {k:g} {avg(res, published):.1f} ({avg(res, languages):.1f})"
                  for k, res in found["strengths"].items()) + "."]
    chosen, encoder, ngrams = results[default], results[(0.0, default[1])], results[(1.0, default[1])]
    shared = results[(default[0], "language-macro-f1")]
    lines += ["", f"Per language, w = {default[0]:g} with thresholds `{default[1]}` (mlc's default) against the encoder "
              "alone and the n-gram model alone under the same rule, the blend with one threshold per label "
              "shared by all languages (`language-macro-f1`), and the best published model (test):", "",
              "| lang | best of 5 (pub.) | n-grams alone | encoder alone | blend, language-macro-f1 | blend |",
              "|---|---|---|---|---|---|"]
    for lang in languages:
        best = f"{PUBLISHED[lang][2]:.1f}" if lang in PUBLISHED else ""
        lines.append(f"| {lang} | {best} | {100 * ngrams[lang]['macro_f1']:.1f} | "
                     f"{100 * encoder[lang]['macro_f1']:.1f} | {100 * shared[lang]['macro_f1']:.1f} | "
                     f"{100 * chosen[lang]['macro_f1']:.1f} |")
    beats = [lang for lang in languages if chosen[lang]["macro_f1"] > ngrams[lang]["macro_f1"]]
    lines += ["", f"The blend beats the n-gram model alone in {len(beats)} of {len(languages)} languages (not in "
              f"{', '.join(lang for lang in languages if lang not in beats) or 'none'}), and the encoder alone in "
              f"{sum(chosen[x]['macro_f1'] > encoder[x]['macro_f1'] for x in languages)}."]
    boot = found["bootstrap"]
    lines += ["", f"How sure are these per-language comparisons? A paired bootstrap of each language's dev rows (1,000 "
              f"resamples), blend (w = {found['weight']:g}, per-language-f1) minus the n-gram model alone: the "
              "difference in macro-F1 points, its 95% interval and the share of resamples where the blend is "
              "ahead. " + "; ".join(f"{lang} {b['diff']:+.1f} [{b['low']:+.1f}, {b['high']:+.1f}] {b['a_ahead']:.2f}"
                                    for lang, b in boot.items()) + ".",
              "", "Languages where the n-gram model alone is ahead with 95% confidence: " + (
                  ", ".join(lang for lang, b in boot.items() if b["high"] < 0) or "none") + "; where the blend is: "
              + (", ".join(lang for lang, b in boot.items() if b["low"] > 0) or "none") + "."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("npz", nargs="+", help="FILE-<variant>.npz written by benchmarks/brighter.py --json FILE; "
                        "several (runs over the same rows): their encoder scores are averaged, an ensemble")
    parser.add_argument("--seed", type=int, default=42,
                        help="the split seed of the brighter.py run (its split_seed, else its seed)")
    parser.add_argument("--validation-size", type=float, default=0.1, help="the validation_size of that run")
    parser.add_argument("--weight", type=float, default=0.5, help="the default weight to detail per language")
    parser.add_argument("--objective", default="per-language-f1", help="the default threshold rule to detail")
    parser.add_argument("--no-results", action="store_true")
    opts = parser.parse_args()
    if not BRIGHTER.is_dir():
        sys.exit(f"BRIGHTER not found at {BRIGHTER}")
    found = study([Path(path) for path in opts.npz], opts.seed, opts.validation_size, opts.weight)
    table = markdown(found, "python benchmarks/blend.py " + " ".join(sys.argv[1:]), (opts.weight, opts.objective))
    print(table)
    if not opts.no_results:
        from results import update_section

        update_section("blend", "## Encoder + n-gram blend on BRIGHTER dev (`benchmarks/blend.py`)\n\n" + table)


if __name__ == "__main__":
    main()
