"""A small hand-made retrieval set in the shape of `termfit data build` output."""

from __future__ import annotations

import json
from pathlib import Path

ENTRIES = [
    ("AAL2", "ATM Adaptation Layer 2"),
    ("AMF", "Access and Mobility Management Function"),
    ("ATM", "Asynchronous Transfer Mode"),
    ("AAGHB", "Alarm Agent Handling Block"),
    ("3DES", "Triple Data Encryption Standard"),
    ("CP", "Control Plane"),
    ("CP", "Cyclic Prefix"),
    ("SMF", "Session Management Function"),
]


def make_corpus() -> list[dict]:
    rows = []
    for i, (abbr, exp) in enumerate(ENTRIES):
        for label, lang in (("기술", "ko"), ("Technical", "en")):
            for kind, text in (("abbr", abbr), ("expansion", exp)):
                rows.append({"id": f"e{i}-{kind[0]}-{lang}", "text": f"{text} ({label})",
                             "entry_id": f"e{i}", "kind": kind, "label_lang": lang})
    return rows


def make_queries() -> list[dict]:
    rows: list[dict] = []

    def add(text, relevant, lang, direction, ambiguous):
        rows.append({"id": f"q{len(rows)}", "text": text, "relevant": relevant, "lang": lang,
                     "direction": direction, "ambiguous": ambiguous})

    for i, (abbr, exp) in enumerate(ENTRIES):
        senses = [j for j, (a, _) in enumerate(ENTRIES) if a == abbr]
        amb = len(senses) > 1
        add(f"What does {abbr} stand for?", [f"e{j}-e-en" for j in senses], "en", "abbr2exp", amb)
        add(f"{abbr}는 무엇의 약자인가요?", [f"e{j}-e-ko" for j in senses], "ko", "abbr2exp", amb)
        add(f"What is the abbreviation for {exp}?", [f"e{i}-a-en"], "en", "exp2abbr", amb)
        add(f"{exp}의 약어는 무엇인가요?", [f"e{i}-a-ko"], "mixed", "exp2abbr", amb)
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def write_data_dir(d: Path) -> Path:
    """corpus.jsonl and queries-{heldout-terms,heldout-phrasings,dev}.jsonl in ``d``."""
    d.mkdir(parents=True, exist_ok=True)
    write_jsonl(d / "corpus.jsonl", make_corpus())
    qs = make_queries()
    for split in ("heldout-terms", "heldout-phrasings", "dev"):
        write_jsonl(d / f"queries-{split}.jsonl", qs)
    return d
