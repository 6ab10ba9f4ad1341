"""Tests for the abbreviation alignment shared by mining and the acronym scorer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from termfit.acronym import acronym_score, align, looks_like_abbreviation, split_glued


@pytest.mark.parametrize(
    "token",
    ["AMF", "5GC", "C-RNTI", "eMBB", "NB-IoT", "E-UTRA", "ASN.1", "3GPP", "SUPI", "gNB",
     "ng-eNB", "V2X", "5G", "IoT"],
)
def test_abbreviations_recognised(token):
    assert looks_like_abbreviation(token)


@pytest.mark.parametrize(
    "token", ["Release", "Figure", "NOTE", "38.331", "the", "McDonald", "a", "", "x" * 20]
)
def test_ordinary_words_rejected(token):
    assert not looks_like_abbreviation(token)


@pytest.mark.parametrize(
    ("abbr", "expansion"),
    [
        ("AMF", "Access and Mobility Management Function"),
        ("5GC", "5G Core Network"),
        ("C-RNTI", "Cell RNTI"),
        ("NB-IoT", "Narrowband Internet of Things"),
        ("ASN.1", "Abstract Syntax Notation One"),
        ("3GPP", "3rd Generation Partnership Project"),
        ("5G", "5th Generation"),
        ("B2B", "Business to Business"),
        ("V2X", "Vehicle-to-Everything"),
        ("eMBB", "enhanced Mobile Broadband"),
    ],
)
def test_aligns_real_pairs(abbr, expansion):
    a = align(abbr, expansion)
    assert a is not None
    assert a.matched == sum(c.isalnum() for c in abbr)
    assert a.initials / a.matched >= 0.5
    assert 0.7 <= a.score <= 1.0


@pytest.mark.parametrize(
    ("abbr", "expansion"),
    [("RRC", "see Figure 2"), ("AMF", "Session Management Function"), ("TS", "Release 18"),
     ("SMF", "Management Function"), ("ABC", "")],
)
def test_rejects_non_matching(abbr, expansion):
    assert align(abbr, expansion) is None
    assert acronym_score(abbr, expansion) == 0.0


def test_prefers_initials_and_full_expansion():
    full = align("AMF", "Access and Mobility Management Function")
    tail = align("AMF", "and Mobility Management Function")
    assert full.initials == 3 and full.covered == 0.75
    assert tail.covered < full.covered
    assert acronym_score("CP", "Cyclic Prefix") > acronym_score("CP", "Computer Program Parts")
    assert acronym_score("ABC", "Abracadabra") < acronym_score("ABC", "Alpha Beta Charlie")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("AMFAccess and Mobility Management Function",
         ("AMF", "Access and Mobility Management Function")),
        ("5GC5G Core Network", ("5GC", "5G Core Network")),
        ("C-RNTICell RNTI", ("C-RNTI", "Cell RNTI")),
        ("SMSShort Message Service", ("SMS", "Short Message Service")),
        ("ASN.1Abstract Syntax Notation One", ("ASN.1", "Abstract Syntax Notation One")),
        ("eMBBenhanced Mobile Broadband", ("eMBB", "enhanced Mobile Broadband")),
    ],
)
def test_split_glued(line, expected):
    assert split_glued(line) == expected


def test_split_glued_gives_up_on_prose():
    assert split_glued("The network shall release the connection") is None
    assert split_glued("") is None


words = st.lists(st.from_regex(r"[A-Z][a-z]{2,8}", fullmatch=True), min_size=2, max_size=6)


@given(words)
def test_initials_always_align_perfectly(ws):
    abbr = "".join(w[0] for w in ws)
    a = align(abbr, " ".join(ws))
    assert a is not None and a.score == 1.0 and a.initials == len(ws)
    assert split_glued(abbr + " ".join(ws)) == (abbr, " ".join(ws))


@given(st.text(max_size=12), st.text(max_size=40))
def test_score_is_bounded(abbr, expansion):
    assert 0.0 <= acronym_score(abbr, expansion) <= 1.0
