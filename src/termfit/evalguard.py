"""Keep hand-written evaluation questions out of training data.

A training query *leaks* a question when, after :func:`normalize_query`, the two are equal
or one contains the other as a run of whole words (e.g. the template query "무선 접속망의
약어는 무엇인가요" contains the question "무선 접속망의 약어는?"). The reverse direction — a
query inside a question — counts only for queries of at least :data:`MIN_INNER_WORDS`
words, so that a bare term such as "AMF" is not dropped because a question mentions it.

Lookups use word n-gram sets, so checking N rows against Q questions costs about
N × (words per row) set look-ups, not N × Q comparisons.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MIN_INNER_WORDS = 2
_SEPARATORS = re.compile(r"[\s?.!,~]+")


def normalize_query(text: str) -> str:
    """``text`` case-folded, with runs of whitespace and ``?.!,~`` made one space, stripped."""
    return _SEPARATORS.sub(" ", text.casefold()).strip()


class QuestionIndex:
    """Word n-gram index of questions answering "does this query leak one of them?"."""

    def __init__(self, questions: Iterable[str]):
        words = {tuple(normalize_query(q).split()) for q in questions} - {()}
        self.size = len(words)
        # whole questions by their first word, for the "query contains question" test
        self._by_first: dict[str, set[tuple[str, ...]]] = defaultdict(set)
        # every run of words of every question, for the "question contains query" test
        self._runs: set[tuple[str, ...]] = set()
        for w in words:
            self._by_first[w[0]].add(w)
            for i in range(len(w)):
                for j in range(i + MIN_INNER_WORDS, len(w) + 1):
                    self._runs.add(w[i:j])
        self._by_first.default_factory = None

    def leaks(self, text: str) -> bool:
        """Whether ``text`` equals, contains or (≥ MIN_INNER_WORDS words) is contained in a
        question, as whole words after normalisation."""
        words = tuple(normalize_query(text).split())
        if not words:
            return False
        if words in self._runs:
            return True
        for i, word in enumerate(words):
            for q in self._by_first.get(word, ()):
                if words[i:i + len(q)] == q:
                    return True
        return False


@dataclass
class GuardReport:
    """What :func:`drop_leaking_rows` removed."""

    questions: int
    dropped: int
    by_template: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"questions": self.questions, "dropped_train_rows": self.dropped,
                "by_template": self.by_template}


def guard_summary(report: dict) -> str:
    """One line for the build summary from :meth:`GuardReport.to_dict` (``data_card.json``)."""
    return (f"{report['dropped_train_rows']:,} training rows dropped as matching one of "
            f"{report['questions']:,} hand-written evaluation questions")


def drop_leaking_rows(rows: Sequence[dict], questions: Iterable[str], prompt: str = "",
                      key: str = "anchor") -> tuple[list[dict], GuardReport]:
    """(rows whose ``key`` text, less ``prompt``, leaks no question; what was dropped)."""
    index = QuestionIndex(questions)
    kept: list[dict] = []
    dropped: Counter[str] = Counter()
    verdict: dict[str, bool] = {}
    for row in rows:
        text = row[key].removeprefix(prompt)
        if text not in verdict:
            verdict[text] = index.leaks(text)
        if verdict[text]:
            dropped[str(row.get("template", ""))] += 1
        else:
            kept.append(row)
    return kept, GuardReport(index.size, sum(dropped.values()), dict(sorted(dropped.items())))
