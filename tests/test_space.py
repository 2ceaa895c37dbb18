"""mlc.exporters.space and python -m mlc.space: a Space folder for a bundle holds only what serving needs, its app
imports no training code, and it answers as the full bundle does with the same graph."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT, run_module
from .test_app import _free_port


@pytest.fixture(scope="module")
def space(tiny_bundle, tmp_path_factory):
    root = tmp_path_factory.mktemp("space")
    bundle = root / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    export = run_module("mlc.export", "--model", str(bundle), "--check-texts",
                        str(ROOT / "examples" / "support_tickets.csv"), timeout=300)
    assert export.returncode == 0, export.stderr[-2000:]
    run = run_module("mlc.space", "--model", str(bundle), "--output", str(root / "space"), "--title", "Tickets")
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout)["graph"] == "model.int8.onnx"
    return bundle, root / "space"


def test_the_folder_holds_only_what_serving_needs(space):
    bundle, folder = space
    assert sorted(p.name for p in folder.iterdir()) == [".gitattributes", "README.md", "app.py", "bundle", "mlc",
                                                        "requirements.txt"]
    shipped = {p.relative_to(folder / "bundle").as_posix() for p in (folder / "bundle").rglob("*") if p.is_file()}
    assert "onnx/model.int8.onnx" in shipped and "mlc.json" in shipped and "thresholds.json" in shipped
    assert not {"model.safetensors", "modeling_mlc.py", "onnx/model.onnx", "text_hashes.npz"} & shipped
    assert any(name.startswith("ngrams/") for name in shipped)
    for name in shipped:
        assert (folder / "bundle" / name).read_bytes() == (bundle / name).read_bytes()
    requirements = [line.split("==")[0] for line in (folder / "requirements.txt").read_text().splitlines()
                    if line and not line.startswith("#")]
    assert all("==" in line for line in (folder / "requirements.txt").read_text().splitlines()
               if line and not line.startswith("#"))
    assert not {"torch", "datasets", "accelerate", "evaluate", "iterative-stratification"} & set(requirements)
    assert {"gradio", "onnxruntime", "transformers"} <= set(requirements)
    assert not (folder / "mlc" / "training").exists() and not (folder / "mlc" / "evaluation").exists()
    front = (folder / "README.md").read_text("utf-8").split("---")[1]
    fields = dict(line.split(": ", 1) for line in front.strip().splitlines())
    import gradio

    assert fields["sdk"] == "gradio" and fields["sdk_version"] == gradio.__version__
    assert fields["app_file"] == "app.py" and fields["title"] == '"Tickets"'


def test_its_app_imports_no_training_code_and_answers_like_the_bundle(space):
    """Serving from the folder alone (its own copy of mlc, nothing from the repository): no torch, no training."""
    bundle, folder = space
    probe = ("import sys, json; sys.path.insert(0, '.'); from mlc.demo.service import DemoService; "
             "s = DemoService('bundle').start(background=False); "
             "r = s.predict_many(['My card was charged twice', 'Mi pedido no llegó']); "
             "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'datasets') "
             "or m.startswith(('mlc.training', 'mlc.evaluation', 'mlc.exporters'))); "
             "print(json.dumps({'results': r, 'imported': bad, 'mlc': sys.modules['mlc'].__file__}))")
    run = subprocess.run([sys.executable, "-I", "-c", probe], cwd=folder, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.splitlines()[-1])
    assert out["imported"] == [] and out["mlc"].startswith(str(folder))
    from mlc.demo.service import DemoService

    full = DemoService(str(bundle), backend="onnx-int8").start(background=False)
    assert out["results"] == full.predict_many(["My card was charged twice", "Mi pedido no llegó"])


def test_its_app_py_serves_the_page_and_the_json_endpoint(space, tmp_path):
    import time

    import httpx

    _, folder = space
    port = _free_port()
    log = tmp_path / "space.log"
    process = subprocess.Popen([sys.executable, "-E", "-s", "app.py", "--port", str(port)], cwd=folder,
                               stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        deadline, answer = time.time() + 120, None
        while time.time() < deadline and process.poll() is None:
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/api/classify", json={"texts": ["hello"]}, timeout=30)
                if answer.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        assert answer is not None and answer.status_code == 200, log.read_text()[-2000:]
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200
    finally:
        process.terminate()
        process.wait(20)


def test_a_bundle_without_a_graph_is_refused_with_the_export_command(tiny_bundle, tmp_path):
    run = run_module("mlc.space", "--model", str(tiny_bundle), "--output", str(tmp_path / "space"))
    assert run.returncode == 2 and "has no int8 or fp32 ONNX graph" in run.stderr
    assert "python -m mlc.export --model" in run.stderr and not (tmp_path / "space").exists()
