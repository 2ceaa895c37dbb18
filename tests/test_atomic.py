"""Atomic folder writes: the target is the old complete folder or the new complete one, never a mix."""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mlc.core.atomic import atomic_file, atomic_folder, check_output_path, remove_stale_temporaries
from mlc.core.errors import OutputError

from .conftest import ROOT, TINY_SENTENCES


def test_success_replaces_the_old_folder_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "bundle"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with atomic_folder(target) as tmp:
        (tmp / "new.txt").write_text("new")
        assert not (target / "new.txt").exists()  # invisible until the block ends
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]


def test_failure_keeps_the_old_folder_intact(tmp_path):
    target = tmp_path / "bundle"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_folder(target) as tmp:
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("killed mid-write")
    assert [p.name for p in target.iterdir()] == ["old.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_killed_writers_temporaries_are_removed_at_the_next_write(tmp_path):
    target = tmp_path / "out.csv"
    stale_file = tmp_path / f".out.csv.tmp-{dead_pid()}-abc123"
    stale_file.write_text("half")
    stale_folder = tmp_path / f".out.csv.tmp-{dead_pid()}-def456"
    stale_folder.mkdir()
    live = tmp_path / f".out.csv.tmp-{os.getpid()}-ghi789"  # a writer still running: left alone
    live.write_text("busy")
    other = tmp_path / f".other.csv.tmp-{dead_pid()}-x"  # another target's: left alone
    other.write_text("")
    with atomic_file(target) as handle:
        handle.write("new\n")
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.csv", live.name, other.name])


def test_a_folder_moved_aside_by_a_killed_writer_is_put_back(tmp_path):
    aside = tmp_path / f".bundle.old-{dead_pid()}-q1"
    (aside / "bundle").mkdir(parents=True)
    (aside / "bundle" / "model.txt").write_text("complete")
    assert remove_stale_temporaries(tmp_path / "bundle") == [aside]
    assert (tmp_path / "bundle" / "model.txt").read_text() == "complete"
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]


def test_a_failed_file_write_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    with pytest.raises(ValueError), atomic_file(target) as handle:
        handle.write("half")
        raise ValueError("a record that cannot be written")
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError), atomic_file(tmp_path / "folder"):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "out.jsonl"]


def test_check_output_path(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_text("text,a\nx,1\n")
    with pytest.raises(OutputError, match="is the input"):
        check_output_path(data / "train.csv", inputs=[data / "train.csv"], overwrite=True)
    with pytest.raises(OutputError, match="holds the input"):
        check_output_path(tmp_path, inputs=[data / "train.csv"], overwrite=True, folder=True)
    with pytest.raises(OutputError, match="exists already"):
        check_output_path(data, folder=True)
    with pytest.raises(OutputError, match="is inside the input folder"):
        check_output_path(data / "bundle", inputs=[data], folder=True)
    os.link(data / "train.csv", tmp_path / "linked.csv")
    with pytest.raises(OutputError, match="under another name"):
        check_output_path(tmp_path / "linked.csv", inputs=[data / "train.csv"], overwrite=True)
    assert check_output_path(tmp_path / "new" / "deeper", folder=True) == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # checking creates nothing


def wait_then_kill(command: list[str], delay: float) -> None:
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


@pytest.mark.slow
def test_predict_killed_at_random_points_leaves_the_output_absent_or_complete(tiny_bundle, tmp_path):
    source = tmp_path / "in.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text"])
        writer.writerows([[f"{TINY_SENTENCES[i % len(TINY_SENTENCES)]} {i}"] for i in range(3000)])
    out = tmp_path / "out" / "predictions.csv"
    command = [sys.executable, "-m", "mlc.predict", "--model", str(tiny_bundle), "--input", str(source), "--output",
               str(out), "--progress", "false", "--overwrite", "--resume", "--chunk-rows", "500"]
    for delay in random.Random(0).sample([x / 4 for x in range(4, 40)], 5):  # each run resumes the killed one
        wait_then_kill(command, delay)
        if out.exists():
            with out.open(newline="", encoding="utf-8") as handle:
                assert len(list(csv.reader(handle))) == 3001, f"killed after {delay} s: a partial output"
    assert subprocess.run(command, cwd=ROOT, capture_output=True).returncode == 0
    assert temporaries(out.parent) == [] and not (out.parent / "predictions.csv.partial").exists()


@pytest.mark.slow
def test_train_killed_at_random_points_leaves_the_bundle_absent_or_complete(tiny_model_dir, tmp_path):
    out = tmp_path / "bundle"
    command = [sys.executable, "-m", "mlc.train", "--data", str(ROOT / "examples" / "support_tickets.csv"),
               "--model", str(tiny_model_dir), "--output", str(out), "--schedule", "joint", "--max-steps", "10",
               "--batch-size", "16", "--max-length", "16", "--overwrite"]
    for delay in random.Random(1).sample([x / 2 for x in range(4, 30)], 3):
        wait_then_kill(command, delay)
        if out.exists():
            assert {"mlc.json", "thresholds.json", "model.safetensors"} <= {p.name for p in out.iterdir()}
    assert subprocess.run(command, cwd=ROOT, capture_output=True).returncode == 0
    assert temporaries(tmp_path) == []


def test_files_and_folders_are_fsynced_before_their_rename(tmp_path, monkeypatch):
    """A rename that survives a lost machine names complete bytes: the data is fsynced before, the folder after."""
    import os

    from mlc.core import atomic

    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
                        or real_fsync(fd))
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: events.append(("rename", str(b))) or real_replace(a, b))
    with atomic.atomic_file(tmp_path / "out.txt") as handle:
        handle.write("data")
    assert [kind for kind, _ in events] == ["fsync", "rename", "fsync"]
    assert events[1][1] == str(tmp_path / "out.txt") and events[2][1] == str(tmp_path)
    events.clear()
    with atomic.atomic_folder(tmp_path / "folder") as folder:
        (folder / "a.txt").write_text("a")
    renamed = events.index(("rename", str(tmp_path / "folder")))
    assert any(path.endswith("a.txt") for kind, path in events[:renamed] if kind == "fsync")
    assert events[renamed + 1] == ("fsync", str(tmp_path))


def test_an_output_lock_keeps_a_second_writer_off_and_leaves_nothing(tmp_path):
    from mlc.core.atomic import output_lock
    from mlc.core.errors import OutputError

    target = tmp_path / "out.csv"
    refused = pytest.raises(OutputError, match=rf"another mlc run \(pid {os.getpid()}\) is writing this output")
    with output_lock(target), refused, output_lock(target):
        pass
    assert list(tmp_path.iterdir()) == []
    with output_lock(target):  # free again
        pass


def test_standard_input_is_spooled_beside_the_target_and_removed(tmp_path):
    import io

    from mlc.core.atomic import spooled

    with spooled(io.BytesIO(b"one\ntwo\n"), tmp_path / "out.csv", ".txt") as path:
        assert path.parent == tmp_path and path.read_bytes() == b"one\ntwo\n"
    assert list(tmp_path.iterdir()) == []
