"""mlc.exporters.onnx and the onnx backend: the exported graphs score like PyTorch (fp32 within 1e-4, int8 on 99%
of the decisions), `auto` serves the int8 graph, and loading it needs neither torch nor the model's class."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from mlc.core.errors import ConfigError, ModelError
from mlc.inference.classifier import Classifier

from .conftest import ROOT, TINY_SENTENCES, run_module


@pytest.fixture(scope="module")
def exported(tiny_bundle, tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx") / "bundle"
    shutil.copytree(tiny_bundle, folder)
    run = run_module("mlc.export", "--model", str(folder), "--check-texts", str(ROOT / "examples" / "support_tickets.csv"),
                     timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    record = json.loads(run.stdout)
    assert record == json.loads((folder / "onnx" / "export.json").read_text())
    return folder


@pytest.fixture(scope="module")
def ticket_texts():
    with open(ROOT / "examples" / "support_tickets.csv", encoding="utf-8") as handle:
        return [row["text"] for row in csv.DictReader(handle)][:400]


def test_fp32_graph_scores_within_1e4_of_pytorch_fp32(exported, ticket_texts):
    torch_fp32 = Classifier.load(exported, device="cpu", precision="fp32", backend="torch")
    graph = Classifier.load(exported, backend="onnx-fp32")
    assert graph.backend == "onnx" and graph.precision == "fp32"
    texts = [*TINY_SENTENCES, *ticket_texts]
    for options in ({"ngrams": False}, {}, {"long_text": "window", "stride": 8, "batch_size": 3}):
        gap = np.abs(torch_fp32.predict_proba(texts, **options) - graph.predict_proba(texts, **options)).max()
        assert gap < 1e-4, (options, gap)


def test_int8_graph_keeps_the_label_sets_of_99_percent_of_the_texts(exported, ticket_texts):
    record = json.loads((exported / "onnx" / "export.json").read_text())
    assert record["checked_on"] == f"1000 texts of {ROOT / 'examples' / 'support_tickets.csv'}"
    int8_record = record["files"]["model.int8.onnx"]
    agreement = int8_record["decision_agreement"][int8_record["recipe"]]
    assert int8_record["kept"] and agreement["texts"] >= 0.99 and agreement["cells"] >= agreement["texts"]
    exact = Classifier.load(exported, device="cpu", precision="fp32", backend="torch")
    int8 = Classifier.load(exported, backend="onnx-int8")
    languages = exact.resolve_languages(ticket_texts)
    agree = exact.decide(exact.predict_proba(ticket_texts, languages=languages), languages=languages) == \
        int8.decide(int8.predict_proba(ticket_texts, languages=languages), languages=languages)
    assert agree.all(1).mean() >= 0.98, agree.all(1).mean()  # whole label sets (the blend included)


@pytest.mark.parametrize(("check", "says"), [(None, "no --check-texts has 0 texts"), ("empty", "has no texts"),
                                             ("few", "has 100 texts; an int8 graph is judged on at least 500")])
def test_int8_is_judged_on_500_texts_of_the_bundles_kind_or_refused(tiny_bundle, tmp_path, check, says):
    options = []
    if check:
        path = tmp_path / "check.txt"
        path.write_text("" if check == "empty" else "\n".join(f"text {i}" for i in range(100)) + "\n")
        options = ["--check-texts", str(path)]
    run = run_module("mlc.export", "--model", str(tiny_bundle), *options)
    assert run.returncode == 2 and says in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert not (tiny_bundle / "onnx").exists()


def test_auto_falls_back_to_the_fp32_graph_and_says_so(exported, tmp_path, capsys):
    folder = tmp_path / "no-int8"
    shutil.copytree(exported, folder)
    (folder / "onnx" / "model.int8.onnx").unlink()  # as an export whose int8 graph missed the gate leaves it
    classifier = Classifier.load(folder)
    assert (classifier.backend, classifier.precision) == ("onnx", "fp32")
    assert "has no int8 graph" in capsys.readouterr().err


def test_auto_serves_the_int8_graph_where_it_can(exported, tiny_bundle):
    assert Classifier.load(exported).precision == "int8"
    assert Classifier.load(exported, backend="onnx").precision == "int8"
    assert Classifier.load(exported, precision="fp32").backend == "torch"  # a precision asked for: PyTorch
    assert Classifier.load(tiny_bundle).backend == "torch"  # no graph: PyTorch, as before
    with pytest.raises(ModelError, match="the bundle has no int8 ONNX graph"):
        Classifier.load(tiny_bundle, backend="onnx-int8")
    with pytest.raises(ConfigError, match="runs on the CPU"):
        Classifier.load(exported, device="cuda", backend="onnx")
    with pytest.raises(ConfigError, match="backend must be one of"):
        Classifier.load(exported, backend="tensorrt")


def test_loading_the_graph_needs_neither_torch_nor_the_model_class(exported):
    code = ("import sys; from mlc import Classifier; c = Classifier.load(sys.argv[1]); "
            "c.predict(['I want my money back']); print(c.precision, 'torch' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code, str(exported)], capture_output=True, text=True, timeout=300,
                         cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["int8", "False"]


def test_the_clis_take_a_backend(exported, tmp_path):
    texts = tmp_path / "t.txt"
    texts.write_text("\n".join(TINY_SENTENCES) + "\n", encoding="utf-8")
    outputs = {}
    for backend in ("onnx-int8", "torch"):
        run = run_module("mlc.predict", "--model", str(exported), "--input", str(texts), "--output", "-",
                         "--backend", backend, "--threads", "1", "--progress", "false")
        assert run.returncode == 0, run.stderr[-2000:]
        outputs[backend] = [json.loads(line) for line in run.stdout.splitlines()]
    expected = Classifier.load(exported, backend="onnx-int8").predict(TINY_SENTENCES)
    assert [r["predicted_labels"] for r in outputs["onnx-int8"]] == [r["labels"] for r in expected]
    assert len(outputs["torch"]) == len(TINY_SENTENCES)


def test_a_damaged_graph_is_a_model_error(exported, tmp_path):
    folder = tmp_path / "b"
    shutil.copytree(exported, folder)
    (folder / "onnx" / "model.int8.onnx").write_bytes(b"not a graph")
    with pytest.raises(ModelError, match="the ONNX graph cannot be loaded"):
        Classifier.load(folder)


def test_training_can_export_at_the_end(tiny_model_dir, tmp_path):
    from mlc.commands.train import fit

    fit(data=str(ROOT / "examples" / "support_tickets.csv"), model=str(tiny_model_dir), output=str(tmp_path / "b"),
        schedule="joint", max_steps=4, batch_size=8, max_length=32, export="onnx-int8")
    assert Classifier.load(tmp_path / "b").precision == "int8"
    assert not list(tmp_path.glob(".*tmp*"))
