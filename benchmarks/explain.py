"""Explanations by occlusion: what they cost and whether they are faithful.

Cost: `Classifier.explain` of 30-word texts on a bundle's int8 graph (every variant scored in one call), p50 and
p95 over the texts, against the naive loop that scores each variant (the text, then the text without each word) in
a call of its own. Faithfulness, on BRIGHTER dev: for each text with a predicted label and at least 4 words, its
top-scoring predicted label's 3 strongest words are left out together, and so are 3 random words of the same text
(the mean drop over 5 draws); the share of texts where the strongest words' removal lowers the score more. Usage:
  python benchmarks/explain.py --cost-bundle INT8_BUNDLE --faith-bundle BRIGHTER_BUNDLE [--per-language 200]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
BRIGHTER = ROOT.parent / "shared" / "data" / "brighter"

from mlc import Classifier  # noqa: E402
from mlc.inference.explain import without, words  # noqa: E402


def thirty_word_texts(n: int) -> list[str]:
    """Texts of exactly 30 words, made of consecutive support tickets (the int8 bundle's own kind of text)."""
    with (ROOT / "examples" / "support_tickets.csv").open(encoding="utf-8") as handle:
        tickets = [row["text"] for row in csv.DictReader(handle) if row["language"] in ("en", "es", "de", "fr")]
    out, pool = [], iter(tickets * 4)
    while len(out) < n:
        text = ""
        while len(words(text)) < 30:
            text = f"{text} {next(pool)}".strip()
        out.append(text[: words(text)[29].end])
    return out


def cost(bundle: str, texts: int, naive_texts: int) -> dict:
    clf = Classifier.load(bundle, backend="onnx-int8", threads=2)
    sample = thirty_word_texts(texts)
    for text in sample[:3]:
        clf.explain(text)  # warm-up
    batched = []
    for text in sample:
        started = time.perf_counter()
        clf.explain(text)
        batched.append(1000 * (time.perf_counter() - started))
    naive = []
    for text in sample[:naive_texts]:
        started = time.perf_counter()
        for variant in [text, *(without(text, span) for span in words(text))]:
            clf.predict_proba([variant])
        naive.append(1000 * (time.perf_counter() - started))
    return {"graph": clf.model.kind, "texts": len(sample), "words": 30,
            "p50_ms": float(np.median(batched)), "p95_ms": float(np.percentile(batched, 95)),
            "naive_p50_ms": float(np.median(naive)), "naive_texts": len(naive)}


def dev_texts(language: str, limit: int) -> list[str]:
    with (BRIGHTER / "dev" / f"{language}.csv").open(encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    return [t for t in texts if len(words(t)) >= 4][:limit]


def faithfulness(clf: Classifier, language: str, limit: int, draws: int = 5, seed: int = 0) -> dict:
    texts = dev_texts(language, limit)
    occlusions = clf.explain_many(texts, [language] * len(texts))
    scores = np.stack([o.scores for o in occlusions])
    decided = clf.decide(scores, None, [language] * len(texts))
    rng = np.random.default_rng(seed)
    cases, variants = [], []
    for text, occlusion, chosen in zip(texts, occlusions, decided, strict=True):
        if not chosen.any():
            continue
        label = int(np.argmax(np.where(chosen, occlusion.scores, -1)))
        top = np.argsort(-occlusion.effects[:, label], kind="stable")[:3]
        randoms = [rng.choice(len(occlusion.spans), 3, replace=False) for _ in range(draws)]
        cases.append((label, float(occlusion.scores[label]), len(variants)))
        variants += [without(text, *(occlusion.spans[i] for i in chosen_words)) for chosen_words in (top, *randoms)]
    probs = clf.predict_proba(variants, languages=[language] * len(variants))
    top_drops, random_drops = [], []
    for label, score, at in cases:
        top_drops.append(score - probs[at, label])
        random_drops.append(float(np.mean(score - probs[at + 1 : at + 1 + draws, label])))
    top_drops, random_drops = np.array(top_drops), np.array(random_drops)
    return {"texts": len(texts), "explained": len(cases), "share": float(np.mean(top_drops > random_drops)),
            "top_drop": float(top_drops.mean()), "random_drop": float(random_drops.mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cost-bundle", required=True, help="a bundle with an int8 graph")
    parser.add_argument("--faith-bundle", required=True, help="a bundle trained on BRIGHTER languages")
    parser.add_argument("--per-language", type=int, default=200, help="dev texts per language (at least 4 words)")
    parser.add_argument("--texts", type=int, default=50, help="30-word texts timed")
    parser.add_argument("--naive-texts", type=int, default=10, help="of them, timed with the naive loop too")
    args = parser.parse_args()
    spent = cost(args.cost_bundle, args.texts, args.naive_texts)
    clf = Classifier.load(args.faith_bundle, threads=2)
    started = time.perf_counter()
    faith = {language: faithfulness(clf, language, args.per_language) for language in clf.languages}
    minutes = (time.perf_counter() - started) / 60
    print(json.dumps({"cost": spent, "faithfulness": faith}, indent=2))
    from common import cpu_description
    from results import update_section

    rows = [f"| {lang} | {f['texts']} | {f['explained']} | {100 * f['share']:.1f}% | {f['top_drop']:.3f} | "
            f"{f['random_drop']:.3f} |" for lang, f in faith.items()]
    update_section("explain", "\n".join([
        "## Explanations by occlusion (`benchmarks/explain.py`)", "",
        f"`python benchmarks/explain.py --cost-bundle {args.cost_bundle} --faith-bundle {args.faith_bundle} "
        f"--per-language {args.per_language}`. Machine: {cpu_description()}.", "",
        f"Cost of `Classifier.explain` for a 30-word text ({spent['texts']} texts, {spent['graph']} graph, 2 "
        f"threads; 31 variants scored in one call): p50 **{spent['p50_ms']:.0f} ms**, p95 {spent['p95_ms']:.0f} ms; "
        f"the naive loop (each variant in a call of its own, {spent['naive_texts']} texts): p50 "
        f"{spent['naive_p50_ms']:.0f} ms, **{spent['naive_p50_ms'] / spent['p50_ms']:.1f}x** slower.", "",
        f"Faithfulness on BRIGHTER dev with `{args.faith_bundle}` ({clf.backend} {clf.precision}; {minutes:.1f} min): "
        "for each text with a predicted label, its top predicted label's 3 strongest words left out together "
        "against 3 random words of the same text (mean over 5 draws).", "",
        "| language | texts (4+ words) | with a predicted label | strongest words lower the score more | "
        "mean drop, strongest 3 | mean drop, random 3 |", "|---|---|---|---|---|---|", *rows]))


if __name__ == "__main__":
    main()
