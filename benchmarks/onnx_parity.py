"""Quality of a bundle's exported graphs: the same labelled data scored through each backend, the bundle as it ships
(n-gram blend, per-language thresholds): mean macro-F1 over languages, micro-F1, and decisions against torch fp32.
The int8 graph's gate: within 0.5 points of fp32 in mean macro-F1. Usage:
  python benchmarks/onnx_parity.py --bundle DIR --data LABELLED [--name NAME]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

BACKENDS = (("torch", "fp32"), ("torch", "auto"), ("onnx-fp32", "auto"), ("onnx-int8", "auto"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--data", required=True, help="labelled data the bundle did not train on")
    parser.add_argument("--name", help="what the bundle is, for the table")
    parser.add_argument("--made-by", help="the command that trained and exported the bundle, for the table")
    parser.add_argument("--no-results", action="store_true")
    opts = parser.parse_args()
    from common import cpu_description

    from mlc.evaluation.args import EvaluateArgs
    from mlc.evaluation.evaluator import evaluate
    from mlc.exporters.onnx import onnx_record

    found = {}
    for backend, precision in BACKENDS:
        args = EvaluateArgs(data=opts.data, model=opts.bundle, backend=backend, precision=precision, bootstrap=0)
        found[(backend, precision)] = evaluate(args)
    reference = found[("torch", "fp32")]
    rows = []
    for (backend, _), run in found.items():
        metrics = run.metrics
        agree = float((run.pred == reference.pred).mean())
        rows.append(f"| {backend} | {metrics['precision']} | {metrics['mean_language_macro_f1'] * 100:.2f} | "
                    f"{(metrics['mean_language_macro_f1'] - reference.metrics['mean_language_macro_f1']) * 100:+.2f} "
                    f"| {metrics['overall']['summary']['micro_f1'] * 100:.2f} | {agree:.2%} | "
                    f"{float(np.abs(run.probs - reference.probs).max()):.1e} |")
    gap = abs(found[("onnx-int8", "auto")].metrics["mean_language_macro_f1"]
              - reference.metrics["mean_language_macro_f1"]) * 100
    record = onnx_record(opts.bundle) or {}
    recipe = record.get("files", {}).get("model.int8.onnx", {})
    name = opts.name or Path(opts.bundle).name
    markdown = f"""### {name}

`python benchmarks/onnx_parity.py --bundle BUNDLE --data {opts.data}`{f"; the bundle: `{opts.made_by}`" if opts.made_by else ""}

Machine: {cpu_description()}. {len(reference.data.ids)} rows of {opts.data}. The int8 graph: recipe
"{recipe.get('recipe')}", decision agreement at export {recipe.get('decision_agreement')}; mean macro-F1
{gap:.2f} points from torch fp32 (gate: 0.5): **{'passed' if gap <= 0.5 else 'FAILED'}**.

| backend | precision | mean macro-F1 | against fp32 | micro-F1 | decisions as fp32 | largest score difference |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}
"""
    print(markdown)
    if not opts.no_results:
        from results import RESULTS, update_section

        sections = RESULTS.read_text("utf-8") if RESULTS.exists() else ""
        import re

        kept = re.search(r"<!-- begin onnx_parity -->\n(.*?)<!-- end onnx_parity -->", sections, re.S)
        others = re.split(r"(?=^### )", kept.group(1), flags=re.M) if kept else []
        others = [part for part in others if part.startswith("### ") and not part.startswith(f"### {name}\n")]
        update_section("onnx_parity", "## Quality through each backend (`benchmarks/onnx_parity.py`)\n\n"
                       + "".join(part.rstrip() + "\n\n" for part in others) + markdown)
    if gap > 0.5:
        sys.exit(f"the int8 graph is {gap:.2f} points from fp32 (more than 0.5)")


if __name__ == "__main__":
    main()
