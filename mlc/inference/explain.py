"""Why a label was given: occlusion. Each word of a text is left out in turn, every variant is scored in one batch
with the bundle's own scores (encoder and n-grams blended, as predictions are), and a word's effect on a label is
the text's score minus the score without that word: positive where the word raised the label, negative where it
lowered it.

Words follow Unicode: runs of letters, marks and digits (an inner apostrophe kept, as in "don't"); in scripts written
without spaces (Han, kana, Thai, Lao, Khmer, Myanmar, Tibetan) each character (with its combining marks) is a word,
and so is each emoji."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import regex

_UNSPACED = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}"
_LETTERS = rf"(?:(?![{_UNSPACED}])[\p{{L}}\p{{M}}\p{{N}}])+"
_WORD = regex.compile(rf"(?=[{_UNSPACED}\p{{Extended_Pictographic}}])\X|{_LETTERS}(?:['’]{_LETTERS})*")


class Span(NamedTuple):
    """A word of the text: its characters and where they are (text[start:end] == text)."""

    text: str
    start: int
    end: int


def words(text: str) -> list[Span]:
    """The words of `text`, in order (see the module's docstring)."""
    return [Span(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def without(text: str, *spans: Span) -> str:
    """`text` with the words `spans` left out."""
    for span in sorted(spans, key=lambda s: s.start, reverse=True):
        text = text[: span.start] + text[span.end :]
    return text


@dataclass(frozen=True)
class Occlusion:
    """One text's explanation: its words, its scores [labels], and each word's effect [words, labels] (the score
    with the word minus the score without it)."""

    spans: list[Span]
    scores: np.ndarray
    effects: np.ndarray

    def effects_of(self, label: int) -> list[tuple[Span, float]]:
        """(word, effect) for one label, in the text's order."""
        return [(span, float(e)) for span, e in zip(self.spans, self.effects[:, label], strict=True)]

    def strongest(self, label: int, k: int) -> list[tuple[Span, float]]:
        """The `k` words that raised the label's score most (only words that raised it), strongest first."""
        order = np.argsort(-self.effects[:, label], kind="stable")[:k]
        return [(self.spans[i], float(self.effects[i, label])) for i in order if self.effects[i, label] > 0]


def occlude(texts: Sequence[str], score: Callable[[list[str], list[int]], np.ndarray],
            spans: Sequence[list[Span]] | None = None) -> list[Occlusion]:
    """The occlusion of each text. `score(variants, owners)` scores every variant of every text at once (`owners[i]`:
    the position in `texts` of variant i, for its language): each text itself, then the text without each word.
    `spans`: each text's words, when the caller has them already."""
    spans = [words(text) for text in texts] if spans is None else spans
    variants, owners = [], []
    for i, (text, found) in enumerate(zip(texts, spans, strict=True)):
        variants += [text, *(without(text, span) for span in found)]
        owners += [i] * (len(found) + 1)
    probs = np.asarray(score(variants, owners), dtype=np.float32) if variants else np.zeros((0, 0))
    out, at = [], 0
    for found in spans:
        whole, rest = probs[at], probs[at + 1 : at + 1 + len(found)]
        out.append(Occlusion(found, whole, (whole[None, :] - rest).reshape(len(found), -1)))
        at += len(found) + 1
    return out
