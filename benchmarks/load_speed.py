"""Loading labelled files: mlc's loader against pandas.read_csv on the same files, wide and long.

Files (generated in a temporary folder, seed 0):
  wide  a header of 100,000 0/1 label columns over 20 rows (a header this wide once took minutes to load)
  long  200,000 rows of text with 8 0/1 label columns
Timed in one run, best of --repeat:
  pandas  pandas.read_csv(path): parsing alone, no checks (the obvious baseline)
  mlc     mlc.data.load_data(path, validation_size=0): parsing, every label cell checked, a DatasetDict built
  summary load_data plus the summary table `python -m mlc.data` prints
Usage:
  python benchmarks/load_speed.py [--repeat 3] [--json out.json] [--no-results]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine_description  # noqa: E402

from mlc.data import DataWarning, load_data  # noqa: E402


def write_wide(path: Path, columns: int = 100_000, rows: int = 20) -> None:
    rng = random.Random(0)
    with path.open("w", encoding="utf-8") as handle:
        handle.write("id,text," + ",".join(f"l{j}" for j in range(columns)) + "\n")
        for i in range(rows):
            handle.write(f"{i},text number {i}," + ",".join(rng.choice("01") for _ in range(columns)) + "\n")


def write_long(path: Path, rows: int = 200_000, labels: int = 8) -> None:
    rng = random.Random(0)
    words = ["order", "refund", "late", "paquete", "Rechnung", "账户", "доставка", "merci", "bitte", "شكرا"]
    with path.open("w", encoding="utf-8") as handle:
        handle.write("id,text," + ",".join(f"l{j}" for j in range(labels)) + "\n")
        for i in range(rows):
            text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 30)))
            handle.write(f"{i},{text}," + ",".join(rng.choice("01") for _ in range(labels)) + "\n")


def best_of(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(path: Path, repeat: int) -> dict[str, float]:
    import pandas as pd

    def mlc_load():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            return load_data(str(path), validation_size=0)

    data = mlc_load()
    frame = pd.read_csv(path)
    if len(frame) != len(data["train"]) or len(frame.columns) - 2 != len(data.labels):
        sys.exit(f"{path.name}: pandas and mlc disagree on the rows or labels")
    return {"pandas": best_of(repeat, lambda: pd.read_csv(path)), "mlc": best_of(repeat, mlc_load),
            "summary": best_of(repeat, lambda: mlc_load().summary_table())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", help="also write the raw results here")
    parser.add_argument("--no-results", action="store_true", help="do not update benchmarks/RESULTS.md")
    opts = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="mlc-load-speed-") as tmp:
        for name, writer, shape in (("wide", write_wide, "20 rows x 100,000 label columns"),
                                    ("long", write_long, "200,000 rows x 8 label columns")):
            path = Path(tmp) / f"{name}.csv"
            writer(path)
            results[name] = {"shape": shape, "megabytes": path.stat().st_size / 1e6, **measure(path, opts.repeat)}
            print(name, json.dumps(results[name]), flush=True)
    machine = machine_description()
    if opts.json:
        Path(opts.json).write_text(json.dumps({"machine": machine, "results": results}, indent=2))
    lines = [f"`python benchmarks/load_speed.py --repeat {opts.repeat}` (best of {opts.repeat})", "",
             f"Machine: {machine}.", "",
             "| file | MB | pandas.read_csv s | mlc load_data s | ratio mlc / pandas | load + summary table s |",
             "|---|---|---|---|---|---|"]
    for name, r in results.items():
        lines.append(f"| {name}: {r['shape']} | {r['megabytes']:.1f} | {r['pandas']:.2f} | {r['mlc']:.2f} | "
                     f"{r['mlc'] / r['pandas']:.1f}x | {r['summary']:.2f} |")
    lines += ["", "mlc checks every label cell (0/1, blank/NA, -1) and builds a `datasets.DatasetDict`; pandas only "
                  "parses. Both grow linearly with the cells of the file."]
    table = "\n".join(lines)
    print(table)
    if not opts.no_results:
        from results import update_section

        update_section("load_speed", "## Loading wide and long files (`benchmarks/load_speed.py`)\n\n" + table)


if __name__ == "__main__":
    main()
