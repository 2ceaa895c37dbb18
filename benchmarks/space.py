"""A team's own model as a Space: the folder `python -m mlc.space` writes for a bundle, installed into a new virtual
environment from its own requirements.txt, started offline with `python app.py`, against the repository's
requirements.txt in the same run.

Measured: the folder's size; each environment's install time and size (the Space's: serving only; the
repository's: everything); seconds from `python app.py` until POST /api/classify answers its first text; and
whether the Space's answers equal the full bundle's with the same graph. Usage:
  python benchmarks/space.py --bundle BUNDLE [--check-texts examples/support_tickets.csv] [--baseline-install]
A bundle without an ONNX graph is exported first (into a copy).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

TEXTS = ["My card was charged twice for the same order.", "Mi pedido llegó roto y quiero un reembolso.",
         "Ich kann mich seit gestern nicht mehr einloggen.", "我的订单还没有到，请尽快处理。"]


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def install(venv: Path, requirements: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(requirements)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def first_answer(python: Path, folder: Path) -> tuple[float, list]:
    import httpx
    from demo_load import free_port

    port = free_port()
    env = {"PATH": str(python.parent), "HOME": tempfile.mkdtemp(), "HF_HUB_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False"}
    started = time.perf_counter()
    process = subprocess.Popen([str(python), "app.py", "--port", str(port)], cwd=folder, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while process.poll() is None and time.perf_counter() - started < 300:
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/api/classify", json={"texts": TEXTS}, timeout=60)
                if answer.status_code == 200:
                    return time.perf_counter() - started, answer.json()["results"]
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"the Space's app did not answer (exit code {process.poll()})")
    finally:
        process.terminate()
        process.wait(30)


def measure(bundle_arg: str, check_texts: str, work: Path, venvs: dict[str, tuple[Path, float]]) -> dict:
    """One bundle's Space: written, installed (a venv per distinct requirements.txt, reused by the bundles that
    share it), started, and its answers compared with the full bundle's."""
    from mlc.demo.service import DemoService
    from mlc.exporters.space import write_space

    bundle = Path(bundle_arg).expanduser()
    work.mkdir(parents=True)
    if not (bundle / "onnx").is_dir():
        shutil.copytree(bundle, work / "bundle", ignore=shutil.ignore_patterns("onnx"))
        bundle = work / "bundle"
        subprocess.run([sys.executable, "-m", "mlc.export", "--model", str(bundle), "--check-texts", check_texts],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    written = write_space(bundle, work / "space")
    requirements = (work / "space" / "requirements.txt").read_text("utf-8")
    if requirements not in venvs:
        venvs[requirements] = (work / "venv", install(work / "venv", work / "space" / "requirements.txt"))
    venv, installed = venvs[requirements]
    seconds, answers = first_answer(venv / "bin" / "python", work / "space")
    full = DemoService(str(bundle), backend=f"onnx-{'int8' if 'int8' in written['graph'] else 'fp32'}")
    equal = answers == full.start(background=False).predict_many(TEXTS)
    return {"bundle": bundle_arg, "graph": written["graph"], "folder_mb": written["bytes"] / 1e6,
            "bundle_mb": du(Path(bundle_arg).expanduser()) / 1e6, "space_install_s": installed,
            "space_venv_mb": du(venv) / 1e6, "first_answer_s": seconds, "answers_equal": equal,
            "torch_in_space_venv": any(venv.glob("lib/python*/site-packages/torch"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--section", default="space", help="RESULTS.md section to write (another name keeps this one, e.g. for a second kind of CPU)")
    parser.add_argument("--bundle", action="append", required=True, help="a bundle folder (repeat for several)")
    parser.add_argument("--check-texts", default=str(ROOT / "examples" / "support_tickets.csv"))
    parser.add_argument("--baseline-install", action="store_true", help="also install requirements.txt afresh")
    args = parser.parse_args()
    work, venvs = Path(tempfile.mkdtemp(prefix="mlc-space-")), {}
    results = [measure(bundle, args.check_texts, work / f"b{i}", venvs) for i, bundle in enumerate(args.bundle)]
    baseline = None
    if args.baseline_install:
        baseline = (install(work / "full", ROOT / "requirements.txt"), du(work / "full") / 1e6)
    print(json.dumps({"bundles": results, "baseline": baseline}, indent=2))
    from common import cpu_description
    from results import update_section

    header = "| measure | " + " | ".join(f"`{r['bundle']}`" for r in results) + " |"
    row = lambda name, cell: f"| {name} | " + " | ".join(cell(r) for r in results) + " |"  # noqa: E731
    rows = [header, "|---|" + "---|" * len(results),
            row("graph served", lambda r: r["graph"]),
            row("bundle folder, MB", lambda r: f"{r['bundle_mb']:.0f}"),
            row("Space folder, MB", lambda r: f"{r['folder_mb']:.1f}"),
            row("Space venv from its requirements.txt: install s, MB", lambda r: f"{r['space_install_s']:.0f}, "
                f"{r['space_venv_mb']:.0f} (torch: {r['torch_in_space_venv']})"),
            row("`python app.py` to the first /api/classify answer, offline, s", lambda r: f"{r['first_answer_s']:.1f}"),
            row("answers equal to the full bundle's with the same graph", lambda r: str(r["answers_equal"]))]
    if baseline:
        rows.append(row("repository venv from requirements.txt: install s, MB", lambda r: f"{baseline[0]:.0f}, "
                        f"{baseline[1]:.0f} ({baseline[1] / r['space_venv_mb']:.1f}x the Space's)"))
    flags = " ".join(f"--bundle {b}" for b in args.bundle) + (" --baseline-install" if args.baseline_install else "")
    update_section(args.section, "\n".join([
        "## space: a bundle as a Hugging Face Space folder", "",
        f"`python benchmarks/space.py {flags}`. Machine: {cpu_description()}. Bundles whose Spaces need the same "
        "requirements.txt share one install (timed once).", "", *rows]))


if __name__ == "__main__":
    main()
