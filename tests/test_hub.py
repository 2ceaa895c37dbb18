"""mlc.bundle.hub: `--model ORG/NAME` resolves a bundle through huggingface_hub's own cache, offline, the way the
library lays a downloaded repository out (blobs, snapshots/<commit>/ links, refs/<branch>). No hub is reachable
here, so the download itself is not exercised; the cache lookup, revisions and every refusal are."""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest

from mlc.bundle.hub import resolve_bundle
from mlc.core.errors import ModelError

from .conftest import run_module

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def lay_into_cache(cache, repo_id: str, source, branch: str = "main", commit: str = COMMIT) -> None:
    """`source`'s files as huggingface_hub stores a downloaded snapshot: content-addressed blobs, a snapshot folder
    of relative links to them, and a ref naming the commit."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        blob = repo / "blobs" / hashlib.sha256(path.read_bytes()).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, blob)
        link = repo / "snapshots" / commit / path.relative_to(source)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / branch).write_text(commit)


@pytest.fixture
def offline_cache(tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return cache


def test_a_cached_hub_bundle_loads_and_scores_like_its_folder(tiny_bundle, offline_cache):
    from mlc import Classifier

    lay_into_cache(offline_cache, "acme/tickets", tiny_bundle)
    folder = resolve_bundle("acme/tickets")
    assert folder.name == COMMIT and (folder / "mlc.json").is_file()
    texts = ["My card was charged twice", "Mi pedido no llegó"]
    hub = Classifier.load("acme/tickets", backend="torch")
    assert hub.predict(texts) == Classifier.load(tiny_bundle, backend="torch").predict(texts)


def test_a_revision_picks_its_snapshot(tiny_bundle, offline_cache):
    lay_into_cache(offline_cache, "acme/tickets", tiny_bundle, branch="v2", commit="f" * 40)
    assert resolve_bundle("acme/tickets", revision="v2").name == "f" * 40


@pytest.mark.parametrize(("repo", "message"), [
    ("acme/absent", "acme/absent: no such bundle folder here, and not in the Hub cache while the Hub cannot be "
                    "reached"),
    ("acme/not-a-bundle", "acme/not-a-bundle: the Hub repository holds no mlc bundle (no mlc.json)"),
])
def test_a_missing_or_non_bundle_repository_is_one_line(tiny_bundle, offline_cache, tmp_path, repo, message):
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.json").write_text("{}")
    lay_into_cache(offline_cache, "acme/not-a-bundle", other)
    with pytest.raises(ModelError) as refused:
        resolve_bundle(repo)
    assert str(refused.value).startswith(message) and "\n" not in str(refused.value)


def test_a_local_folder_is_never_looked_up_on_the_hub(tiny_bundle, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "acme").mkdir()
    shutil.copytree(tiny_bundle, tmp_path / "acme" / "tickets")
    assert resolve_bundle("acme/tickets").resolve() == tmp_path / "acme" / "tickets"


def test_predict_takes_a_hub_id_through_the_cli(tiny_bundle, offline_cache, tmp_path):
    lay_into_cache(offline_cache, "acme/tickets", tiny_bundle)
    (tmp_path / "in.txt").write_text("My card was charged twice\n", encoding="utf-8")
    env = {"HF_HUB_CACHE": str(offline_cache), "HF_HUB_OFFLINE": "1"}
    run = run_module("mlc.predict", "--model", "acme/tickets", "--input", str(tmp_path / "in.txt"), "--output",
                     str(tmp_path / "o.jsonl"), "--progress", "false", env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    missing = run_module("mlc.predict", "--model", "acme/absent", "--input", str(tmp_path / "in.txt"), "--output",
                         str(tmp_path / "p.jsonl"), env=env)
    assert missing.returncode == 2 and "acme/absent: no such bundle folder here" in missing.stderr
