"""Tests for the "Abbreviations" clause parser."""

from __future__ import annotations

from termfit.clauses import ClauseRow, clause_spans, is_heading, parse_abbreviation_clause

SPEC = """3GPP TS 38.399 V18.0.0 (2024-03)
Release 18
3\tDefinitions, symbols and abbreviations
3.1\tDefinitions
Master node: the node that terminates the control plane.
3.2\tSymbols
Ts\tBasic time unit
3.3\tAbbreviations
For the purposes of the present document, the abbreviations given in TR 21.905 [1] and the
following apply. An abbreviation defined in the present document takes precedence over the
definition of the same abbreviation, if any, in TR 21.905 [1].
5GC\t5G Core Network
AMF\tAccess and Mobility Management
\tFunction
eMBB\tenhanced Mobile Broadband
gNB\tNR Node B
NB-IoT  Narrowband Internet of
Things

12
3GPP TS 38.399 V18.0.0 (2024-03)
SMFSession Management Function
UPF User Plane Function
MBS FSAI MBS Frequency Selection Area Identity
CP\tCyclic Prefix [22]
4\tGeneral
The AMF (Access and Mobility Management Function) hosts NAS.
"""


def pairs(rows):
    return [(r.abbr, r.expansion) for r in rows]


def test_spec_clause_layouts():
    rows = parse_abbreviation_clause(SPEC, "spec.txt")
    assert pairs(rows) == [
        ("5GC", "5G Core Network"),
        ("AMF", "Access and Mobility Management Function"),
        ("eMBB", "enhanced Mobile Broadband"),
        ("gNB", "NR Node B"),
        ("NB-IoT", "Narrowband Internet of Things"),
        ("SMF", "Session Management Function"),
        ("UPF", "User Plane Function"),
        ("MBS FSAI", "MBS Frequency Selection Area Identity"),
        ("CP", "Cyclic Prefix"),
    ]
    assert rows[0] == ClauseRow("5GC", "5G Core Network", 12)
    assert rows[5].line == 22


def test_pandoc_markdown_clause_stops_at_next_heading():
    text = (
        "# 3.2 Abbreviations {#abbreviations}\n\n"
        "For the purposes of the present document, the abbreviations given in TR\n"
        "21.905 \\[1\\] and the following apply.\n\n"
        "AF Application Function\n\n"
        "NSSAAF Network Slice-Specific Authentication and Authorization\nFunction\n\n"
        "# 4 Architecture\n\nSMF Session Management Function\n"
    )
    assert pairs(parse_abbreviation_clause(text)) == [
        ("AF", "Application Function"),
        ("NSSAAF", "Network Slice-Specific Authentication and Authorization Function"),
    ]


def test_markdown_table_and_bare_heading():
    text = "Intro text.\n\nAcronyms\n\n| Acronym | Meaning |\n|---|---|\n| K8s | Kubernetes |\n"
    assert pairs(parse_abbreviation_clause(text)) == [("K8s", "Kubernetes")]


def test_no_heading_reads_whole_text():
    text = "AMF\tAccess and Mobility Management Function\nSMF\tSession Management Function\n"
    assert pairs(parse_abbreviation_clause(text)) == [
        ("AMF", "Access and Mobility Management Function"),
        ("SMF", "Session Management Function"),
    ]


def test_overlong_and_self_expansions_dropped():
    long = " ".join(["word"] * 20)
    text = f"3.3 Abbreviations\nXYZ\tXYZ\nABC\t{long}\nDEF\tDelta Echo Foxtrot\n"
    assert pairs(parse_abbreviation_clause(text)) == [("DEF", "Delta Echo Foxtrot")]


def test_headings():
    assert is_heading("3.3\tAbbreviations") == "Abbreviations"
    assert is_heading("## 3.2 Symbols and abbreviations {#x}") == "Symbols and abbreviations"
    assert is_heading("ABBREVIATIONS") == "ABBREVIATIONS"
    assert is_heading("4 General") == "General"
    assert is_heading("3GPP 3rd Generation Partnership Project") is None
    assert is_heading("5GC 5G Core Network") is None
    assert is_heading("The AMF (Access and Mobility Management Function) hosts NAS.") is None
    lines = SPEC.splitlines()
    assert clause_spans(lines) == [(8, 25)]
