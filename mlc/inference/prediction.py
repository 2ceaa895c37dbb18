"""Predictions for a list of texts as the output rows carry them: labels, scores, and with --explain the strongest
words of each predicted label. The CLI, the prediction job and the demo's batch tab share it."""

from __future__ import annotations

from typing import Any

from mlc.inference.explain import words


def predict_texts(classifier, texts: list[str], languages: list[str | None], thresholds, explain: int = 0,
                  progress: Any = False, **options: Any) -> tuple[list[dict], list[int]]:
    """Predictions in input order, and the positions of empty texts (they get no labels and no scores). With
    `explain` K, each result also holds "words": per predicted label, its K strongest words as [word, effect]
    (mlc.inference.explain; the progress callback then follows that pass, the costlier one)."""
    keep = [i for i, text in enumerate(texts) if text.strip()]
    results: list[dict] = [{"labels": [], "scores": dict.fromkeys(classifier.labels), "words": {}} for _ in texts]
    if keep:
        found = classifier.predict([texts[i] for i in keep], thresholds=thresholds,
                                   languages=[languages[i] for i in keep] if any(languages) else None,
                                   progress=False if explain else progress, **options)
        for i, result in zip(keep, found, strict=True):
            results[i] = {**result, "words": {}}
    if explain:
        _explain(classifier, texts, languages, results, explain, progress, options)
    return results, [i for i, text in enumerate(texts) if not text.strip()]


def _explain(classifier, texts: list[str], languages: list[str | None], results: list[dict], k: int,
             progress: Any, options: dict[str, Any]) -> None:
    """Each result's "words": the `k` strongest words of each predicted label (texts without a predicted label or a
    word are not explained)."""
    chosen = [i for i, result in enumerate(results) if result["labels"] and words(texts[i])]
    if not chosen:
        return
    found = classifier.explain_many([texts[i] for i in chosen], [languages[i] for i in chosen],
                                    progress=progress, **options)
    for i, occlusion in zip(chosen, found, strict=True):
        results[i]["words"] = label_words(occlusion, classifier.labels, results[i]["labels"], k)


def label_words(occlusion, labels: list[str], predicted: list[str], k: int) -> dict[str, list[list]]:
    """{label: its `k` strongest words as [word, effect]} for each predicted label (how outputs carry them)."""
    return {label: [[span.text, round(effect, 6)] for span, effect in occlusion.strongest(labels.index(label), k)]
            for label in predicted}
