"""Prediction as a job over chunks (mlc.inference.job, mlc.inference.writers): a run killed at random points and
resumed writes the same bytes as an uninterrupted one; two processes under torchrun or accelerate launch write them
too; Parquet output."""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from .conftest import ROOT, run_module

ROWS, CHUNK = 1200, 50
ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """1,200 rows of the example tickets (repeated, numbered), with a few empty texts."""
    with open(ROOT / "examples" / "support_tickets.csv", encoding="utf-8", newline="") as handle:
        tickets = list(csv.DictReader(handle))
    path = tmp_path_factory.mktemp("job") / "corpus.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "language"])
        for i in range(ROWS):
            ticket = tickets[i % len(tickets)]
            writer.writerow([f"r{i}", "" if i % 97 == 5 else ticket["text"], ticket["language"]])
    return path


def _command(bundle, source, output, *extra):
    return [sys.executable, "-m", "mlc.predict", "--model", str(bundle), "--input", str(source), "--output",
            str(output), "--chunk-rows", str(CHUNK), "--batch-size", "8", "--threads", "1", "--progress", "false",
            *extra]


def _predict(bundle, source, output, *extra):
    run = subprocess.run(_command(bundle, source, output, *extra), cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, **ENV}, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def _kill_after(bundle, source, output, chunks: int, *extra) -> None:
    """Start a run and kill -9 it a random moment after it wrote `chunks` chunk files of its own."""
    folder = output.with_name(output.name + ".partial")
    before = len(list(folder.glob("chunk-*")))
    process = subprocess.Popen(_command(bundle, source, output, *extra), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env={**os.environ, **ENV})
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if len(list(folder.glob("chunk-*"))) >= before + chunks:
            break
        time.sleep(0.002)
    time.sleep(random.random() * 0.05)  # anywhere in the next chunk, writing included
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not output.exists(), "a killed run must leave no output, only its .partial folder"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_killed_runs_resume_to_the_bytes_of_an_uninterrupted_run(tiny_bundle, corpus, tmp_path, suffix):
    reference = tmp_path / f"reference{suffix}"
    run = _predict(tiny_bundle, corpus, reference)
    assert "13 empty texts (first: row 6)" in run.stderr and f"wrote {ROWS} predictions" in run.stderr
    assert not (tmp_path / f"reference{suffix}.partial").exists()
    random.seed(suffix)
    output = tmp_path / f"resumed{suffix}"
    kills = [random.randint(1, 4) for _ in range(3 if suffix == ".csv" else 1)]  # of 24 chunks
    for i, chunks in enumerate(kills):  # the first run killed, then each resumed run killed later on
        _kill_after(tiny_bundle, corpus, output, chunks, *(["--resume"] if i else []))
    again = run_module("mlc.predict", *_command(tiny_bundle, corpus, output)[3:], env=ENV)
    assert again.returncode == 2 and "add --resume" in again.stderr  # never silently restarted or overwritten
    resumed = _predict(tiny_bundle, corpus, output, "--resume")
    assert "resuming the job" in resumed.stderr
    assert output.read_bytes() == reference.read_bytes()
    assert not output.with_name(output.name + ".partial").exists()


def test_a_resume_with_other_options_or_input_is_refused(tiny_bundle, corpus, tmp_path):
    output = tmp_path / "o.jsonl"
    _kill_after(tiny_bundle, corpus, output, 2)
    other = run_module("mlc.predict", *_command(tiny_bundle, corpus, output, "--resume", "--thresholds", "0.3")[3:],
                       env=ENV)
    assert other.returncode == 2 and "was started with thresholds 'bundle', this run has '0.3'" in other.stderr
    assert "Traceback" not in other.stderr
    for extra, key in ((["--encoding", "latin-1"], "encoding"), (["--text-column", "text"], "text_column"),
                       (["--long-text", "window"], "long_text"), (["--backend", "torch"], "backend"),
                       (["--precision", "fp32"], "precision")):
        other = run_module("mlc.predict", *_command(tiny_bundle, corpus, output, "--resume", *extra)[3:], env=ENV)
        assert other.returncode == 2 and f"was started with {key} " in other.stderr, (extra, other.stderr[-500:])
    resumed = _predict(tiny_bundle, corpus, output, "--resume")
    lines = output.read_text("utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == [f"r{i}" for i in range(ROWS)]
    assert "resuming" in resumed.stderr


def test_a_resume_over_changed_weights_or_a_same_size_rewrite_is_refused(tiny_bundle, corpus, tmp_path):
    """The record holds digests of every model file loaded and of the input's bytes, not sizes and times."""
    from safetensors.torch import load_file, save_file

    bundle, source = tmp_path / "bundle", tmp_path / "corpus.csv"
    shutil.copytree(tiny_bundle, bundle)
    shutil.copy(corpus, source)
    output = tmp_path / "o.csv"
    _kill_after(bundle, source, output, 2)
    stat = source.stat()
    body = source.read_bytes()
    source.write_bytes(body.replace(b"r1,", b"r7,", 1))  # the same size, and the same modification time below
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    changed = run_module("mlc.predict", *_command(bundle, source, output, "--resume")[3:], env=ENV)
    assert changed.returncode == 2 and "was started with input_digest" in changed.stderr, changed.stderr[-500:]
    source.write_bytes(body)
    weights = load_file(bundle / "model.safetensors")
    name = next(iter(weights))
    save_file({**weights, name: weights[name] + 1e-3}, bundle / "model.safetensors")
    swapped = run_module("mlc.predict", *_command(bundle, source, output, "--resume")[3:], env=ENV)
    assert swapped.returncode == 2 and "was started with bundle_files" in swapped.stderr, swapped.stderr[-500:]


def test_a_second_run_on_the_same_output_is_refused_while_the_first_runs(tiny_bundle, corpus, tmp_path):
    """The first run holds the output's lock from its start (here while it still reads its standard input)."""
    output = tmp_path / "o.csv"
    first = subprocess.Popen(_command(tiny_bundle, "-", output), cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **ENV})
    lock = tmp_path / ".o.csv.lock"
    deadline = time.monotonic() + 300
    while not (lock.is_file() and lock.read_text()) and time.monotonic() < deadline:
        time.sleep(0.01)
    second = run_module("mlc.predict", *_command(tiny_bundle, corpus, output)[3:], env=ENV)
    first.communicate(b"first text\nsecond text\n", timeout=600)
    assert first.returncode == 0 and output.read_text("utf-8").count("\n") == 3
    assert second.returncode == 2 and f"another mlc run (pid {first.pid}) is writing this output" in second.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.csv"]  # no lock, spool or partial folder left


def test_parquet_output_holds_the_csv_values(tiny_bundle, corpus, tmp_path):
    import pyarrow.parquet as pq

    _predict(tiny_bundle, corpus, tmp_path / "o.csv")
    _predict(tiny_bundle, corpus, tmp_path / "o.parquet")
    table = pq.read_table(tmp_path / "o.parquet").to_pylist()
    with open(tmp_path / "o.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(table) == len(rows) == ROWS
    for parquet_row, csv_row in zip(table, rows, strict=True):
        assert parquet_row["id"] == csv_row["id"] and parquet_row["text"] == csv_row["text"]
        assert "|".join(parquet_row["predicted_labels"]) == csv_row["predicted_labels"]
        for name, value in csv_row.items():
            if name.startswith("p_"):
                assert (parquet_row[name] is None) == (value == "")
                assert value == "" or parquet_row[name] == float(value)  # exact


LAUNCHERS = {
    "torchrun": ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"],
    # accelerate's multi-process launcher (the one --multi_gpu picks; it starts torchrun's processes, gloo on CPUs)
    "accelerate": ["-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
                   "--mixed_precision", "no", "--dynamo_backend", "no"],
}


@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_two_processes_write_the_same_bytes(tiny_bundle, corpus, tmp_path, launcher):
    """Each process scores every other chunk on one CPU thread; process 0 joins them in input order."""
    single = tmp_path / "single.csv"
    _predict(tiny_bundle, corpus, single)
    output = tmp_path / "two.csv"
    run = subprocess.run(
        [sys.executable, *LAUNCHERS[launcher], "-m", "mlc.predict", *_command(tiny_bundle, corpus, output)[3:],
         "--progress", "true"], cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, **ENV})
    assert run.returncode == 0, run.stderr[-3000:]
    assert output.read_bytes() == single.read_bytes()
    assert run.stderr.count(f"wrote {ROWS} predictions to {output} (2 processes)") == 1  # process 0 alone reports
    # One bar, process 0's, counting the rows of both processes up to all of them, with a rate and the time left.
    assert "1.20k/1.20k" in run.stderr and "row/s" in run.stderr and run.stderr.count("predict:   0%") <= 1


def test_parquet_refuses_a_column_whose_type_changes_between_chunks(tiny_bundle, tmp_path):
    source = tmp_path / "mixed.jsonl"
    rows = [{"text": "hola", "ref": 7}] * 50 + [{"text": "hello", "ref": "seven"}] * 70  # chunks of 50: at the join
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    run = run_module("mlc.predict", *_command(tiny_bundle, source, tmp_path / "o.parquet")[3:], env=ENV)
    assert run.returncode == 2 and "different types in different rows" in run.stderr, run.stderr[-2000:]
    assert "Traceback" not in run.stderr and not (tmp_path / "o.parquet").exists()
