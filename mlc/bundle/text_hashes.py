"""Which texts a bundle has already seen: it keeps 64-bit hashes of the texts it was trained on and of those its
thresholds were tuned on, so an evaluation on them can be flagged as optimistic instead of passing for a test."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np

HASHES_FILE = "text_hashes.npz"


def text_hashes(texts: Iterable[str]) -> np.ndarray:
    """64-bit BLAKE2b hashes of the texts (as the loader normalised them), one per text, in order."""
    digests = b"".join(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest() for text in texts)
    return np.frombuffer(digests, dtype="<u8")


def save_text_hashes(folder: Path, train: Iterable[str], tuning: Iterable[str]) -> None:
    np.savez(folder / HASHES_FILE, train=np.unique(text_hashes(train)), tuning=np.unique(text_hashes(tuning)))


def carry_tuning_hashes(first: Path, folder: Path) -> None:
    """A refit bundle's thresholds were tuned by its first run: `folder` records the texts `first` tuned on."""
    with np.load(Path(first) / HASHES_FILE, allow_pickle=False) as chosen, \
            np.load(Path(folder) / HASHES_FILE, allow_pickle=False) as own:
        train, tuning = own["train"], chosen["tuning"]
    np.savez(Path(folder) / HASHES_FILE, train=train, tuning=tuning)


def seen_in_bundle(folder: Path, texts: Iterable[str]) -> dict[str, int] | None:
    """How many of `texts` the bundle was trained on (`train`) and had its thresholds tuned on (`tuning`); None
    for a bundle written before hashes were kept."""
    return seen_hashes(folder, text_hashes(texts))


def seen_hashes(folder: Path, digests: np.ndarray) -> dict[str, int] | None:
    """`seen_in_bundle` of texts given by their `text_hashes`."""
    path = Path(folder) / HASHES_FILE
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as stored:
        groups = {name: stored[name] for name in ("train", "tuning")}
    return {name: int(np.isin(digests, known).sum()) for name, known in groups.items()}


def seen_note(seen: dict[str, int] | None, rows: int) -> str | None:
    """A report line for rows the bundle has seen, or None when it has seen none of them."""
    if not seen or not any(seen.values()):
        return None
    parts = [f"{seen['train']} of {rows} rows are texts the bundle was trained on"] if seen["train"] else []
    if seen["tuning"]:
        parts.append(f"{seen['tuning']} are texts its thresholds were tuned on")
    return "; ".join(parts) + ": scores on them are optimistic (evaluate on held-out data)"
