"""Tests for prose sentences and abbreviation uses."""

from __future__ import annotations

from termfit.prose import Sentence, find_uses, prose_sentences

DOC = """# 5.1General
The UE sends a BSR to the gNB when the UEs
have new data. It may also send a PHR, e.g. after a change.
| BSR | table cell that is not prose at all |
Figure 5.1-1: The BSR and the PHR in a figure caption
```
BSR ::= SEQUENCE { field INTEGER }
```
-- ASN1START
PHR-Config ::= SEQUENCE { phr-Timer ENUMERATED }
-- ASN1STOP
 = + ( ) x y z
If a UE
-would transmit a BSR on the UL-SCH, or
The MAC entity shall, for each BSR:
-trigger the BSR when data arrives;
9.The gNB informs the AMF that the setup is done.
## 2References
[1]3GPP TS 38.300: "NR and NG-RAN Overall description; Stage 2".
"""

SENSES = {"UE": "User Equipment", "BSR": "Buffer Status Report", "PHR": "Power Headroom Report",
          "AMF": "Access and Mobility Management Function", "UL": "Uplink"}


def test_prose_sentences_skip_non_prose_and_join_wrapped_lines():
    sentences = prose_sentences(DOC.splitlines())
    assert sentences == [
        Sentence("The UE sends a BSR to the gNB when the UEs have new data.", 2),
        Sentence("It may also send a PHR, e.g. after a change.", 3),
        Sentence("The MAC entity shall, for each BSR:", 15),
        Sentence("trigger the BSR when data arrives;", 16),
        Sentence("The gNB informs the AMF that the setup is done.", 17),
    ]


def test_skip_ranges_are_left_out():
    lines = ["The UE sends a BSR to the gNB.", "The UE sends a PHR to the gNB."]
    assert [s.line for s in prose_sentences(lines, [(0, 1)])] == [2]


def test_find_uses_spans_plurals_and_compounds():
    text = ("The UE and other UEs use the UL-SCH and the UL, not RRC_UL or pdcch-UL, "
            "while the UE-specific BSR is sent.")
    rows = find_uses([Sentence(text, 7)], SENSES, "doc.md")
    got = [(r.abbr, text[r.start:r.end + 1]) for r in rows]
    assert got == [("UE", "UE "), ("UE", "UEs"), ("UL", "UL,"), ("UE", "UE-"), ("BSR", "BSR ")]
    assert all(r.text[r.start:r.end] == r.abbr and r.line == 7 and r.source == "doc.md"
               for r in rows)
    assert rows[-1].expansion == "Buffer Status Report"


def test_longest_abbreviation_wins():
    senses = {"CSI": "Channel State Information", "CSI-RS": "CSI Reference Signal",
              "NZP CSI-RS": "Non-Zero Power CSI-RS"}
    rows = find_uses([Sentence("The NZP CSI-RS and the CSI-RS carry CSI.", 1)], senses, "d")
    assert [r.abbr for r in rows] == ["NZP CSI-RS", "CSI-RS", "CSI"]


def test_hard_wrapped_text_joins_every_line_of_a_paragraph():
    lines = [
        "The home network conceals the subscriber identity in the Subscription",
        "Concealed Identifier (SUCI) before it is sent over the radio interface.",
        "The Security Edge Protection Proxy (SEPP) protects the roaming interfaces",
        "with TLS, and the home network decides which method is used (e.g.",
        "5G-AKA) for the authentication of the UE.",
        "",
        "Another paragraph starts here and it ends on this very line.",
    ]
    assert [s.text[:30] for s in prose_sentences(lines)] == [
        "The home network conceals the ",
        "The Security Edge Protection P",
        "Another paragraph starts here ",
    ]
    assert prose_sentences(lines)[1].text.endswith("(e.g. 5G-AKA) for the authentication of "
                                                   "the UE.")
