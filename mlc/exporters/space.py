"""A Hugging Face Space folder for any bundle: README.md with the Space's front matter and a model card, app.py,
requirements.txt with what serving needs (no torch, no datasets, no training code), the mlc code that serves, and
the serving bundle (an ONNX graph, tokenizer, n-gram models, thresholds, the validation report; no PyTorch weights
unless asked). Pushing the folder to a Space (git or `huggingface-cli upload`) is the whole deployment."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
from pathlib import Path
from typing import Any

from mlc.bundle.folder import SERVING_PATTERNS, WEIGHT_PATTERNS, bundle_files, read_bundle_info
from mlc.core.atomic import atomic_folder
from mlc.core.errors import ModelError
from mlc.model.onnx_model import FP32_FILE, INT8_FILE, ONNX_DIR

BUNDLE_DIR = "bundle"
PACKAGE = Path(__file__).resolve().parents[1]  # mlc/
# What serving imports, each pinned to the version of the environment that built (and tested) the folder.
SERVING_DISTRIBUTIONS = ("gradio", "onnxruntime", "transformers", "tokenizers", "huggingface_hub", "numpy", "scipy",
                         "scikit-learn", "safetensors", "py3langid", "pyyaml", "regex", "tqdm", "pandas", "pyarrow", "pillow")
# mlc's packages and modules a Space leaves out: training, exporting, evaluation and the command-line verbs.
LEFT_OUT = ("training", "exporters", "evaluation", "commands", "__main__.py", "train.py", "evaluate.py",
            "export.py", "predict.py", "space.py", "data/__main__.py", "demo/__main__.py")
PYTHON = "3.11"

APP = '''"""{title}: mlc's demo serving the bundle in ./bundle (python app.py; --help lists every option).

Besides the page, `POST /api/classify` answers JSON: see README.md."""

import os
import sys
from pathlib import Path

os.environ.setdefault("MLC_MODEL", str(Path(__file__).resolve().parent / "bundle"))

from mlc.demo.app import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''


def write_space(model: str | Path, output: str | Path, title: str | None = None, graph: str = "auto",
                weights: bool = False, license: str = "apache-2.0") -> dict[str, Any]:
    """Write the Space folder (atomically) and return what it holds: files, bytes and the graph shipped."""
    folder = Path(model)
    info = read_bundle_info(folder)
    chosen = _graph(folder, graph)
    title = title or f"{Path(folder).resolve().name} (mlc)"
    with atomic_folder(output) as tmp:
        files = bundle_files(folder, SERVING_PATTERNS + (WEIGHT_PATTERNS if weights else ()))
        for path in [*files, chosen]:
            target = tmp / BUNDLE_DIR / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        shutil.copytree(PACKAGE, tmp / "mlc", ignore=_left_out)
        (tmp / "app.py").write_text(APP.format(title=title), "utf-8")
        (tmp / "requirements.txt").write_text(requirements(), "utf-8")
        (tmp / "README.md").write_text(space_readme(title, info, folder, license), "utf-8")
        (tmp / ".gitattributes").write_text("*.onnx filter=lfs diff=lfs merge=lfs -text\n"
                                            "*.safetensors filter=lfs diff=lfs merge=lfs -text\n", "utf-8")
    size = sum(p.stat().st_size for p in Path(output).rglob("*") if p.is_file())
    return {"output": str(output), "graph": chosen.name, "bytes": size, "weights": weights}


def _graph(folder: Path, graph: str) -> Path:
    """The ONNX graph to ship: auto (int8 where the export kept it, else fp32), int8 or fp32."""
    kinds = ("int8", "fp32") if graph == "auto" else (graph,)
    for kind in kinds:
        path = folder / ONNX_DIR / (INT8_FILE if kind == "int8" else FP32_FILE)
        if path.is_file():
            return path
    raise ModelError(f"{folder}: has no {' or '.join(kinds)} ONNX graph, which a Space serves (hint: python -m "
                     f"mlc.export --model {folder} --check-texts YOUR_TEXTS.csv)")


def _left_out(directory: str, names: list[str]) -> set[str]:
    here = Path(directory).relative_to(PACKAGE).as_posix()
    return {name for name in names if name == "__pycache__" or
            (f"{here}/{name}" if here != "." else name) in LEFT_OUT}


def requirements() -> str:
    """requirements.txt of a Space: what serving imports, pinned to this environment's versions."""
    lines = ["# What the Space's app.py imports (serving only: no torch, no datasets), pinned to the versions that",
             "# built and tested this folder."]
    lines += [f"{name}=={importlib.metadata.version(name)}" for name in SERVING_DISTRIBUTIONS]
    return "\n".join(lines) + "\n"


def space_readme(title: str, info: dict[str, Any], folder: Path, license: str) -> str:
    """The Space's README.md: its front matter, then a model card from the bundle's own records."""
    import gradio

    languages = sorted(info.get("language_labels", {}))
    front = ["---", f"title: {json.dumps(title, ensure_ascii=False)}", "emoji: 🏷️", "colorFrom: indigo",
             "colorTo: yellow", "sdk: gradio", f"sdk_version: {gradio.__version__}", f'python_version: "{PYTHON}"',
             "app_file: app.py", f"license: {license}",
             f"short_description: {json.dumps(_short(info, languages), ensure_ascii=False)}", "---", ""]
    card = [f"# {title}", "", "A multilingual, multi-label text classifier trained with mlc. Type a text: each "
            "label gets a probability and a threshold slider.", "",
            "## Labels", "", ", ".join(f"`{label}`" for label in info["labels"]), "",
            "## Languages", "", ", ".join(languages) or "not recorded", "",
            *_validation(folder),
            "## Intended use and limits", "",
            "Triage and tagging of short texts like the training data, with a person checking what matters. Scores "
            "are calibrated to the validation data's label frequencies; texts unlike the training data (other "
            "domains, languages not listed above) get less reliable scores, and a language without an n-gram model "
            "is scored by the encoder alone (the answer says so). Thresholds were tuned per language on validation "
            "rows; move the sliders to trade precision for recall.", "",
            "## Calling it", "",
            "```bash",
            "curl -s $SPACE_URL/api/classify -H 'content-type: application/json' \\",
            "     -d '{\"texts\": [\"My card was charged twice\"], \"language\": \"en\"}'",
            "```", "",
            "answers `{\"results\": [{\"labels\": [...], \"scores\": {...}, \"thresholds\": {...}, \"language\": ...}]}`; "
            "`gradio_client.Client(URL).predict(text, \"auto-detect\", None, api_name=\"/predict\")` works too.", ""]
    return "\n".join(front + card)


def _short(info: dict[str, Any], languages: list[str]) -> str:
    return f"{len(info['labels'])} labels in {len(languages) or 'any'} languages: scores and a slider per label"[:60]


def _validation(folder: Path) -> list[str]:
    path = folder / "evaluation" / "metrics.json"
    if not path.is_file():
        return ["## Validation", "", "The bundle has no validation report.", ""]
    metrics = json.loads(path.read_text("utf-8"))
    summary = metrics["overall"]["summary"]
    rows = ["## Validation", "", f"On {metrics['rows']} validation rows (`{metrics['split']}` split):", "",
            "| scope | rows | macro-F1 | micro-F1 |", "|---|---|---|---|",
            f"| all | {metrics['rows']} | {summary['macro_f1']:.3f} | {summary['micro_f1']:.3f} |"]
    rows += [f"| {lang} | {m['summary']['rows']} | {m['summary']['macro_f1']:.3f} | {m['summary']['micro_f1']:.3f} |"
             for lang, m in metrics.get("languages", {}).items()]
    return [*rows, "", "The whole report: `bundle/evaluation/report.md`.", ""]
