"""Prediction at scale: `python -m mlc.predict` on 10,000 to 1,000,000 short texts resampled from BRIGHTER dev (all
languages), with the demo bundle (head-only recipe, its int8 graph).

For each size: wall time, rows per second and the peak RSS of the process, streamed (the default, 10,000 rows a
chunk) and, up to --baseline-max rows, against the obvious baseline of holding everything at once (`--chunk-rows`
as large as the input: one chunk, as mlc.predict worked before it streamed). Then the cost of a kill -9 at half way
plus `--resume` against an uninterrupted run (and whether the outputs are byte-identical), and on 2 cores 2 processes
x 1 thread (torchrun) against 1 process x 2 threads. Usage:
  python benchmarks/predict_scale.py [--sizes 10000,100000,1000000] [--resume-rows 20000] [--parallel-rows 20000]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def write_input(path: Path, pool: list[tuple[str, str]], rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "language"])
        for i in range(rows):
            text, language = pool[rng.randrange(len(pool))]
            writer.writerow([f"r{i}", text, language])


def short_texts(folder: Path, max_chars: int) -> list[tuple[str, str]]:
    from mlc.data.readers import read_table

    if not folder.is_dir():
        sys.exit(f"{folder}: BRIGHTER's dev folder is not there (hint: --data, or run from a clone beside ../shared)")
    pool = [(str(r["text"]), path.stem) for path in sorted(folder.glob("*.csv"))
            for r in read_table(path, header=True).rows if 0 < len(str(r["text"])) <= max_chars]
    return pool


def run(command: list[str], env: dict, kill_when=None) -> dict:
    """Wall seconds and peak RSS (MB) of one process tree's main process; `kill_when()` true: kill -9 it."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    if kill_when is not None:
        while process.poll() is None and not kill_when():
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if kill_when is None and process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{stderr[-3000:]}")
    return {"seconds": time.perf_counter() - started, "rss_mb": usage.ru_maxrss / 1024}


def predict(bundle: Path, source: Path, output: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "mlc.predict", "--model", str(bundle), "--input", str(source), "--output",
            str(output), "--progress", "false", *extra]


def demo_bundle(cache: Path, env: dict) -> Path:
    out = subprocess.run([sys.executable, "-m", "mlc.demo", "--recipe", "head-only"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    bundle = Path(out.stdout.strip().splitlines()[-1])
    subprocess.run([sys.executable, "-m", "mlc.export", "--model", str(bundle)], cwd=ROOT, env=env,
                   capture_output=True, check=True)
    return bundle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--baseline-max", type=int, default=100_000)
    parser.add_argument("--resume-rows", type=int, default=20_000)
    parser.add_argument("--parallel-rows", type=int, default=20_000)
    parser.add_argument("--max-chars", type=int, default=100, help="texts of at most this many characters")
    parser.add_argument("--data", default=str(ROOT.parent / "shared/data/brighter/dev"))
    parser.add_argument("--no-results", action="store_true")
    opts = parser.parse_args()
    from common import cpu_description

    pool = short_texts(Path(opts.data), opts.max_chars)
    with tempfile.TemporaryDirectory(prefix="mlc-scale-") as work:
        work = Path(work)
        env = {**os.environ, "MLC_CACHE_DIR": str(work / "cache"), "HF_HUB_OFFLINE": "1"}
        bundle = demo_bundle(work / "cache", env)
        sizes = [int(x) for x in opts.sizes.split(",")]
        inputs = {}
        for rows in sorted({*sizes, opts.resume_rows, opts.parallel_rows}):
            inputs[rows] = work / f"in-{rows}.csv"
            write_input(inputs[rows], pool, rows, seed=rows)
        # The comparisons first, then the sizes in ascending order; the section is rewritten after each step, so a
        # run stopped part of the way keeps what it measured.
        parallel = one_against_two(bundle, inputs[opts.parallel_rows], work, env)
        resume = kill_and_resume(bundle, inputs[opts.resume_rows], work, env)
        table = []
        for rows in sizes:
            streamed = run(predict(bundle, inputs[rows], work / f"s-{rows}.csv"), env)
            base = run(predict(bundle, inputs[rows], work / f"b-{rows}.csv", "--chunk-rows", str(rows)), env) \
                if rows <= opts.baseline_max else None
            table.append((rows, streamed, base))
            markdown = report(opts, cpu_description(), len(pool), table, resume, parallel)
            if not opts.no_results:
                from results import update_section

                update_section("predict_scale", markdown)
    print(markdown)


def kill_and_resume(bundle: Path, source: Path, work: Path, env: dict) -> dict:
    rows = sum(1 for _ in source.open(encoding="utf-8")) - 1
    reference = work / "r-whole.csv"
    whole = run(predict(bundle, source, reference), env)
    output = work / "r-killed.csv"
    folder = output.with_name(output.name + ".partial")
    chunks = -(-rows // 10_000)
    half = max(1, chunks // 2)
    per_chunk = whole["seconds"] / chunks
    state = {"written": None}

    def midway() -> bool:
        """Half a chunk's time after `half` chunks are written: the worst case loses a whole chunk, this one half."""
        if state["written"] is None and folder.is_dir() and len(list(folder.glob("chunk-*"))) >= half:
            state["written"] = time.perf_counter()
        return state["written"] is not None and time.perf_counter() - state["written"] >= per_chunk / 2

    killed = run(predict(bundle, source, output), env, kill_when=midway)
    resumed = run(predict(bundle, source, output, "--resume"), env)
    same = output.read_bytes() == reference.read_bytes()
    return {"rows": rows, "whole": whole["seconds"], "killed": killed["seconds"], "resumed": resumed["seconds"],
            "chunks_kept": half, "chunks": chunks, "per_chunk": per_chunk, "identical": same}


def one_against_two(bundle: Path, source: Path, work: Path, env: dict) -> dict:
    one = run(predict(bundle, source, work / "p1.csv", "--threads", "2"), env)
    two = run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               *predict(bundle, source, work / "p2.csv")[1:]], env)
    same = (work / "p1.csv").read_bytes() == (work / "p2.csv").read_bytes()
    return {"rows": sum(1 for _ in source.open(encoding="utf-8")) - 1, "one": one["seconds"], "two": two["seconds"],
            "identical": same}


def size_rows(table) -> list[str]:
    """Markdown rows of (rows, streamed run, baseline run or None): seconds, rows/s, peak RSS and the RSS ratio."""
    lines = []
    for rows, streamed, base in table:
        cells = f"| {rows:,} | {streamed['seconds']:.0f} | {rows / streamed['seconds']:.0f} | " \
                f"**{streamed['rss_mb']:.0f}** | "
        cells += f"{base['seconds']:.0f} | {base['rss_mb']:.0f} | {base['rss_mb'] / streamed['rss_mb']:.2f}x |" \
            if base else "not run | | |"
        lines.append(cells)
    return lines


def report(opts, machine: str, pool: int, table, resume: dict, parallel: dict) -> str:
    lines = size_rows(table)
    smallest, largest = table[0][1]["rss_mb"], table[-1][1]["rss_mb"]
    lost = resume["killed"] + resume["resumed"] - resume["whole"]
    return f"""## Prediction at scale (`benchmarks/predict_scale.py`)

`python benchmarks/predict_scale.py --sizes {opts.sizes} --baseline-max {opts.baseline_max} --resume-rows {opts.resume_rows} --parallel-rows {opts.parallel_rows} --max-chars {opts.max_chars}`

Machine: {machine}. Input: CSV files of short texts (at most {opts.max_chars} characters) resampled with replacement
from BRIGHTER dev, all 28 languages ({pool:,} distinct texts), with a language column. Bundle: the demo bundle
(head-only recipe) and its int8 ONNX graph (`python -m mlc.export`), scored with `python -m mlc.predict` (backend
auto: int8 on this CPU). Peak RSS: the process's maximum resident memory (`wait4`), model included.

| rows | streamed, s | rows/s | streamed peak RSS, MB | everything at once, s | its peak RSS, MB | RSS ratio |
|---|---|---|---|---|---|---|
{chr(10).join(lines)}

Peak RSS at {table[-1][0]:,} rows is **{largest / smallest:.2f}x** that at {table[0][0]:,} rows (streamed). The
streamed run's time includes its first pass over the input (rows and columns, checked before the model loads).

**Kill and resume** ({resume['rows']:,} rows, {resume['chunks']} chunks of 10,000 rows, about {resume['per_chunk']:.0f}
s each): killed with SIGKILL half a chunk's time after {resume['chunks_kept']} of them were written
({resume['killed']:.0f} s), then `--resume` ({resume['resumed']:.0f} s), against {resume['whole']:.0f} s
uninterrupted: **{lost:.0f} s lost** ({lost / resume['whole']:.1%}: the second start and the half-scored chunk; at
most one chunk per process is ever lost, so `--chunk-rows` bounds it). Output byte-identical to the uninterrupted
run's: {resume['identical']}.

**Processes against threads** ({parallel['rows']:,} rows, 2 cores): 1 process x 2 threads {parallel['one']:.0f} s,
2 processes x 1 thread under `torchrun --nproc_per_node 2` {parallel['two']:.0f} s: **{parallel['one'] /
parallel['two']:.2f}x** the throughput of the single process. Outputs byte-identical: {parallel['identical']}.
"""


if __name__ == "__main__":
    main()
