"""The corrections file (mlc.data.feedback): appends that are whole and counted under concurrent writers, clear
refusals, and rows that read back as labelled data with every label of the bundle."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading

import pytest

from mlc.core.errors import ConfigError, OutputError
from mlc.data.feedback import LABELS_FILE, FeedbackLog
from mlc.data.loader import load_data

LABELS = ["anger", "joy", "sadness"]


def _append_many(path: str, worker: int, n: int) -> None:
    log = FeedbackLog(path, LABELS)
    for i in range(n):
        log.append(f"text {worker}-{i} " + "x" * (i * 37 % 3000), [LABELS[i % 3]], language="en",
                   note=f"worker {worker}")


def test_concurrent_threads_and_processes_lose_no_correction(tmp_path):
    path = tmp_path / "fb" / "feedback.jsonl"
    threads = [threading.Thread(target=_append_many, args=(str(path), w, 25)) for w in range(4)]
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_append_many, args=(str(path), 10 + w, 25)) for w in range(2)]
    for t in (*threads, *processes):
        t.start()
    for t in (*threads, *processes):
        t.join()
    assert all(p.exitcode == 0 for p in processes)
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert len(rows) == 150 == FeedbackLog(path, LABELS).count()
    assert sorted(r["text"].split()[1] for r in rows) == sorted(f"{w}-{i}" for w in (0, 1, 2, 3, 10, 11)
                                                                for i in range(25))
    assert (path.parent / LABELS_FILE).read_text("utf-8") == "anger\njoy\nsadness\n"


def test_a_row_holds_what_it_corrects(tmp_path):
    log = FeedbackLog(tmp_path / "feedback.jsonl", LABELS)
    assert log.count() == 0
    count = log.append("I lost my keys again", ["sadness", "anger"], language="en", note="both",
                       bundle="b@123", thresholds={"anger": 0.4}, predicted=["joy"])
    assert count == 1
    row = json.loads((tmp_path / "feedback.jsonl").read_text("utf-8"))
    assert row["labels"] == ["anger", "sadness"]  # in the bundle's order
    assert {k: row[k] for k in ("text", "language", "note", "bundle", "thresholds", "predicted")} == {
        "text": "I lost my keys again", "language": "en", "note": "both", "bundle": "b@123",
        "thresholds": {"anger": 0.4}, "predicted": ["joy"]}
    assert row["time"].endswith("+00:00")


@pytest.mark.parametrize("text, labels, note, message", [
    ("", ["joy"], "", "the correction has no text"),
    ("fine", ["nope"], "", "no label 'nope' in this bundle"),
    ("fine", "joy", "", "a list of label names"),
    ("fine", ["joy"], "n" * 2001, "the note must be text of at most 2000 characters"),
])
def test_bad_corrections_are_refused_and_nothing_is_written(tmp_path, text, labels, note, message):
    log = FeedbackLog(tmp_path / "feedback.jsonl", LABELS)
    with pytest.raises(ConfigError, match=message):
        log.append(text, labels, note=note)
    assert not (tmp_path / "feedback.jsonl").exists()


def test_a_place_that_cannot_be_written_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match=r"the corrections file cannot be written .* --feedback PATH"):
        FeedbackLog(blocker / "feedback.jsonl", LABELS)
    folder = tmp_path / "ro"
    log = FeedbackLog(folder / "feedback.jsonl", LABELS)
    if os.geteuid() == 0:
        (folder / "feedback.jsonl").mkdir()  # root writes through permissions: a folder in the way instead
    else:
        folder.chmod(0o500)
    with pytest.raises(OutputError, match="the correction was not saved"):
        log.append("fine", ["joy"])


def test_another_bundles_labels_beside_the_file_are_refused(tmp_path):
    FeedbackLog(tmp_path / "feedback.jsonl", LABELS)
    with pytest.raises(ConfigError, match="names other labels than this bundle's"):
        FeedbackLog(tmp_path / "feedback.jsonl", ["billing", "refund"])


def test_a_line_cut_short_by_another_writer_does_not_swallow_the_next(tmp_path):
    path = tmp_path / "feedback.jsonl"
    log = FeedbackLog(path, LABELS)
    log.append("first", ["joy"])
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"text": "cut sh')
    log.append("second", ["anger"])
    lines = path.read_text("utf-8").splitlines()
    assert json.loads(lines[-1])["text"] == "second" and lines[1] == '{"text": "cut sh'


def test_corrections_read_back_as_labelled_data_with_every_label(tmp_path):
    log = FeedbackLog(tmp_path / "feedback.jsonl", LABELS)
    log.append("so angry", ["anger"], language="en")
    log.append("nothing to feel", [], language="en")
    data = load_data(str(tmp_path / "feedback.jsonl"), validation_size=0)
    assert data.labels == LABELS  # from labels.txt: a label nobody marked is still a label, known absent
    assert data["train"]["labels"] == [[1, 0, 0], [0, 0, 0]]
    assert data.language_labels == {"en": LABELS}
