"""What the demo serves, apart from its widgets: the classifier (loaded, or the demo bundle built, in a background
thread so the page is up at once), its status, and the per-request logic (length cap, language, decisions). Every
use of the classifier's model and tokenizer goes through one scoring worker (mlc.demo.batching): requests, files,
the held-out summary and the swap to the int8 graph alike."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from mlc.bundle.folder import bundle_id, read_bundle_info
from mlc.bundle.hub import resolve_bundle
from mlc.core.errors import ConfigError, MlcError, OutputError
from mlc.data.args import InputArgs
from mlc.data.feedback import FeedbackLog
from mlc.data.languages import resolve_language
from mlc.demo.batching import MicroBatcher
from mlc.demo.bundle import demo_labels, ensure_demo_bundle
from mlc.inference.classifier import Classifier
from mlc.inference.explain import Occlusion, occlude, words
from mlc.inference.prediction import label_words
from mlc.model.default_model import cache_root

T = TypeVar("T")
log = logging.getLogger("mlc.app")
AUTO = "auto-detect"


@dataclass
class Scored:
    """One classified text: probabilities, the language used, and a note for the visitor (or ''); the text as
    classified (trimmed, cut to max_chars) and the language it was scored in (`language` is None for one the bundle
    does not know)."""

    probs: np.ndarray
    language: str | None
    detected: str | None
    note: str
    text: str = ""
    scored_in: str = ""


class DemoService:
    """Holds the classifier for the app. `model` is a bundle folder, or None for the demo bundle (built on first
    use into `cache_dir`)."""

    def __init__(self, model: str | None = None, cache_dir: str | None = None, max_chars: int = 2000,
                 backend: str = "auto", threads: int | None = None, max_batch: int = 32,
                 max_wait: float = 0.005, recipe: str = "head-only", revision: str | None = None,
                 feedback: str | None = None) -> None:
        # A Hub repository is downloaded (or found in the cache) now: a wrong id fails at start, in one line.
        model = None if model is None else str(resolve_bundle(model, revision, weights=backend == "torch"))
        self.model, self.cache_dir, self.max_chars, self.recipe = model, cache_dir, max_chars, recipe
        self.backend, self.threads = backend, threads
        self.batcher = MicroBatcher(self._score_batch, max_batch, max_wait)
        self.classifier: Classifier | None = None
        self.error: str | None = None
        self.started = time.perf_counter()
        self.ready_seconds: float | None = None
        self.held_out = ""  # the demo bundle's scores on natural held-out messages, for the Report tab
        if model is None:
            self.labels, self._languages = demo_labels()
        else:
            info = read_bundle_info(model)  # fails now, not in the thread, if this is not a bundle
            self.labels, self._languages = list(info["labels"]), sorted(info.get("language_labels", {}))
        self.feedback_path = feedback_path(model, cache_dir, feedback)
        self.feedback: FeedbackLog | None = None
        self.feedback_error = ""  # why corrections cannot be saved (the page and every attempt say so)
        try:
            self.feedback = FeedbackLog(self.feedback_path, self.labels)
        except MlcError as error:
            self.feedback_error = str(error)
            log.error("mlc: %s", error)

    # ---- lifecycle --------------------------------------------------------------------------------------------

    def start(self, background: bool = True) -> DemoService:
        if background:
            threading.Thread(target=self._load, name="mlc-load", daemon=True).start()
        else:
            self._load()
        return self

    def _load(self) -> None:
        try:
            folder = self.model if self.model is not None else ensure_demo_bundle(self.cache_dir, self.recipe)
            self._publish(Classifier.load(folder, backend=self.backend, threads=self.threads))
            self.ready_seconds = time.perf_counter() - self.started
            log.warning("mlc: model ready in %.0f s: %s", self.ready_seconds, self.classifier.path)
        except Exception as error:  # shown in the status line; the app keeps serving it
            self.error = f"{type(error).__name__}: {error}"
            log.error("mlc: the model could not be loaded\n%s", traceback.format_exc())
            return
        if self.model is None:
            self.held_out = self.run(held_out_summary)
        if self.model is None and self.backend == "auto" and self.classifier.backend == "torch":
            self._serve_int8(Path(str(self.classifier.path)))

    def _serve_int8(self, folder: Path) -> None:
        """The demo bundle (mlc's own cache, never a user's bundle) exported to int8 ONNX while PyTorch already
        serves, then swapped in: requests in flight finish on the classifier they started with."""
        import importlib.util

        if importlib.util.find_spec("onnxruntime") is None:
            return
        try:
            from mlc.demo.bundle import EXAMPLES
            from mlc.exporters.onnx import export_onnx
            from mlc.inference.files import read_inputs

            texts = read_inputs(str(EXAMPLES), InputArgs())[1] if EXAMPLES.is_file() else None
            export_onnx(folder, quantize=True, texts=texts)
            upgraded = Classifier.load(folder, backend="auto", threads=self.threads)
            if upgraded.backend == "onnx":
                self._publish(upgraded)
                log.warning("mlc: now serving the int8 ONNX graph (%.0f s after the start)",
                            time.perf_counter() - self.started)
        except Exception:  # the PyTorch classifier keeps serving
            log.error("mlc: the int8 export failed; PyTorch keeps serving\n%s", traceback.format_exc())

    def _publish(self, classifier: Classifier) -> None:
        """Serve `classifier` from the next model call on: set by the scoring worker between batches, once loaded."""
        def swap() -> None:
            self.classifier = classifier

        self.batcher.call(swap)

    def run(self, job: Callable[[Classifier], T]) -> T:
        """`job(classifier)` on the scoring worker, alone: the way to any use of the model other than one text."""
        return self.batcher.call(lambda: job(self.require()))

    @property
    def ready(self) -> bool:
        return self.classifier is not None

    def status(self) -> str:
        if self.error:
            return f"**Model failed to load:** {self.error}"
        if not self.ready:
            waited = time.perf_counter() - self.started
            what = f"building the demo model ({self.recipe} on the embedded multilingual encoder and the example " \
                   "tickets, once)" if self.model is None else "loading the model"
            return f"**Please wait:** {what}... {waited:.0f} s so far."
        clf = self.classifier
        languages = ", ".join(sorted(clf.language_labels)) or "unknown"
        return (f"**Ready.** Bundle `{Path(str(clf.path)).name}`: {len(clf.labels)} labels, trained on {languages}; "
                f"{clf.problem.replace('_', '-')}. Thresholds start at the bundle's tuned values.")

    def tuned_thresholds(self, language: str | None = None) -> list[float]:
        """The bundle's thresholds for texts in `language` (its own, if the bundle tuned them per language)."""
        if not self.classifier:
            return [0.5] * len(self.labels)
        return np.atleast_2d(self.classifier.resolve_thresholds(None, [language]))[0].tolist()

    def has_language_thresholds(self) -> bool:
        return bool(self.classifier and self.classifier.language_thresholds)

    def languages(self) -> list[str]:
        return self._languages

    def require(self) -> Classifier:
        if self.error:
            raise NotReady(f"the model failed to load: {self.error}")
        if self.classifier is None:
            raise NotReady("the model is still being prepared; try again in a moment")
        return self.classifier

    # ---- requests ---------------------------------------------------------------------------------------------

    def score(self, text: str, language: str | None = AUTO) -> Scored:
        return self.score_many([text], language, field="text")[0]

    def score_many(self, texts: list[str], language: str | None = AUTO, field: str = "texts") -> list[Scored]:
        """Each text checked, cut to max_chars, its language resolved, then all submitted to the scoring worker
        together (they share batches with whatever else is pending)."""
        clf = self.require()
        _check_type("language", language, str)
        given = None if language in (None, "", AUTO) else language
        prepared = [self._prepare(clf, text, given, field if field == "text" else f"{field}[{i}]")
                    for i, text in enumerate(texts)]
        rows = self.batcher.submit_many([p[0] for p in prepared], [p[1] for p in prepared])
        scored = []
        for (text, resolved, detected, note), probs in zip(prepared, rows, strict=True):
            if clf.ngrams is not None and clf.ngrams.model_language(resolved) is None:
                note = " ".join(filter(None, [note, "The bundle has no n-gram model for this language, so the "
                                                    "scores are the encoder's alone."]))
            scored.append(Scored(probs, resolved if resolved in clf.languages else None, detected, note, text, resolved))
        return scored

    def _prepare(self, clf: Classifier, text: Any, given: str | None, field: str) -> tuple[str, str, str | None, str]:
        _check_type(field, text, str)
        text = (text or "").strip()
        if not text:
            raise ConfigError("the text is empty: type or paste a text to classify"
                              if field == "text" else f"the field '{field}' is empty: give a text to classify")
        note = ""
        if len(text) > self.max_chars:
            note = f"The text has {len(text):,} characters; only the first {self.max_chars:,} were classified."
            text = text[: self.max_chars]
        resolved, detected = resolve_language(text, given, clf.languages)
        return text, resolved, detected, note

    def _score_batch(self, texts: list[str], languages: list[str]) -> np.ndarray:
        return self.require().predict_proba(texts, long_text="window", languages=languages)

    def decide(self, probs: np.ndarray, thresholds: list[float], language: str | None) -> list[str]:
        """Predicted labels, highest score first, with the given per-label thresholds (no model call)."""
        clf = self.require()
        chosen = clf.decide(probs[None, :], thresholds, [language] if language else None)[0]
        return [clf.labels[j] for j in np.argsort(-probs) if chosen[j]]

    def predict(self, text: str, language: str | None = AUTO, thresholds: dict[str, float] | None = None
                ) -> dict[str, Any]:
        """The API's answer: scores, thresholds used, predicted labels, language and any note. Concurrent requests
        are scored together (MicroBatcher); each keeps its own text, language and thresholds."""
        return self.predict_many([text], language, thresholds, field="text")[0]

    def predict_many(self, texts: list[str], language: str | None = AUTO,
                     thresholds: dict[str, float] | None = None, field: str = "texts", explain: int = 0
                     ) -> list[dict[str, Any]]:
        """`predict` for each text (one language for all, or each detected), scored in shared batches. With
        `explain` K, each answer also holds "words": per predicted label, its K strongest words as [word, effect]
        (as mlc.predict --explain writes them)."""
        clf = self.require()
        _check_type("thresholds", thresholds, dict)
        clf.resolve_thresholds(thresholds)  # a bad threshold costs no scoring
        answers, scored_texts = [], self.score_many(texts, language, field)
        for scored in scored_texts:
            used = np.atleast_2d(clf.resolve_thresholds(thresholds, [scored.language]))[0]
            answers.append({"labels": self.decide(scored.probs, used.tolist(), scored.language),
                            "scores": {label: float(p) for label, p in zip(clf.labels, scored.probs, strict=True)},
                            "thresholds": {label: float(t) for label, t in zip(clf.labels, used, strict=True)},
                            "language": scored.language, "detected_language": scored.detected,
                            "note": scored.note})
        if explain:
            self._add_words(answers, scored_texts, explain)
        return answers

    def _add_words(self, answers: list[dict[str, Any]], scored: list[Scored], k: int) -> None:
        """Each answer's "words" (texts without a predicted label or a word get none)."""
        labels = self.require().labels
        chosen = [i for i, answer in enumerate(answers) if answer["labels"] and words(scored[i].text)]
        occlusions = self._occlusions([scored[i].text for i in chosen], [scored[i].scored_in for i in chosen])
        for answer in answers:
            answer["words"] = {}
        for i, occlusion in zip(chosen, occlusions, strict=True):
            answers[i]["words"] = label_words(occlusion, labels, answers[i]["labels"], k)

    def _occlusions(self, texts: list[str], languages: list[str]) -> list[Occlusion]:
        """The occlusion of each text, every variant through the scoring worker (sharing batches with others)."""
        if not texts:
            return []
        return occlude(texts, lambda variants, owners: np.stack(
            self.batcher.submit_many(variants, [languages[i] for i in owners])))

    # ---- explanations and corrections -------------------------------------------------------------------------

    def explain(self, text: str, language: str | None = AUTO) -> tuple[str, Occlusion, Scored]:
        """The text as classified, its occlusion (every word left out in turn: mlc.inference.explain), and its
        scores; the variants go through the scoring worker, sharing batches with other requests."""
        clf = self.require()
        _check_type("language", language, str)
        given = None if language in (None, "", AUTO) else language
        text, resolved, detected, note = self._prepare(clf, text, given, "text")
        spans = words(text)
        if not spans:
            raise ConfigError("the text has no word to explain (only punctuation or symbols)")
        occlusion = self._occlusions([text], [resolved])[0]
        scored = Scored(occlusion.scores, resolved if resolved in clf.languages else None, detected, note, text,
                        resolved)
        return text, occlusion, scored

    def explain_label(self, text: str, language: str | None = AUTO, label: str | None = None) -> dict[str, Any]:
        """The API's explanation of one label (default: the text's highest score): every word with its effect on
        that label's score, in the text's order."""
        clf = self.require()
        _check_type("label", label, str)
        if label not in (None, "") and label not in clf.labels:
            raise ConfigError(f"no label {label!r} in this bundle (its labels: {', '.join(clf.labels)})")
        text, occlusion, scored = self.explain(text, language)
        j = clf.labels.index(label) if label else int(np.argmax(occlusion.scores))
        return {"label": clf.labels[j], "score": float(occlusion.scores[j]), "language": scored.language,
                "text": text, "words": [{"word": span.text, "start": span.start, "end": span.end, "effect": effect}
                                        for span, effect in occlusion.effects_of(j)]}

    def correct(self, text: str, labels: list[str], language: str | None = AUTO, note: str = "",
                thresholds: dict[str, float] | None = None) -> dict[str, Any]:
        """Save a correction: the labels `text` should have had. The text is scored again, so the row records what
        the bundle predicted at the thresholds in force; returns {"saved": corrections in the file, "file"}."""
        if self.feedback is None:
            raise OutputError(self.feedback_error)
        _check_type("labels", labels, list)
        _check_type("note", note, str)
        self.feedback.row(text or "", labels or [], note=note or "")  # bad labels or note cost no scoring
        answer = self.predict(text, language, thresholds)
        clf = self.require()
        count = self.feedback.append(text.strip()[: self.max_chars], labels or [], note=note or "",
                                     language=answer["language"] or answer["detected_language"],
                                     bundle=bundle_id(clf.path), thresholds=answer["thresholds"],
                                     predicted=answer["labels"])
        return {"saved": count, "file": str(self.feedback_path)}

    def corrections(self) -> int:
        return self.feedback.count() if self.feedback else 0


def feedback_path(model: str | None, cache_dir: str | None, given: str | None) -> Path:
    """Where corrections go: `given`, else a folder per bundle in the cache (its labels.txt beside the file)."""
    if given:
        return Path(given).expanduser()
    key = "demo" if model is None else \
        f"{Path(model).name}-{hashlib.sha256(str(Path(model).resolve()).encode()).hexdigest()[:8]}"
    return cache_root(cache_dir) / "feedback" / key / "feedback.jsonl"


class NotReady(MlcError):
    """The model is still loading, or failed to: a request cannot be served now (HTTP 503)."""


def _check_type(field: str, value: Any, kind: type) -> None:
    """A request field of the wrong JSON type (a number or a list for the text) is a refusal naming the field."""
    if value is not None and not isinstance(value, kind):
        names = {str: "a string", dict: "an object {label: threshold}", list: "a list of label names"}
        raise ConfigError(f"the field '{field}' must be {names[kind]}, not {type(value).__name__} {value!r}"[:300])


def held_out_summary(classifier: Classifier) -> str:
    """The demo bundle's micro- and macro-F1 on examples/natural_heldout.csv (messages it never saw), in Markdown;
    '' when the file is not there or scoring fails (the demo serves regardless)."""
    from mlc.demo.bundle import HELD_OUT

    if not HELD_OUT.is_file():
        return ""
    try:
        from mlc.evaluation.args import EvaluateArgs
        from mlc.evaluation.evaluator import evaluate

        metrics = evaluate(EvaluateArgs(data=str(HELD_OUT), model=str(classifier.path), label_column="labels",
                                        bootstrap=0, progress=False), classifier).metrics
    except Exception:
        log.error("mlc: scoring the held-out messages failed\n%s", traceback.format_exc())
        return ""
    summary = metrics["overall"]["summary"]
    return (f"**On {metrics['rows']} natural messages it never saw** (`examples/{HELD_OUT.name}`, "
            f"{len(metrics['languages'])} languages): micro-F1 {summary['micro_f1']:.3f}, macro-F1 "
            f"{summary['macro_f1']:.3f}, mean macro-F1 over languages {metrics['mean_language_macro_f1']:.3f}.\n\n")


def friendly(error: Exception) -> str:
    """The message a visitor sees for a failed request."""
    if isinstance(error, MlcError):
        return str(error)
    log.error("mlc: request failed\n%s", traceback.format_exc())
    return f"Something went wrong ({type(error).__name__}); the app is still running, please try again."
