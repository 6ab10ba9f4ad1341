"""Tests for the "Abbreviations" clause parser."""

from __future__ import annotations

import pytest

from termfit.clauses import (
    ClauseRow,
    clause_spans,
    clean_line,
    is_heading,
    parse_abbreviation_clause,
    parse_clause,
    parse_definitions,
    read_clauses,
    segment_run,
    split_row,
)

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
    lines = list(enumerate(text.splitlines()[4:], start=5))
    assert parse_clause(lines).unresolved == []  # the header row is not an unresolved row


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


# ---------------------------------------------------------------- glued rows (real cases)



@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # TS 38.321, 38.300, 24.301 and 38.213 rows whose tab the converter lost
        ("BSRBuffer Status Report", ("BSR", "Buffer Status Report")),
        ("5GC5G Core Network", ("5GC", "5G Core Network")),
        ("CSI-IMCSI Interference Measurement", ("CSI-IM", "CSI Interference Measurement")),
        ("NZP CSI-RSNon-Zero Power CSI-RS", ("NZP CSI-RS", "Non-Zero Power CSI-RS")),
        ("gNBNR NodeB", ("gNB", "NR NodeB")),
        ("SgNBSecondary gNB", ("SgNB", "Secondary gNB")),
        ("ng-eNBNext generation eNodeB", ("ng-eNB", "Next generation eNodeB")),
        ("NR-UNR-Unlicensed", ("NR-U", "NR-Unlicensed")),
        ("eKSIKey Set Identifier for E-UTRAN", ("eKSI", "Key Set Identifier for E-UTRAN")),
        ("eNode BEvolved Node B", ("eNode B", "Evolved Node B")),
        ("ePWSenhancements of Public Warning System",
         ("ePWS", "enhancements of Public Warning System")),
        ("XReXtended Reality", ("XR", "eXtended Reality")),
        ("ProSeProximity-based Services", ("ProSe", "Proximity-based Services")),
        ("kbpsKilobits per second", ("kbps", "Kilobits per second")),
        ("TTTTime to Trigger", ("TTT", "Time to Trigger")),
        ("SPSSemi-Persistent Scheduling", ("SPS", "Semi-Persistent Scheduling")),
        ("SPSemi-Persistent", ("SP", "Semi-Persistent")),
        ("I-RNTIInactive RNTI", ("I-RNTI", "Inactive RNTI")),
        ("MU-MIMOMulti User MIMO", ("MU-MIMO", "Multi User MIMO")),
        ("ROHCRObust Header Compression", ("ROHC", "RObust Header Compression")),
        ("NRNR Radio Access", ("NR", "NR Radio Access")),
        ("LOLP-WUS Occasion", ("LO", "LP-WUS Occasion")),
        ("U2NUE-to-Network", ("U2N", "UE-to-Network")),
        ("STx2PSimultaneous Transmission with 2 Panels",
         ("STx2P", "Simultaneous Transmission with 2 Panels")),
        ("EPS-UPIPUser-plane integrity protection in EPS",
         ("EPS-UPIP", "User-plane integrity protection in EPS")),
        ("S&FStore and Forward", ("S&F", "Store and Forward")),
        ("TOTransmission Occasion", ("TO", "Transmission Occasion")),
        ("PERPacket Error Rate", ("PER", "Packet Error Rate")),
        ("cellDTRX-RNTICell Discontinuous Transmission and Reception RNTI",
         ("cellDTRX-RNTI", "Cell Discontinuous Transmission and Reception RNTI")),
        ("MBS FSAI MBS Frequency Selection Area Identity",
         ("MBS FSAI", "MBS Frequency Selection Area Identity")),
        ("Gbps Gigabits per second", ("Gbps", "Gigabits per second")),
        # TS 38.101-1, 37.340, 23.501: rows of the shared glossary laid out glued
        ("MPRAllowed maximum power reduction", ("MPR", "Allowed maximum power reduction")),
        ("DCIntra-E-UTRA Dual Connectivity", ("DC", "Intra-E-UTRA Dual Connectivity")),
        ("(R)AN(Radio) Access Network", ("(R)AN", "(Radio) Access Network")),
    ],
)
def test_split_row_real_glued_rows(line, expected):
    assert split_row(line) == expected


def test_split_row_uses_rows_of_the_same_clause():
    # TRS = "CSI-RS for tracking": no letter alignment; CSI-RS is another row of the clause.
    assert split_row("TRSCSI-RS for tracking") is None
    assert split_row("TRSCSI-RS for tracking", {"CSI-RS"}) == ("TRS", "CSI-RS for tracking")


@pytest.mark.parametrize("line", ["The network shall release the connection", "ABCDEFGHIJ",
                                  "Buffer Status Report", "", "OS IdOS Identity",
                                  "TSCAITraffic Assistance Information"])
def test_split_row_gives_up_instead_of_guessing(line):
    assert split_row(line) is None


def test_unresolved_rows_are_reported_not_guessed():
    lines = [(10, "BSRBuffer Status Report"), (11, "XYZQWVRandom Words Here"),
             (12, "LPSSLow power synchronization signal MBSMulticast Broadcast Services"),
             (13, "NSSAAF Network Slice-Specific Authentication and Authorization"),
             (14, "Function")]
    parsed = parse_clause(lines)
    assert [(r.abbr, r.expansion, r.line) for r in parsed.rows] == [
        ("BSR", "Buffer Status Report", 10),
        ("LPSS", "Low power synchronization signal", 12),
        ("MBS", "Multicast Broadcast Services", 12),
        ("NSSAAF", "Network Slice-Specific Authentication and Authorization Function", 13),
    ]
    assert [(u.line, u.text) for u in parsed.unresolved] == [(11, "XYZQWVRandom Words Here")]


def test_glued_headings_and_flattened_clause():
    lines = [
        "# 3Definitions, symbols and abbreviations",
        "## 3.1Definitions",
        "Dormant BWP: The dormant BWP is one of downlink BWPs configured by the network.",
        "-it is used for power saving;",
        "NOTE 1:A note.",
        "## 3.2Abbreviations",
        "### 3.3 Abbreviations",
        "# 4General",
        "the abbreviations given in TR 21.905 [1] and the following apply.",
        "[1]. BPSK Binary Phase Shift Keying CP Cyclic Prefix FDD Frequency Division Duplex "
        "UE User Equipment 4 General description of layer 1",
    ]
    doc = read_clauses(lines)
    assert [(r.abbr, r.expansion, r.line) for r in doc.rows] == [
        ("BPSK", "Binary Phase Shift Keying", 10), ("CP", "Cyclic Prefix", 10),
        ("FDD", "Frequency Division Duplex", 10), ("UE", "User Equipment", 10)]
    assert doc.has_abbreviation_clause
    (d,) = doc.definitions
    assert d.term == "Dormant BWP" and d.line == 3
    assert d.text.endswith("configured by the network. it is used for power saving;")
    i, start, end = doc.cuts[0]
    cut = clean_line(lines[i])[start:end]
    assert cut.split()[0] == "BPSK" and cut.endswith("User Equipment")


def test_segment_run_keeps_only_runs_of_rows():
    assert segment_run("The UE sends the BSR (Buffer Status Report) to the gNB.") == []
    rows = segment_run("x. AMF Access and Mobility Management Function SMF Session Management "
                       "Function UPF User Plane Function The end")
    assert [(a, e) for a, e, _ in rows] == [
        ("AMF", "Access and Mobility Management Function"),
        ("SMF", "Session Management Function"), ("UPF", "User Plane Function")]


def test_parse_definitions():
    defs = parse_definitions([
        (1, "For the purposes of the present document, the following terms apply:"),
        (2, "Serving Cell: A PCell, a PSCell, or an SCell in TS 38.331 [5]."),
        (3, "NOTE 1:A timer is running once it is started."),
        (4, "Msg3: Message transmitted on UL-SCH containing a C-RNTI MAC CE."),
    ])
    assert [(d.term, d.text, d.line) for d in defs] == [
        ("Serving Cell", "A PCell, a PSCell, or an SCell in TS 38.331.", 2),
        ("Msg3", "Message transmitted on UL-SCH containing a C-RNTI MAC CE.", 4)]


def test_markdown_headings_without_space():
    assert is_heading("## 3.2Abbreviations") == "Abbreviations"
    assert is_heading("# 3Definitions, symbols and abbreviations") == (
        "Definitions, symbols and abbreviations")
    assert is_heading("## 4.2AHandling of NAS signalling") == "Handling of NAS signalling"
    assert is_heading("## 5.1NR-U channel access") == "NR-U channel access"
