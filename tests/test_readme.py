"""The manual cannot drift from the product: CI runs the README's commands, the quickstart's commands run as
written (on a tiny model instead of the embedded one), and every link between the documents resolves."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import ROOT, run_module

DOCUMENTS = [ROOT / "README.md", ROOT / "examples" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


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


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_between_the_documents_resolves(document):
    text = re.sub(r"```.*?```", "", document.read_text("utf-8"), flags=re.S)
    targets = [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+:", t)]
    missing = [t for t in targets if not (document.parent / t.split("#")[0]).exists()]
    assert not missing, f"{document.name}: links to nothing: {missing}"


def test_the_readme_links_to_every_page_of_the_manual():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert not [page.name for page in (ROOT / "docs").glob("*.md") if f"](docs/{page.name})" not in readme]


def test_the_readme_is_a_short_manual():
    lines = (ROOT / "README.md").read_text("utf-8").splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; the reference belongs in docs/"


def quickstart_commands() -> list[str]:
    """The shell commands of the README's quickstart, in order, continuation lines joined."""
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("\n## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S):
        lines = (re.sub(r"\s+#\s.*$", "", line).strip() for line in block.replace("\\\n", " ").splitlines())
        commands += [line for line in lines if line]
    return commands


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _App:
    """`python app.py ...` as the quickstart starts it, on a free port, until the JSON endpoint answers."""

    def __init__(self, command: str, folder: Path, env: dict) -> None:
        self.port, self.log = _free_port(), folder / "app.log"
        # A session of its own: stop() ends the shell and the server it started together (terminating the shell
        # alone would leave the server running after the test).
        self.process = subprocess.Popen(f"{command} --port {self.port}", shell=True, cwd=folder, env=env,
                                        stdout=self.log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        import httpx

        deadline = time.time() + 180
        while time.time() < deadline and self.process.poll() is None:
            try:
                if httpx.post(f"http://127.0.0.1:{self.port}/api/classify", json={"texts": ["hi"]},
                              timeout=30).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        self.stop()
        raise AssertionError(f"{command} did not answer:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        import signal

        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(20)


@pytest.mark.slow
def test_the_quickstart_runs_as_written(tiny_model_dir, tmp_path):
    """Each `python` and `curl` line of the quickstart, from a folder holding the repository's examples/ and
    app.py; mlc.train gets the tiny model (and a short run) where the embedded one would take minutes."""
    for name in ("examples", "app.py"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRADIO_ANALYTICS_ENABLED": "False"}
    commands = quickstart_commands()
    assert [c.split()[:3] for c in commands if c.startswith("python -m")] == [
        ["python", "-m", f"mlc.{verb}"] for verb in ("data", "train", "evaluate", "predict", "export", "space")]
    app, ran = None, []
    try:
        for command in commands:
            if command.startswith("python app.py"):
                app = _App(command, tmp_path, env)
            elif command.startswith(("python", "curl")):
                if command.startswith("python -m mlc.train"):
                    command += f" --model {tiny_model_dir} --epochs 1 --max-length 32"
                if command.startswith("curl"):
                    assert app is not None, "the quickstart calls the endpoint before starting the app"
                    command = command.replace("localhost:7860", f"127.0.0.1:{app.port}")
                done = subprocess.run(command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True,
                                      timeout=600)
                assert done.returncode == 0, f"{command}\n{done.stderr[-3000:]}"
                assert done.stdout.strip() or done.stderr.strip(), f"{command} printed nothing"
                ran.append((command, done.stdout))
    finally:
        if app is not None:
            app.stop()
    assert app is not None and any(c.startswith("curl") and '"results"' in out for c, out in ran)
    assert (tmp_path / "predictions.csv").is_file() and (tmp_path / "my-space" / "app.py").is_file()
