"""mlc is a package: the built wheel holds every module (mlc.data included) and the `mlc` command, and they work
from any folder, outside the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from .conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("source")  # a copy, so that the build leaves nothing in the checkout
    shutil.copytree(ROOT / "mlc", source / "mlc", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                            str(folder), str(source)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-3000:]
    (path,) = folder.glob("mlc-*.whl")
    return path


def test_the_wheel_holds_every_module_and_the_command(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "mlc").rglob("*.py")}
    assert modules <= names, f"missing from the wheel: {sorted(modules - names)}"
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "mlc = mlc.__main__:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    assert not any(n.startswith(("tests/", "benchmarks/", "examples/")) for n in names)


def test_the_installed_package_runs_outside_the_repository(wheel, tmp_path):
    target = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                              str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    imported = subprocess.run([sys.executable, "-c", "import mlc, mlc.data; print(mlc.data.__file__)"],
                              cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0 and imported.stdout.startswith(str(target)), imported.stderr[-2000:]
    (elsewhere / "d.csv").write_text("text,a\nx,1\ny,0\n")
    for command in ([str(target / "bin" / "mlc"), "--help"], [str(target / "bin" / "mlc"), "data", "--data",
                                                                "d.csv", "--validation-size", "0", "--json"]):
        run = subprocess.run(command, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]
    assert '"labels": [\n    "a"\n  ]' in run.stdout
    unknown = subprocess.run([str(target / "bin" / "mlc"), "fly"], cwd=elsewhere, env=env, capture_output=True,
                             text=True, timeout=120)
    assert unknown.returncode == 2 and "unknown verb 'fly'" in unknown.stderr
