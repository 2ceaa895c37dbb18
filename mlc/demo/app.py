"""The demo's Gradio app: the page (scores, a threshold slider per label, each word's effect on a label,
corrections, a batch tab, the report), its `/predict`, `/explain` and `/correct` endpoints for Gradio clients and
`POST /api/classify` for any HTTP client. `python app.py` (the repository's, or a
Space's written by `python -m mlc.space`) runs `main`."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np

from mlc.core.errors import ConfigError
from mlc.core.runner import run_cli
from mlc.data.args import InputArgs
from mlc.demo.args import MAX_BATCH_ROWS, AppArgs
from mlc.demo.endpoint import add_route
from mlc.demo.service import AUTO, DemoService, friendly
from mlc.inference.files import open_inputs
from mlc.inference.prediction import predict_texts
from mlc.inference.writers import write_outputs

DESCRIPTION = "The mlc demo: per-label scores with a threshold slider per label, for text in any language."
EXAMPLES = [
    ["I was charged twice for my order and I want my money back, please hurry!"],
    ["Mi paquete no ha llegado y nadie responde. Es inaceptable."],
    ["Ich kann mich seit gestern nicht mehr in mein Konto einloggen."],
    ["Merci beaucoup, le service client a été excellent !"],
    ["لم يصل طلبي بعد، وأريد استرداد المبلغ فوراً"],
    ["我的订单显示已送达，但我什么都没收到。"],
    ["मेरा पासवर्ड रीसेट नहीं हो रहा है, कृपया मदद करें।"],
    ["Приложение вылетает каждый раз, когда я открываю корзину."],
    ["注文した商品がまだ届きません。返金してください。"],
    ["Asante sana kwa huduma nzuri, nimefurahi sana!"],
]


def _labels_text(labels: list[str]) -> str:
    return ", ".join(labels) if labels else "(none above its threshold)"


def build_demo(service: DemoService, max_batch_rows: int = MAX_BATCH_ROWS) -> gr.Blocks:
    with gr.Blocks(title="mlc: multilingual multi-label classification") as demo:
        gr.Markdown("# mlc: multilingual multi-label text classification\n"
                    "Type a text in any language: each label gets a probability, and a label is predicted when its "
                    "probability reaches its threshold. Move a slider to see the predicted set change.")
        ui = SimpleNamespace(status=gr.Markdown(service.status(), elem_id="status"),
                             timer=gr.Timer(2.0, active=not service.ready), probs=gr.State(None),
                             language_used=gr.State(None))
        with gr.Tab("Classify"):
            _classify_tab(ui, service)
        with gr.Tab("Batch"):
            _batch_tab(ui, service, max_batch_rows)
        with gr.Tab("Report") as report_tab:
            with gr.Row():
                ui.feedback_count = gr.Markdown(elem_id="feedback-count")
                ui.feedback_file = gr.DownloadButton("Download the corrections (JSON lines)", size="sm",
                                                     elem_id="feedback-download", visible=False)
            ui.report = gr.Markdown("The validation report appears when the model is ready.")
            ui.plots = gr.Gallery(label="Plots", columns=3, height="auto")
            with gr.Accordion("Model card", open=False):
                ui.card = gr.Markdown()
        _classify_events(ui, service)
        _status_events(demo, ui, service)
        report_tab.select(lambda: _report(service) if service.ready else [gr.update()] * 3, None,
                          [ui.report, ui.plots, ui.card], api_visibility="private", queue=False)
        report_tab.select(lambda: _feedback_download(service), None, [ui.feedback_count, ui.feedback_file],
                          api_visibility="private", queue=False)
        _api(service)
    return demo


def _classify_tab(ui: SimpleNamespace, service: DemoService) -> None:
    with gr.Row():
        with gr.Column(scale=3):
            ui.text = gr.Textbox(label="Text (any language)", lines=4, elem_id="text",
                                 placeholder="Paste a message, a review, a post...")
            ui.language = gr.Dropdown([AUTO, *service.languages()], value=AUTO, label="Language",
                                      info="auto-detect, or say which language the text is in")
            ui.button = gr.Button("Classify", variant="primary", elem_id="classify")
            ui.note = gr.Markdown(elem_id="note")
            gr.Examples(EXAMPLES, inputs=[ui.text], label="Examples in 10 languages")
        with gr.Column(scale=3):
            ui.predicted = gr.Textbox(label="Predicted labels", interactive=False, elem_id="predicted")
            ui.language_out = gr.Markdown(elem_id="language")
            ui.scores = gr.Label(label="Probability per label", num_top_classes=len(service.labels),
                                 elem_id="scores")
            _why_box(ui, service)
            _correction_box(ui, service)
    with gr.Accordion("Thresholds (one per label; start at the bundle's tuned values, per language if it tuned "
                      "them so)", open=True):
        with gr.Row():
            ui.sliders = [gr.Slider(0.0, 1.0, value=round(t, 2), step=0.01, label=label, elem_id=f"threshold-{i}",
                                    min_width=160)
                          for i, (label, t) in enumerate(zip(service.labels, service.tuned_thresholds(), strict=True))]
        ui.reset = gr.Button("Reset to the tuned thresholds", size="sm", elem_id="reset")


def _why_box(ui: SimpleNamespace, service: DemoService) -> None:
    with gr.Accordion("Why: each word's effect on a label", open=True):
        ui.why_label = gr.Dropdown(service.labels, value=None, label="Label", elem_id="why-label",
                                   info="the words that raised (+) or lowered (-) its score; default: the top label")
        ui.why = gr.HighlightedText(label="Effect of leaving each word out, scaled to the strongest word (-1 to +1)",
                                    show_legend=True, elem_id="why")
        ui.why_note = gr.Markdown(elem_id="why-note")
        ui.occlusion = gr.State(None)


def _correction_box(ui: SimpleNamespace, service: DemoService) -> None:
    with gr.Accordion("Correct this prediction", open=False):
        ui.correct_labels = gr.CheckboxGroup(service.labels, label="The labels this text should have",
                                             elem_id="correct-labels")
        ui.correct_note = gr.Textbox(label="Note (optional)", lines=1, elem_id="correct-note")
        ui.correct_button = gr.Button("Save the correction", size="sm", elem_id="correct")
        ui.correct_status = gr.Markdown(_corrections_line(service), elem_id="correct-status")


def _corrections_line(service: DemoService, saved: bool = False) -> str:
    if service.feedback is None:
        return f"**Corrections cannot be saved:** {service.feedback_error}"
    count = service.corrections()
    return (("**Saved.** " if saved else "") + f"{count:,} correction{'s' * (count != 1)} in "
            f"`{service.feedback_path}` (download it in the Report tab).")


def _batch_tab(ui: SimpleNamespace, service: DemoService, max_batch_rows: int) -> None:
    gr.Markdown(f"Upload a CSV, TSV, JSONL or TXT file (one text per line); up to {max_batch_rows:,} rows are "
                "labelled with the current sliders (with a bundle that tuned its thresholds per language: each "
                "row's language's thresholds).")
    with gr.Row():
        upload = gr.File(label="File", file_types=[".csv", ".tsv", ".jsonl", ".json", ".txt"], elem_id="batch-file")
        text_column = gr.Textbox(label="Text column", placeholder="blank: detected (text, sentence, ...)",
                                 elem_id="batch-column")
    run_batch = gr.Button("Label the file", variant="primary", elem_id="batch-run")
    batch_note = gr.Markdown(elem_id="batch-note")
    download = gr.File(label="Predictions (CSV)", elem_id="batch-download")
    preview = gr.Dataframe(label="First rows", wrap=True, elem_id="batch-preview")

    def label_file(file, column, *thresholds):
        try:
            return _label_file(service, file, column, list(thresholds), max_batch_rows)
        except Exception as error:
            raise _refusal(error) from None

    run_batch.click(label_file, [upload, text_column, *ui.sliders], [download, preview, batch_note],
                    api_visibility="private")


def _classify_events(ui: SimpleNamespace, service: DemoService) -> None:
    def classify(text_value, language_value, *thresholds):
        try:
            scored = service.score(text_value, language_value)
        except Exception as error:
            raise _refusal(error) from None
        shown = f"Language: **{scored.language or 'not among the bundle languages'}**"
        if scored.detected:
            shown += f" (detected `{scored.detected}`)"
        if service.has_language_thresholds():
            # The bundle tuned its thresholds per language: the sliders move to this text's language's values.
            thresholds = _two_decimals(service.tuned_thresholds(scored.language))
            shown += "; sliders set to the thresholds tuned for " + (
                f"`{scored.language}`" if scored.language else "all languages")
        chosen = service.decide(scored.probs, list(thresholds), scored.language)
        return ({label: float(p) for label, p in zip(service.labels, scored.probs, strict=True)}, _labels_text(chosen),
                shown, scored.note, scored.probs.tolist(), scored.language, gr.update(value=chosen), *thresholds)

    outputs = [ui.scores, ui.predicted, ui.language_out, ui.note, ui.probs, ui.language_used, ui.correct_labels,
               *ui.sliders]
    why_outputs = [ui.occlusion, ui.why_label, ui.why, ui.why_note]
    for trigger in (ui.button.click, ui.text.submit):
        trigger(classify, [ui.text, ui.language, *ui.sliders], outputs, api_visibility="private").success(
            lambda text, language: _explain(service, text, language), [ui.text, ui.language], why_outputs,
            api_visibility="private")
    ui.why_label.input(lambda occlusion, label: _highlight(occlusion, label, service.labels),
                       [ui.occlusion, ui.why_label], [ui.why, ui.why_note], api_visibility="private", queue=False)

    def save_correction(text, language, labels, note, *thresholds):
        try:
            service.correct(text, labels or [], language, note or "", dict(zip(service.labels, thresholds,
                                                                              strict=True)))
        except Exception as error:  # the visitor's marks stay on the page, so nothing is lost
            raise _refusal(error) from None
        return _corrections_line(service, saved=True), ""

    ui.correct_button.click(save_correction, [ui.text, ui.language, ui.correct_labels, ui.correct_note, *ui.sliders],
                            [ui.correct_status, ui.correct_note], api_visibility="private")

    def redecide(probs, language_value, *thresholds):
        if probs is None or not service.ready:
            return gr.update()
        return _labels_text(service.decide(np.asarray(probs), list(thresholds), language_value))

    # One listener for every slider, so that fast moves cannot answer out of order: while it runs, only the
    # latest change waits, and it reads every slider's current value.
    gr.on([slider.change for slider in ui.sliders], redecide, [ui.probs, ui.language_used, *ui.sliders],
          ui.predicted, api_visibility="private", trigger_mode="always_last")
    ui.reset.click(lambda language: _two_decimals(service.tuned_thresholds(language)), ui.language_used, ui.sliders,
                   api_visibility="private", queue=False)


def _explain(service: DemoService, text: str, language: str) -> list:
    """The occlusion of the text just classified (kept in the page's state, so that choosing another label costs no
    scoring) and its highlight for the top label."""
    try:
        shown, occlusion, _ = service.explain(text, language)
    except Exception as error:
        return [None, gr.update(), None, f"No explanation: {friendly(error)}"]
    state = {"text": shown, "spans": [[s.start, s.end] for s in occlusion.spans],
             "effects": occlusion.effects.tolist(), "scores": occlusion.scores.tolist()}
    label = service.labels[int(np.argmax(occlusion.scores))]
    return [state, gr.update(value=label), *_highlight(state, label, service.labels)]


def _highlight(state: dict | None, label: str | None, labels: list[str]) -> tuple[list | None, str]:
    """HighlightedText's value for one label: every word with its effect scaled so the strongest is +-1, the text
    between words plain; and a line naming the words that raised and lowered the score most."""
    if not state or label not in labels:
        return None, ""
    j, text, spans = labels.index(label), state["text"], state["spans"]
    effects = np.asarray(state["effects"], dtype=float).reshape(len(spans), -1)[:, j]
    scale = float(np.abs(effects).max()) or 1.0
    pieces, at = [], 0
    for (start, end), effect in zip(spans, effects, strict=True):
        if start > at:
            pieces.append((text[at:start], None))
        pieces.append((text[start:end], round(float(effect) / scale, 3)))
        at = end
    if at < len(text):
        pieces.append((text[at:], None))
    order = np.argsort(-effects, kind="stable")
    raised = [f"{text[spans[i][0]:spans[i][1]]} (+{effects[i]:.3f})" for i in order[:3] if effects[i] > 0]
    lowered = [f"{text[spans[i][0]:spans[i][1]]} ({effects[i]:.3f})" for i in order[::-1][:3] if effects[i] < 0]
    line = (f"**{label}** {state['scores'][j]:.3f}. Raised most by: {', '.join(raised) or 'no word'}; lowered most "
            f"by: {', '.join(lowered) or 'no word'}.")
    return pieces, line


def _status_events(demo: gr.Blocks, ui: SimpleNamespace, service: DemoService) -> None:
    """The status line until the model is ready; then the languages, the tuned thresholds and the report."""
    def refresh():
        if not service.ready:
            return [service.status(), gr.update(), gr.Timer(active=service.error is None),
                    *[gr.update()] * (len(ui.sliders) + 3)]
        report_md, images, card_md = _report(service)
        return [service.status(), gr.update(choices=[AUTO, *service.languages()]), gr.Timer(active=False),
                *_two_decimals(service.tuned_thresholds()), report_md, images, card_md]

    outputs = [ui.status, ui.language, ui.timer, *ui.sliders, ui.report, ui.plots, ui.card]
    ui.timer.tick(refresh, None, outputs, api_visibility="private", queue=False)
    demo.load(refresh, None, outputs, api_visibility="private", queue=False)


def _api(service: DemoService) -> None:
    def predict(text: str, language: str = AUTO, thresholds: dict | None = None) -> dict:
        """Scores for one text: {labels, scores, thresholds, language, detected_language, note}. `thresholds`
        overrides the tuned ones per label, e.g. {"refund": 0.3}."""
        try:
            return service.predict(text, language, thresholds)
        except Exception as error:
            raise _refusal(error) from None

    gr.api(predict, api_name="predict")

    def explain(text: str, language: str = AUTO, label: str | None = None) -> dict:
        """Why `label` (default: the top one) got its score: {label, score, language, text, words: [{word, start,
        end, effect}]}, the effect being the score minus the score with that word left out."""
        try:
            return service.explain_label(text, language, label)
        except Exception as error:
            raise _refusal(error) from None

    def correct(text: str, labels: list[str], language: str = AUTO, note: str = "",
                thresholds: dict | None = None) -> dict:
        """Save a correction: the labels `text` should have had (appended to the corrections file); returns
        {saved: corrections in the file, file}."""
        try:
            return service.correct(text, labels, language, note, thresholds)
        except Exception as error:
            raise _refusal(error) from None

    gr.api(explain, api_name="explain")
    gr.api(correct, api_name="correct")


def _refusal(error: Exception) -> gr.Error:
    """What a visitor or API client is told about a failed request. Gradio prints no traceback for it: an expected
    refusal (an MlcError: bad input, the model still loading) needs none, and `friendly` logs a bug's once."""
    return gr.Error(friendly(error), print_exception=False)


def _two_decimals(thresholds: list[float]) -> list[float]:
    """Slider values as the sliders show them (their step is 0.01)."""
    return [round(float(t), 2) for t in thresholds]


def _feedback_download(service: DemoService) -> tuple[str, dict]:
    """The corrections line and the download of the file (a copy, so that the download never reads a file while a
    correction is appended to it)."""
    if service.corrections() == 0:
        return _corrections_line(service), gr.update(visible=False)
    copy = Path(tempfile.mkdtemp(prefix="feedback-", dir=_downloads())) / service.feedback_path.name
    shutil.copyfile(service.feedback_path, copy)
    return _corrections_line(service), gr.update(value=str(copy), visible=True)


def _report(service: DemoService) -> tuple[str, list, str]:
    from PIL import Image

    folder = Path(str(service.classifier.path))
    evaluation = folder / "evaluation"
    text = (evaluation / "report.md").read_text("utf-8") if (evaluation / "report.md").is_file() else \
        "This bundle has no validation report (it was trained without a validation split)."
    text = service.held_out + "\n".join(line for line in text.splitlines() if not line.startswith("!["))
    images = [(Image.open(path).copy(), path.stem.replace("_", " "))
              for path in sorted((evaluation / "plots").glob("*.png"))] if (evaluation / "plots").is_dir() else []
    card = (folder / "README.md").read_text("utf-8") if (folder / "README.md").is_file() else ""
    return text, images, card


@functools.cache
def _downloads() -> str:
    """One folder for the batch tab's prediction files (Gradio serves a copy from its own cache), removed when the
    app exits, instead of a new temporary folder left behind per upload."""
    folder = tempfile.mkdtemp(prefix="mlc-batch-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _label_file(service: DemoService, file, column: str, thresholds: list[float] | None, max_rows: int):
    if file is None:
        raise ConfigError("upload a file first")
    path = file if isinstance(file, str) else file.name
    inputs = open_inputs(path, InputArgs(text_column=column.strip() or None), chunk_rows=max_rows)
    chunk = next(iter(inputs), None)  # only the rows labelled are read
    records, texts, languages = (chunk.records, chunk.texts, chunk.languages) if chunk else ([], [], [])
    note = f"The file has more than {max_rows:,} rows; the first {max_rows:,} were labelled." \
        if next(iter(inputs), None) else ""
    clf = service.require()
    if clf.language_thresholds:  # each row's language's tuned thresholds, not one language's sliders
        thresholds = None
        note = " ".join(x for x in (note, "Each row was labelled with the thresholds tuned for its language.") if x)
    results, blank = service.run(lambda classifier: predict_texts(classifier, texts, languages, thresholds))
    empty = len(blank)
    out = Path(tempfile.mkdtemp(prefix="batch-", dir=_downloads())) / f"{Path(path).stem}-predictions.csv"
    write_outputs(str(out), records, inputs.columns, results, clf.labels)
    import pandas as pd

    preview = pd.read_csv(out, nrows=20)
    summary = f"Labelled {len(texts) - empty:,} rows" + (f"; {empty:,} empty rows got no labels" if empty else "") + "."
    return str(out), preview, " ".join(x for x in (summary, note) if x)


def main(argv: list[str] | None = None) -> int:
    def _run(_argv) -> int:
        args = AppArgs.from_cli("python app.py", DESCRIPTION, argv).validate()
        service = DemoService(args.model, args.cache_dir, args.max_chars, args.backend, args.threads,
                              args.max_batch, recipe=args.demo_recipe, revision=args.revision,
                              feedback=args.feedback).start(background=True)
        demo = build_demo(service, args.max_batch_rows)
        demo.queue(default_concurrency_limit=args.concurrency, max_size=args.queue_size)
        demo.launch(server_name=args.host, server_port=args.port, share=args.share, max_file_size="20mb",
                    footer_links=["api"], prevent_thread_lock=True)
        add_route(demo.app, service)  # POST /api/classify, beside the page
        demo.block_thread()
        return 0

    return run_cli(_run, argv)


