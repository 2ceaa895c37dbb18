"""The README's commands are the ones CI runs, and its examples work."""

from __future__ import annotations

from .conftest import ROOT, run_module


def test_ci_runs_the_readme_commands():
    readme = (ROOT / "README.md").read_text("utf-8").splitlines()
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt && python app.py" \
        in readme
    assert ". .venv/bin/activate && pip install -r requirements-dev.txt && python -m pytest" in readme
    assert "grep -m1 '^python3 -m venv .venv' README.md" in ci
    assert "eval \"$test_cmd\"" in ci


def test_example_data_set_loads_with_8_languages_and_8_labels():
    result = run_module("mlc.data", "--data", "examples/support_tickets.csv", "--json")
    assert result.returncode == 0, result.stderr
    import csv
    import json

    summary = json.loads(result.stdout)
    with open(ROOT / "examples" / "support_tickets.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(summary["languages"]) == sorted({row["language"] for row in rows})
    assert sorted(summary["labels"]) == sorted({label for row in rows for label in row["labels"].split("|") if label})
    assert sum(s["rows"] for s in summary["splits"].values()) == len(rows) == 1042
