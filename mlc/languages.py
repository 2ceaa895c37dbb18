"""Language identification for single texts (the demo), and matching a detected code to a bundle's languages."""

from __future__ import annotations

from collections.abc import Sequence

# ISO 639-1 codes (as py3langid returns them) to the other spellings data sets use: ISO 639-3 and BRIGHTER's own
# file names (esp, chn, ptbr, ...).
ALIASES: dict[str, tuple[str, ...]] = {
    "af": ("afr",), "am": ("amh",), "ar": ("ara", "arq", "ary"), "de": ("deu", "ger"), "en": ("eng",),
    "es": ("spa", "esp"), "fr": ("fra", "fre"), "ha": ("hau",), "hi": ("hin",), "id": ("ind",), "ig": ("ibo",),
    "jv": ("jav",), "mr": ("mar",), "om": ("orm",), "pt": ("por", "ptbr", "ptmz"), "ro": ("ron", "rum"),
    "ru": ("rus",), "rw": ("kin",), "so": ("som",), "su": ("sun",), "sv": ("swe",), "sw": ("swa",), "ti": ("tir",),
    "tt": ("tat",), "uk": ("ukr",), "xh": ("xho",), "yo": ("yor",), "zh": ("zho", "chn"), "zu": ("zul",),
    "it": ("ita",), "nl": ("nld",), "ja": ("jpn",), "ko": ("kor",), "tr": ("tur",), "pl": ("pol",), "fi": ("fin",),
}


def detect_language(text: str) -> str | None:
    """An ISO 639-1 code for `text`, or None for text without letters."""
    if not any(ch.isalpha() for ch in text):
        return None
    import py3langid

    return py3langid.classify(text)[0]


def match_language(code: str | None, languages: list[str]) -> str | None:
    """The bundle language that `code` names (directly or through an alias), or None."""
    if not code:
        return None
    if code in languages:
        return code
    for alias in ALIASES.get(code, ()):
        if alias in languages:
            return alias
    return None


def resolve_languages(texts: Sequence[str], languages: Sequence[str | None] | None, known: list[str],
                      fallback: str | None = None) -> list[str | None]:
    """Per text, the language among `known` that it is in: the given one (or its alias), else, where none was
    given, the detected one; else `fallback`."""
    given = list(languages) if languages is not None else [None] * len(texts)
    out = []
    for text, lang in zip(texts, given):
        chosen = match_language(lang, known) or (None if lang else match_language(detect_language(text), known))
        out.append(chosen or fallback)
    return out
