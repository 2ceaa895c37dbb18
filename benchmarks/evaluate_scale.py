"""Evaluation at scale: `python -m mlc.evaluate` (with --output, so predictions.csv is written too) on labelled
files of 10,000 to 50,000 rows resampled from examples/support_tickets.csv (8 languages, their labels), with the
demo bundle (head-only recipe, its int8 graph).

For each size: wall time, rows per second and the peak RSS of the process, streamed (the default: the texts read
in chunks of 10,000 rows, never all in memory) and, up to --baseline-max rows, against the obvious baseline of one
chunk as large as the file (every text and its token ids in memory at once). The rows are the bundle's own
training texts, so the metrics mean nothing here; only time and memory are measured. Usage:
  python benchmarks/evaluate_scale.py [--sizes 10000,50000] [--baseline-max 50000]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from predict_scale import demo_bundle, run, size_rows  # noqa: E402  (the same bundle, measurement, table)

TICKETS = ROOT / "examples/support_tickets.csv"


def write_input(path: Path, rows: int, seed: int) -> None:
    with TICKETS.open(encoding="utf-8", newline="") as handle:
        pool = list(csv.DictReader(handle))
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "language", "labels"])
        for i in range(rows):
            row = pool[rng.randrange(len(pool))]
            writer.writerow([f"r{i}", row["text"], row["language"], row["labels"]])


def evaluate(bundle: Path, source: Path, output: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "mlc.evaluate", "--model", str(bundle), "--data", str(source), "--output",
            str(output), "--bootstrap", "0", "--plots", "false", "--report-format", "json", "--progress", "false",
            *extra]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,50000")
    parser.add_argument("--baseline-max", type=int, default=50_000)
    parser.add_argument("--no-results", action="store_true")
    opts = parser.parse_args()
    from common import cpu_description

    with tempfile.TemporaryDirectory(prefix="mlc-eval-scale-") as work:
        work = Path(work)
        env = {**os.environ, "MLC_CACHE_DIR": str(work / "cache"), "HF_HUB_OFFLINE": "1"}
        bundle = demo_bundle(work / "cache", env)
        table = []
        for rows in [int(x) for x in opts.sizes.split(",")]:
            source = work / f"in-{rows}.csv"
            write_input(source, rows, seed=rows)
            streamed = run(evaluate(bundle, source, work / f"s-{rows}"), env)
            base = run(evaluate(bundle, source, work / f"b-{rows}", "--chunk-rows", str(rows)), env) \
                if rows <= opts.baseline_max else None
            table.append((rows, streamed, base))
        markdown = report(opts, cpu_description(), table)
    if not opts.no_results:
        from results import update_section

        update_section("evaluate_scale", markdown)
    print(markdown)


def report(opts, machine: str, table) -> str:
    lines = size_rows(table)
    first, last = table[0], table[-1]
    return f"""## Evaluation at scale (`benchmarks/evaluate_scale.py`)

`python benchmarks/evaluate_scale.py --sizes {opts.sizes} --baseline-max {opts.baseline_max}`

Machine: {machine}. Input: CSV files of labelled rows resampled with replacement from examples/support_tickets.csv
(1,042 texts, 8 languages, a list column of labels). Bundle: the demo bundle (head-only recipe) and its int8 ONNX
graph, scored with `python -m mlc.evaluate --output ... --bootstrap 0 --plots false` (metrics.json, report.md and
predictions.csv written). The rows are the bundle's training texts: only time and memory mean anything here. Peak
RSS: the process's maximum resident memory (`wait4`), model included.

| rows | streamed, s | rows/s | streamed peak RSS, MB | one chunk of every row, s | its peak RSS, MB | RSS ratio |
|---|---|---|---|---|---|---|
{chr(10).join(lines)}

Streamed peak RSS at {last[0]:,} rows is **{last[1]['rss_mb'] / first[1]['rss_mb']:.2f}x** that at {first[0]:,}
rows. The streamed time includes reading the file three times (columns, labels, texts to score) and a fourth to
write predictions.csv.
"""


if __name__ == "__main__":
    main()
