"""A data file's bytes as text: gunzipped when it ends in .gz, decoded in blocks (memory does not grow with the
file), split into lines by one rule for the whole file; a damaged gzip stream, a byte that does not decode or a NUL
character is a DataError naming the file and line."""

from __future__ import annotations

import codecs
import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path

from mlc.core.errors import DataError, DecodeError, FileAccessError, MissingFileError

COMPRESSED = ".gz"  # gzip: data.csv.gz, data.tsv.gz, data.jsonl.gz, data.json.gz


def _open_binary(path: Path):
    """The file opened for reading bytes (gunzipped as it is read when it ends in .gz); a missing or unreadable
    file is a DataError."""
    if not path.exists():
        raise MissingFileError("no such file", path=str(path), hint="check the path")
    if path.is_dir():
        raise DataError("is a folder, not a file", path=str(path), hint="name a data file inside it")
    try:
        handle = path.open("rb")
    except OSError as err:
        raise FileAccessError(err, "cannot read") from None
    return gzip.GzipFile(fileobj=handle, mode="rb") if path.name.lower().endswith(COMPRESSED) else handle


def _gzip_error(path: Path, err: Exception) -> DataError:
    return DataError(f"not a complete gzip file ({err})", path=str(path),
                     hint="check the file, or drop the .gz from its name if it is not compressed")


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it ends in .gz; a missing, unreadable or damaged file is a DataError."""
    with _open_binary(path) as handle:
        try:
            return handle.read()
        except (OSError, EOFError, zlib.error) as err:
            raise _gzip_error(path, err) from None


def _codec(path: Path, encoding: str) -> str:
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        codecs.lookup(codec)
    except LookupError as err:
        raise DecodeError(f"unknown encoding {encoding!r}", path=str(path), hint="use e.g. utf-8, latin-1, cp1252") from err
    return codec


def _decode_error(path: Path, encoding: str, data: bytes, err: UnicodeDecodeError, line: int) -> DecodeError:
    """`err` in `data`, the bytes of line `line` onwards."""
    line += data[: err.start].count(b"\n")
    col = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
    return DecodeError(
        f"byte 0x{data[err.start]:02x} at character {col} does not decode as {encoding} ({err.reason})",
        path=str(path), line=line,
        hint="convert the file to UTF-8, or pass the file's encoding (encoding=latin-1, --encoding cp1252)",
    )


def _nul_error(path: Path, line: int) -> DecodeError:
    return DecodeError("holds NUL characters", path=str(path), line=line,
                       hint="a text file has none: the file may be UTF-16 (--encoding utf-16) or binary")


BLOCK = 1 << 20  # bytes decoded at a time


def text_blocks(path: Path, encoding: str) -> Iterator[str]:
    """The decoded text of a file (optionally .gz) in blocks of about a megabyte, so that memory does not grow
    with the file. A byte that does not decode, or a NUL character, is a DecodeError naming its line."""
    decoder = codecs.getincrementaldecoder(_codec(path, encoding))(errors="strict")
    line = 1
    with _open_binary(path) as handle:
        while True:
            try:
                data = handle.read(BLOCK)
            except (OSError, EOFError, zlib.error) as err:
                raise _gzip_error(path, err) from None
            try:
                text = decoder.decode(data, final=not data)
            except UnicodeDecodeError as err:
                raise _decode_error(path, encoding, data, err, line) from None
            nul = text.find("\x00")
            if nul >= 0:
                raise _nul_error(path, line + text.count("\n", 0, nul))
            line += text.count("\n")
            if text:
                yield text
            if not data:
                return


def text_lines(path: Path, encoding: str) -> Iterator[str]:
    """The lines of a text file, each with its line end. A line ends at \\n (or \\r\\n); a lone \\r inside a line is
    text, wherever it falls, except in a file with no \\n at all (old Mac line ends), whose lines end at \\r. The
    rule is the whole file's: text is held back until its first \\n (or its end) shows which it is."""
    rest, newline = "", False
    for block in text_blocks(path, encoding):
        rest += block
        newline = newline or "\n" in block
        if not newline:
            continue
        lines = rest.split("\n")
        rest = lines.pop()
        for line in lines:
            yield line + "\n"
    separator = "\n" if newline else "\r"
    lines = rest.split(separator)
    rest = lines.pop()
    for line in lines:
        yield line + separator
    if rest:
        yield rest


def split_lines(text: str) -> list[str]:
    """Lines ended by \\n or \\r\\n only: str.splitlines also splits at U+2028, form feeds and other characters
    that are text inside a JSON string or a sentence."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def strip_line_end(line: str) -> str:
    return line[:-2] if line.endswith("\r\n") else line[:-1] if line.endswith(("\n", "\r")) else line


def iter_lines(path: str | Path, encoding: str = "utf-8") -> Iterator[str]:
    """A plain-text file (optionally .gz), one text per line, read as it goes."""
    return (strip_line_end(line) for line in text_lines(Path(path), encoding))


def read_lines(path: str | Path, encoding: str = "utf-8") -> list[str]:
    """A plain-text file (optionally .gz), one text per line."""
    return list(iter_lines(path, encoding))
