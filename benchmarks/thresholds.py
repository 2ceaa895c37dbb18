"""Which way of tuning decision thresholds generalises? An offline study on the probabilities that
`benchmarks/brighter.py --json FILE` keeps (FILE-<variant>.npz): no training here.

The trained model scored two sets it never trained on: the held-back slice of train (H, 10%) and BRIGHTER dev. Each
repeat splits every language's dev rows in half at random: half A plays a small validation set (like the 115 rows of
English dev), half B is the unseen test. Every rule is tuned on A, on H, and on H and A together, then scored on B
(mean over languages of macro-F1, BRIGHTER's metric). Usage:

  python benchmarks/thresholds.py /tmp/runs/brighter-all-joint.npz --repeats 20
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mlc.metrics.scores import f1_scores  # noqa: E402
from mlc.metrics.thresholds import (  # noqa: E402
    DEFAULT_THRESHOLD,
    SHRINK_STRENGTH,
    global_threshold,
    language_label_thresholds,
    shrunk_thresholds,
    tune_thresholds,
    tune_thresholds_for,
)


def per_language_thresholds(probs, truth, mask, languages, rows_languages) -> np.ndarray:
    """One global threshold per language, tuned on that language's rows; returned per row of `rows_languages`."""
    chosen = {lang: global_threshold(probs[languages == lang], truth[languages == lang], mask[languages == lang])
              for lang in np.unique(languages)}
    return np.array([chosen[lang] for lang in rows_languages])[:, None]


RULES = {
    "0.5": lambda p, t, m, lang, rows: np.full(t.shape[1], DEFAULT_THRESHOLD),
    "per-label F1 (f1)": lambda p, t, m, lang, rows: tune_thresholds(p, t, m),
    "per-label, language-macro objective (language-macro-f1)":
        lambda p, t, m, lang, rows: tune_thresholds_for(p, t, m, "language-macro-f1", languages=lang)[0],
    f"per-label shrunk to global, strength {SHRINK_STRENGTH:g} (shrunk-f1)":
        lambda p, t, m, lang, rows: shrunk_thresholds(p, t, m, lang),
    "one global threshold (global-f1)": lambda p, t, m, lang, rows: np.full(t.shape[1], global_threshold(p, t, m, lang)),
    "one threshold per language": per_language_thresholds,
    "per language and label, shrunk to language-macro-f1 (per-language-f1)": lambda p, t, m, lang, rows:
        _rows(*language_label_thresholds(p, t, m, lang), rows),
}


def _rows(shared: np.ndarray, own: dict[str, np.ndarray], rows_languages) -> np.ndarray:
    return np.stack([own.get(lang, shared) for lang in rows_languages])


def score(probs, truth, mask, languages, thresholds) -> float:
    pred = (probs >= thresholds).astype(int)
    return float(np.mean([f1_scores(truth[languages == lang], pred[languages == lang], mask[languages == lang])[0]
                          for lang in np.unique(languages)]))


def study(npz: Path, repeats: int, seed: int) -> dict:
    z = np.load(npz, allow_pickle=False)
    dev = (z["dev_probs"], z["dev_truth"], z["dev_mask"], z["dev_languages"])
    held = (z["val_probs"], z["val_truth"], z["val_mask"], z["val_languages"])
    rng = np.random.default_rng(seed)
    results: dict[str, dict[str, list[float]]] = {rule: {"A": [], "H": [], "H+A": []} for rule in RULES}
    for _ in range(repeats):
        in_a = np.zeros(len(dev[0]), dtype=bool)
        for lang in np.unique(dev[3]):
            rows = np.flatnonzero(dev[3] == lang)
            in_a[rng.choice(rows, size=len(rows) // 2, replace=False)] = True
        part_a = tuple(x[in_a] for x in dev)
        part_b = tuple(x[~in_a] for x in dev)
        sources = {"A": part_a, "H": held, "H+A": tuple(np.concatenate([h, a]) for h, a in zip(held, part_a, strict=True))}
        for rule, fit in RULES.items():
            for name, (p, t, m, lang) in sources.items():
                thresholds = fit(p, t, m, lang, part_b[3])
                results[rule][name].append(score(*part_b, thresholds))
    return {"rows": {"A (half of dev)": int(len(dev[0]) // 2), "H (held-back train)": len(held[0])},
            "languages": len(np.unique(dev[3])), "results": results}


def markdown(found: dict, command: str) -> str:
    lines = [f"`{command}`", "",
             f"{found['languages']} languages; tuning sets: half of dev (A, about {found['rows']['A (half of dev)']} "
             f"rows), the held-back 10% of train (H, {found['rows']['H (held-back train)']} rows), and both; "
             "scored on the other half of dev. Mean over languages of macro-F1 (%), mean and standard deviation "
             "over the repeats.", "",
             "| rule | tuned on A | tuned on H | tuned on H+A |", "|---|---|---|---|"]
    for rule, by_source in found["results"].items():
        cells = [f"{100 * np.mean(v):.2f} ± {100 * np.std(v):.2f}" for v in by_source.values()]
        lines.append(f"| {rule} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("npz", help="FILE-<variant>.npz written by benchmarks/brighter.py --json FILE")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-results", action="store_true")
    opts = parser.parse_args()
    found = study(Path(opts.npz), opts.repeats, opts.seed)
    table = markdown(found, "python benchmarks/thresholds.py " + " ".join(sys.argv[1:]))
    print(table)
    if not opts.no_results:
        from results import update_section

        update_section("thresholds", "## Threshold tuning: what generalises (`benchmarks/thresholds.py`)\n\n" + table)


if __name__ == "__main__":
    main()
