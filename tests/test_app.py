"""The Gradio demo through its public surfaces: the HTTP API with gradio_client, and a real browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT, read_csv_rectangular, run_module

CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, *args: str, ready_timeout: float = 120, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log
        self.process = subprocess.Popen([sys.executable, "app.py", "--port", str(self.port), *args], cwd=ROOT,
                                        stdout=log.open("w"), stderr=subprocess.STDOUT,
                                        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
        try:
            self._wait(ready_timeout)
        except BaseException:
            self.stop()  # never leave a server behind
            raise

    def _wait(self, ready_timeout: float) -> None:
        from gradio_client import Client

        log = self.log
        deadline = time.time() + ready_timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"app.py exited with {self.process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                self.client = Client(self.url, verbose=False)
                break
            except Exception:
                if time.time() > deadline:
                    raise AssertionError(f"app.py did not answer in {ready_timeout} s:\n{log.read_text()[-3000:]}") from None
                time.sleep(1)
        while True:  # the page is up at once; the model loads (or the demo bundle builds) in the background
            try:
                self.client.predict("hello", "auto-detect", None, api_name="/predict")
                return
            except Exception as error:
                if "still being prepared" not in str(error) or time.time() > deadline:
                    raise
                time.sleep(2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def server(tiny_bundle, tmp_path_factory):
    folder = tmp_path_factory.mktemp("app")
    s = Server("--model", str(tiny_bundle), "--max-chars", "300", "--feedback", str(folder / "fb" / "feedback.jsonl"),
               log=folder / "app.log")
    s.feedback = folder / "fb" / "feedback.jsonl"
    yield s
    s.stop()


def test_api_predicts_in_three_languages_with_thresholds(server, tiny_bundle):
    from mlc import Classifier

    clf = Classifier.load(tiny_bundle)
    tuned = json.loads((tiny_bundle / "thresholds.json").read_text("utf-8"))["per_language"]
    texts = {"en": "My card was charged twice for the same order.",
             "es": "Mi pedido llegó roto y quiero un reembolso.",
             "zh": "我的订单还没有到，请尽快处理。"}
    for language, text in texts.items():
        result = server.client.predict(text, "auto-detect", None, api_name="/predict")
        expected = clf.predict_proba([text])[0]
        assert [result["scores"][label] for label in clf.labels] == pytest.approx(expected, abs=1e-5)
        # the bundle tuned its thresholds per language: the detected language's apply
        assert result["thresholds"] == pytest.approx(tuned[language])
        assert set(result["labels"]) == {label for label, p in zip(clf.labels, expected, strict=True) if p >= tuned[language][label]}
        assert result["detected_language"] == language
        assert result["language"] == language  # the bundle was trained on en, es, zh, ...
        first, second = clf.labels[:2]
        forced = server.client.predict(text, language, {first: 0.0, second: 1.0}, api_name="/predict")
        assert first in forced["labels"] and second not in forced["labels"]
        assert forced["thresholds"][first] == 0.0


def test_api_long_and_empty_inputs(server):
    long = server.client.predict("My parcel is late. " * 100, "en", None, api_name="/predict")
    assert "only the first 300 were classified" in long["note"] and "n-gram" not in long["note"]
    # Finnish: the bundle has no n-gram model for it, and the answer says its scores are the encoder's alone.
    finnish = server.client.predict("Tilaukseni ei ole vieläkään saapunut, auttakaa", "auto-detect", None,
                                    api_name="/predict")
    assert finnish["detected_language"] == "fi" and "no n-gram model for this language" in finnish["note"]
    with pytest.raises(Exception, match="the text is empty"):
        server.client.predict("   ", "auto-detect", None, api_name="/predict")
    with pytest.raises(Exception, match="unknown labels: nope"):
        server.client.predict("hello", "en", {"nope": 0.2}, api_name="/predict")
    first = next(iter(server.client.predict("hello", "en", None, api_name="/predict")["scores"]))
    for bad, shown in ((7, "got 7"), (-0.1, "got -0.1"), (None, "got None"), ("0.5", "got '0.5'")):
        with pytest.raises(Exception, match=rf"the threshold of '{first}' must be a number in \[0, 1\], {shown}"):
            server.client.predict("hello", "en", {first: bad}, api_name="/predict")
    # the app keeps serving after failed requests, and refusals leave no traceback in the server's log
    assert server.client.predict("hello again", "en", None, api_name="/predict")["scores"]
    assert "Traceback" not in server.log.read_text()


def test_json_endpoint_answers_like_the_gradio_api(server, tiny_bundle):
    import httpx

    texts = ["My card was charged twice for the same order.", "Mi pedido llegó roto y quiero un reembolso."]
    first = json.loads((tiny_bundle / "mlc.json").read_text("utf-8"))["labels"][0]
    for text in texts:  # one text alone: the same batch of one as /predict, so the same answer
        answer = httpx.post(server.url + "api/classify", json={"texts": [text], "thresholds": {first: 0.0}},
                            timeout=60)
        assert answer.status_code == 200, answer.text
        [got] = answer.json()["results"]
        expected = server.client.predict(text, "auto-detect", {first: 0.0}, api_name="/predict")
        assert got["scores"] == pytest.approx(expected["scores"], abs=1e-6)
        assert {k: v for k, v in got.items() if k != "scores"} == {k: v for k, v in expected.items() if k != "scores"}
    together = httpx.post(server.url + "api/classify", json={"texts": texts, "thresholds": {first: 0.0}}, timeout=60)
    results = together.json()["results"]  # scored in one batch: padding moves scores a little
    alone = [server.client.predict(text, "auto-detect", {first: 0.0}, api_name="/predict") for text in texts]
    for result, single in zip(results, alone, strict=True):
        assert result["scores"] == pytest.approx(single["scores"], abs=5e-3)
        assert result["thresholds"] == single["thresholds"] and result["language"] == single["language"]
    assert all(first in result["labels"] and result["thresholds"][first] == 0.0 for result in results)


@pytest.mark.parametrize(("body", "status", "message"), [
    (b"not json", 400, "the body is not JSON"),
    (b"[1, 2]", 400, "the body must be a JSON object"),
    (b'{"texts": "one text"}', 422, "the field 'texts' must be a non-empty list of strings"),
    (b'{"texts": ["ok", 5]}', 422, "the field 'texts[1]' must be a string, not int 5"),
    (b'{"texts": ["ok", "  "]}', 422, "the field 'texts[1]' is empty"),
    (b'{"texts": ["ok"], "language": 3}', 422, "the field 'language' must be a string"),
    (b'{"texts": ["ok"], "thresholds": {"nope": 0.2}}', 422, "thresholds for unknown labels: nope"),
    (b'{"texts": ["ok"], "thresholds": [0.2]}', 422, "the field 'thresholds' must be an object"),
    (b'{"texts": ["ok"], "threshold": 0.2}', 422, "unknown field 'threshold'"),
    (b'{"texts": [' + b", ".join([b'"t"'] * 257) + b"]}", 413, "one request takes at most 256"),
    (b'{"texts": ["ok"], "explain": "3"}', 422, "the field 'explain' must be a whole number of words from 0 to 20"),
    (b'{"texts": ["ok"], "explain": 21}', 422, "the field 'explain' must be a whole number of words from 0 to 20"),
    (b'{"texts": ["ok"], "explain": true}', 422, "the field 'explain' must be a whole number of words"),
    (b'{"texts": [' + b", ".join([b'"t"'] * 33) + b'], "explain": 1}', 413, "with 'explain', one request takes at most 32"),
])
def test_json_endpoint_refuses_bad_requests_in_one_line(server, body, status, message):
    import httpx

    answer = httpx.post(server.url + "api/classify", content=body, headers={"content-type": "application/json"},
                        timeout=60)
    assert answer.status_code == status and message in answer.json()["error"], answer.text
    assert "\n" not in answer.json()["error"]
    assert "Traceback" not in server.log.read_text()


def test_json_endpoint_under_concurrent_clients(server):
    import asyncio

    import httpx

    texts = [f"My order {i} has not arrived, I want a refund." for i in range(40)]

    async def run() -> list:
        async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
            return await asyncio.gather(*(client.post("api/classify", json={"texts": [text], "language": "en"})
                                          for text in texts))

    answers = asyncio.run(run())
    assert [a.status_code for a in answers] == [200] * len(texts)
    alone = httpx.post(server.url + "api/classify", json={"texts": texts, "language": "en"}, timeout=120).json()
    for answer, expected in zip(answers, alone["results"], strict=True):
        got = answer.json()["results"][0]
        assert got["labels"] == expected["labels"] or any(abs(got["scores"][k] - got["thresholds"][k]) < 1e-3
                                                          for k in got["scores"])
        assert got["scores"] == pytest.approx(expected["scores"], abs=5e-3)  # batch padding moves scores a little


def test_json_endpoint_explains_each_predicted_label_by_its_strongest_words(server, tiny_bundle):
    import httpx

    from mlc import Classifier

    clf = Classifier.load(tiny_bundle)
    texts = ["Mi pedido llegó roto y quiero un reembolso.", "My card was charged twice for the same order.", "?!"]
    forced = {label: 0.0 for label in clf.labels[:2]}  # every text has these two labels predicted
    answer = httpx.post(server.url + "api/classify", json={"texts": texts, "thresholds": forced, "explain": 2},
                        timeout=120)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    plain = httpx.post(server.url + "api/classify", json={"texts": texts, "thresholds": forced}, timeout=120).json()
    assert all("words" not in result for result in plain["results"])  # asked for, or not there at all
    for text, result, without in zip(texts[:2], results, plain["results"], strict=False):
        assert result["labels"] == without["labels"] and set(result["words"]) == set(result["labels"])
        for label, found in result["words"].items():
            expected = {span.text: effect for span, effect in clf.explain(text, label=label,
                                                                          language=result["language"])[label]}
            assert 0 < len(found) <= 2 and all(effect > 0 for _, effect in found)
            assert all(effect == pytest.approx(expected[word], abs=2e-3) for word, effect in found)
            strongest = sorted(expected.values(), reverse=True)[: len(found)]
            assert [e for _, e in found] == pytest.approx(strongest, abs=2e-3)
    assert results[2]["words"] == {}  # no word to explain: the text is still classified


def test_explain_api_gives_each_words_effect_on_a_label(server, tiny_bundle):
    from mlc import Classifier

    clf = Classifier.load(tiny_bundle)
    text = "Mi pedido llegó roto y quiero un reembolso."
    top = server.client.predict(text, "auto-detect", None, api_name="/explain")
    scores = clf.predict_proba([text], languages=["es"])[0]
    assert top["label"] == clf.labels[int(scores.argmax())] and top["language"] == "es"
    label = clf.labels[3]
    answer = server.client.predict(text, "es", label, api_name="/explain")
    expected = clf.explain(text, label=label, language="es")[label]
    assert [(w["word"], w["start"], w["end"]) for w in answer["words"]] == [tuple(s) for s, _ in expected]
    assert [w["effect"] for w in answer["words"]] == pytest.approx([e for _, e in expected], abs=1e-4)
    assert answer["score"] == pytest.approx(float(scores[3]), abs=1e-4)
    for args, message in (((text, "es", "nope"), "no label 'nope' in this bundle"),
                          (("?!", "es", None), "the text has no word to explain"),
                          (("", "es", None), "the text is empty")):
        with pytest.raises(Exception, match=message):
            server.client.predict(*args, api_name="/explain")


def test_corrections_through_the_api_are_evaluated_and_trained_on(server, tiny_bundle, tiny_model_dir, tmp_path):
    """Three predictions corrected through the app's API land in the feedback file; mlc.evaluate scores the bundle
    on that file, and mlc.train takes it as extra training rows."""
    from mlc import Classifier

    labels = Classifier.load(tiny_bundle).labels
    before = sum(1 for _ in server.feedback.open()) if server.feedback.exists() else 0
    marks = {"My card was charged twice for the same order.": [labels[1]],
             "我的订单还没有到，请尽快处理。": [labels[3], labels[7]],
             "Merci, tout est parfait.": []}
    for text, chosen in marks.items():
        answer = server.client.predict(text, chosen, "auto-detect", "checked by hand", {labels[0]: 0.0},
                                       api_name="/correct")
    assert answer == {"saved": before + 3, "file": str(server.feedback)}
    for args, message in ((("fine", ["nope"], "en", "", None), "no label 'nope' in this bundle"),
                          (("", [labels[0]], "en", "", None), "the correction has no text")):
        with pytest.raises(Exception, match=message):
            server.client.predict(*args, api_name="/correct")
    rows = [json.loads(line) for line in server.feedback.read_text("utf-8").splitlines()][-3:]
    assert [r["text"] for r in rows] == list(marks) and [r["labels"] for r in rows] == list(marks.values())
    for row in rows:
        said = server.client.predict(row["text"], "auto-detect", {labels[0]: 0.0}, api_name="/predict")
        assert row["predicted"] == said["labels"] and row["thresholds"] == pytest.approx(said["thresholds"])
        assert row["language"] == said["language"] and row["bundle"].startswith(f"{tiny_bundle.name}@")
    out = tmp_path / "eval"
    run = run_module("mlc.evaluate", "--model", str(tiny_bundle), "--data", str(server.feedback), "--output",
                     str(out), "--bootstrap", "0")
    assert run.returncode == 0, run.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text("utf-8"))
    assert metrics["rows"] == before + 3 and list(metrics["labels"]) == labels
    trained = tmp_path / "bundle"
    run = run_module("mlc.train", "--data", str(ROOT / "examples" / "support_tickets.csv"), "--extra-data",
                     str(server.feedback), "--model", str(tiny_model_dir), "--output", str(trained), "--max-steps",
                     "2", "--max-length", "32", "--batch-size", "8")
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads((trained / "data_summary.json").read_text("utf-8"))
    from mlc.data import load_data

    plain = load_data(str(ROOT / "examples" / "support_tickets.csv")).summary()["splits"]
    assert summary["extra_rows"] == before + 3
    assert summary["splits"]["train"]["rows"] == plain["train"]["rows"] + before + 3
    assert summary["splits"]["validation"]["rows"] == plain["validation"]["rows"]


def test_browser_types_moves_a_slider_and_sees_the_predicted_set_change(server, tiny_bundle, tmp_path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium for this test")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); CI installs it")
    from playwright.sync_api import expect, sync_playwright

    from mlc import Classifier

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        page.goto(server.url)
        page.locator("#text textarea").fill("Mi pedido llegó roto y quiero un reembolso.")
        page.locator("#classify").click()
        predicted = page.locator("#predicted textarea")
        expect(page.locator("#language")).to_contain_text("es", timeout=60_000)
        expect(predicted).not_to_have_value("", timeout=30_000)
        before = predicted.input_value()
        labels = Classifier.load(tiny_bundle).labels
        # Why: the text's words highlighted for the top label, then for the label the visitor picks.
        why, note = page.locator("#why"), page.locator("#why-note")
        for word in ("pedido", "roto", "reembolso"):
            expect(why).to_contain_text(word, timeout=30_000)
        expect(note).to_contain_text("Raised most by", timeout=30_000)
        first_note = note.inner_text()
        picked = next(label for label in labels if f"**{label}**" not in first_note and label not in
                      first_note.split(".")[0])
        page.locator("#why-label input").click()
        page.get_by_role("option", name=picked, exact=True).click()
        expect(note).to_contain_text(picked, timeout=30_000)
        # A correction: the visitor marks the labels it should have had; the page counts it, the file holds it.
        page.get_by_text("Correct this prediction").click()
        corrected = [labels[0], labels[5]]
        boxes = page.locator("#correct-labels")
        for label in labels:
            box = boxes.get_by_label(label, exact=True)
            if box.is_checked() != (label in corrected):
                box.click()
        page.locator("#correct-note textarea, #correct-note input").first.fill("from the browser")
        page.locator("#correct").click()
        expect(page.locator("#correct-status")).to_contain_text("Saved.", timeout=30_000)
        last = json.loads(server.feedback.read_text("utf-8").splitlines()[-1])
        assert last["labels"] == corrected and last["note"] == "from the browser"
        assert last["text"] == "Mi pedido llegó roto y quiero un reembolso."
        # Threshold 0 on a label outside the predicted set: it must join it, without running the model again.
        index = next(i for i, label in enumerate(labels) if label not in before.split(", "))
        box = page.locator(f"#threshold-{index} input[type=number]")
        box.fill("0")
        box.press("Enter")
        expect(predicted).not_to_have_value(before, timeout=30_000)
        assert labels[index] in predicted.input_value().split(", ")
        # Threshold 1 on every label: nothing is predicted.
        for i in range(len(labels)):
            box = page.locator(f"#threshold-{i} input[type=number]")
            box.fill("1")
            box.press("Enter")
        expect(predicted).to_have_value("(none above its threshold)", timeout=30_000)
        page.locator("#reset").click()
        expect(predicted).to_have_value(before, timeout=30_000)
        shot = tmp_path / "demo.png"
        page.screenshot(path=str(shot), full_page=True)
        # Batch tab: upload a CSV, get predictions made with the current sliders back.
        upload = tmp_path / "batch.csv"
        upload.write_text("id,message\nb1,Mi pedido llegó roto\nb2,\nb3,我的订单还没有到\n", encoding="utf-8")
        page.get_by_role("tab", name="Batch").click()
        page.locator("#batch-file input[type=file]").set_input_files(str(upload))
        page.locator("#batch-column textarea, #batch-column input").first.fill("message")
        page.locator("#batch-run").click()
        expect(page.locator("#batch-note")).to_contain_text("Labelled 2 rows; 1 empty rows got no labels",
                                                            timeout=60_000)
        expect(page.locator("#batch-preview")).to_contain_text("b3")
        link = page.locator("#batch-download a").first
        expect(link).to_have_attribute("href", re.compile("batch-predictions.csv"))
        from urllib.parse import urljoin

        body = page.request.get(urljoin(server.url, link.get_attribute("href"))).text()
        (tmp_path / "download.csv").write_text(body, encoding="utf-8")
        rows = read_csv_rectangular(tmp_path / "download.csv")
        assert [r["id"] for r in rows] == ["b1", "b2", "b3"] and rows[1]["predicted_labels"] == ""
        assert all(r[f"p_{label}"] for r in (rows[0], rows[2]) for label in labels)
        assert shot.stat().st_size > 10_000
        page.get_by_role("tab", name="Report").click()
        expect(page.locator("#feedback-count")).to_contain_text("correction", timeout=30_000)
        expect(page.locator("#feedback-download")).to_be_visible(timeout=30_000)
        if os.environ.get("MLC_SCREENSHOT_DIR"):
            shutil.copy(shot, Path(os.environ["MLC_SCREENSHOT_DIR"]) / "demo.png")
        browser.close()


@pytest.mark.slow
def test_default_demo_starts_offline_and_labels_sensibly(tmp_path):
    """The main job: `python app.py` with no options serves the demo bundle, building it on first start."""
    s = Server(ready_timeout=900, log=tmp_path / "app.log")
    try:
        refund = s.client.predict("I want a refund for the broken headphones, please return my money.",
                                  "auto-detect", None, api_name="/predict")
        delivery = s.client.predict("Mi paquete no ha llegado todavía, ¿dónde está mi envío?", "auto-detect", None,
                                    api_name="/predict")
        account = s.client.predict("我无法登录我的账户，密码错误。", "auto-detect", None, api_name="/predict")
    finally:
        s.stop()
    assert "refund" in refund["labels"], refund
    assert "delivery" in delivery["labels"] and delivery["language"] == "es", delivery
    assert "account" in account["labels"] and account["language"] == "zh", account
