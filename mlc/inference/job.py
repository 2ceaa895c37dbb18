"""Prediction as a job over chunks of rows, so that it scales with the input: each chunk is read, scored and written
to its own file in `<output>.partial/`, and at the end the chunk files are joined into the output in input order (one
atomic rename: the output is whole or absent). Memory holds one chunk, not the input.

- Resume: a killed job (kill -9 included) keeps its finished chunks; `--resume` checks that the input, the bundle
  and the options are the ones recorded in `job.json` and scores only the chunks that are missing, so the output is
  byte for byte the one an uninterrupted run writes.
- Several processes: under `torchrun` or `accelerate launch` (RANK, WORLD_SIZE), process r scores chunks r, r + N,
  r + 2N, ... on its own GPU (or its share of the CPU cores), and process 0 joins them once every process is done
  (a barrier over a gloo process group). Across machines the output folder must be one shared filesystem.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from mlc.core.atomic import atomic_file
from mlc.core.errors import ConfigError, MlcError
from mlc.inference.args import PredictArgs
from mlc.inference.chunks import RowProgress
from mlc.inference.files import InputChunk, Survey, open_inputs, predict_texts
from mlc.inference.writers import Layout, join_chunks
from mlc.model import distributed

PARTIAL, MANIFEST = ".partial", "job.json"
# A chunk's file: its index, rows, empty texts and the 1-based row of the first empty one (0: none).
_CHUNK = re.compile(r"chunk-(\d{8})-(\d+)-(\d+)-(\d+)\.(?:csv|jsonl|parquet)")
# Options that change what a chunk holds: a resumed job must have the same.
_RESUMED_OPTIONS = ("text_column", "language_column", "thresholds", "long_text", "stride", "aggregate", "batch_size")


def partial_folder(output: str) -> Path:
    """Where a job keeps its finished chunks until it joins them: `<output>.partial/` beside the output."""
    path = Path(output)
    return path.with_name(path.name + PARTIAL)


@dataclass
class Finished:
    rows: int = 0
    empty: int = 0
    first_empty: int = 0  # 1-based row; 0: none
    files: dict[int, Path] = field(default_factory=dict)


def finished_chunks(folder: Path) -> Finished:
    found = Finished()
    for path in folder.glob("chunk-*"):
        match = _CHUNK.fullmatch(path.name)
        if match:
            index, rows, empty, first = map(int, match.groups())
            found.files[index] = path
            found.rows, found.empty = found.rows + rows, found.empty + empty
            if first and (not found.first_empty or first < found.first_empty):
                found.first_empty = first
    return found


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"-"))
    return digest.hexdigest()[:16]


def job_record(args: PredictArgs, classifier, survey: Survey, layout: Layout, chunk_rows: int) -> dict[str, Any]:
    """What a resumed job must share with the one it continues."""
    source = Path(args.input).resolve()
    stat = source.stat()
    options = {name: getattr(args, name) for name in _RESUMED_OPTIONS}
    if Path(args.thresholds).is_file():
        options["thresholds_file"] = _digest([Path(args.thresholds)])
    return {"input": str(source), "input_bytes": stat.st_size, "input_modified_ns": stat.st_mtime_ns,
            "rows": survey.rows, "columns": survey.columns, "chunk_rows": chunk_rows, "output_format": layout.fmt,
            "bundle": str(Path(classifier.path).resolve()),
            "bundle_files": _digest(sorted(Path(classifier.path).glob("*.json"))),
            "backend": classifier.backend, "precision": classifier.precision, **options}


class PredictionJob:
    """One process's part of a prediction job (the whole job when it runs alone)."""

    def __init__(self, args: PredictArgs, classifier, layout: Layout, survey: Survey, chunk_rows: int) -> None:
        self.args, self.classifier, self.layout, self.survey = args, classifier, layout, survey
        self.chunk_rows, self.world = chunk_rows, distributed.current()
        self.folder = partial_folder(args.output)
        self.record = job_record(args, classifier, survey, layout, chunk_rows)
        self.thresholds = classifier.option_thresholds(args.thresholds)
        self.chunks = math.ceil(survey.rows / chunk_rows)

    def run(self) -> Finished:
        """Score this process's unfinished chunks; process 0 then joins every chunk into the output. Returns what
        the job wrote (process 0) or what was finished before this process's own part (the others)."""
        if self.world.distributed:
            import torch

            distributed.setup(torch.device("cpu"), backend="gloo", timeout=timedelta(hours=24))
        try:
            if self.world.main:
                self._prepare()
            distributed.barrier()  # the folder is ready (or process 0 refused, and torchrun stops the others)
            done = finished_chunks(self.folder)
            others = (lambda: finished_chunks(self.folder).rows) if self.world.distributed else None
            show = self.world.main and self.args.progress
            with RowProgress(self.survey.rows, done.rows, show, others) as progress:
                for chunk in open_inputs(self.args.input, self.args, self.chunk_rows):
                    if chunk.index % self.world.size == self.world.rank and chunk.index not in done.files:
                        self._score(chunk, progress)
                distributed.barrier()  # every process is done: the bar shows every row before it closes
                progress.finished(0)
            return self._join() if self.world.main else done
        finally:
            distributed.cleanup()

    def _prepare(self) -> None:
        if self.folder.exists():
            if not self.args.resume:
                raise ConfigError(f"{self.folder}: an interrupted prediction left its finished chunks here (hint: "
                                  "add --resume to continue it, or remove the folder to start over)")
            self._check_resumed()
            for stale in self.folder.glob(".*"):  # a chunk being written when the job was killed
                stale.unlink()
            return
        if self.args.resume:
            print(f"mlc: --resume: no interrupted job at {self.folder}; starting from the first row", file=sys.stderr)
        self.folder.mkdir(parents=True)
        with atomic_file(self.folder / MANIFEST, encoding="utf-8") as handle:
            json.dump(self.record, handle, indent=1, ensure_ascii=False)

    def _check_resumed(self) -> None:
        try:
            saved = json.loads((self.folder / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError):
            raise ConfigError(f"{self.folder}: not a prediction job's folder ({MANIFEST} is missing or damaged) "
                              "(hint: remove the folder to start over)") from None
        for key, value in self.record.items():
            if saved.get(key) != value:
                raise ConfigError(f"--resume: the job in {self.folder} was started with {key} {saved.get(key)!r}, "
                                  f"this run has {value!r} (hint: resume with the same input, bundle and options, or "
                                  "remove the folder to start over)")
        print(f"mlc: resuming the job in {self.folder} ({len(finished_chunks(self.folder).files)} of "
              f"{self.chunks} chunks were finished)", file=sys.stderr)

    def _score(self, chunk: InputChunk, progress: RowProgress) -> None:
        args = self.args
        results, empty = predict_texts(self.classifier, chunk.texts, chunk.languages, self.thresholds,
                                       **args.scoring_options(), progress=progress.within(len(chunk.texts)))
        first = chunk.start + empty[0] + 1 if empty else 0
        name = f"chunk-{chunk.index:08d}-{len(chunk.texts)}-{len(empty)}-{first}.{self.layout.fmt}"
        with atomic_file(self.folder / name, mode="wb") as handle:
            handle.write(self.layout.render(chunk.records, results))
        progress.finished(len(chunk.texts))

    def _join(self) -> Finished:
        done = finished_chunks(self.folder)
        missing = [i for i in range(self.chunks) if i not in done.files]
        if missing:
            raise MlcError(f"{self.folder}: {len(missing)} chunks are missing after every process finished (first: "
                           f"chunk {missing[0]}) (hint: rerun the same command with --resume)")
        join_chunks(self.layout, [done.files[i] for i in range(self.chunks)], self.args.output)
        shutil.rmtree(self.folder)
        return done
