"""Glossary readers, validation (every problem at once) and spelling-variant merging."""

from __future__ import annotations

import csv
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from termfit.cli import main
from termfit.errors import InputError
from termfit.glossary import (
    Entry,
    default_glossary_path,
    load_glossary,
    merge_entries,
    read_glossary,
    variant_kind,
)


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def problems_of(exc: InputError) -> list[str]:
    return [str(p) for p in exc.problems]


def test_jsonl_reader(tmp_path):
    path = write_jsonl(tmp_path / "g.jsonl", [
        {"abbr": "AMF", "expansion": "Access and Mobility Management Function",
         "ko": ["접근 및 이동성 관리 기능"], "category": "technical", "sources": ["TS 23.501"]},
        {"abbr": "CP", "expansion": "Control Plane", "origin": ["abbreviations_clause"]},
        {"abbr": "CP", "expansion": "Cyclic Prefix", "category": "기술"},
    ])
    entries = load_glossary(path)
    assert [e.abbr for e in entries] == ["AMF", "CP", "CP"]
    assert entries[0].ko == ["접근 및 이동성 관리 기능"] and entries[0].category == "technical"
    assert entries[2].category == "technical"  # Korean label accepted
    assert entries[1].sources == ["g.jsonl"]
    assert len({e.id for e in entries}) == 3
    assert entries[1].id.startswith("cp-") and entries[0].id == "amf"


def test_csv_reader_with_column_mapping(tmp_path):
    path = tmp_path / "g.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Acronym", "Full name", "Korean", "Notes"])
        w.writerow(["SMF", "Session Management Function", "세션 관리 기능; 세션관리기능", "x"])
    entries = load_glossary(path, columns="Full name=expansion,Notes=-")
    assert entries[0].abbr == "SMF" and entries[0].expansion == "Session Management Function"
    assert entries[0].ko == ["세션 관리 기능", "세션관리기능"]


def test_tsv_reader(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text("abbr\texpansion\tcategory\nUPF\tUser Plane Function\ttechnical\n", "utf-8")
    assert load_glossary(path)[0].expansion == "User Plane Function"


def test_clause_text_reader(tmp_path):
    path = tmp_path / "clause.txt"
    path.write_text(
        "3.3 Abbreviations\n\n"
        "For the purposes of the present document, the abbreviations given in TR 21.905 "
        "apply.\n\n"
        "AMF\tAccess and Mobility Management Function\n"
        "SMF\tSession Management Function\n"
        "UPF\tUser Plane Function\n", "utf-8")
    entries = load_glossary(path)
    assert [(e.abbr, e.expansion) for e in entries] == [
        ("AMF", "Access and Mobility Management Function"),
        ("SMF", "Session Management Function"),
        ("UPF", "User Plane Function"),
    ]


# --- one test per validation error; all problems are reported together ----------------

def test_empty_abbreviation(tmp_path):
    path = write_jsonl(tmp_path / "g.jsonl", [{"abbr": " ", "expansion": "Something"}])
    with pytest.raises(InputError) as exc:
        load_glossary(path)
    assert problems_of(exc.value) == [f"{path}:1 [abbr]: empty abbreviation; expected a "
                                      "non-empty string"]


def test_missing_expansion(tmp_path):
    path = write_jsonl(tmp_path / "g.jsonl", [{"abbr": "AMF", "expansion": "X"},
                                              {"abbr": "SMF"}])
    with pytest.raises(InputError) as exc:
        load_glossary(path)
    assert [(p.line, p.field) for p in exc.value.problems] == [(2, "expansion")]
    assert "missing expansion" in exc.value.problems[0].message


def test_undecodable_bytes(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_bytes(b'{"abbr": "AMF", "expansion": "A"}\n{"abbr": "\xff\xfe", "expansion": "B"}\n')
    with pytest.raises(InputError) as exc:
        load_glossary(path)
    (p,) = exc.value.problems
    assert p.line == 2 and "undecodable" in p.message


def test_unknown_column(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("abbr,expansion,colour\nAMF,Access,red\n", "utf-8")
    with pytest.raises(InputError) as exc:
        load_glossary(path)
    (p,) = exc.value.problems
    assert p.field == "colour" and p.line == 1 and "--columns" in p.message
    assert load_glossary(path, columns="colour=-")[0].abbr == "AMF"


def test_unknown_jsonl_field(tmp_path):
    path = write_jsonl(tmp_path / "g.jsonl", [{"abbr": "AMF", "expansion": "A", "colour": 1}])
    with pytest.raises(InputError) as exc:
        load_glossary(path)
    assert exc.value.problems[0].field == "colour"


def test_duplicate_id(tmp_path):
    path = write_jsonl(tmp_path / "g.jsonl", [
        {"id": "x", "abbr": "AMF", "expansion": "A"},
        {"id": "x", "abbr": "SMF", "expansion": "S"},
    ])
    with pytest.raises(InputError) as exc:
        load_glossary(path)
    (p,) = exc.value.problems
    assert p.line == 2 and p.field == "id" and "duplicate id" in p.message


def test_over_long_field(tmp_path):
    path = write_jsonl(tmp_path / "g.jsonl", [{"abbr": "A" * 41, "expansion": "E"},
                                              {"abbr": "B", "expansion": "word " * 100}])
    with pytest.raises(InputError) as exc:
        load_glossary(path)
    assert [(p.line, p.field) for p in exc.value.problems] == [(1, "abbr"), (2, "expansion")]
    assert all("over-long" in p.message for p in exc.value.problems)


def test_all_problems_reported_at_once_and_cli_exit_2(tmp_path, capsys):
    path = write_jsonl(tmp_path / "g.jsonl", [
        {"abbr": "", "expansion": "A"}, {"abbr": "B"}, {"abbr": "C", "expansion": "C",
                                                         "category": "weird"},
    ])
    with pytest.raises(InputError) as exc:
        load_glossary(path)
    assert [p.line for p in exc.value.problems] == [1, 2, 3]
    out = tmp_path / "out"
    assert main(["data", "build", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:1 [abbr]" in err and f"{path}:3 [category]" in err
    assert "Traceback" not in err
    assert not out.exists()


# --- merging ---------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b", "kind"), [
    ("Control Plane", "control plane", "case"),
    ("Multi-Carrier", "Multi Carrier", "spacing/hyphens"),
    ("Authorisation", "Authorization", "British/American"),
    ("Signalling Radio Bearer", "Signaling Radio Bearer", "British/American"),
    ("Component Carrier", "Component Carriers", "plural"),
    ("Control Plane", "Cyclic Prefix", None),
])
def test_variant_kind(a, b, kind):
    assert variant_kind(a, b) == kind


def test_merge_keeps_real_senses_apart():
    entries = [
        Entry("", "CP", "Control Plane", sources=["a"]),
        Entry("", "CP", "Cyclic Prefix", sources=["b"]),
        Entry("", "CP", "control-plane", ko=["제어 평면"], sources=["c"]),
        Entry("", "DM-RS", "Demodulation Reference Signal"),
        Entry("", "DMRS", "Demodulation Reference Signals", category="technical"),
    ]
    merged, report = merge_entries(entries)
    assert [(e.abbr, e.expansion) for e in merged] == [
        ("CP", "Control Plane"), ("CP", "Cyclic Prefix"),
        ("DM-RS", "Demodulation Reference Signal")]
    assert merged[0].aliases == ["control-plane"] and merged[0].ko == ["제어 평면"]
    assert merged[0].sources == ["a", "c"]
    assert merged[2].aliases == ["DMRS", "Demodulation Reference Signals"]
    assert merged[2].category == "technical"
    assert len(report.merged) == 2 and report.senses == {"CP": ["Control Plane",
                                                                "Cyclic Prefix"]}


_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8)
_field = st.lists(_word, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.text(alphabet="ABCDEFGHXYZ0123456789-", min_size=1,
                                       max_size=6).filter(lambda s: s.strip("-")),
                               _field, st.lists(st.sampled_from(["기능", "채널 상태"]),
                                                max_size=2)),
                     min_size=1, max_size=8))
def test_readers_round_trip(tmp_path, rows):
    """The same entries read back identically from JSONL, CSV and TSV."""
    data = [{"abbr": a, "expansion": e, "ko": ko} for a, e, ko in rows]
    j = write_jsonl(tmp_path / "p.jsonl", data)
    c = tmp_path / "p.csv"
    with open(c, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["abbr", "expansion", "ko"])
        for r in data:
            w.writerow([r["abbr"], r["expansion"], ";".join(r["ko"])])
    t = tmp_path / "p.tsv"
    t.write_text("abbr\texpansion\tko\n" + "".join(
        f"{r['abbr']}\t{r['expansion']}\t{'|'.join(r['ko'])}\n" for r in data), "utf-8")
    got = [[(e.abbr, e.expansion, e.ko) for e in load_glossary(p, merge=False)]
           for p in (j, c, t)]
    assert got[0] == got[1] == got[2] == [(a, e, ko) for a, e, ko in rows]


def test_read_glossary_report_and_default_category(tmp_path):
    path = write_jsonl(tmp_path / "g.jsonl", [
        {"abbr": "AS", "expansion": "Application Server"},
        {"abbr": "AS", "expansion": "Application Servers"},
        {"abbr": "AS", "expansion": "Access Stratum"},
    ])
    entries, report = read_glossary(path, default_category="conceptual")
    assert len(entries) == 2 and all(e.category == "conceptual" for e in entries)
    assert report.merged[0]["kind"] == ["plural"]
    assert "AS" in report.senses


def test_default_glossary_path_points_into_package():
    path = default_glossary_path()
    assert path.name == "starter_glossary.jsonl" and path.parent.name == "data"
    if path.is_file():
        entries = load_glossary(path)
        assert len(entries) >= 500
        assert all(e.category for e in entries)


def test_shared_glossary_loads(shared_data):
    entries, report = read_glossary(shared_data / "telecom_glossary.jsonl")
    assert 2500 < len(entries) <= 2713
    assert len({e.id for e in entries}) == len(entries)
    assert report.merged


def test_korean_name_given_as_a_string_is_a_one_item_list(tmp_path):
    p = tmp_path / "g.jsonl"
    p.write_text(json.dumps({"abbr": "SMF", "expansion": "Session Management Function",
                             "ko": "세션 관리 기능"}, ensure_ascii=False) + "\n",
                 encoding="utf-8")
    (entry,) = load_glossary([p])
    assert entry.ko == ["세션 관리 기능"]
    # the same through the Python API: never one name per character
    e = Entry(id="smf", abbr="SMF", expansion="Session Management Function",
              ko="세션 관리 기능", aliases=" ")
    assert e.ko == ["세션 관리 기능"] and e.aliases == []
    (merged,), _ = merge_entries([e])
    assert merged.ko == ["세션 관리 기능"]


def test_specification_sources_are_told_from_lists():
    from termfit.glossary import is_specification_source

    assert is_specification_source("3GPP TS 38.300")
    assert is_specification_source("IETF RFC 8200")
    assert is_specification_source("ETSI GS NFV 003")
    assert not is_specification_source("common_info telecom terms (annex/Terms.md)")
    assert not is_specification_source("TTA ICT terminology (2017)")
