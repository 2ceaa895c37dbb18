"""mlc's language-aware multi-label F1 as a Hugging Face `evaluate` metric, loaded offline from the installed package:

    import evaluate, mlc.metrics.language_f1_metric
    metric = evaluate.load(mlc.metrics.language_f1_metric.__file__)
    metric.compute(predictions=pred, references=labels, languages=langs, label_names=names,
                   annotated={"eng": ["anger", "fear", ...], ...})

`predictions` and `references` are 0/1 rows (one column per label). With `languages` (one per row) the headline,
`language_macro_f1`, is the mean over languages of each language's macro-F1 over the labels that language was
annotated with (`annotated`, default: every label), as BRIGHTER scores it and as `mlc.evaluate` reports it. Put it
in a `transformers.Trainer`'s `compute_metrics` after thresholding the sigmoid scores.

evaluate copies this file into its module cache and imports it alone: imports are absolute, one per line.
"""

from __future__ import annotations

import datasets
import evaluate
import numpy as np

from mlc.metrics.scores import f1_scores, language_f1, per_label_f1

_DESCRIPTION = "Micro- and macro-F1 of multi-label predictions, per label and per language (macro over the labels " \
               "each language was annotated with), from mlc."


class LanguageF1(evaluate.Metric):
    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation="", inputs_description=__doc__,
            features=datasets.Features({"predictions": datasets.Sequence(datasets.Value("int8")),
                                        "references": datasets.Sequence(datasets.Value("int8"))}))

    def _compute(self, predictions, references, languages=None, label_names=None, annotated=None):
        pred, truth = np.asarray(predictions, dtype=np.int8), np.asarray(references, dtype=np.int8)
        names = list(label_names) if label_names is not None else [str(j) for j in range(truth.shape[1])]
        if len(names) != truth.shape[1]:
            raise ValueError(f"{len(names)} label names for {truth.shape[1]} label columns")
        languages = list(languages) if languages is not None else ["all"] * len(truth)
        masks = {lang: [int(name in set((annotated or {}).get(lang, names))) for name in names]
                 for lang in set(languages)}
        row_masks = np.array([masks[lang] for lang in languages]) if len(truth) else None
        by_language = language_f1(pred, truth, languages, masks)
        overall = by_language.pop("all")
        macro, micro = f1_scores(truth, pred, row_masks)
        return {"micro_f1": micro, "macro_f1": macro, "language_macro_f1": overall["macro_f1"],
                "per_label_f1": dict(zip(names, per_label_f1(truth, pred, row_masks).tolist(), strict=True)),
                "per_language": by_language}
