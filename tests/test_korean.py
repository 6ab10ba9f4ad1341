"""Korean particle choice after Hangul, abbreviations, numbers and English words."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from termfit.korean import WORD_ACRONYMS, attach, final_sound, hangul_final, josa

VOWEL_LETTERS = "ABCDEFGHIJKOPQSTUVWXYZ"


@pytest.mark.parametrize(
    ("term", "particle", "expected"),
    [
        ("ATM", "은", "ATM은"), ("AMF", "은", "AMF는"), ("URL", "으로", "URL로"),
        ("AAL2", "는", "AAL2는"), ("5G", "을", "5G를"), ("SMF", "이", "SMF가"),
        ("RAN", "과", "RAN과"), ("MAC", "이", "MAC이"), ("LTE", "으로", "LTE로"),
        ("5GC", "를", "5GC를"), ("802.11", "은", "802.11은"),
        ("Release 10", "으로", "Release 10으로"),
        ("Function", "은", "Function은"), ("Network", "은", "Network는"),
        ("Identifier", "은", "Identifier는"), ("Control Plane", "으로", "Control Plane으로"),
        ("Mobility Management Function", "를", "Mobility Management Function을"),
        ("접근 및 이동성 관리 기능", "는", "접근 및 이동성 관리 기능은"),
        ("기능(AMF)", "가", "기능(AMF)이"), ("채널", "으로", "채널로"),
        ("NB-IoT", "을", "NB-IoT를"), ("eMBB", "은", "eMBB는"), ("Wi-Fi", "이", "Wi-Fi가"),
        ("IEEE 802.11ax", "과", "IEEE 802.11ax와"),
    ],
)
def test_known_particles(term, particle, expected):
    assert attach(term, particle) == expected


def test_uncertain_reading_uses_fallback():
    assert josa("Packet loss ratio b", "은") is None
    assert attach("bob", "은", fallback="의") == "bob의"
    with pytest.raises(ValueError):
        josa("AMF", "께서")


@given(st.text(alphabet=VOWEL_LETTERS, min_size=1, max_size=6),
       st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", max_size=4))
def test_abbreviation_read_letter_by_letter(last_free, head):
    # only the last letter decides: L/R → ㄹ, M/N → consonant, others end in a vowel
    term = head + last_free
    assume(term not in WORD_ACRONYMS)  # spoken as words (CODEC → 코덱)
    assert final_sound(term) == "vowel"
    assert josa(term, "은") == "는" and josa(term, "으로") == "로"


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=5),
       st.sampled_from("LMNR"))
def test_consonant_letters(head, last):
    term = head + last
    assume(term not in WORD_ACRONYMS)
    assert josa(term, "이") == "이"
    assert josa(term, "으로") == ("로" if last in "LR" else "으로")


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=4),
       st.integers(min_value=1, max_value=10**9))
def test_digits_read_as_sino_korean(head, number):
    term = f"{head}{number}"
    digits = str(number)
    stripped = digits.rstrip("0")
    if len(stripped) < len(digits):
        expected = "consonant"  # 십 백 천 만 억
    else:
        expected = {"1": "rieul", "7": "rieul", "8": "rieul", "3": "consonant",
                    "6": "consonant"}.get(digits[-1], "vowel")
    assert final_sound(term) == expected


@given(st.integers(min_value=0xAC00, max_value=0xD7A3), st.sampled_from(
    ["은", "는", "이", "가", "을", "를", "과", "와", "으로", "로", "이라", "라"]))
def test_hangul_particles_follow_batchim(code, particle):
    syllable = chr(code)
    jong = (code - 0xAC00) % 28
    form = josa("용어" + syllable, particle)
    assert form is not None
    if particle in ("으로", "로"):
        assert form == ("으로" if jong not in (0, 8) else "로")
    else:
        consonant_form = form in ("은", "이", "을", "과", "이라")
        assert consonant_form == (jong != 0)
    assert hangul_final(syllable) in ("vowel", "rieul", "consonant")


@given(st.text(min_size=0, max_size=20))
def test_never_crashes(text):
    assert josa(text, "은") in (None, "은", "는")
