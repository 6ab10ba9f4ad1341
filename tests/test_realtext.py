"""Real-text data (context rows, document split), sense accuracy and the Korean split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from termfit import realtext as rt
from termfit.dataset import BuildConfig, build_corpus, build_dataset
from termfit.errors import InputError
from termfit.glossary import Entry
from termfit.usage import UsageSentence, write_contexts

ENTRIES = [
    Entry("cp-control-plane", "CP", "Control Plane"),
    Entry("cp-cyclic-prefix", "CP", "Cyclic Prefix"),
    Entry("cp-cyclic-prefixes-v", "CP", "Cyclic-Prefix length"),  # wording of Cyclic Prefix
    Entry("ue", "UE", "User Equipment"),
    Entry("amf", "AMF", "Access and Mobility Management Function"),
    Entry("iot-a", "A-IoT", "Ambient IoT"),
    Entry("iot-b", "A-IoT", "Ambient Internet of Things"),
    Entry("ss-a", "SS", "Synchronization Signal"),
    Entry("ss-b", "SS", "Synchronization Symbol"),
]


def usage(text: str, abbr: str, expansion: str, source: str, line: int = 1) -> UsageSentence:
    start = text.index(abbr)
    return UsageSentence(text, abbr, start, start + len(abbr), expansion, source, line)


def contexts() -> list[UsageSentence]:
    rows = []
    docs = {"phy.md": ("CP", "Cyclic Prefix"), "arch.md": ("CP", "Control Plane"),
            "nas.md": ("AMF", "Access and Mobility Management Function"),
            "ran.md": ("CP", "Control Plane")}
    for doc, (abbr, exp) in docs.items():
        for k in range(4):
            rows.append(usage(f"In {doc} sentence {k} the {abbr} is used by the UE here.", abbr,
                              exp, doc, k + 1))
            rows.append(usage(f"In {doc} sentence {k} the {abbr} is used by the UE here.", "UE",
                              "User Equipment", doc, k + 1))
    # boilerplate that two documents share: never trained on when one of them is evaluated
    rows.append(usage("The UE shall apply the procedure in all cases listed.", "UE",
                      "User Equipment", "phy.md", 9))
    rows.append(usage("The UE shall apply the procedure in all cases listed.", "UE",
                      "User Equipment", "arch.md", 9))
    # spells a sense out: rewritten as a labelled CP sentence
    rows.append(usage("The UE removes the cyclic prefix before the FFT in the receiver.", "UE",
                      "User Equipment", "arch.md", 12))
    return rows


def corpus() -> list[dict]:
    return build_corpus(ENTRIES, BuildConfig())


def config(**kw) -> rt.ContextConfig:
    return rt.ContextConfig(dev_documents=["nas.md"], test_documents=["phy.md"], **kw)


# --- senses ---------------------------------------------------------------------------------
@pytest.mark.parametrize("a,b,same", [
    ("Cyclic Prefix", "Cyclic-Prefix length", True),
    ("Ambient IoT", "Ambient Internet of Things", True),
    ("Medium Access Control", "Media Access Control", True),
    ("Effective Isotropic Radiated Power", "Effective Isotropically Radiated Power", True),
    ("Control Plane", "Cyclic Prefix", False),
    ("Synchronization Signal", "Synchronization Symbol", False),
    ("Terrestrial Network", "transport network", False),
])
def test_same_sense(a, b, same):
    assert rt.same_sense(a, b) is same
    assert rt.same_sense(b, a) is same


def test_sense_groups_merge_wordings_and_keep_senses_apart():
    groups = rt.sense_groups(ENTRIES)
    assert [[e.id for e in g] for g in groups["cp"]] == [
        ["cp-control-plane"], ["cp-cyclic-prefix", "cp-cyclic-prefixes-v"]]
    assert len(groups["aiot"]) == 1 and len(groups["ss"]) == 2
    assert rt.resolve_sense("cyclic prefix", groups["cp"])[0] == 1
    assert rt.resolve_sense("Cyclic prefixes", groups["cp"])[1].id == "cp-cyclic-prefix"
    assert rt.resolve_sense("Charging Point", groups["cp"]) is None


# --- training rows --------------------------------------------------------------------------
def test_context_rows_positive_and_hard_negatives():
    data = rt.build_context_data(contexts(), ENTRIES, corpus(), config(), seed=1)
    cp_rows = [r for r in data.train if r["entry_id"].startswith("cp-")]
    assert cp_rows
    for r in cp_rows:
        assert r["anchor"].startswith("query: ") and r["positive"].startswith("passage: ")
        assert "CP" in r["anchor"]
        if r["entry_id"] == "cp-control-plane":
            assert r["positive"] == "passage: Control Plane"
            # a negative is another sense, never a wording of the positive's own sense
            assert r["negative"] in ("passage: Cyclic Prefix", "passage: Cyclic-Prefix length")
        else:
            assert r["positive"] == "passage: Cyclic Prefix"
            assert r["negative"] == "passage: Control Plane"
        assert r["negative_echo"] == "passage: CP"
    ue = [r for r in data.train if r["entry_id"] == "ue"]
    assert ue and all("negative" not in r for r in ue)  # one sense: no other-sense negative
    langs = {r["lang"] for r in data.train}
    assert langs == {"en", "ko"}
    ko = [r for r in data.train if r["lang"] == "ko" and r["entry_id"] == "amf"]
    assert all("AMF는" in r["anchor"] or "AMF " in r["anchor"] or "AMF를" in r["anchor"]
               or "AMF의" in r["anchor"] for r in ko)


def test_korean_question_takes_the_fitting_particle():
    assert rt.wrap("The AMF sends it.", "AMF", "ko-q1").endswith("여기서 AMF는 무슨 뜻인가요?")
    assert rt.wrap("The RRM runs.", "RRM", "ko-q1").endswith("여기서 RRM은 무슨 뜻인가요?")
    assert rt.wrap("A sentence.", "CP", "ctx") == "A sentence."
    with pytest.raises(ValueError):
        rt.wrap("A sentence.", "CP", "nope")


def test_spelled_out_sentence_is_rewritten_with_the_abbreviation():
    rows = rt.spelled_out(contexts(), ENTRIES)
    assert len(rows) == 1
    r = rows[0]
    assert r.text == "The UE removes the CP before the FFT in the receiver."
    assert r.text[r.start:r.end] == "CP" and r.expansion == "Cyclic Prefix"
    data = rt.build_context_data(contexts(), ENTRIES, corpus(), config(), seed=1)
    spelled = [x for x in data.train if x["template"].startswith("ctx-spelled-")]
    assert spelled and all(x["entry_id"] == "cp-cyclic-prefix" for x in spelled)


# --- split by document ----------------------------------------------------------------------
def test_split_by_document_leaks_nothing():
    data = rt.build_context_data(contexts(), ENTRIES, corpus(), config(), seed=1)
    assert data.documents == {"phy.md": "test", "nas.md": "dev", "arch.md": "train",
                              "ran.md": "train"}
    assert {r["source"] for r in data.train} <= {"arch.md", "ran.md"}
    held = [u.text for u in contexts() if u.source in ("phy.md", "nas.md")]
    trained = " ".join(r["anchor"] for r in data.train)
    for text in held:
        assert text not in trained  # shared boilerplate included
    assert {r["source"] for r in data.splits["realtext-test"]} == {"phy.md"}
    assert {r["source"] for r in data.splits["realtext-dev"]} == {"nas.md"}
    heldout_q = {t[0] for t in rt.question_templates(heldout=True)}
    assert all(r["template"].removeprefix("ctx-") in heldout_q for r in data.splits[
        "realtext-test"])
    assert all(r["template"].removeprefix("ctx-").removeprefix("spelled-") not in heldout_q
               for r in data.train)


def test_eval_queries_record_candidates_and_caps():
    data = rt.build_context_data(contexts(), ENTRIES, corpus(), config(eval_per_doc_abbr=2),
                                 seed=1)
    test = data.splits["realtext-test"]
    cp = [q for q in test if q["abbr"] == "CP"]
    assert len(cp) == 2 and all(q["ambiguous"] for q in cp)
    ids = {c["entry_id"]: c["id"] for c in corpus() if c["kind"] == "expansion"}
    for q in cp:
        assert q["candidates"] == [[ids["cp-control-plane"]],
                                   [ids["cp-cyclic-prefix"], ids["cp-cyclic-prefixes-v"]]]
        assert q["relevant"] == q["candidates"][1] and rt.gold_index(q) == 1
    ue = [q for q in test if q["abbr"] == "UE"]
    assert 1 <= len(ue) <= 2 and not any(q["ambiguous"] for q in ue)


def test_hash_split_is_stable_and_explicit_split_is_checked():
    rows = contexts()
    a = rt.split_documents(rows, rt.ContextConfig())
    assert a == rt.split_documents(list(reversed(rows)), rt.ContextConfig())
    assert set(a.values()) >= {"train", "test"}
    with pytest.raises(InputError, match="missing.md"):
        rt.split_documents(rows, rt.ContextConfig(test_documents=["missing.md"]))
    with pytest.raises(InputError, match="both dev and test"):
        rt.ContextConfig(dev_documents=["a.md"], test_documents=["a.md"]).check()


def test_data_build_writes_realtext_splits(tmp_path):
    path = tmp_path / "ctx.jsonl"
    write_contexts(path, contexts())
    from termfit.usage import read_contexts

    out = tmp_path / "data"
    build_dataset(ENTRIES, out, seed=3, contexts=read_contexts(path), context_config=config(),
                  progress=False, config=BuildConfig(token_stats=False,
                                                     heldout_terms_fraction=0.0))
    test = [json.loads(x) for x in (out / "queries-realtext-test.jsonl").read_text().splitlines()]
    assert test and all(q["source"] == "phy.md" for q in test)
    train = [json.loads(x) for x in (out / "train.jsonl").read_text().splitlines()]
    assert any(r["template"].startswith("ctx-") for r in train)
    card = json.loads((out / "data_card.json").read_text())
    assert card["realtext"]["documents"]["test"] == ["phy.md"]


# --- sense accuracy -------------------------------------------------------------------------
def test_sense_accuracy_by_hand():
    # q1: 2 senses, gold wins; q2: 3 senses, gold loses; q3: 2 senses, tie -> 1/2;
    # q4: a single sense (always right).
    scores = [[0.2, 0.9], [0.5, 0.1, 0.4], [0.3, 0.3], [0.1]]
    gold = [1, 2, 0, 0]
    got = rt.sense_accuracy(scores, gold)
    assert got["ambiguous"]["n"] == 3
    assert got["ambiguous"]["accuracy"] == pytest.approx((1 + 0 + 0.5) / 3)
    assert got["ambiguous"]["chance"] == pytest.approx((1 / 2 + 1 / 3 + 1 / 2) / 3)
    assert got["all"]["accuracy"] == pytest.approx((1 + 0 + 0.5 + 1) / 4)
    assert got["all"]["chance"] == pytest.approx((1 / 2 + 1 / 3 + 1 / 2 + 1) / 4)


def test_sense_collector_reads_candidate_columns_of_chunks():
    queries = [
        {"id": "a", "relevant": ["p2"], "candidates": [["p1"], ["p2", "p3"]]},
        {"id": "b", "relevant": ["x"]},  # no candidates: not counted
        {"id": "c", "relevant": ["p1"], "candidates": [["p1"], ["p3"]]},
    ]
    col = rt.SenseCollector(queries, ["p1", "p2", "p3", "x"])
    col("s", 0, np.array([[0.1, 0.0, 0.5, 0.9], [0, 0, 0, 1.0]]))  # a: max(p2, p3) wins
    col("s", 2, np.array([[0.2, 0.0, 0.7, 0.0]]))  # c: p3 beats gold p1
    got = col.result("s")
    assert got["all"] == {"n": 2, "accuracy": 0.5, "chance": 0.5}
    assert col.result("other") is None


def test_evaluate_reports_sense_accuracy():
    from termfit.evaluate import EvalSettings, evaluate
    from termfit.report import markdown_table

    data = rt.build_context_data(contexts(), ENTRIES, corpus(), config(), seed=1)
    queries = data.splits["realtext-test"]
    res = evaluate(["bm25", "acronym"], queries, corpus(),
                   settings=EvalSettings(show_progress=False))
    for s in ("bm25", "acronym"):
        assert set(res[s]["senses"]) == {"all", "ambiguous"}
        assert res[s]["senses"]["ambiguous"]["n"] == sum(q["ambiguous"] for q in queries)
    table = markdown_table({"systems": res})
    assert "Sense accuracy" in table and "chance" in table


# --- Korean questions -----------------------------------------------------------------------
def write_questions(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_korean_questions_load_and_become_queries(tmp_path):
    path = write_questions(tmp_path / "q.jsonl", [
        {"id": "ko-1", "question": "접속 및 이동성 관리 기능의 약어는?", "kind": "name2abbr",
         "style": "formal", "abbr": "AMF", "expansion": "access and mobility management "
         "function"},
        {"id": "ko-2", "question": "OFDM에서 CP는 뭐야?", "kind": "context", "style": "casual",
         "abbr": "CP", "expansion": "Cyclic-Prefix"},
        {"id": "ko-3", "question": "XYZ가 뭐예요?", "kind": "abbr2meaning", "style": "casual",
         "abbr": "XYZ", "expansion": "Nothing Known"},
    ])
    qs = rt.load_korean_questions(path)
    queries, missing = rt.korean_queries(qs, ENTRIES, corpus())
    assert [m["id"] for m in missing] == ["ko-3"]
    by = {q["id"]: q for q in queries}
    ids = {(c["entry_id"], c["kind"]): c["id"] for c in corpus()}
    assert by["ko-1"]["relevant"] == [ids[("amf", "abbr")]]
    assert "candidates" not in by["ko-1"] and by["ko-1"]["direction"] == "exp2abbr"
    assert set(by["ko-2"]["relevant"]) == {ids[("cp-cyclic-prefix", "expansion")],
                                          ids[("cp-cyclic-prefixes-v", "expansion")]}
    assert len(by["ko-2"]["candidates"]) == 2 and by["ko-2"]["ambiguous"]


def test_korean_questions_bad_rows_are_reported(tmp_path):
    path = write_questions(tmp_path / "q.jsonl", [
        {"id": "a", "question": "?", "kind": "guess", "style": "formal", "abbr": "A",
         "expansion": "B"},
        {"id": "a", "question": "?", "kind": "context", "style": "loud", "abbr": "A",
         "expansion": "B"},
    ])
    with pytest.raises(InputError) as info:
        rt.load_korean_questions(path)
    text = str(info.value)
    assert "unknown kind 'guess'" in text and "unknown style 'loud'" in text
    assert "duplicate id 'a'" in text


def test_shipped_korean_questions_are_valid_when_present():
    path = rt.korean_questions_path()
    if not path.is_file():
        pytest.skip("no shipped Korean questions yet")
    rows = rt.load_korean_questions()
    assert len(rows) >= 1


def test_crop_keeps_the_abbreviation_inside_the_window():
    text = " ".join(f"w{i}" for i in range(40)) + " the CP here " + " ".join(
        f"v{i}" for i in range(40))
    u = usage(text, "CP", "Cyclic Prefix", "d.md")
    c = rt.crop(u, 10)
    assert len(c.text.split()) == 10 and c.text[c.start:c.end] == "CP"
    assert rt.crop(u, 0) == u and rt.crop(u, 200) == u
    first = usage("CP " + text, "CP", "Cyclic Prefix", "d.md")
    assert rt.crop(first, 5).text.startswith("CP ")


def test_cli_eval_korean_and_realtext_splits(tmp_path, capsys):
    from termfit.cli import main

    out = tmp_path / "data"
    build_dataset(ENTRIES, out, seed=3, contexts=contexts(), context_config=config(),
                  progress=False, config=BuildConfig(token_stats=False,
                                                     heldout_terms_fraction=0.0))
    questions = write_questions(tmp_path / "q.jsonl", [
        {"id": "ko-1", "question": "OFDM에서 CP는 뭐야?", "kind": "context", "style": "casual",
         "abbr": "CP", "expansion": "Cyclic Prefix"},
        {"id": "ko-2", "question": "XYZ가 뭐예요?", "kind": "abbr2meaning", "style": "casual",
         "abbr": "XYZ", "expansion": "Nothing Known"}])
    rep = tmp_path / "ko.json"
    assert main(["eval", "--data", str(out), "--split", "korean", "--questions",
                 str(questions), "--system", "bm25,acronym", "--quiet", "--out",
                 str(rep)]) == 0
    report = json.loads(rep.read_text())
    assert report["n_queries"] == 1
    assert report["systems"]["bm25"]["senses"]["ambiguous"]["n"] == 1
    captured = capsys.readouterr()
    assert "1 of 2 Korean questions have no gold entry" in captured.err
    assert "Sense accuracy" in captured.out
    assert main(["eval", "--data", str(out), "--split", "realtext-test", "--system", "bm25",
                 "--quiet"]) == 0
    assert main(["eval", "--split", "korean", "--queries", str(questions), "--corpus",
                 str(out / "corpus.jsonl"), "--system", "bm25", "--quiet"]) == 2
