"""Stacking members per language on BRIGHTER dev, offline: is a third member worth a second encoder pass?

Over the scores that `benchmarks/brighter.py --json FILE` keeps (FILE-<variant>.npz: the fine-tuned encoder and its
n-gram model on the held-back 10% of train and on dev) and, with --frozen, a head-only run's (the frozen encoder's
logistic heads, on the same rows): each combination's weights are chosen on the held-back rows the way
`mlc.train --blend per-language` chooses them (mlc.metrics.blend: each language's best point of a 0.1 grid over the
weight simplex by macro average precision, pulled towards the pooled best by rows / (rows + shrinkage)); thresholds
are tuned on the same rows (per-language-f1, the bundle's rule); dev is scored per language (BRIGHTER's macro-F1).
With --ngram-features, n-gram models built from other features (n-gram lengths, vocabulary size, regularisation) are
fitted on the run's training rows and take the n-gram member's place; with --refit-ngrams, each is also refitted on
train + held-back rows. Usage:

  python benchmarks/stacking.py /tmp/runs/perlang-perlang.npz --frozen /tmp/runs/ho-head-only-perlang.npz
  python benchmarks/stacking.py /tmp/runs/perlang-perlang.npz --ngram-features 1-2/2-5 1-3/1-6 --refit-ngrams
  python benchmarks/stacking.py /tmp/runs/perlang-perlang.npz --compare /tmp/runs/seed7-seed7.npz   # recipes, seeds
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from blend import thresholds_for  # noqa: E402
from brighter import PUBLISHED  # noqa: E402
from common import mean, paired_bootstrap, per_language  # noqa: E402

from mlc.metrics.blend import language_weights  # noqa: E402

ROWS = ("val_truth", "dev_truth", "val_languages", "dev_languages", "labels")
RULE = "per-language-f1"
DEFAULT_FEATURES = "1-2/2-5"  # mlc.model.ngrams.NgramFeatures()


def members(npz: Path, frozen: Path | None, others: list[Path] = ()
            ) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], np.lib.npyio.NpzFile]:
    """{member: (held-back scores, dev scores)}; the n-gram model's missing scores (a language without a model)
    take the fine-tuned encoder's. `others`: more runs on the same rows, whose members are named
    "encoder (<file name>)" and "n-grams (<file name>)"."""
    run = saved_scores(npz)
    found = run_members(run)
    if frozen is not None:
        other = same_rows(frozen, run, npz)
        found["frozen"] = (other["val_probs"], other["dev_probs"])
    for path in others:
        found.update({f"{name} ({path.stem})": scores for name, scores in run_members(same_rows(path, run, npz)).items()})
    return found, run


def run_members(run) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A run's fine-tuned encoder and n-gram model (where a language has none, the encoder's scores)."""
    encoder = (run["val_probs"], run["dev_probs"])
    return {"encoder": encoder, "n-grams": tuple(np.where(np.isnan(run[f"{split}_ngram_probs"]), encoder[i],
                                                          run[f"{split}_ngram_probs"])
                                                 for i, split in enumerate(("val", "dev")))}


def same_rows(path: Path, run, npz: Path):
    """The saved scores of `path`, a run on the same rows as `run` (else a one-line exit)."""
    other = saved_scores(path)
    if not all(np.array_equal(run[key], other[key]) for key in ROWS):
        sys.exit(f"{path}: its rows differ from {npz}'s (hint: both runs need the same languages, seed and "
                 "validation size)")
    return other


def saved_scores(path: Path):
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        sys.exit(f"{path}: cannot read a run's saved scores ({error}) (hint: the FILE-<variant>.npz that "
                 "benchmarks/brighter.py --json FILE wrote)")


def ngram_members(run, seed: int, validation_size: float, features: dict[str, str], refit: bool) -> dict:
    """{member: (held-back scores, dev scores)} of n-gram models fitted on the run's training rows, one per
    `features` ({name: spec, see feature_spec}); with `refit`, also "<name> refit": dev scores of the same model
    fitted on train + the held-back rows (what `--refit ngrams` ships), its weights and thresholds still chosen on
    the held-back rows with the model that had not seen them. A missing score takes the fine-tuned encoder's."""
    from brighter import run_rows

    from mlc.data.aligned import align
    from mlc.model.ngrams import NgramModel

    labels = [str(label) for label in run["labels"]]
    found = {}
    with tempfile.TemporaryDirectory(prefix="mlc-stacking-") as tmp:
        data, train, val, dev = run_rows(run, seed, validation_size, Path(tmp))
        union = align(data.with_held_out_in_train(), ["train"], labels, "train")
        for name, spec in features.items():
            settings = feature_spec(spec)  # checked before any fitting, in main
            fitted = NgramModel.fit(train.texts, train.truth, train.mask, train.languages, labels, 1.0,
                                    features=settings)
            val_scores = fitted.predict_proba(val.texts, val.languages)
            found[name] = (val_scores, fitted.predict_proba(dev.texts, dev.languages))
            if refit:
                refitted = NgramModel.fit(union.texts, union.truth, union.mask, union.languages, labels, 1.0,
                                          features=settings)
                found[f"{name} refit"] = (val_scores, refitted.predict_proba(dev.texts, dev.languages))
    return {name: tuple(np.where(np.isnan(s), run[f"{split}_probs"], s)
                        for s, split in zip(scores, ("val", "dev"), strict=True)) for name, scores in found.items()}


def tfidf_predictions(run, seed: int, validation_size: float) -> np.ndarray:
    """Dev predictions of brighter.py's baseline (TF-IDF + LR: the default n-gram model alone, fitted on every
    training row, threshold 0.5)."""
    from brighter import run_rows
    from common import tfidf_baseline

    with tempfile.TemporaryDirectory(prefix="mlc-stacking-") as tmp:
        data = run_rows(run, seed, validation_size, Path(tmp))[0]
        return (tfidf_baseline(data.with_held_out_in_train()) >= 0.5).astype(int)


def feature_spec(spec: str):
    """'1-2/2-5' (word and character n-gram lengths), optionally '/MAX' (character n-grams kept per language) and
    '/C' (the regressions' inverse regularisation): NgramFeatures. A malformed spec exits with one line."""
    from mlc.model.ngrams import NgramFeatures

    default, parts = NgramFeatures(), spec.split("/")
    try:
        words, chars = (tuple(int(n) for n in part.split("-", 1)) for part in parts[:2])
        if len(parts) > 4 or not all(len(r) == 2 and 1 <= r[0] <= r[1] for r in (words, chars)):
            raise ValueError
        return NgramFeatures({**default.words, "ngram_range": words},
                             {**default.chars, "ngram_range": chars,
                              "max_features": int(parts[2]) if len(parts) > 2 else default.chars["max_features"]},
                             float(parts[3]) if len(parts) > 3 else default.C)
    except ValueError:
        sys.exit(f"--ngram-features {spec}: expected WORDS/CHARS[/MAX[/C]] with n-gram lengths as MIN-MAX, e.g. "
                 f"1-3/1-6 or 1-2/2-5/200000/8")


def simplex(size: int, step: float = 0.1) -> list[tuple[float, ...]]:
    """Every weight vector of `size` members on a grid of `step` (non-negative, summing to 1)."""
    ticks = round(1 / step)
    return [tuple(round(k * step, 1) for k in (*point, ticks - sum(point)))
            for point in itertools.product(range(ticks + 1), repeat=size - 1) if sum(point) <= ticks]


def combine(scores: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """Rows' scores under per-row weight vectors ([rows, members])."""
    return sum(weights[:, [i]] * s for i, s in enumerate(scores))


def score(names: list[str], found: dict, run, mode: str, shrinkage: float) -> tuple[dict, np.ndarray, dict]:
    """Dev macro-F1 per language of `names` combined (mode: 'pooled', 'per-language' or a fixed weight tuple),
    the dev predictions, and the weights."""
    val, dev = [found[n][0] for n in names], [found[n][1] for n in names]
    val_languages, dev_languages = run["val_languages"], run["dev_languages"]
    if isinstance(mode, tuple):
        pooled, chosen = mode, {}
    else:
        grid = simplex(len(names)) if len(names) > 1 else [(1.0,)]
        pooled, chosen = language_weights(lambda w: combine(val, np.tile(w, (len(val[0]), 1))), run["val_truth"],
                                          run["val_mask"], val_languages, shrinkage if mode == "per-language" else 1e12,
                                          grid)
    def row_weights(languages):
        return np.array([chosen.get(lang, pooled) for lang in languages], dtype=float)

    val_scores, dev_scores = combine(val, row_weights(val_languages)), combine(dev, row_weights(dev_languages))
    thresholds = thresholds_for(RULE, val_scores, run["val_truth"], run["val_mask"], val_languages, dev_languages)
    pred = (dev_scores >= thresholds).astype(int)
    return per_language(pred, run["dev_truth"], run["dev_mask"], dev_languages), pred, chosen or {"all": pooled}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("npz", type=Path, help="FILE-<variant>.npz of a fine-tuned run with an n-gram model")
    parser.add_argument("--frozen", type=Path, help="FILE-<variant>.npz of a head-only run on the same rows")
    parser.add_argument("--refit-ngrams", action="store_true", help="also score the n-gram model refitted on "
                        "train + held-back rows (fitting it takes minutes)")
    parser.add_argument("--ngram-features", nargs="*", default=[], metavar="SPEC",
                        help="also n-gram models built otherwise, e.g. 1-3/1-6 (word and character n-gram lengths), "
                        "1-2/2-5/300000 (and the character n-grams kept per language), 1-2/2-5/200000/8 (and C); "
                        f"{DEFAULT_FEATURES} is the default")
    parser.add_argument("--compare", nargs="*", type=Path, default=[], metavar="NPZ",
                        help="other runs on the same rows (another recipe or seed): each one's encoder + n-grams, "
                        "per language, as a column compared with the first run's per language (paired bootstrap)")
    parser.add_argument("--against-tfidf", action="store_true", help="also score brighter.py's TF-IDF + LR "
                        "baseline and compare each combination with it per language (paired bootstrap)")
    parser.add_argument("--seed", type=int, default=42, help="the brighter.py run's split seed (its validation "
                        "split)")
    parser.add_argument("--validation-size", type=float, default=0.1, help="the brighter.py run's validation_size")
    parser.add_argument("--shrinkage", type=float, default=100.0, help="as mlc.train --blend-shrinkage")
    parser.add_argument("--section", default="stacking", help="RESULTS.md section to write")
    parser.add_argument("--no-results", action="store_true")
    opts = parser.parse_args()
    requested = {f"n-grams {spec}": spec for spec in opts.ngram_features if feature_spec(spec)}  # checked first
    found, run = members(opts.npz, opts.frozen, opts.compare)
    combos = {"encoder + n-grams, 0.5 (one weight)": (["encoder", "n-grams"], (0.5, 0.5)),
              "encoder + n-grams, per language": (["encoder", "n-grams"], "per-language")}
    features = {**({f"n-grams {DEFAULT_FEATURES}": DEFAULT_FEATURES} if opts.refit_ngrams else {}), **requested}
    found.update(ngram_members(run, opts.seed, opts.validation_size, features, opts.refit_ngrams))
    for name in features:
        if name in requested:  # the default features unrequested: they are the run's own n-grams, (2)
            combos[f"encoder + {name}, per language"] = (["encoder", name], "per-language")
        if opts.refit_ngrams:
            combos[f"encoder + {name} refitted on every row, per language"] = (["encoder", f"{name} refit"],
                                                                              "per-language")
    for path in opts.compare:
        combos[f"{path.stem}: encoder + n-grams, per language"] = ([f"encoder ({path.stem})",
                                                                   f"n-grams ({path.stem})"], "per-language")
    if opts.frozen:
        combos.update({"frozen + n-grams, per language (head-only bundle)": (["frozen", "n-grams"], "per-language"),
                       "encoder + frozen + n-grams, pooled": (["encoder", "frozen", "n-grams"], "pooled"),
                       "encoder + frozen + n-grams, per language": (["encoder", "frozen", "n-grams"], "per-language")})
    results = {name: score(names, found, run, mode, opts.shrinkage) for name, (names, mode) in combos.items()}
    baseline = tfidf_predictions(run, opts.seed, opts.validation_size) if opts.against_tfidf else None
    table = markdown(results, run, " ".join(sys.argv[1:]), baseline)
    print(table)
    if not opts.no_results:
        from results import update_section

        update_section(opts.section, "## Stacking members per language on BRIGHTER dev (`benchmarks/stacking.py`)\n\n"
                       + table)


def markdown(results: dict, run, arguments: str, baseline: np.ndarray | None = None) -> str:
    """The table (with --against-tfidf, the baseline's column after the published one), and where each
    combination is surely ahead or behind (2) and, with a baseline, the baseline."""
    languages = sorted(set(run["dev_languages"].tolist()))
    published = [lang for lang in languages if lang in PUBLISHED]
    names = list(results)
    columns = ([per_language(baseline, run["dev_truth"], run["dev_mask"], run["dev_languages"])]
               if baseline is not None else []) + [results[n][0] for n in names]
    lines = [f"`python benchmarks/stacking.py {arguments}`", "",
             "Dev macro-F1 (%) per language; weights and thresholds (per-language-f1) chosen on the held-back 10% of "
             "train. Columns: " + ("TF-IDF + LR at 0.5 (brighter.py's baseline); " if baseline is not None else "")
             + "; ".join(f"({i + 1}) {name}" for i, name in enumerate(names)) + ".", "",
             "| lang | best of 5 (pub.) | " + ("TF-IDF | " if baseline is not None else "")
             + " | ".join(f"({i + 1})" for i in range(len(names))) + " |", "|---|---|" + "---|" * len(columns)]
    for lang in languages:
        lines.append(f"| {lang} | {PUBLISHED[lang][2]:.1f} | " if lang in PUBLISHED else f"| {lang} | | ")
        lines[-1] += " | ".join(f"{100 * column[lang]['macro_f1']:.1f}" for column in columns) + " |"
    means = [(published, f"mean ({len(published)} published)")] + (
        [(languages, f"mean ({len(languages)})")] if len(published) < len(languages) else [])
    for subset, label in means:
        lines.append(f"| **{label}** | {mean(PUBLISHED[x][2] for x in subset):.1f} | " if subset is published
                     else f"| **{label}** | | ")
        lines[-1] += " | ".join(f"**{100 * mean(column[x]['macro_f1'] for x in subset):.1f}**"
                                for column in columns) + " |"
    lines.append("")
    for number, name in enumerate(names[2:], 3):  # against (2), what `--blend per-language` ships: sure where?
        lines.append(f"({number}) against (2), {surely(results[name][1], results[names[1]][1], run)}  ")
    if baseline is not None:
        for number, name in enumerate(names, 1):
            lines.append(f"({number}) against TF-IDF + LR, {surely(results[name][1], baseline, run)}  ")
    best = names[-1]
    weights = results[best][2]
    lines += ["", f"Weights of ({len(names)}) per language ({', '.join(combos_members(best))}): " + ", ".join(
        f"{lang} {'/'.join(f'{w:.2f}' for w in np.atleast_1d(value))}" for lang, value in weights.items()) + "."]
    return "\n".join(lines)


def surely(pred: np.ndarray, other: np.ndarray, run) -> str:
    """Where `pred` is ahead of or behind `other` beyond noise: a paired bootstrap of each language's dev rows."""
    sure = {lang: paired_bootstrap(pred[rows], other[rows], run["dev_truth"][rows], run["dev_mask"][rows])
            for lang in sorted(set(run["dev_languages"].tolist())) for rows in [run["dev_languages"] == lang]}
    ahead = [lang for lang, b in sure.items() if b["low"] > 0]
    def spelled(lang, b):
        return f"{lang} {b['diff']:+.1f} [{b['low']:+.1f}, {b['high']:+.1f}]"

    behind = [spelled(lang, b) for lang, b in sure.items() if b["high"] < 0]
    lower = [spelled(lang, b) for lang, b in sure.items() if b["diff"] < 0 <= b["high"]]
    return (f"paired bootstrap of dev rows per language (1,000 resamples, 95% interval): ahead beyond noise in "
            f"{len(ahead)} ({', '.join(ahead) or 'none'}), behind in {len(behind)} ({', '.join(behind) or 'none'}), "
            f"lower inside noise in {len(lower)} ({', '.join(lower) or 'none'}), the rest inside noise or ahead.")


def combos_members(name: str) -> list[str]:
    return name.split(",")[0].split(" + ")


if __name__ == "__main__":
    main()
