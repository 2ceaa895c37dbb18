"""Inference on CPU: mlc's backends against `transformers.pipeline`, and against the machine's matmul peak.

Same bundle (default: the demo bundle, exported with python -m mlc.export), same texts (BRIGHTER dev, every
language, --per-language rows of each), in one run. Each method runs in a fresh process at each --threads count:
  pipeline        pipeline("text-classification", model=BUNDLE, trust_remote_code=True, top_k=None,
                  function_to_apply="sigmoid", truncation=True), batch_size 1 (its default) and --batch-size
  torch fp32      Classifier.load(BUNDLE, backend="torch", precision="fp32")
  torch bf16      the same in bf16 autocast, on CPUs with bf16 instructions only
  onnx fp32/int8  Classifier.load(BUNDLE, backend="onnx-fp32" / "onnx-int8") (ONNX Runtime)
each scoring the encoder alone (ngrams=False, as the pipeline does) in length-sorted batches of --batch-size:
texts/s, single-text latency p50/p95 over --latency-texts texts, and the process's peak RSS. Parity gates, checked
before any speed is reported: the pipeline and onnx fp32 within 1e-4 of torch fp32 (the pipeline 1e-3), int8 on at
least 99% of the (text, label) decisions at the bundle's thresholds. Arithmetic: FLOPs per token of the encoder at
the texts' mean length, and the share of the machine's measured fp32 matmul peak (bf16 and int8 peaks too) each
method reaches. Usage:
  python benchmarks/inference_speed.py [--bundle DIR] [--per-language 100] [--batch-size 32] [--threads 1,2]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

METHODS = ("pipeline", "torch-fp32", "torch-bf16", "onnx-fp32", "onnx-int8")


def brighter_texts(folder: Path, per_language: int, seed: int) -> tuple[list[str], list[str]]:
    """(texts, their languages): --per-language random rows of each language's file."""
    from mlc.data.readers import read_table

    if not folder.is_dir():
        sys.exit(f"{folder}: BRIGHTER's dev folder is not there (hint: --data, or run from a clone beside ../shared)")
    rng = random.Random(seed)
    texts, languages = [], []
    for path in sorted(folder.glob("*.csv")):
        rows = [str(r["text"]) for r in read_table(path, header=True).rows]
        chosen = rng.sample(rows, min(per_language, len(rows))) if per_language else rows
        texts += chosen
        languages += [path.stem] * len(chosen)
    return texts, languages


def latencies(fn, texts: list[str]) -> dict[str, float]:
    fn(texts[0])  # warm-up
    times = []
    for text in texts:
        started = time.perf_counter()
        fn(text)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95))}


def child(method: str, threads: int, bundle: str, texts_file: str, batch_size: int, latency_texts: int,
          out: str) -> None:
    """One method at one thread count, in this (fresh) process: scores, speed, latency, peak RSS (ONNX Runtime
    runs without torch in the process)."""
    if not method.startswith("onnx"):
        import torch

        torch.set_num_threads(threads)
    texts, parity_texts = json.loads(Path(texts_file).read_text("utf-8"))
    sample = random.Random(0).sample(texts, min(latency_texts, len(texts)))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if method == "pipeline":
        from transformers import pipeline
        from transformers.utils import logging

        from mlc import Classifier

        logging.disable_progress_bar()
        clf = Classifier.load(bundle, backend="torch", precision="fp32", device="cpu")
        pipe = pipeline("text-classification", model=bundle, trust_remote_code=True, top_k=None,
                        function_to_apply="sigmoid", device="cpu")
        call = {"truncation": True, "max_length": clf.max_length}

        def score(batch: list[str], size: int = 1) -> np.ndarray:
            rows = pipe(batch, batch_size=size, **call)
            return np.array([[{d["label"]: d["score"] for d in row}[label] for label in clf.labels] for row in rows])

        score(texts[:8])
        timings = {}
        for size in (1, batch_size):
            started = time.perf_counter()
            probs = score(texts, size)
            timings[size] = time.perf_counter() - started
        result = {"seconds": timings[1], "seconds_batched": timings[batch_size],
                  "latency": latencies(lambda t: score([t]), sample)}
        parity_probs = score(parity_texts, batch_size)
    else:
        from mlc import Classifier

        backend, precision = ("torch", method.split("-")[1]) if method.startswith("torch") else (method, "auto")
        clf = Classifier.load(bundle, backend=backend, precision=precision, device="cpu", threads=threads)
        clf.predict_proba(texts[:64], batch_size=batch_size, ngrams=False)  # warm-up
        started = time.perf_counter()
        probs = clf.predict_proba(texts, batch_size=batch_size, ngrams=False)
        result = {"seconds": time.perf_counter() - started, "precision": clf.precision,
                  "latency": latencies(lambda t: clf.predict_proba([t], ngrams=False), sample)}
        parity_probs = clf.predict_proba(parity_texts, batch_size=batch_size, ngrams=False)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["rss_before_load_mb"] = rss_before / 1024
    np.save(out + ".npy", probs)
    np.save(out + ".parity.npy", parity_probs)
    Path(out + ".json").write_text(json.dumps(result))


def matmul_peaks(threads: int) -> dict[str, float]:
    """GFLOP/s (GOP/s for int8) of a 1024^3 matrix product on `threads` threads: fp32, bf16 (where native), int8."""
    import torch

    from mlc.model.dtypes import cpu_has_native_bf16

    torch.set_num_threads(threads)
    n, peaks = 1024, {}
    kinds = {"fp32": torch.float32, "int8": torch.int8} | ({"bf16": torch.bfloat16} if cpu_has_native_bf16() else {})
    for name, dtype in kinds.items():
        if dtype == torch.int8:
            a, b = (torch.randint(-128, 127, (n, n), dtype=dtype) for _ in range(2))
            run = lambda a=a, b=b: torch._int_mm(a, b)  # noqa: E731
        else:
            a, b = (torch.randn(n, n).to(dtype) for _ in range(2))
            run = lambda a=a, b=b: a @ b  # noqa: E731
        run()
        started, rounds = time.perf_counter(), 0
        while time.perf_counter() - started < 1.5:
            run()
            rounds += 1
        peaks[name] = 2 * n**3 * rounds / (time.perf_counter() - started) / 1e9
    return peaks


def encoder_flops_per_token(bundle: str, mean_tokens: float) -> float:
    """Multiply-adds x 2 of one token through the encoder: the dense layers, and attention at the mean length."""
    config = json.loads((Path(bundle) / "config.json").read_text())["encoder"]
    h, layers, ffn = config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]
    return 2 * layers * (4 * h * h + 2 * h * ffn + 2 * h * mean_tokens)


def run_child(method: str, threads: int, opts, texts_file: str, folder: Path) -> dict | None:
    out = str(folder / f"{method}-{threads}")
    command = [sys.executable, __file__, "--child", method, "--child-threads", str(threads), "--bundle",
               opts.bundle, "--child-texts", texts_file, "--batch-size", str(opts.batch_size),
               "--latency-texts", str(opts.latency_texts), "--child-out", out]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode:
        sys.exit(f"{method} at {threads} threads failed:\n{run.stderr[-3000:]}")
    result = json.loads(Path(out + ".json").read_text())
    result["probs"], result["parity"] = np.load(out + ".npy"), np.load(out + ".parity.npy")
    return result


def agreement(clf, probs: np.ndarray, reference: np.ndarray, languages: list[str]) -> float:
    known = clf.resolve_languages([""] * len(languages), languages)
    return float((clf.decide(probs, None, known) == clf.decide(reference, None, known)).mean())


def parity(results: dict, clf, parity_languages: list[str], languages: list[str]) -> dict[str, str]:
    """Each method's distance from torch fp32 on the parity texts (the bundle's own kind of text), where a failed
    gate stops the benchmark, and its decision agreement on the speed texts."""
    reference, speed_reference = results[("torch-fp32", 1)]["parity"], results[("torch-fp32", 1)]["probs"]
    notes = {}
    for (method, threads), row in results.items():
        gap = float(np.abs(row["parity"] - reference).max())
        agree = agreement(clf, row["parity"], reference, parity_languages)
        limit = {"pipeline": 1e-3, "onnx-fp32": 1e-4, "torch-fp32": 1e-4}.get(method)
        if (limit is not None and gap > limit) or agree < 0.99:
            sys.exit(f"parity failed for {method} at {threads} threads: scores {gap:.2e} from torch fp32, "
                     f"{agree:.2%} of decisions kept; no speed is reported")
        notes[(method, threads)] = (f"{gap:.1e}; {agree:.2%} | "
                                    f"{agreement(clf, row['probs'], speed_reference, languages):.2%}")
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", help="bundle folder (default: the fine-tuned demo bundle, built first if it is not cached)")
    parser.add_argument("--data", default=str(ROOT.parent / "shared/data/brighter/dev"))
    parser.add_argument("--per-language", type=int, default=100, help="texts per language (0: all)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--latency-texts", type=int, default=100)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--parity-data", help="labelled texts of the bundle's own kind for the parity gates (a CSV "
                        "with text and language columns; default: examples/support_tickets.csv for the demo "
                        "bundle, else the speed texts)")
    parser.add_argument("--no-results", action="store_true", help="do not update benchmarks/RESULTS.md")
    for hidden in ("--child", "--child-threads", "--child-texts", "--child-out"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        return child(opts.child, int(opts.child_threads), opts.bundle, opts.child_texts, opts.batch_size,
                     opts.latency_texts, opts.child_out)
    measure(opts)


def measure(opts) -> None:
    from common import cpu_description

    from mlc import Classifier
    from mlc.model.dtypes import cpu_has_native_bf16

    if opts.bundle is None:
        from mlc.demo.bundle import ensure_demo_bundle

        opts.bundle = str(ensure_demo_bundle(recipe="fine-tune"))
    clf = Classifier.load(opts.bundle, backend="torch", precision="fp32", device="cpu")
    texts, languages = brighter_texts(Path(opts.data), opts.per_language, opts.seed)
    parity_file = opts.parity_data or (str(ROOT / "examples" / "support_tickets.csv")
                                       if "support-tickets" in opts.bundle else None)
    parity_texts, parity_languages = texts, languages
    if parity_file:
        from mlc.data.args import InputArgs
        from mlc.inference.files import read_inputs

        _, parity_texts, parity_languages, _ = read_inputs(parity_file, InputArgs())
    methods = [m for m in METHODS if m != "torch-bf16" or cpu_has_native_bf16()]
    thread_counts = [int(t) for t in opts.threads.split(",")]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        texts_file = str(Path(tmp) / "texts.json")
        Path(texts_file).write_text(json.dumps([texts, parity_texts]))
        for threads in thread_counts:
            for method in methods:
                results[(method, threads)] = run_child(method, threads, opts, texts_file, Path(tmp))
                row = results[(method, threads)]
                print(f"{method} x{threads}: {len(texts) / row['seconds']:.1f} texts/s, p50 "
                      f"{row['latency']['p50_ms']:.1f} ms", flush=True)
    notes = parity(results, clf, parity_languages, languages)
    shown = Path(parity_file).resolve().relative_to(ROOT) if parity_file and Path(parity_file).resolve().is_relative_to(
        ROOT) else parity_file
    opts.parity_note = f"{len(parity_texts)} texts of {shown or 'the speed set'}"
    tokens = np.mean([len(ids) for ids in clf.tokenizer(texts, truncation=True, max_length=clf.max_length)["input_ids"]])
    flops = encoder_flops_per_token(opts.bundle, tokens)
    peaks = {threads: matmul_peaks(threads) for threads in thread_counts}
    publish(opts, results, notes, peaks, flops, tokens, len(texts), cpu_description())


def publish(opts, results: dict, notes: dict, peaks: dict, flops: float, tokens: float, n: int, machine: str) -> None:
    baseline = {threads: results[("pipeline", threads)]["seconds"] for threads in peaks}
    rows = []
    for (method, threads), row in results.items():
        rate = n / row["seconds"]
        peak_kind = {"torch-bf16": "bf16", "onnx-int8": "int8"}.get(method, "fp32")
        share = rate * tokens * flops / 1e9 / peaks[threads][peak_kind]
        name = "pipeline, batch_size 1" if method == "pipeline" else method
        rows.append(f"| {name} | {threads} | {rate:.1f} | **{baseline[threads] / row['seconds']:.2f}x** | "
                    f"{row['latency']['p50_ms']:.1f} / {row['latency']['p95_ms']:.1f} | {row['peak_rss_mb']:.0f} | "
                    f"{share:.0%} of {peak_kind} | {notes[(method, threads)]} |")
        if method == "pipeline":
            rows.append(f"| pipeline, batch_size {opts.batch_size} | {threads} | {n / row['seconds_batched']:.1f} | "
                        f"{baseline[threads] / row['seconds_batched']:.2f}x | | | | | |")
    peak_text = "; ".join(f"{threads} threads: " + ", ".join(f"{k} {v:.0f}" for k, v in p.items())
                          for threads, p in peaks.items())
    command = (f"python benchmarks/inference_speed.py --per-language {opts.per_language} --batch-size "
               f"{opts.batch_size} --latency-texts {opts.latency_texts} --threads {opts.threads}")
    table = "\n".join(rows)
    markdown = f"""## Inference on CPU: backends against the pipeline (`benchmarks/inference_speed.py`)

`{command}` (bundle: {'the demo bundle' if 'support-tickets' in opts.bundle else opts.bundle})

Machine: {machine}. {n} BRIGHTER dev texts ({opts.per_language or 'all'} per language, 28 languages), {tokens:.1f}
tokens on average; encoder scores (no n-gram blend, as the pipeline scores); each row in a fresh process. Ratios are
texts/s over the pipeline's at its default batch_size 1 on the same threads; latency is one text at a time over
{opts.latency_texts} texts. Arithmetic: the encoder costs {flops / 1e6:.1f} MFLOP per token; the machine's measured
1024^3 matmul peaks (GFLOP/s, int8 GOP/s): {peak_text}; "of peak" is texts/s x tokens x FLOP per token over the
peak of the row's number format. Parity, on {opts.parity_note} (the bundle's own kind of text): the largest score
difference from torch fp32 at 1 thread, and the share of the (text, label) decisions at the bundle's thresholds that
agree with it; the gates (pipeline 1e-3, onnx fp32 1e-4, every method 99% of decisions) passed, or nothing would be
reported. The last column is the decision agreement on the speed texts, which are not the bundle's kind (emotions
against support-ticket labels: many scores sit near a threshold).

| method | threads | texts/s | x pipeline | latency p50 / p95 ms | peak RSS MB | of peak | parity: score gap; decisions | decisions, speed texts |
|---|---|---|---|---|---|---|---|---|
{table}
"""
    print(markdown)
    if not opts.no_results:
        from results import update_section

        update_section("inference_speed", markdown)


if __name__ == "__main__":
    main()
