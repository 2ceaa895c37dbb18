"""Fitting a bundle's n-gram models (mlc.ngrams): one language after another against one process per CPU core.

Same data (BRIGHTER train, all 28 languages, minus the 10% a bundle holds back, seed 42), same models, in one run:
  sequential  NgramModel.fit(..., workers=1), the loop before languages were fitted in parallel
  parallel    NgramModel.fit(...) as bundles call it: one worker process per core
Reports the seconds of each and the ratio, and checks that both give the same probabilities on dev. Usage:
  python benchmarks/ngram_speed.py [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from brighter import BRIGHTER, data_view  # noqa: E402
from common import machine_description  # noqa: E402

from mlc.core.cpus import usable_cpus  # noqa: E402
from mlc.data import load_data  # noqa: E402
from mlc.data.aligned import align  # noqa: E402
from mlc.model.ngrams import NgramModel  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", help="also write the raw results here")
    parser.add_argument("--no-results", action="store_true")
    opts = parser.parse_args()
    if not BRIGHTER.is_dir():
        sys.exit(f"BRIGHTER not found at {BRIGHTER}")
    languages = sorted(p.stem for p in (BRIGHTER / "dev").glob("*.csv"))
    with tempfile.TemporaryDirectory(prefix="mlc-ngram-speed-") as tmp:
        view = data_view(languages, Path(tmp) / "data")
        data = load_data(str(view / "train"), test=str(view / "dev"), validation_size=0.1, seed=42)
    train, dev = align(data, ["train"], data.labels, "train"), align(data, ["test"], data.labels, "test")
    seconds, probs = {}, {}
    for name, workers in (("sequential", 1), ("parallel", None)):
        started = time.perf_counter()
        model = NgramModel.fit(train.texts, train.truth, train.mask, train.languages, data.labels, 0.5, workers)
        seconds[name] = time.perf_counter() - started
        probs[name] = model.predict_proba(dev.texts, dev.languages)
        print(f"{name}: {seconds[name]:.1f} s", flush=True)
    if not np.array_equal(probs["sequential"], probs["parallel"], equal_nan=True):
        sys.exit("the parallel fit gave other probabilities than the sequential one")
    ratio = seconds["sequential"] / seconds["parallel"]
    result = {"rows": len(train.texts), "languages": len(languages), "cores": usable_cpus(), "seconds": seconds,
              "ratio": ratio, "machine": machine_description()}
    if opts.json:
        Path(opts.json).write_text(json.dumps(result, indent=2))
    table = (f"`python benchmarks/ngram_speed.py`\n\nMachine: {result['machine']}, {result['cores']} cores. Data: "
             f"BRIGHTER train, {len(languages)} languages, {len(train.texts):,} texts (a bundle's 90%). Same "
             "probabilities on dev from both.\n\n| fit | seconds |\n|---|---|\n"
             f"| one language after another | {seconds['sequential']:.1f} |\n"
             f"| one process per core (mlc) | {seconds['parallel']:.1f} |\n| **ratio** | **{ratio:.2f}x** |")
    print(table)
    if not opts.no_results:
        from results import update_section

        update_section("ngram_speed", "## Fitting the n-gram models (`benchmarks/ngram_speed.py`)\n\n" + table)


if __name__ == "__main__":
    main()
