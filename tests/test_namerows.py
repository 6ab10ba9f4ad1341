"""Korean-name and description rows (termfit.namerows)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from termfit import namerows
from termfit.dataset import BuildConfig, build_dataset
from termfit.errors import InputError
from termfit.evalguard import normalize_query
from termfit.glossary import Entry, default_glossary_path, read_glossary
from termfit.namerows import (
    WRAPPERS,
    NameSettings,
    add_name_data,
    clean_definition,
    mined_definitions,
    render,
    split_wrappers,
)
from termfit.passages import corpus_rows
from termfit.prompts import PASSAGE_PROMPT, QUERY_PROMPT

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
QUESTIONS = Path(namerows.__file__).parent / "data" / "eval" / "korean_questions.jsonl"

ENTRIES = [
    Entry("smf", "SMF", "Session Management Function"),
    Entry("amf", "AMF", "Access and Mobility Management Function", ko=["접속 및 이동성 관리 기능"]),
    Entry("upf", "UPF", "User Plane Function", definition="A function that forwards user data "
          "packets between the radio network and data networks."),
    Entry("cp-1", "CP", "Cyclic Prefix"),
    Entry("cp-2", "CP", "Control Plane"),
]


def _data(entries, held=()):
    corpus = corpus_rows(entries)
    return {
        "train": [], "corpus": corpus, "heldout-terms": [], "heldout-phrasings": [],
        "dev": [],
        "entries": [e.to_dict() | {"split": "heldout-terms" if e.id in held else "train"}
                    for e in entries],
    }


def _build(entries, held=(), **kw):
    data = _data(entries, held)
    card = add_name_data(data, entries, NameSettings(**kw), seed=1)
    return data, card


def test_generated_names_are_marked_and_kept_apart_from_curated():
    data, card = _build(ENTRIES)
    rows = {r["id"]: r for r in data["entries"]}
    assert rows["smf"]["ko"] == [] and rows["smf"]["ko_generated_name"] == "세션 관리 기능"
    smf = [r for r in data["train"] if r["entry_id"] == "smf"]
    assert smf and all(r["ko_generated"] is True for r in smf)
    assert {r["source"] for r in smf} <= {"ko_generated_name", "ko_loanword_name"}
    assert any("세션 관리 기능" in r["anchor"] for r in smf)
    assert card["generated_names"] >= 1


def test_loanword_readings_are_generated_names():
    assert namerows.loanword_name("User Plane Function") == "유저 플레인 펑션"
    assert namerows.loanword_name("Triple-DES") == "트리플 DES"
    assert namerows.loanword_name("Access and Mobility Management Function") is None  # long
    assert namerows.loanword_name("DES") is None  # nothing read
    entries = [Entry("upf", "UPF", "User Plane Function", ko=["사용자 평면 기능"])]
    data, card = _build(entries, name_rows_per_entry=20)
    row = data["entries"][0]
    assert row["ko"] == ["사용자 평면 기능"] and row["ko_loanword_name"] == "유저 플레인 펑션"
    loan = [r for r in data["train"] if r["source"] == "ko_loanword_name"]
    curated = [r for r in data["train"] if r["source"] == "ko_name"]
    assert loan and all(r["ko_generated"] is True and "유저 플레인 펑션" in r["anchor"]
                        for r in loan)
    assert curated and all(r["ko_generated"] is False for r in curated)
    assert len(loan) < len(curated)
    assert card["loanword_names"] == 1


def test_curated_name_is_used_and_never_overwritten():
    data, _ = _build(ENTRIES)
    amf_entry = next(r for r in data["entries"] if r["id"] == "amf")
    assert amf_entry["ko"] == ["접속 및 이동성 관리 기능"]
    assert "ko_generated_name" not in amf_entry
    amf = [r for r in data["train"] if r["entry_id"] == "amf" and r["template"].startswith("kn-")
           and r["source"] != "ko_loanword_name"]
    assert amf and all(r["ko_generated"] is False and r["source"] == "ko_name" for r in amf)
    assert all("접속 및 이동성 관리 기능" in r["anchor"] for r in amf)


def test_generated_names_can_be_switched_off():
    data, card = _build(ENTRIES, generated_names=False)
    assert card["generated_names"] == 0
    assert not any(r.get("ko_generated") for r in data["train"])
    assert not any("ko_generated_name" in r or "ko_loanword_name" in r
                   for r in data["entries"])


def test_rows_point_at_real_corpus_passages():
    data, _ = _build(ENTRIES)
    texts = {r["text"] for r in data["corpus"]}
    ids = {r["id"] for r in data["corpus"]}
    assert data["train"]
    for r in data["train"]:
        assert r["anchor"].startswith(QUERY_PROMPT)
        for key in ("positive", "negative_echo", "negative"):
            if key in r:
                assert r[key].startswith(PASSAGE_PROMPT)
                assert r[key][len(PASSAGE_PROMPT):] in texts
        assert r["positive"] != r["negative_echo"]
    for split in ("heldout-terms", "heldout-phrasings"):
        for q in data[split]:
            assert q["relevant"] and set(q["relevant"]) <= ids


def test_name_and_description_rows_answer_the_right_kind():
    data, _ = _build(ENTRIES)
    for r in data["train"]:
        entry = next(e for e in ENTRIES if e.id == r["entry_id"])
        want = entry.expansion if r["direction"] == "name2exp" else entry.abbr
        assert r["positive"] == PASSAGE_PROMPT + want
        assert not re.search(rf"(?<![A-Za-z]){entry.abbr}(?![A-Za-z])",
                             r["anchor"][len(QUERY_PROMPT):], re.I)
    desc = [r for r in data["train"] if r["template"].startswith("desc-")]
    assert desc and {r["entry_id"] for r in desc} == {"upf"}
    assert all("forwards user data packets" in r["anchor"] for r in desc)
    # a name picks one sense of CP: the other sense's English name is a hard negative
    cp = [r for r in data["train"] if r["entry_id"] == "cp-1" and r["direction"] == "name2exp"]
    assert all(r["negative"] == PASSAGE_PROMPT + "Control Plane" for r in cp)


def test_wrappers_are_held_out_of_training():
    train_w, held_w = split_wrappers(0.2, seed=1)
    held = {w.id for w in held_w}
    assert held and not held & {w.id for w in train_w}
    for prefix in ("kn-a-", "kn-e-", "desc-"):
        assert any(w.startswith(prefix) for w in held)
    data, card = _build(ENTRIES, heldout_template_fraction=0.2)
    assert not {r["template"] for r in data["train"]} & held
    phrasings = data["heldout-phrasings"]
    assert phrasings and {q["template"] for q in phrasings} <= held
    assert set(card["wrappers"]["heldout"]) == held


def test_heldout_terms_are_never_trained_on():
    data, _ = _build(ENTRIES, held={"smf"})
    assert not any(r["entry_id"] == "smf" for r in data["train"])
    assert any(q["entry_id"] == "smf" for q in data["heldout-terms"])


def test_definitions_are_cleaned_and_do_not_leak():
    assert clean_definition("The maximum bit rate of a UE. Definition derived from TS 23.401.") \
        == "The maximum bit rate of a UE."
    assert clean_definition("too short") is None
    w = next(w for w in WRAPPERS if w.text == "What is the {defp}?")
    e = Entry("x", "AMBR", "Aggregate Maximum Bit Rate")
    assert render(w, e, definition="The maximum bit rate of a UE.") == \
        "What is the maximum bit rate of a UE?"
    assert render(w, e, definition="The AMBR of a UE.") is None


def test_mined_definitions_attach_to_glossary_entries(tmp_path):
    doc = tmp_path / "spec.md"
    doc.write_text("# 3 Definitions, symbols and abbreviations\n## 3.1 Definitions\n"
                   "Buffer Status Report: a report of the amount of data in the UE buffers.\n"
                   "Special Cell: the PCell of the MCG or the PSCell of the SCG.\n"
                   "## 3.2 Abbreviations\nBSR Buffer Status Report\n# 4 General\nText.\n",
                   encoding="utf-8")
    entries = [Entry("bsr", "BSR", "Buffer Status Report")]
    found = mined_definitions([doc], entries)
    assert found == {"bsr": ("A report of the amount of data in the UE buffers.", "spec.md")}
    data, card = _build(entries, definitions_from=[str(doc)])
    assert card["mined_definitions"] == 1
    assert data["entries"][0]["mined_definition"]["source"] == "spec.md"
    assert data["entries"][0]["definition"] is None
    assert any(r["source"] == "mined_definition" for r in data["train"])


def test_unreadable_definitions_document_is_an_input_error(tmp_path):
    bad = tmp_path / "x.pdf"
    bad.write_text("not a pdf", encoding="utf-8")
    with pytest.raises(InputError):
        mined_definitions([bad], ENTRIES)


def _leaks(anchors, questions):
    pats = [re.compile(r"(?<!\S)" + re.escape(q) + r"(?!\S)") for q in questions]
    return [a for a in anchors for p in pats if p.search(a)]


def _glossaries():
    yield read_glossary([default_glossary_path()])[0]
    shared = SHARED_DATA / "telecom_glossary.jsonl"
    if shared.is_file():
        yield read_glossary([shared])[0]


def test_no_handwritten_korean_question_in_name_or_description_rows():
    questions = [normalize_query(json.loads(line)["question"])
                 for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(questions) >= 200
    for entries in _glossaries():
        data, _ = _build(entries, surface_variants=False)
        anchors = [normalize_query(r["anchor"][len(QUERY_PROMPT):]) for r in data["train"]]
        assert anchors and not _leaks(anchors, questions)


def test_build_dataset_adds_rows_and_records_them(tmp_path):
    config = BuildConfig(pairs_per_entry=4, token_stats=False)
    result = build_dataset(default_glossary_path(), tmp_path / "d", seed=3, config=config,
                           progress=False)
    card = json.loads((tmp_path / "d" / "data_card.json").read_text(encoding="utf-8"))
    rows = [json.loads(x) for x in result.files["train"].read_text(encoding="utf-8").splitlines()]
    named = [r for r in rows if r["template"].startswith(("kn-", "desc-"))]
    assert len(named) == card["names"]["train_rows"] > 0
    off = build_dataset(default_glossary_path(), tmp_path / "e", seed=3, progress=False,
                        config=BuildConfig(pairs_per_entry=4, token_stats=False,
                                           generated_ko_names=False, name_rows_per_entry=0,
                                           description_rows_per_entry=0))
    assert off.counts["train"] == result.counts["train"] - len(named)
