from __future__ import annotations

from dataclasses import dataclass

from termfit.ko_query import (
    asked_abbreviations,
    asks_about_abbreviation,
    has_hangul,
    korean_terms,
    translate,
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def test_terms_match_from_word_starts_and_leave_particles():
    assert korean_terms("이동성을 관리하는 기능이 뭐야?") == ["이동성", "관리", "기능"]
    # a term inside a word that does not start with one is not read ("무엇인가요" ≠ 인가)
    assert korean_terms("무엇인가요?") == []


def test_translate_reads_loanwords_and_translations():
    words = translate("폴리시 컨트롤 펑션의 약어는 무엇인가요?").split()
    assert {"policy", "control", "function"} <= set(words)
    assert "mobility" in translate("이동성 관리").split()
    assert translate("AMF가 뭐야?") == ""
    assert has_hangul("AMF가") and not has_hangul("AMF")


def test_asked_abbreviation_is_the_one_before_the_question_word():
    q = "SMF가 PCF한테 정책 받아온다는데 PCF 뭐야?"
    spans = [Span(0, 3), Span(5, 8), Span(21, 24)]
    assert q[21:24] == "PCF"
    assert asked_abbreviations(q, spans) == [False, False, True]
    q2 = "CU-CP랑 CU-UP 분리할 때 CP는 뭐의 약자야?"
    at = q2.index("CP는")
    assert asked_abbreviations(q2, [Span(0, 5), Span(at, at + 2)]) == [False, True]
    q4 = "이 맥락에서 AUL-DFI는 어떤 의미로 쓰였나요?"
    at = q4.index("AUL")
    assert asked_abbreviations(q4, [Span(at, at + 7)]) == [True]
    # no question word right after any: all count
    q3 = "CP 길이가 긴 경우 PUSCH 성능은?"
    assert asked_abbreviations(q3, [Span(0, 2), Span(12, 17)]) == [True, True]


def test_asks_about_abbreviation_without_spans():
    assert asks_about_abbreviation("이 맥락에서 AUL-DFI는 어떤 의미로 쓰였나요?")
    assert not asks_about_abbreviation("PDU 세션 만들고 UPF 골라서 IP 할당하는 기능이 뭐야?")
    assert not asks_about_abbreviation("세션 관리 기능 약자가 뭐야?")
