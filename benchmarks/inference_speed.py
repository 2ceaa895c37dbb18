"""Inference throughput and latency on CPU: `mlc.Classifier.predict_proba` against `transformers.pipeline`.

Same bundle (default: the demo bundle, the embedded multilingual-e5-small fine-tuned on examples/), same texts
(BRIGHTER dev, every language, --per-language rows of each), same threads, in one run:
  pipeline   pipeline("text-classification", model=BUNDLE, trust_remote_code=True, top_k=None,
             function_to_apply="sigmoid", truncation=True) with its default batch_size (1) and with --batch-size
  mlc        Classifier.predict_proba (length-sorted batches of --batch-size with dynamic padding)
and single-text latency (p50, p95) of each over --latency-texts texts. mlc runs at each of --precision (fp32, and
auto: bf16 where the bundle was tuned in bf16 and the CPU has bf16 instructions); its fp32 scores are checked to
agree with the pipeline's, the others are reported as their distance from fp32 (scores and decisions). Usage:
  python benchmarks/inference_speed.py [--bundle DIR] [--per-language 100] [--batch-size 32] [--precision fp32,auto]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import cpu_description  # noqa: E402

from mlc import Classifier  # noqa: E402
from mlc.data.readers import read_table  # noqa: E402


def brighter_texts(folder: Path, per_language: int, seed: int) -> tuple[list[str], list[str]]:
    """(texts, their languages): --per-language random rows of each language's file."""
    rng = random.Random(seed)
    texts, languages = [], []
    for path in sorted(folder.glob("*.csv")):
        rows = [str(r["text"]) for r in read_table(path, header=True).rows]
        chosen = rng.sample(rows, min(per_language, len(rows))) if per_language else rows
        texts += chosen
        languages += [path.stem] * len(chosen)
    return texts, languages


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - started, out


def latencies(fn, texts: list[str]) -> dict[str, float]:
    fn(texts[0])  # warm-up
    times = [timed(fn, text)[0] * 1000 for text in texts]
    return {"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", help="bundle folder (default: the demo bundle, built first if it is not cached)")
    parser.add_argument("--data", default=str(ROOT.parent / "shared/data/brighter/dev"))
    parser.add_argument("--per-language", type=int, default=100, help="texts per language (0: all)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--latency-texts", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (both methods run on it)")
    parser.add_argument("--precision", default="fp32,auto",
                        help="mlc's scoring precisions to measure, comma-separated (fp32 is always measured: the "
                             "pipeline's scores are checked against it)")
    parser.add_argument("--no-results", action="store_true", help="do not update benchmarks/RESULTS.md")
    opts = parser.parse_args()
    from transformers import pipeline
    from transformers.utils import logging

    logging.disable_progress_bar()
    texts, languages = brighter_texts(Path(opts.data), opts.per_language, opts.seed)
    asked = ["fp32"] + [p for p in opts.precision.split(",") if p != "fp32"]
    if opts.bundle is None:
        from mlc.demo.bundle import ensure_demo_bundle

        opts.bundle = str(ensure_demo_bundle())
    runs = {p: Classifier.load(opts.bundle, device=opts.device, precision=p) for p in asked}
    clf = runs["fp32"]
    pipe = pipeline("text-classification", model=str(clf.path), trust_remote_code=True, top_k=None,
                    function_to_apply="sigmoid", device=clf.device)
    call = {"truncation": True, "max_length": clf.max_length}

    def pipe_scores(batch_size: int) -> np.ndarray:
        out = pipe(texts, batch_size=batch_size, **call)
        return np.array([[{d["label"]: d["score"] for d in row}[label] for label in clf.labels] for row in out])

    pipe(texts[:8], **call)  # warm-up
    pipe_batched_s, pipe_batched = timed(pipe_scores, opts.batch_size)
    pipe_default_s, pipe_default = timed(pipe_scores, 1)
    sample = random.Random(opts.seed).sample(texts, min(opts.latency_texts, len(texts)))
    n = len(texts)
    mlc = {}
    for name, model in runs.items():
        model.predict_proba(texts[:64], batch_size=opts.batch_size)  # warm-up
        seconds, probs = timed(model.predict_proba, texts, batch_size=opts.batch_size, ngrams=False)
        mlc[name] = {"precision": model.precision, "seconds": seconds, "probs": probs,
                     "latency": latencies(lambda t, m=model: m.predict_proba([t], ngrams=False), sample)}
    reference = mlc["fp32"]["probs"]
    agree = float(max(np.abs(reference - pipe_batched).max(), np.abs(reference - pipe_default).max()))
    decided = clf.decide(reference, None, languages)
    for row in mlc.values():  # how far each precision moves the scores and the decisions from fp32's
        row["max_abs_difference_from_fp32"] = float(np.abs(row["probs"] - reference).max())
        row["decisions_changed"] = int((clf.decide(row["probs"], None, languages) != decided).sum())
    lat_pipe = latencies(lambda t: pipe(t, **call), sample)
    on_gpu = clf.device.type == "cuda"
    machine = torch.cuda.get_device_name(clf.device) if on_gpu else cpu_description()
    result = {"machine": machine, "device": str(clf.device), "torch": torch.__version__, "bundle": str(clf.path),
              "texts": n, "batch_size": opts.batch_size, "max_length": clf.max_length,
              "pipeline_batched_texts_per_second": n / pipe_batched_s,
              "pipeline_default_texts_per_second": n / pipe_default_s,
              "mlc": {name: {k: v for k, v in row.items() if k != "probs"} | {"texts_per_second": n / row["seconds"]}
                      for name, row in mlc.items()},
              "pipeline_vs_mlc_fp32_max_abs_difference": agree, "latency_pipeline": lat_pipe}
    print(json.dumps(result, indent=2))
    if agree > 1e-3:
        sys.exit(f"scores disagree by {agree}: the comparison is invalid")
    if not opts.no_results:
        from results import update_section

        command = (f"python benchmarks/inference_speed.py --bundle {opts.bundle} --per-language {opts.per_language} "
                   f"--batch-size {opts.batch_size} --latency-texts {opts.latency_texts} --device {opts.device} "
                   f"--precision {opts.precision}")
        rows = [f"| `pipeline(...)` default batch_size 1 | fp32 | {n / pipe_default_s:.1f} | 1.00x | "
                f"{pipe_batched_s / pipe_default_s:.2f}x | {lat_pipe['p50_ms']:.1f} / {lat_pipe['p95_ms']:.1f} | "
                "(checked against mlc fp32) |",
                f"| `pipeline(..., batch_size={opts.batch_size})` | fp32 | {n / pipe_batched_s:.1f} | "
                f"{pipe_default_s / pipe_batched_s:.2f}x | 1.00x | | |"]
        for name, row in mlc.items():
            rows.append(f"| `Classifier.load(..., precision=\"{name}\").predict_proba(batch_size={opts.batch_size})` | "
                        f"{row['precision']} | {n / row['seconds']:.1f} | {pipe_default_s / row['seconds']:.2f}x | "
                        f"{pipe_batched_s / row['seconds']:.2f}x | {row['latency']['p50_ms']:.1f} / "
                        f"{row['latency']['p95_ms']:.1f} | {row['max_abs_difference_from_fp32']:.1e}; "
                        f"{row['decisions_changed']} of {reference.size} |")
        table = "\n".join(rows)
        update_section("inference_speed_gpu" if on_gpu else "inference_speed",
                       f"""## Inference throughput and latency on {'a GPU' if on_gpu else 'CPU'} (`benchmarks/inference_speed.py`)

`{command}`

Machine: {machine}, torch {result['torch']}. {n} BRIGHTER dev texts ({opts.per_language or 'all'} per language,
28 languages), bundle max_length {clf.max_length}, the embedded multilingual-e5-small, encoder scores (no n-gram
blend, as the pipeline scores). The pipeline and mlc in fp32 agree on every score to {agree:.1e}. Ratios are the
row's texts/s over the pipeline's; latency is one text at a time over {len(sample)} texts; the last column is the
largest score difference from mlc's fp32 scores, and how many of the {n} x {len(clf.labels)} decisions at the
bundle's thresholds differ from fp32's.

| method | precision | texts/s | x pipeline, batch 1 | x pipeline, batch {opts.batch_size} | latency p50 / p95 ms | against fp32 |
|---|---|---|---|---|---|---|
{table}
""")


if __name__ == "__main__":
    main()
