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

import dataclasses
import json
import math
import re
import shutil
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from mlc.core.atomic import atomic_file, atomic_folder
from mlc.core.errors import ConfigError, MlcError
from mlc.core.fingerprint import file_digest, files_digest
from mlc.inference.args import PredictArgs, thresholds_option
from mlc.inference.files import InputChunk, Survey, open_inputs
from mlc.inference.prediction import predict_texts
from mlc.inference.progress import RowProgress
from mlc.inference.writers import Layout, join_chunks
from mlc.model import distributed

PARTIAL, MANIFEST = ".partial", "job.json"
# A chunk's file: its index, rows, empty texts and the 1-based row of the first empty one (0: none).
_CHUNK = re.compile(r"chunk-(\d{8})-(\d+)-(\d+)-(\d+)\.(?:csv|jsonl|parquet)")
# Options that cannot change an output byte: a resumed job may differ in these (every other option must be the same).
_FREE_OPTIONS = ("progress", "resume", "overwrite", "threads", "device", "config")


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


def job_record(args: PredictArgs, classifier, survey: Survey, layout: Layout) -> dict[str, Any]:
    """Everything that changes an output byte, which a resumed job must share with the one it continues: the input's
    bytes, every reading, scoring and threshold option, the bundle's files that were loaded (by digest), the
    backend, precision and kind of device. Only `_FREE_OPTIONS` may differ."""
    options = {f.name: getattr(args, f.name) for f in dataclasses.fields(args)
               if f.init and f.name not in _FREE_OPTIONS and f.name not in ("input", "output", "model")}
    if Path(args.thresholds).is_file():
        options["thresholds_file"] = file_digest(args.thresholds)
    size, _, digest = survey.stamp
    return {"input": str(Path(args.input).resolve()), "input_bytes": size, "input_digest": digest,
            "rows": survey.rows, "columns": survey.columns, "output_format": layout.fmt,
            "bundle": str(Path(classifier.path).resolve()),
            "bundle_files": files_digest(classifier.model_files(), Path(classifier.path)),
            "backend": classifier.backend, "precision": classifier.precision,
            "device_kind": getattr(classifier.device, "type", str(classifier.device).split(":")[0]), **options}


class PredictionJob:
    """One process's part of a prediction job (the whole job when it runs alone)."""

    def __init__(self, args: PredictArgs, classifier, layout: Layout, survey: Survey, chunk_rows: int) -> None:
        self.args, self.classifier, self.layout, self.survey = args, classifier, layout, survey
        self.chunk_rows, self.world = chunk_rows, distributed.current()
        self.folder = partial_folder(args.output)
        self.record = job_record(args, classifier, survey, layout)
        self.thresholds = thresholds_option(args.thresholds, classifier)
        self.chunks = math.ceil(survey.rows / chunk_rows)

    def run(self) -> Finished:
        """Score this process's unfinished chunks; process 0 then joins every chunk into the output. Returns what
        the job wrote (process 0) or what was finished before this process's own part (the others)."""
        if self.world.distributed:
            import torch

            distributed.setup(torch.device("cpu"), backend="gloo", timeout=timedelta(hours=24))
        try:
            return self._run()
        finally:
            distributed.cleanup()

    def _run(self) -> Finished:
        if self.world.main:
            self._prepare()
        distributed.barrier()  # the folder is ready (or process 0 refused, and torchrun stops the others)
        done = finished_chunks(self.folder)
        others = (lambda: finished_chunks(self.folder).rows) if self.world.distributed else None
        show = self.world.main and self.args.progress
        with RowProgress(self.survey.rows, done.rows, show, others) as progress:
            for chunk in open_inputs(self.args.input, self.args, self.chunk_rows):
                if self.world.takes(chunk.index) and chunk.index not in done.files:
                    self._score(chunk, progress)
            distributed.barrier()  # every process is done: the bar shows every row before it closes
            progress.finished(0)
        return self._join() if self.world.main else done

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
        with atomic_folder(self.folder) as folder:  # the folder appears with its record, or not at all
            (folder / MANIFEST).write_text(json.dumps(self.record, indent=1, ensure_ascii=False), "utf-8")

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
        results, empty = predict_texts(self.classifier, chunk.texts, chunk.languages, self.thresholds, args.explain,
                                       progress=progress.within(len(chunk.texts)), **args.scoring_options())
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
        if done.rows != self.survey.rows:
            raise MlcError(f"{self.folder}: its chunks hold {done.rows} rows, the input {self.survey.rows} (hint: "
                           "remove the folder and predict again)")
        self.survey.check_unchanged(self.args.input)  # the rows scored are the rows surveyed
        join_chunks(self.layout, [done.files[i] for i in range(self.chunks)], self.args.output)
        shutil.rmtree(self.folder)
        return done
