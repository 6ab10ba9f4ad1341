"""Tests for generated Korean term names (termfit.ko_names)."""

from __future__ import annotations

import re

import pytest

from termfit.glossary import Entry
from termfit.ko_names import compose_names, korean_name, lexicon, parse_lexicon, unknown_words


@pytest.mark.parametrize(("expansion", "expected"), [
    ("Session Management Function", "세션 관리 기능"),
    ("Access and Mobility Management Function", "접속 및 이동성 관리 기능"),
    ("User Plane Function", "사용자 평면 기능"),
    ("Data Radio Bearer", "데이터 무선 베어러"),
    ("Physical Uplink Shared Channel", "물리 상향링크 공유 채널"),
    ("Radio Access Network", "무선 접속망"),
    ("Quality of Service", "서비스 품질"),           # X of Y → Y X
    ("Software as a Service", "서비스형 소프트웨어"),   # X as a Y → Y형 X
    ("Average Revenue Per User", "사용자당 평균 매출"),  # X per Y → Y당 X
    ("Signal-to-Noise Ratio", "신호 대 잡음비"),        # hyphenated "to", glued 비
    ("Inter-Symbol Interference", "심볼 간 간섭"),     # inter → after the next word
    ("Non-Terrestrial Network", "비지상 네트워크"),      # non → glued to the next word
    ("Block Error Rate", "블록 오류율"),
    ("Transmission Rate", "전송률"),                 # 률 after a final consonant
    ("PDU Session Anchor", "PDU 세션 앵커"),           # abbreviations stay as written
    ("5th Generation System", "5세대 시스템"),          # ordinals
    ("Encrypted Data", "암호화된 데이터"),              # -ed falls back to the base word
    ("Updating Procedure", "갱신 절차"),               # -ing too
    ("Frequency Range 1 as defined in TS 38.104", "TS 38.104에 정의된 주파수 범위 1"),
])
def test_known_names(expansion, expected):
    assert korean_name(expansion) == expected


def test_unknown_words_give_no_name():
    assert korean_name("Xyzzy Management Function") is None
    assert korean_name("Session Quuxification") is None


def test_no_name_without_korean_words():
    assert korean_name("") is None
    assert korean_name("   ") is None
    assert korean_name("NR-U") is None


def test_camel_case_words_are_not_taken_for_abbreviations():
    assert korean_name("Service-Based Architecture") == "서비스 기반 아키텍처"
    assert korean_name("Zorbulation-Based Architecture") is None


def test_bracketed_parts():
    assert korean_name("(Radio) Access Network") == "무선 접속망"
    assert korean_name("Cell-ID (positioning method)") == "셀 ID"


def test_compose_names_skips_curated_and_unknown():
    entries = [
        Entry(id="smf", abbr="SMF", expansion="Session Management Function"),
        Entry(id="amf", abbr="AMF", expansion="Access and Mobility Management Function",
              ko=["접속과 이동성 관리 기능"]),
        {"id": "upf", "abbr": "UPF", "expansion": "User Plane Function"},
        {"id": "zzz", "abbr": "ZZZ", "expansion": "Zorbulation Function"},
    ]
    assert compose_names(entries) == {"smf": "세션 관리 기능", "upf": "사용자 평면 기능"}


def test_lexicon_file_is_well_formed():
    lex = lexicon()
    assert len(lex) >= 1500
    assert sum(" " in k for k in lex) >= 300  # multi-word units
    for english, korean in lex.items():
        assert english == english.lower() and english == " ".join(english.split())
        assert re.search(r"[가-힣]", korean) or korean in {"-"} or re.fullmatch(
            r"[A-Za-z0-9 .\-/]+\+?", korean), (english, korean)


def test_lexicon_loanword_marker_uses_the_reading_lexicon():
    assert parse_lexicon("session\t@\n") == {"session": "세션"}


@pytest.mark.parametrize("text", ["session\n", "session\t\n", "a\tb\tc\n", "x\t1\nx\t2\n",
                                  "zzqx\t@\n"])
def test_lexicon_errors_name_the_line(text):
    with pytest.raises(ValueError, match=r"line \d"):
        parse_lexicon(text, "lex.tsv")


def test_comma_lists_join_the_last_item_with_its_conjunction():
    assert korean_name("Authentication, Authorization, and Accounting") == "인증, 인가 및 과금"
    assert korean_name("evolved Node B, E-UTRAN Node B") == "진화된 노드 B, E-UTRAN 노드 B"


def test_a_unit_spanning_commas_is_one_name():
    assert korean_name("First In, First Out") == "선입선출"


def test_unknown_words_lists_what_the_lexicon_lacks():
    assert unknown_words("Xyzzy Session Quuxing Function") == ["xyzzy", "quuxing"]
    assert unknown_words("Session Management Function") == []


def test_connected_to_and_capitalised_function_words():
    assert korean_name("E-UTRA connected to 5GC") == "5GC에 연결된 E-UTRA"
    assert korean_name("Network slice AS group") == "네트워크 슬라이스 AS 그룹"
