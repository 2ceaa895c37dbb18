"""Bundles on the Hugging Face Hub: `--model ORG/NAME` (predict, evaluate, the demo, `Classifier.load`) downloads
the repository's serving files through huggingface_hub's `snapshot_download` into its cache, so a Space can keep
its own repository small and pull its model at start. HF_HUB_OFFLINE=1 and the cache work as in transformers."""

from __future__ import annotations

import re
from pathlib import Path

from mlc.bundle.folder import BUNDLE_FILE, SERVING_PATTERNS, WEIGHT_PATTERNS
from mlc.core.errors import ModelError

REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
GRAPH_PATTERNS = ("onnx/*",)


def resolve_bundle(spec: str | Path, revision: str | None = None, weights: bool = False) -> Path:
    """A local bundle folder as it is; else `spec` as a Hub repository id, downloaded (or found in the cache) with
    the files serving needs: the ONNX graphs, tokenizer, n-grams, thresholds and report, and the PyTorch weights
    when `weights` or when the repository has no graph. Any failure is one ModelError line."""
    path = Path(spec).expanduser()
    if path.exists() or not REPO_ID.fullmatch(str(spec)):
        return path
    folder = _download(str(spec), revision, (*SERVING_PATTERNS, *GRAPH_PATTERNS, *(WEIGHT_PATTERNS if weights else ())))
    if not (folder / BUNDLE_FILE).is_file():
        raise ModelError(f"{spec}: the Hub repository holds no mlc bundle (no {BUNDLE_FILE}) (hint: upload a folder "
                         "written by python -m mlc.train, or give a local bundle folder)")
    if not weights and not list((folder / "onnx").glob("*.onnx")):
        folder = _download(str(spec), revision, (*SERVING_PATTERNS, *WEIGHT_PATTERNS))
    return folder


def _download(repo_id: str, revision: str | None, patterns: tuple[str, ...]) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    where = f"{repo_id}" + (f" at revision {revision}" if revision else "")
    try:
        return Path(snapshot_download(repo_id, revision=revision, allow_patterns=list(patterns)))
    except RevisionNotFoundError:
        raise ModelError(f"{where}: the Hub repository has no such revision (hint: a branch, tag or commit of it)"
                         ) from None
    except RepositoryNotFoundError:
        raise ModelError(f"{repo_id}: no such bundle folder here, and no such Hub repository (or a private one: "
                         "huggingface-cli login)") from None
    except LocalEntryNotFoundError:
        raise ModelError(f"{where}: no such bundle folder here, and not in the Hub cache while the Hub cannot be "
                         "reached (offline, or HF_HUB_OFFLINE=1) (hint: download it once online, or give a local "
                         "bundle folder)") from None
    except (HfHubHTTPError, OSError, ValueError) as err:
        raise ModelError(f"{where}: cannot download the bundle from the Hub ({str(err).splitlines()[0]})") from None
