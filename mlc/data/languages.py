"""The one language resolver: a text's language among a bundle's, from the code given (or its alias) or, where none
was given, from language identification (py3langid)."""

from __future__ import annotations

from collections.abc import Sequence

# The language of rows whose language is unknown (no column, no file name, nothing detected).
UNDETERMINED = "und"

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


def resolve_language(text: str, given: str | None, known: Sequence[str]) -> tuple[str, str | None]:
    """(the language of `text` among `known`, the code detected for it or None): the given code (or its alias in
    `known`); a given code that `known` lacks is kept as it is (nothing is guessed over the user's word); without
    one, the detected language, where `known` has it; else UNDETERMINED. The result is a fixed point: resolving
    it again gives it back without detecting anything."""
    if given:
        return match_language(given, list(known)) or given, None
    detected = detect_language(text)
    return match_language(detected, list(known)) or UNDETERMINED, detected


def resolve_languages(texts: Sequence[str], languages: Sequence[str | None] | None, known: Sequence[str]
                      ) -> list[str]:
    """`resolve_language` per text; `languages` None detects every one."""
    given = list(languages) if languages is not None else [None] * len(texts)
    return [resolve_language(text, lang, known)[0] for text, lang in zip(texts, given, strict=True)]
