"""Checks of the hand-written Korean evaluation questions (data/eval/korean_questions.jsonl)."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from importlib import resources

import pytest

from termfit.glossary import normalize

KINDS = {"name2abbr", "desc2abbr", "abbr2meaning", "context"}
STYLES = {"formal", "casual"}
KEYS = {"id", "question", "kind", "style", "abbr", "expansion"}
HANGUL = re.compile(r"[가-힣]")


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    path = resources.files("termfit") / "data" / "eval" / "korean_questions.jsonl"
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"line {n} is empty"
        rows.append(json.loads(line))
    return rows


def test_schema(questions):
    for row in questions:
        assert set(row) == KEYS, row
        assert all(isinstance(row[k], str) and row[k].strip() for k in KEYS), row
        assert row["kind"] in KINDS, row
        assert row["style"] in STYLES, row
        assert HANGUL.search(row["question"]), row


def test_ids_are_unique_and_sequential(questions):
    ids = [row["id"] for row in questions]
    assert len(ids) == len(set(ids))
    assert ids == [f"ko-{i:04d}" for i in range(1, len(ids) + 1)]


def test_size_kinds_and_styles(questions):
    assert len(questions) >= 200
    kinds = Counter(row["kind"] for row in questions)
    assert set(kinds) == KINDS
    assert min(kinds.values()) >= 40, kinds
    styles = Counter(row["style"] for row in questions)
    assert set(styles) == STYLES
    assert min(styles.values()) >= len(questions) // 4, styles
    assert len({row["question"] for row in questions}) == len(questions)
    assert len({row["abbr"] for row in questions}) >= 200


def test_questions_about_meaning_name_the_abbreviation(questions):
    for row in questions:
        if row["kind"] in ("abbr2meaning", "context"):
            assert row["abbr"] in row["question"], row


def test_name_questions_do_not_give_the_answer_away(questions):
    for row in questions:
        if row["kind"] in ("name2abbr", "desc2abbr"):
            assert not re.search(rf"(?<![A-Za-z0-9-]){re.escape(row['abbr'])}(?![A-Za-z0-9])",
                                 row["question"]), row


def test_gold_labels_resolve_to_one_glossary_sense(questions, shared_data):
    senses: dict[str, list[str]] = defaultdict(list)
    with open(shared_data / "telecom_glossary.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            senses[row["abbr"]].append(row["expansion"])
    unresolved = []
    for row in questions:
        matches = {normalize(e) for e in senses.get(row["abbr"], [])
                   if normalize(e, 1) == normalize(row["expansion"], 1)}
        if len(matches) != 1:
            unresolved.append((row["id"], row["abbr"], row["expansion"], sorted(matches)))
    assert not unresolved


def test_context_questions_cover_ambiguous_abbreviations(questions, shared_data):
    distinct = set()
    with open(shared_data / "ambiguous_abbreviations.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["kind"] == "distinct":
                distinct.add(row["abbr"])
    used = {row["abbr"] for row in questions if row["kind"] == "context"}
    assert len(used & distinct) >= 30
