"""mlc.data.languages: the one resolver of a text's language among a bundle's."""

from __future__ import annotations

from mlc.data.languages import UNDETERMINED, match_language, resolve_language, resolve_languages

KNOWN = ["deu", "eng", "esp", "und"]


def test_given_codes_and_their_aliases_resolve_to_the_bundles_code():
    assert resolve_language("whatever", "eng", KNOWN) == ("eng", None)
    assert resolve_language("whatever", "en", KNOWN) == ("eng", None)
    assert resolve_language("whatever", "es", KNOWN) == ("esp", None)
    assert match_language("pt", KNOWN) is None and match_language(None, KNOWN) is None


def test_a_given_code_the_bundle_lacks_is_kept_not_guessed_over():
    assert resolve_language("Das ist ein deutscher Satz über Bestellungen.", "fi", KNOWN) == ("fi", None)


def test_without_a_code_the_language_is_detected():
    language, detected = resolve_language("Das ist ein deutscher Satz über meine Bestellung.", None, KNOWN)
    assert (language, detected) == ("deu", "de")
    language, detected = resolve_language("Ceci est une phrase en français sur ma commande.", None, KNOWN)
    assert language == UNDETERMINED and detected == "fr"
    assert resolve_language("12345 !!!", None, KNOWN) == (UNDETERMINED, None)


def test_resolved_codes_are_fixed_points():
    texts = ["I want my money back", "Quiero mi dinero", "Bonjour", "1234"]
    once = resolve_languages(texts, [None, "es", "fi", None], KNOWN)
    assert once == ["eng", "esp", "fi", UNDETERMINED]
    assert resolve_languages(texts, once, KNOWN) == once
    assert resolve_languages([""] * 4, once, KNOWN) == once  # no text needed: nothing is detected again
