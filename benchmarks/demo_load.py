"""The demo under load: N concurrent `gradio_client` clients, R requests each, against `python app.py` on loopback.

Two configurations of the same bundle in one run, each a fresh server: the earlier demo (PyTorch, every request
scored alone: --backend torch --max-batch 1 --concurrency 2) and the current defaults (the bundle's int8 ONNX
graph, concurrent requests scored together). Reports errors, requests/s and latency p50/p95 per configuration.
The clients share the server's machine, so their own work is part of what is measured. Usage:
  python benchmarks/demo_load.py [--bundle DIR] [--clients 20] [--requests 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

CONFIGURATIONS = {
    "earlier demo: torch, one request at a time": ["--backend", "torch", "--max-batch", "1", "--concurrency", "2"],
    "current defaults: int8 ONNX, requests batched": [],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(bundle: str, options: list[str], log: Path) -> tuple[subprocess.Popen, str]:
    from gradio_client import Client

    port = free_port()
    process = subprocess.Popen([sys.executable, "app.py", "--model", bundle, "--port", str(port), *options],
                               cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
                               env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    url, deadline = f"http://127.0.0.1:{port}/", time.time() + 300
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"app.py exited:\n{log.read_text()[-3000:]}")
        try:
            Client(url, verbose=False).predict("hello", "auto-detect", None, api_name="/predict")
            return process, url
        except Exception:
            time.sleep(1)
    process.terminate()
    sys.exit(f"app.py was not ready in 300 s:\n{log.read_text()[-3000:]}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(url: str, texts: list[str], clients: int, requests: int, server_pid: int | None = None) -> dict:
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    connected = [Client(url, verbose=False) for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)

    def run(client, seed: int) -> None:
        rng = random.Random(seed)
        barrier.wait()
        for _ in range(requests):
            text = rng.choice(texts)
            thresholds = {"refund": round(rng.uniform(0.2, 0.8), 2)} if rng.random() < 0.5 else None
            started = time.perf_counter()
            try:
                client.predict(text, "auto-detect", thresholds, api_name="/predict")
                with lock:
                    latencies.append(time.perf_counter() - started)
            except Exception as error:
                with lock:
                    errors.append(str(error)[:200])

    threads = [threading.Thread(target=run, args=(client, i)) for i, client in enumerate(connected)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started, server_before = time.perf_counter(), cpu_seconds(server_pid) if server_pid else 0.0
    client_before = cpu_seconds(os.getpid())
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    server_cpu = (cpu_seconds(server_pid) - server_before) if server_pid else float("nan")
    client_cpu = cpu_seconds(os.getpid()) - client_before
    return {"requests": clients * requests, "errors": len(errors), "first_errors": errors[:3], "seconds": wall,
            "server_cpu_ms_per_request": server_cpu * 1000 / max(1, len(latencies)),
            "client_cpu_ms_per_request": client_cpu * 1000 / max(1, len(latencies)),
            "requests_per_second": len(latencies) / wall,
            "p50_ms": float(np.percentile(latencies, 50) * 1000) if latencies else None,
            "p95_ms": float(np.percentile(latencies, 95) * 1000) if latencies else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", help="bundle folder (default: the fine-tuned demo bundle, built first if it is not cached)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=20, help="requests per client")
    parser.add_argument("--data", default=str(ROOT.parent / "shared/data/brighter/dev"),
                        help="BRIGHTER's dev folder, where the request texts come from (else the demo's examples)")
    parser.add_argument("--no-results", action="store_true")
    opts = parser.parse_args()
    from common import cpu_description
    from inference_speed import brighter_texts

    if opts.bundle is None:
        from mlc.demo.bundle import ensure_demo_bundle

        opts.bundle = str(ensure_demo_bundle(recipe="fine-tune"))
    if Path(opts.data).is_dir():
        texts, _ = brighter_texts(Path(opts.data), 20, 0)
    else:
        from mlc.demo.app import EXAMPLES

        texts = [row[0] for row in EXAMPLES]
    found = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, options in CONFIGURATIONS.items():
            process, url = start(opts.bundle, options, Path(tmp) / "app.log")
            try:
                load(url, texts, 2, 2)  # warm-up
                found[name] = load(url, texts, opts.clients, opts.requests, process.pid)
            finally:
                process.terminate()
                process.wait(30)
            print(name, json.dumps(found[name]), flush=True)
    publish(opts, found, cpu_description(), len(texts))


def publish(opts, found: dict, machine: str, n_texts: int) -> None:
    earlier = found[next(iter(found))]
    rows = [f"| {name} | `{' '.join(CONFIGURATIONS[name]) or '(none)'}` | {r['errors']} of {r['requests']} | "
            f"{r['requests_per_second']:.1f} | **{r['requests_per_second'] / earlier['requests_per_second']:.2f}x** | "
            f"{r['p50_ms']:.0f} / {r['p95_ms']:.0f} | {r['server_cpu_ms_per_request']:.0f} | "
            f"{r['client_cpu_ms_per_request']:.0f} |" for name, r in found.items()]
    markdown = f"""## The demo under load (`benchmarks/demo_load.py`)

`python benchmarks/demo_load.py --clients {opts.clients} --requests {opts.requests}` (bundle: {'the demo bundle' if 'support-tickets' in opts.bundle else opts.bundle})

Machine: {machine}; server and clients share it. {opts.clients} concurrent `gradio_client` clients send
{opts.requests} `/predict` requests each (one of {n_texts} BRIGHTER dev texts, language auto-detected, half of them
with a threshold of their own), each configuration on a fresh `python app.py` after a warm-up. Where the time goes:
CPU milliseconds per answered request spent by the server process (model, Gradio's queue and HTTP) and by the
clients' process (`gradio_client`), out of the 2,000 ms of CPU a second that 2 cores give.

| configuration | app.py options | errors | requests/s | x earlier | latency p50 / p95 ms | server CPU ms / request | client CPU ms / request |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}
"""
    print(markdown)
    if not opts.no_results:
        from results import update_section

        update_section("demo_load", markdown)


if __name__ == "__main__":
    main()
