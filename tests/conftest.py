"""Shared fixtures: the real data in ../shared/data (skipped when absent) and a tiny random BERT for logic tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TINY_SENTENCES = [
    "My card was charged twice for the same order.",
    "The parcel never arrived and nobody answers.",
    "Mi pedido llegó roto y quiero un reembolso.",
    "Meine Rechnung ist falsch, bitte korrigieren.",
    "Je ne peux pas me connecter à mon compte.",
    "Мой заказ задерживается уже неделю.",
    "طلبي لم يصل بعد، أرجو المساعدة",
    "我的订单还没有到，请尽快处理。",
    "मेरा रिफंड अभी तक नहीं मिला है।",
    "Great service, thank you so much!",
]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data sets not found at {SHARED_DATA} (a fresh clone has no ../shared)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A random 2-layer BERT with a small WordPiece tokenizer trained on sentences in several scripts."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-bert")
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(TINY_SENTENCES * 3, trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials))
    from tokenizers import processors

    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=128)
    fast.save_pretrained(folder)
    config = BertConfig(vocab_size=len(fast), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    import torch

    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    return folder


def read_csv_rectangular(path: Path | str) -> list[dict]:
    """Rows of a CSV that mlc wrote, after checking that every row has as many fields as the header."""
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows and all(len(row) == len(rows[0]) for row in rows), f"{path}: ragged CSV"
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def run_module(module: str, *args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run `python -m module args...` from the repository root, as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          env=full_env, timeout=timeout)


@pytest.fixture(scope="session")
def tiny_bundle(tiny_model_dir, tmp_path_factory) -> Path:
    """A bundle of the tiny model briefly trained on examples/support_tickets.csv (8 labels, 8 languages). One n-gram
    weight for all languages (--blend global): its int8 graph then keeps the label sets of 99% of the check texts,
    which the ONNX tests need; tests/test_blend.py trains the default, a weight per language."""
    from mlc.commands.train import fit
    from mlc.training.args import TrainArgs

    folder = tmp_path_factory.mktemp("tiny-bundle") / "bundle"
    fit(TrainArgs(data=str(ROOT / "examples" / "support_tickets.csv"), model=str(tiny_model_dir),
                    output=str(folder), schedule="joint", epochs=1, max_steps=40, batch_size=16, max_length=32,
                    learning_rate=1e-3, freeze_embeddings=False, blend="global"))
    return folder
