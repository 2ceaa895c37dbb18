"""The package's layers only point down (pyproject.toml, [tool.importlinter]): the contract holds, and a module
that imports upwards breaks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def test_the_layer_contracts_hold():
    run = _lint(ROOT)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "Contracts: 3 kept, 0 broken." in run.stdout


def test_an_upward_import_breaks_them(tmp_path):
    shutil.copytree(ROOT / "mlc", tmp_path / "mlc", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    classifier = tmp_path / "mlc" / "inference" / "classifier.py"
    classifier.write_text(classifier.read_text() + "\nfrom mlc.training.trainer import Trainer  # noqa\n")
    run = _lint(tmp_path)
    assert run.returncode == 1
    assert "Layers only point down BROKEN" in run.stdout and "Inference never imports training BROKEN" in run.stdout
    assert "mlc.inference.classifier -> mlc.training.trainer" in run.stdout


# Modules whose tests live in a file named after something else, and why.
COVERED_BY = {
    "mlc/commands/data.py": "test_cli (every verb's --help and options), test_malformed (python -m mlc.data)",
    "mlc/commands/train.py": "test_trainer (mlc.fit and python -m mlc.train, every schedule, torchrun)",
    "mlc/core/errors.py": "test_malformed (each error's one line, through the CLIs)",
    "mlc/core/runner.py": "test_cli (exit codes, one-line errors, a closed stdout)",
    "mlc/core/text.py": "test_properties (normalisation as the loader applies it)",
    "mlc/data/args.py": "test_cli and test_options (fields as flags and config keys)",
    "mlc/data/layout.py": "test_loader (every folder and file layout, split names, label names files)",
    "mlc/data/labels.py": "test_malformed and test_loader (every label layout, good and bad)",
    "mlc/data/textfiles.py": "test_malformed (gzip, encodings, NUL characters, line ends at any block offset)",
    "mlc/data/readers.py": "test_malformed and test_loader (every format, good and bad), test_properties",
    "mlc/data/summary.py": "test_loader (summary tables and JSON)",
    "mlc/demo/args.py": "test_options (environment variables, validation)",
    "mlc/demo/bundle.py": "test_app (the demo bundle built offline from the embedded model)",
    "mlc/demo/app.py": "test_app (the page, its APIs and a real browser, through python app.py)",
    "mlc/demo/endpoint.py": "test_app (POST /api/classify: valid, invalid and concurrent requests)",
    "mlc/commands/space.py": "test_space (python -m mlc.space end to end)",
    "mlc/evaluation/args.py": "test_cli (hidden split options), test_evaluate",
    "mlc/evaluation/evaluator.py": "test_evaluate (python -m mlc.evaluate end to end), test_report",
    "mlc/evaluation/outputs.py": "test_evaluate (the output folder, tuned thresholds written into the bundle)",
    "mlc/inference/args.py": "test_cli, test_predict (options checked before the model loads)",
    "mlc/inference/files.py": "test_predict (every input format, fields kept, earlier predictions replaced)",
    "mlc/inference/chunks.py": "test_evaluate (scores in chunks), test_distributed (chunks shared out by process)",
    "mlc/inference/prediction.py": "test_predict (output rows through python -m mlc.predict), test_explain (--explain)",
    "mlc/inference/progress.py": "test_job (the bar in rows, across processes)",
    "mlc/training/result.py": "test_trainer (what mlc.fit returns and saves)",
    "mlc/inference/writers.py": "test_predict (CSV and JSON lines), test_job (Parquet, chunks joined byte for byte)",
    "mlc/model/device.py": "test_distributed",
    "mlc/model/e5_format.py": "test_default_model (the embedded model's format)",
    "mlc/model/encoders.py": "test_default_model (resolve_model, tokenizer checks)",
    "mlc/model/onnx_model.py": "test_onnx (the graphs' sessions, through Classifier)",
    "mlc/commands/export.py": "test_onnx (python -m mlc.export)",
    "mlc/model/modeling.py": "test_trainer (poolings, the head), test_classifier (transformers' pipeline parity)",
    "mlc/training/args.py": "test_cli, test_trainer (validation of options)",
    "mlc/training/schedule.py": "test_trainer (every schedule, --language-order)",
    "mlc/training/early_stopping.py": "test_trainer (early stopping, its tie-break, resumed from a checkpoint)",
    "mlc/training/save.py": "test_trainer (the bundle's files after training)",
}


def test_every_module_with_logic_has_its_tests():
    """tests/test_<module>.py for each module that defines a function or class, or an entry in COVERED_BY."""
    import ast

    tests = {p.stem for p in (ROOT / "tests").glob("test_*.py")}
    missing = []
    for path in sorted((ROOT / "mlc").rglob("*.py")):
        name = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text("utf-8"))
        has_logic = any(isinstance(node, (ast.FunctionDef, ast.ClassDef)) for node in tree.body)
        if path.name in ("__init__.py", "__main__.py") or not has_logic or f"test_{path.stem}" in tests:
            continue
        if name not in COVERED_BY:
            missing.append(name)
    assert not missing, f"modules without tests/test_<module>.py or a COVERED_BY entry: {missing}"
    stale = [name for name in COVERED_BY if not (ROOT / name).is_file()]
    assert not stale, f"COVERED_BY names modules that no longer exist: {stale}"
