"""termfit.expand and ``termfit expand``: detection, resolution, rewriting, JSON, CLI."""

from __future__ import annotations

import json

import pytest

from termfit.cli import main
from termfit.expand import (
    Resolver,
    Settings,
    content_words,
    expand,
    load_resolver,
    same_sense,
)
from termfit.fileio import write_jsonl

ENTRIES = [
    {"id": "cp-control", "abbr": "CP", "expansion": "Control Plane",
     "sources": ["3GPP TS 38.300", "3GPP TS 38.401", "3GPP TS 23.501"]},
    {"id": "cp-cyclic", "abbr": "CP", "expansion": "Cyclic Prefix",
     "sources": ["3GPP TS 38.211"]},
    {"id": "cp-cyclic-2", "abbr": "CP", "expansion": "cyclic prefixes",
     "sources": ["3GPP TS 38.213"]},
    {"id": "amf", "abbr": "AMF", "expansion": "Access and Mobility Management Function"},
    {"id": "smf", "abbr": "SMF", "expansion": "Session Management Function"},
    {"id": "ue", "abbr": "UE", "expansion": "User Equipment"},
    {"id": "c-rnti", "abbr": "C-RNTI", "expansion": "Cell RNTI"},
    {"id": "nzp-csi-rs", "abbr": "NZP CSI-RS", "expansion": "Non-Zero Power CSI-RS"},
    {"id": "pdcch", "abbr": "PDCCH", "expansion": "Physical Downlink Control Channel",
     "sources": ["3GPP TS 38.211"]},
    {"id": "set", "abbr": "SET", "expansion": "Secure Element Tool"},
]


@pytest.fixture(scope="module")
def resolver(tiny_model):
    return Resolver(ENTRIES, tiny_model)


def _found(text: str, resolver: Resolver, **kw) -> list:
    return expand([text], resolver, **kw)[0].abbreviations


def _spans(text: str, resolver: Resolver) -> list[tuple[str, str | None]]:
    return [(a.abbr, a.entry_id) for a in _found(text, resolver)]


# ------------------------------------------------------------------------- detection

def test_korean_particles_glued_after_abbreviations(resolver):
    text = "AMF는 SMF의 세션을 관리하고 UE가 접속한다"
    found = _found(text, resolver)
    assert [(a.abbr, a.entry_id) for a in found] == [("AMF", "amf"), ("SMF", "smf"),
                                                      ("UE", "ue")]
    assert all(text[a.start:a.end] == a.abbr for a in found)


def test_plural_hyphen_case_and_multiword_variants(resolver):
    assert _spans("All UEs use the CRNTI", resolver) == [("UEs", "ue"), ("CRNTI", "c-rnti")]
    assert _spans("NZP CSI-RS resources", resolver) == [("NZP CSI-RS", "nzp-csi-rs")]
    assert _spans("the PDCCH-Config field", resolver) == [("PDCCH", "pdcch")]
    assert _spans("amf가 뭐야", resolver) == [("amf", "amf")]
    assert _spans("### 6.3.7AMF Length: 1 bit", resolver) == [("AMF", "amf")]


def test_english_words_and_caps_words_are_not_abbreviations(resolver):
    assert _spans("Set the value as shown in the NOTE and Table 5.", resolver) == []
    assert _spans("the amf field in English text", resolver) == []


def test_unknown_abbreviations_reported_with_inline_definition(resolver):
    unknown, = _found("The XQZW is new.", resolver)
    assert (unknown.abbr, unknown.expansion, unknown.entry_id) == ("XQZW", None, None)
    assert unknown.uncertain
    found = _found("The Frobnicating Widget Zone (FWZ) is new; FWZ helps.", resolver)
    assert [(a.abbr, a.expansion, a.entry_id) for a in found] == [
        ("FWZ", "Frobnicating Widget Zone", None)] * 2


# ------------------------------------------------------------------------- resolution

def test_spelling_variants_are_one_sense_and_distinct_senses_stay_apart(resolver):
    assert same_sense("Cyclic Prefix", "cyclic prefixes")
    assert same_sense("Ambient IoT", "Ambient Internet of Things")
    assert not same_sense("Control Plane", "Cyclic Prefix")
    assert not same_sense("Terrestrial Network", "transport network")
    assert [s.entry_ids for s in resolver.senses["CP"]] == [("cp-control",),
                                                            ("cp-cyclic", "cp-cyclic-2")]


def test_inline_definition_wins_over_the_glossary(resolver):
    cp, again = _found("The Control Plane (CP) carries signalling; CP is separate.", resolver)
    assert (cp.entry_id, cp.score, again.entry_id) == ("cp-control", 1.0, "cp-control")
    own, = _found("A Cool Parrot (CP) sings.", resolver)
    assert (own.expansion, own.entry_id) == ("Cool Parrot", None)
    assert {x.entry_id for x in own.alternatives} == {"cp-control", "cp-cyclic"}


def test_sense_spelled_out_in_the_context_wins(resolver):
    cp, = _found("The cyclic prefix length: a longer CP protects against delay spread.",
                 resolver)
    assert cp.entry_id == "cp-cyclic" and cp.score == 1.0


def test_model_ranks_ambiguous_senses_with_probabilities(tiny_model):
    r = Resolver(ENTRIES, tiny_model, Settings(threshold=0.0))
    cp, = _found("CP 길이가 긴 경우 성능은?", r)
    assert cp.entry_id in ("cp-control", "cp-cyclic")
    assert len(cp.alternatives) == 1
    assert cp.score + cp.alternatives[0].score == pytest.approx(1.0, abs=1e-3)
    assert not cp.uncertain
    r.settings = Settings(threshold=0.999)
    assert _found("CP 길이가 긴 경우 성능은?", r)[0].uncertain


def test_single_sense_fast_path_skips_the_model():
    r = Resolver(ENTRIES, model=None)
    amf, = _found("the AMF", r)
    assert (amf.entry_id, amf.score, amf.uncertain, amf.alternatives) == ("amf", 1.0, False, ())


def test_topic_and_prior_without_a_model():
    # PDCCH shares its source with Cyclic Prefix; Control Plane has more sources.
    r = Resolver(ENTRIES, model=None, settings=Settings(prior_weight=0.0, topic_weight=3.0))
    assert _found("CP on the PDCCH", r)[0].entry_id == "cp-cyclic"
    r.settings = Settings(prior_weight=3.0, topic_weight=0.0)
    assert _found("the CP", r)[0].entry_id == "cp-control"


def test_prior_counts_specifications_not_lists():
    entries = [{"id": "css-search", "abbr": "CSS", "expansion": "Common Search Space",
                "sources": ["3GPP TS 38.213"]},
               {"id": "css-style", "abbr": "CSS", "expansion": "Cascading Style Sheets",
                "sources": ["common terms list", "another IT list", "a third list"]}]
    r = Resolver(entries, model=None, settings=Settings(lexical_weight=0.0))
    assert _found("the CSS", r)[0].entry_id == "css-search"


def test_words_of_the_text_favour_the_sense_they_spell():
    entries = [{"id": "css-search", "abbr": "CSS", "expansion": "Common Search Space"},
               {"id": "css-style", "abbr": "CSS", "expansion": "Cascading Style Sheets"}]
    r = Resolver(entries, model=None, settings=Settings(lexical_weight=2.0))
    assert _found("candidates of a search space set in the CSS", r)[0].entry_id == (
        "css-search")
    assert _found("the style sheets of the web page, in CSS", r)[0].entry_id == "css-style"
    r.settings = Settings(lexical_weight=0.0)
    assert _found("the style sheets of the web page, in CSS", r)[0].score == 0.5


def test_content_words_drop_stop_words_and_the_abbreviation():
    assert content_words("The Search Spaces of the CSS", "CSS") == {"search", "space"}


def test_document_definitions_and_pooling(resolver):
    paragraphs = ["Abbreviations are used below. The Cyclic Prefix (CP) is added.",
                  "Then CP is removed."]
    first, second = expand(paragraphs, resolver, document=True)
    assert second.abbreviations[0].entry_id == "cp-cyclic"
    alone = expand(paragraphs[1:], resolver)[0].abbreviations[0]
    assert alone.score < 1.0  # without the document the model had to rank it
    pooled = expand(["CP one.", "CP two, longer text here."], resolver, document=True)
    assert pooled[0].abbreviations[0].score == pooled[1].abbreviations[0].score


# ------------------------------------------------------------------------- rewrite, JSON

def test_rewrite_inserts_after_first_use_only(resolver):
    out = expand(["AMF는 AMF와 SMF를 본다", "The Control Plane (CP) and the CP."], resolver,
                 rewrite=True)
    assert out[0].rewritten == ("AMF (Access and Mobility Management Function)는 AMF와 "
                                "SMF (Session Management Function)를 본다")
    assert out[1].rewritten == "The Control Plane (CP) and the CP."  # defined in the text
    doc = expand(["The AMF.", "The AMF again."], resolver, rewrite=True, document=True)
    assert [r.rewritten for r in doc] == [
        "The AMF (Access and Mobility Management Function).", "The AMF again."]
    assert "rewritten" not in expand(["AMF"], resolver)[0].to_dict()


def test_uncertain_senses_are_not_rewritten(tiny_model):
    r = Resolver(ENTRIES, tiny_model, Settings(threshold=0.999))
    assert expand(["CP 길이"], r, rewrite=True)[0].rewritten == "CP 길이"


def test_json_shape(resolver):
    d = expand("The CP of the AMF", resolver, rewrite=True)[0].to_dict()
    assert set(d) == {"text", "abbreviations", "rewritten"}
    cp = d["abbreviations"][0]
    assert set(cp) == {"abbr", "start", "end", "expansion", "entry_id", "score", "uncertain",
                       "alternatives"}
    assert set(cp["alternatives"][0]) == {"expansion", "entry_id", "score"}
    json.dumps(d)


# ------------------------------------------------------------------------- loading, CLI

@pytest.fixture(scope="module")
def glossary_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("g") / "glossary.jsonl"
    write_jsonl(path, ENTRIES)
    return path


def test_load_resolver_from_index_and_from_glossary(glossary_file, tiny_model_path, tmp_path):
    from termfit.index import build_index

    build_index(tmp_path / "ix", [glossary_file], model=tiny_model_path, show_progress=False)
    by_index = load_resolver(index=tmp_path / "ix")
    by_glossary = load_resolver(glossary=glossary_file, model=tiny_model_path)
    assert set(by_index.senses) == set(by_glossary.senses)
    assert expand("AMF", by_index)[0].abbreviations[0].entry_id == "amf"


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["expand", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_texts_jsonl_and_rewrite(capsys, glossary_file, tiny_model_path, tmp_path):
    base = ["--glossary", str(glossary_file), "--model", str(tiny_model_path)]
    code, out, _ = _cli(capsys, *base, "AMF는", "The UEs", "--jsonl", "--rewrite")
    rows = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and [r["text"] for r in rows] == ["AMF는", "The UEs"]
    assert rows[1]["rewritten"] == "The UEs (User Equipment)"
    lines = tmp_path / "in.txt"
    lines.write_text("AMF one\n\nSMF two\n", encoding="utf-8")
    code, out, _ = _cli(capsys, *base, "--input", str(lines))
    assert code == 0 and "AMF: Access and Mobility Management Function [amf] 1.00" in out
    doc = tmp_path / "doc.md"
    doc.write_text("# Title\n\nThe Cyclic Prefix (CP) is added.\n\nThen CP is removed.\n",
                   encoding="utf-8")
    code, out, _ = _cli(capsys, *base, "--input", str(doc), "--jsonl")
    last = json.loads(out.splitlines()[-1])
    assert code == 0 and last["abbreviations"][0]["entry_id"] == "cp-cyclic"


@pytest.mark.parametrize("argv, message", [
    ([], "no text given"),
    (["  "], "text 1 is empty"),
    (["x", "--input", "f.txt"], "not both"),
    (["--input", "missing.txt"], "missing.txt: file not found"),
    (["--document", "x"], "--document: needs --input"),
    (["--index", "ix", "--glossary", "g.jsonl", "x"], "not with --index"),
    (["--input", "missing.pdf"], "missing.pdf: file not found"),
])
def test_cli_errors(capsys, argv, message):
    code, out, err = _cli(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err and out == ""


def test_cli_bad_file_contents(capsys, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine\n\xff\xfe broken\n")
    code, _, err = _cli(capsys, "--input", str(bad))
    assert code == 2 and f"{bad}:2" in err and "UTF-8" in err
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    code, _, err = _cli(capsys, "--input", str(empty))
    assert code == 2 and "no text found" in err
    code, _, err = _cli(capsys, "--index", str(tmp_path), "x")
    assert code == 2 and "not an index folder" in err


def test_parameter_names_are_not_uses():
    r = Resolver(ENTRIES, model=None)
    assert _found("set by PDCCH-ConfigCommon", r) == ()
    assert [a.abbr for a in _found("the PDCCH-Config of the UE", r)] == ["PDCCH", "UE"]


def test_korean_words_count_for_the_sense_they_translate():
    entries = [{"id": "css-search", "abbr": "CSS", "expansion": "Common Search Space"},
               {"id": "css-style", "abbr": "CSS", "expansion": "Cascading Style Sheets"}]
    r = Resolver(entries, model=None, settings=Settings(lexical_weight=2.0))
    assert _found("공통 검색 공간에서 CSS를 모니터링한다", r)[0].entry_id == "css-search"
