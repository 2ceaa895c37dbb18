"""A Space's cold start: `python app.py` in a fresh HOME (no cache: the embedded model and the demo bundle are built
from scratch), offline, until the first classification answers through the API.

Each --recipes entry is one fresh start (`python app.py --demo-recipe R`): seconds until the page answers, until the
first classification answers, and (for the head-only recipe, which exports its int8 graph in the background once it
serves) until the int8 graph serves. Usage:
  python benchmarks/cold_start.py [--recipes head-only,fine-tune]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

TEXT = "Mi pedido llegó roto y nadie responde al teléfono, quiero mi dinero de vuelta YA"


def cold_start(recipe: str, timeout: float) -> dict:
    from demo_load import free_port
    from gradio_client import Client

    with tempfile.TemporaryDirectory(prefix="mlc-cold-") as home:
        port = free_port()
        log = Path(home) / "app.log"
        env = {**{k: v for k, v in os.environ.items() if k not in ("MLC_CACHE_DIR", "XDG_CACHE_HOME", "MLC_MODEL")},
               "HOME": home, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--demo-recipe", recipe],
                                   cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        url, found = f"http://127.0.0.1:{port}/", {"recipe": recipe}
        try:
            while time.perf_counter() - started < timeout and process.poll() is None:
                if "page_seconds" not in found:
                    try:
                        urllib.request.urlopen(url, timeout=2)
                        found["page_seconds"] = time.perf_counter() - started
                        client = Client(url, verbose=False)
                    except OSError:
                        time.sleep(0.2)
                        continue
                try:
                    answer = client.predict(TEXT, "auto-detect", None, api_name="/predict")
                    found["first_classification_seconds"] = time.perf_counter() - started
                    found["labels"] = answer["labels"]
                    break
                except Exception:
                    time.sleep(0.2)
            if recipe == "head-only":  # the int8 graph is exported while PyTorch serves, then swapped in
                while time.perf_counter() - started < timeout and "now serving the int8" not in log.read_text():
                    time.sleep(0.5)
                if "now serving the int8" in log.read_text():
                    found["int8_seconds"] = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(30)
        if "first_classification_seconds" not in found:
            sys.exit(f"{recipe}: no classification within {timeout} s:\n{log.read_text()[-3000:]}")
        return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", default="head-only,fine-tune")
    parser.add_argument("--timeout", type=float, default=1200)
    parser.add_argument("--no-results", action="store_true")
    opts = parser.parse_args()
    from common import cpu_description

    runs = [cold_start(recipe, opts.timeout) for recipe in opts.recipes.split(",")]
    rows = [f"| {r['recipe']} | {r['page_seconds']:.1f} | **{r['first_classification_seconds']:.1f}** | "
            + (f"{r['int8_seconds']:.1f}" if "int8_seconds" in r else "from the start (exported in training)")
            + f" | {', '.join(r['labels']) or '(none)'} |" for r in runs]
    markdown = f"""## Cold start of the demo (`benchmarks/cold_start.py`)

`python benchmarks/cold_start.py --recipes {opts.recipes}`

Machine: {cpu_description()}. Each row: `python app.py --demo-recipe R` in a new, empty HOME, offline (the embedded
model and the demo bundle built from scratch), polled until the first `/predict` answers for
"{TEXT}".

| demo recipe | page up, s | first classification, s | int8 graph serving, s | labels of the text |
|---|---|---|---|---|
{chr(10).join(rows)}
"""
    print(markdown)
    if not opts.no_results:
        from results import update_section

        update_section("cold_start", markdown)


if __name__ == "__main__":
    main()
