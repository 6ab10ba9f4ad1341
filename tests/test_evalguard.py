from __future__ import annotations

import json
from pathlib import Path

import pytest

from termfit.dataset import BuildConfig, build_dataset
from termfit.evalguard import (
    QuestionIndex,
    drop_leaking_rows,
    guard_summary,
    normalize_query,
)
from termfit.glossary import default_glossary_path
from termfit.prompts import QUERY_PROMPT
from termfit.realtext import load_korean_questions

SHARED_GLOSSARY = (Path(__file__).resolve().parents[2] / "shared" / "data"
                   / "telecom_glossary.jsonl")


def test_normalize_query_folds_case_spaces_and_punctuation():
    assert normalize_query("  RQoS가   뭐예요?! ") == "rqos가 뭐예요"
    assert normalize_query("MCG, SCG 할 때~") == "mcg scg 할 때"
    assert normalize_query("5G-NR") == "5g-nr"


@pytest.mark.parametrize("text", [
    "무선 접속망의 약어는 무엇인가요?",      # contains the question as whole words
    "EIR이란 무엇인가요",                     # equal after normalisation
    "통신에서 AMF는 무슨 뜻인가요?",          # equal
    "amf는 무슨 뜻인가요",                    # inside the question, several words
])
def test_index_finds_equal_containing_and_contained_queries(text):
    index = QuestionIndex(["무선 접속망의 약어는?", "EIR이란 무엇인가요?",
                           "통신에서 AMF는 무슨 뜻인가요?"])
    assert index.leaks(text)


@pytest.mark.parametrize("text", [
    "AMF",                                  # one word inside a question: kept
    "차세대 무선 접속망의 약어",              # shares words but holds no whole question
    "무선 접속망의 약어는요",                 # question text only as part of a word
    "",
])
def test_index_keeps_unrelated_queries(text):
    index = QuestionIndex(["무선 접속망의 약어는?", "통신에서 AMF는 무슨 뜻인가요?"])
    assert not index.leaks(text)


def test_drop_leaking_rows_reports_by_template():
    rows = [{"anchor": QUERY_PROMPT + "EIR이란 무엇인가요?", "template": "ko-a2e-05"},
            {"anchor": QUERY_PROMPT + "eir이란 무엇인가요", "template": "ko-a2e-05"},
            {"anchor": QUERY_PROMPT + "EIR 뜻", "template": "ko-a2e-02"}]
    kept, report = drop_leaking_rows(rows, ["EIR이란 무엇인가요?"], QUERY_PROMPT)
    assert kept == rows[2:]
    assert report.to_dict() == {"questions": 1, "dropped_train_rows": 2,
                                "by_template": {"ko-a2e-05": 2}}
    assert guard_summary(report.to_dict()).startswith("2 training rows dropped")


def _leaks(anchors: list[str], questions: list[str]) -> list[str]:
    """Plain check, independent of the index: whole-word containment either way."""
    padded = [f" {q} " for q in questions]
    return [a for a in anchors
            if any(q in f" {a} " for q in padded)
            or (len(a.split()) > 1 and any(f" {a} " in q for q in padded))]


def _glossaries():
    yield default_glossary_path()
    if SHARED_GLOSSARY.is_file():
        yield SHARED_GLOSSARY


@pytest.mark.parametrize("glossary", list(_glossaries()), ids=lambda p: p.name)
def test_built_training_data_holds_no_handwritten_question(tmp_path, glossary):
    questions = [normalize_query(q["question"]) for q in load_korean_questions()]
    result = build_dataset(glossary, tmp_path / "d", seed=42, progress=False,
                           config=BuildConfig(pairs_per_entry=4, token_stats=False))
    rows = [json.loads(x) for x in result.files["train"].read_text(encoding="utf-8").splitlines()]
    anchors = sorted({normalize_query(r["anchor"].removeprefix(QUERY_PROMPT)) for r in rows})
    assert len(anchors) > 1000
    assert _leaks(anchors, questions) == []
    card = json.loads((tmp_path / "d" / "data_card.json").read_text(encoding="utf-8"))
    assert card["eval_guard"]["questions"] == len(set(questions))
    assert card["eval_guard"]["dropped_train_rows"] == sum(
        card["eval_guard"]["by_template"].values())
