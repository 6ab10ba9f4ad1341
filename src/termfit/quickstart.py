"""The main job: prepare the offline model and show it working on the seed card's examples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The five "widget" examples of the seed model card (query, three candidate passages).
SEED_WIDGET: list[tuple[str, list[str]]] = [
    ("ATM Adaptation Layer 2의 약어는 무엇인가요?",
     ["2 Transmit 2 Receive (기술)", "Alternating Current (개념)", "AAL2 (기술)"]),
    ("AC의 접근 클래스 C0부터 C15까지의 기능은 무엇인가요?",
     ["Access Class (C0 to C15) (개념)", "3 Dimension-Through Silicon Via (기술)",
      "ACAP (Conceptual)"]),
    ("What is the abbreviation for Alarm Agent Handling Block?",
     ["ATM Connection establishment/release Control Block (기술)", "AAGHB (Technical)",
      "Account Card Calling (활용)"]),
    ("ABPL의 ATM 기본 속도 물리 계층 장치는 어떻게 구성되어 있나요?",
     ["ATM Base Rate Physical Layer Unit (기술)", "3A (개념)", "5GTF (Conceptual)"]),
    ("How does the triple encryption process of 3-DES enhance security?",
     ["5th Generation Technical Forum (Conceptual)", "Triple Data Encryption Standard (Technical)",
      "ABCDEF (활용)"]),
]


@dataclass
class WidgetRow:
    query: str
    passages: list[str]
    scores: np.ndarray


def widget_scores(model, examples: list[tuple[str, list[str]]] | None = None) -> list[WidgetRow]:
    """Cosine similarity of each example query to its candidate passages."""
    examples = examples or SEED_WIDGET
    queries = [q for q, _ in examples]
    passages = [p for _, ps in examples for p in ps]
    q = model.encode(queries, prompt_name="query", normalize_embeddings=True)
    p = model.encode(passages, prompt_name="passage", normalize_embeddings=True)
    rows, i = [], 0
    for (query, cands), qv in zip(examples, q, strict=True):
        pv = p[i : i + len(cands)]
        i += len(cands)
        rows.append(WidgetRow(query, list(cands), pv @ qv))
    return rows


def format_widget(rows: list[WidgetRow]) -> str:
    """Render widget scores as text, marking each query's best passage with '*'."""
    out = []
    for row in rows:
        out.append(f"query: {row.query}")
        best = int(np.argmax(row.scores))
        for j, (passage, score) in enumerate(zip(row.passages, row.scores, strict=True)):
            mark = "*" if j == best else " "
            out.append(f"  {mark} {score:.4f}  passage: {passage}")
    return "\n".join(out)
