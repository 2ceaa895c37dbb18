"""Inference throughput and latency on CPU: `mlc.Classifier.predict_proba` against `transformers.pipeline`.

Same bundle (default: the demo bundle, the embedded multilingual-e5-small fine-tuned on examples/), same texts
(BRIGHTER dev, every language, --per-language rows of each), same threads, in one run:
  pipeline   pipeline("text-classification", model=BUNDLE, trust_remote_code=True, top_k=None,
             function_to_apply="sigmoid", truncation=True) with its default batch_size (1) and with --batch-size
  mlc        Classifier.predict_proba (length-sorted batches of --batch-size with dynamic padding)
and single-text latency (p50, p95) of each over --latency-texts texts. Scores are checked to agree. Usage:
  python benchmarks/inference_speed.py [--bundle DIR] [--per-language 100] [--batch-size 32]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mlc import Classifier  # noqa: E402
from mlc.data.readers import read_table  # noqa: E402


def brighter_texts(folder: Path, per_language: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for path in sorted(folder.glob("*.csv")):
        rows = [str(r["text"]) for r in read_table(path, header=True).rows]
        texts += rng.sample(rows, min(per_language, len(rows))) if per_language else rows
    return texts


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
    parser.add_argument("--bundle", default="default", help="bundle folder, or default (the demo bundle)")
    parser.add_argument("--data", default=str(ROOT.parent / "shared/data/brighter/dev"))
    parser.add_argument("--per-language", type=int, default=100, help="texts per language (0: all)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--latency-texts", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (both methods run on it)")
    parser.add_argument("--no-results", action="store_true", help="do not update benchmarks/RESULTS.md")
    opts = parser.parse_args()
    from transformers import pipeline
    from transformers.utils import logging

    logging.disable_progress_bar()
    texts = brighter_texts(Path(opts.data), opts.per_language, opts.seed)
    clf = Classifier.load(opts.bundle, device=opts.device)
    pipe = pipeline("text-classification", model=str(clf.path), trust_remote_code=True, top_k=None,
                    function_to_apply="sigmoid", device=clf.device)
    call = {"truncation": True, "max_length": clf.max_length}

    def pipe_scores(batch_size: int) -> np.ndarray:
        out = pipe(texts, batch_size=batch_size, **call)
        return np.array([[{d["label"]: d["score"] for d in row}[label] for label in clf.labels] for row in out])

    clf.predict_proba(texts[:64], batch_size=opts.batch_size)  # warm-up
    pipe(texts[:8], **call)
    mlc_s, mlc_probs = timed(clf.predict_proba, texts, batch_size=opts.batch_size)
    pipe_batched_s, pipe_batched = timed(pipe_scores, opts.batch_size)
    pipe_default_s, pipe_default = timed(pipe_scores, 1)
    agree = float(max(np.abs(mlc_probs - pipe_batched).max(), np.abs(mlc_probs - pipe_default).max()))
    sample = random.Random(opts.seed).sample(texts, min(opts.latency_texts, len(texts)))
    lat_mlc = latencies(lambda t: clf.predict_proba([t]), sample)
    lat_pipe = latencies(lambda t: pipe(t, **call), sample)
    n = len(texts)
    on_gpu = clf.device.type == "cuda"
    machine = (torch.cuda.get_device_name(clf.device) if on_gpu
               else f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads")
    result = {"machine": machine, "device": str(clf.device),
              "torch": torch.__version__, "bundle": str(clf.path), "texts": n, "batch_size": opts.batch_size,
              "max_length": clf.max_length,
              "mlc_texts_per_second": n / mlc_s, "pipeline_batched_texts_per_second": n / pipe_batched_s,
              "pipeline_default_texts_per_second": n / pipe_default_s,
              "speedup_vs_pipeline_batched": pipe_batched_s / mlc_s,
              "speedup_vs_pipeline_default": pipe_default_s / mlc_s,
              "max_abs_score_difference": agree, "latency_mlc": lat_mlc, "latency_pipeline": lat_pipe}
    print(json.dumps(result, indent=2))
    if agree > 1e-3:
        sys.exit(f"scores disagree by {agree}: the comparison is invalid")
    if not opts.no_results:
        from results import update_section

        command = (f"python benchmarks/inference_speed.py --bundle {opts.bundle} --per-language {opts.per_language} "
                   f"--batch-size {opts.batch_size} --latency-texts {opts.latency_texts} --device {opts.device}")
        update_section("inference_speed_gpu" if on_gpu else "inference_speed",
                       f"""## Inference throughput and latency on {'a GPU' if on_gpu else 'CPU'} (`benchmarks/inference_speed.py`)

`{command}`

Machine: {result['machine']}, torch {result['torch']}. {n} BRIGHTER dev texts ({opts.per_language or 'all'} per language,
28 languages), bundle max_length {clf.max_length}, the embedded multilingual-e5-small. The two agree on every score to
{agree:.1e}.

| method | texts/s | ratio (mlc / method) |
|---|---|---|
| `pipeline(...)` default batch_size 1 | {n / pipe_default_s:.1f} | {pipe_default_s / mlc_s:.2f}x |
| `pipeline(..., batch_size={opts.batch_size})` | {n / pipe_batched_s:.1f} | {pipe_batched_s / mlc_s:.2f}x |
| `Classifier.predict_proba(batch_size={opts.batch_size})` | {n / mlc_s:.1f} | 1.00x |

Single-text latency over {len(sample)} texts: mlc p50 {lat_mlc['p50_ms']:.1f} ms, p95 {lat_mlc['p95_ms']:.1f} ms;
pipeline p50 {lat_pipe['p50_ms']:.1f} ms, p95 {lat_pipe['p95_ms']:.1f} ms.
""")


if __name__ == "__main__":
    main()
