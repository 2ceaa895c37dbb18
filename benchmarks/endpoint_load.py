"""POST /api/classify under load, beside `gradio_client`'s /predict on the same server: C concurrent clients, R
requests each, one text per request, against `python app.py` (the bundle's int8 graph, requests batched) on
loopback. The JSON clients are one asyncio process with httpx (C requests in flight); the Gradio clients are C
threads of `gradio_client` (as in demo_load.py). Reports errors, requests/s, latency p50/p95 and CPU ms per request
of the server and of the clients. Usage:
  python benchmarks/endpoint_load.py --bundle DIR [--clients 20] [--requests 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def json_load(url: str, texts: list[str], clients: int, requests: int, server_pid: int) -> dict:
    import httpx
    from demo_load import cpu_seconds

    latencies: list[float] = []
    errors: list[str] = []

    async def client(http: httpx.AsyncClient, seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(requests):
            body = {"texts": [rng.choice(texts)]}
            if rng.random() < 0.5:
                body["thresholds"] = {"refund": round(rng.uniform(0.2, 0.8), 2)}
            started = time.perf_counter()
            answer = await http.post("api/classify", json=body)
            if answer.status_code == 200:
                latencies.append(time.perf_counter() - started)
            else:
                errors.append(answer.text[:200])

    async def run() -> None:
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
            await asyncio.gather(*(client(http, i) for i in range(clients)))

    started, server_before, client_before = time.perf_counter(), cpu_seconds(server_pid), cpu_seconds(os.getpid())
    asyncio.run(run())
    wall = time.perf_counter() - started
    answered = max(1, len(latencies))
    return {"requests": clients * requests, "errors": len(errors), "first_errors": errors[:3], "seconds": wall,
            "server_cpu_ms_per_request": (cpu_seconds(server_pid) - server_before) * 1000 / answered,
            "client_cpu_ms_per_request": (cpu_seconds(os.getpid()) - client_before) * 1000 / answered,
            "requests_per_second": len(latencies) / wall,
            "p50_ms": float(np.percentile(latencies, 50) * 1000) if latencies else None,
            "p95_ms": float(np.percentile(latencies, 95) * 1000) if latencies else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--section", default="endpoint_load", help="RESULTS.md section to write (another name keeps this one, e.g. for a second kind of CPU)")
    parser.add_argument("--bundle", required=True, help="a bundle with an int8 graph (python -m mlc.export)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=20, help="requests per client")
    opts = parser.parse_args()
    from common import cpu_description
    from demo_load import load, start

    from mlc.demo.app import EXAMPLES

    texts = [row[0] for row in EXAMPLES]
    found = {}
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start(opts.bundle, [], Path(tmp) / "app.log")
        try:
            json_load(url, texts, 2, 2, process.pid)  # warm-up
            found["POST /api/classify (httpx, asyncio)"] = json_load(url, texts, opts.clients, opts.requests,
                                                                     process.pid)
            found["/predict (gradio_client, threads)"] = load(url, texts, opts.clients, opts.requests, process.pid)
        finally:
            process.terminate()
            process.wait(30)
    for name, result in found.items():
        print(name, json.dumps(result), flush=True)
    baseline = found["/predict (gradio_client, threads)"]
    rows = [f"| {name} | {r['errors']} of {r['requests']} | {r['requests_per_second']:.1f} | "
            f"**{r['requests_per_second'] / baseline['requests_per_second']:.2f}x** | {r['p50_ms']:.0f} / "
            f"{r['p95_ms']:.0f} | {r['server_cpu_ms_per_request']:.1f} | {r['client_cpu_ms_per_request']:.1f} |"
            for name, r in found.items()]
    from results import update_section

    update_section(opts.section, "\n".join([
        "## The JSON endpoint under load (`benchmarks/endpoint_load.py`)", "",
        f"`python benchmarks/endpoint_load.py --bundle BUNDLE --clients {opts.clients} --requests {opts.requests}` "
        f"(bundle: {Path(opts.bundle).name}, its int8 graph). Machine: {cpu_description()}; server and clients "
        "share it. One text per request, one of the demo's ten examples, half with a threshold of their own; one "
        "server for both clients, after a warm-up.", "",
        "| client | errors | requests/s | x gradio_client | latency p50 / p95 ms | server CPU ms / request | "
        "client CPU ms / request |", "|---|---|---|---|---|---|---|", *rows]))


if __name__ == "__main__":
    main()
