"""Lexical scorers: tokeniser, BM25 and the abbreviation-aware scorer."""

from __future__ import annotations

import numpy as np
import pytest
from eval_fixtures import make_corpus

from termfit.acronym import acronym_score
from termfit.lexical import AcronymScorer, BM25Scorer, ngram_tokenize, strip_label


def test_ngram_tokenizer_splits_scripts_and_compounds():
    toks = ngram_tokenize("query: AMF는 C-RNTI 기능")
    assert "amf" in toks and "query" not in toks
    assert {"c", "rnti", "crnti"} <= set(toks)
    assert "기능" in toks and "는" in toks


def test_strip_label():
    assert strip_label("passage: AAL2 (기술)") == ("AAL2", "ko")
    core = "Access Class (C0 to C15)"
    assert strip_label(f"{core} (Conceptual)") == (core, "en")
    assert strip_label("Access Class (C0 to C15)") == ("Access Class (C0 to C15)", None)


TEXTS = [r["text"] for r in make_corpus()]


def _top(scorer, query, k=2):
    scores, idx = scorer.topk([query], k)
    return [TEXTS[j] for j in idx[0]], scores[0]


def test_bm25_matches_through_korean_particles():
    bm = BM25Scorer(TEXTS)
    s = bm.score(["SMF는 어떤 역할을 하나요?", ""])
    assert s.shape == (2, len(TEXTS)) and s.dtype == np.float32
    assert not s[1].any()
    assert TEXTS[int(s[0].argmax())].startswith("SMF")
    top, _ = _top(bm, "Session Management Function")
    assert all(t.startswith("Session Management Function") for t in top)


def test_bm25_rejects_unknown_tokenizer():
    with pytest.raises(ValueError):
        BM25Scorer(TEXTS, tokenizer="nope")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("What does AMF stand for?", "Access and Mobility Management Function (Technical)"),
        ("AMF는 무엇의 약자인가요?", "Access and Mobility Management Function (기술)"),
        ("What is the abbreviation for Alarm Agent Handling Block?", "AAGHB (Technical)"),
        ("ATM Adaptation Layer 2의 약어는 무엇인가요?", "AAL2 (기술)"),
        ("How does the triple encryption of 3-DES work?",
         "Triple Data Encryption Standard (Technical)"),
    ],
)
def test_acronym_scorer_both_directions(query, expected):
    top, scores = _top(AcronymScorer(TEXTS), query, k=1)
    assert top == [expected] and scores[0] > 0.5


def test_acronym_scorer_never_returns_the_echo():
    sc = AcronymScorer(TEXTS)
    s = sc.score(["What does SMF stand for?"])[0]
    assert s[TEXTS.index("SMF (Technical)")] == 0
    assert s[TEXTS.index("Session Management Function (Technical)")] > 0
    exact = AcronymScorer(TEXTS, exact_match=1.0).score(["SMF"])[0]
    assert exact[TEXTS.index("SMF (Technical)")] >= 1.0


def test_acronym_scorer_ambiguous_abbreviation_scores_every_sense():
    s = AcronymScorer(TEXTS).score(["What does CP stand for?"])[0]
    assert s[TEXTS.index("Control Plane (Technical)")] > 0
    assert s[TEXTS.index("Cyclic Prefix (Technical)")] > 0


def test_acronym_scorer_without_abbreviations_scores_nothing():
    assert not AcronymScorer(TEXTS).score(["how are you today"]).any()
    assert AcronymScorer([]).score(["AMF"]).shape == (1, 0)


def test_acronym_scorer_aligns_only_bounded_windows(monkeypatch):
    """Scoring stays linear in the query's length: every alignment is against a window
    of a bounded number of characters, and the number of alignments grows linearly."""
    import termfit.lexical as lexical

    calls: list[int] = []

    def counting(abbr: str, expansion: str) -> float:
        calls.append(len(expansion))
        return acronym_score(abbr, expansion)

    monkeypatch.setattr(lexical, "acronym_score", counting)
    scorer = AcronymScorer(["AAA (Technical)", "Alpha Alpha Alpha (기술)", "AMF (Technical)",
                            "Access and Mobility Management Function (기술)"])
    bound = 2000  # characters; the query has a 5,000-character word
    counts = []
    for n in (1, 4):
        calls.clear()
        query = "a" * (5000 * n) + " Access and Mobility Management Function aaaa" * (50 * n)
        scorer.score([query])
        assert calls and max(calls) <= bound
        counts.append(len(calls))
    assert counts[1] <= 4.5 * counts[0]


def test_span_cover_matches_brute_force():
    import random

    from termfit.lexical import _SpanCover

    rng = random.Random(0)
    for _ in range(200):
        spans = [(a, a + rng.randint(1, 30)) for a in (rng.randint(0, 100) for _ in range(8))]
        cover = _SpanCover(spans)
        for _ in range(20):
            s = rng.randint(0, 120)
            e = s + rng.randint(1, 20)
            assert cover(s, e) == any(a <= s and e <= b for a, b in spans)


def test_prefix_tokenizer_meets_word_endings():
    from termfit.lexical import BM25Scorer, prefix_tokenize

    assert prefix_tokenize("Mobility Management 관리 functions") == ["mobili", "manage",
                                                                     "functi"]
    s = BM25Scorer(["Session Management Function", "Radio Link Failure"], tokenizer="prefix")
    assert s.score(["managed sessions"])[0].argmax() == 0
