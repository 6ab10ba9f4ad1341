"""Training test helpers: a small data folder and a fast recipe for the tiny model."""

from __future__ import annotations

import json
from pathlib import Path

from termfit.recipe import Recipe


def write_data(d: Path) -> Path:
    """A small data folder in the shape of 'termfit data build'."""
    entries = [
        ("aal2", "AAL2", "ATM Adaptation Layer 2"), ("aal5", "AAL5", "ATM Adaptation Layer 5"),
        ("cp-control", "CP", "Control Plane"), ("cp-prefix", "CP", "Cyclic Prefix"),
        ("amf", "AMF", "Access and Mobility Management Function"),
        ("smf", "SMF", "Session Management Function"), ("upf", "UPF", "User Plane Function"),
        ("ofdm", "OFDM", "Orthogonal Frequency Division Multiplexing"),
        ("harq", "HARQ", "Hybrid Automatic Repeat Request"),
        ("mme", "MME", "Mobility Management Entity"),
        ("pdu", "PDU", "Protocol Data Unit"), ("qos", "QoS", "Quality of Service"),
    ]
    d.mkdir(parents=True, exist_ok=True)
    corpus, train_rows, queries = [], [], []
    for eid, abbr, exp in entries:
        for kind, text in (("abbr", abbr), ("expansion", exp)):
            for lang, label in (("ko", "기술"), ("en", "Technical")):
                corpus.append({"id": f"{eid}-{kind}-{lang}", "text": f"{text} ({label})",
                               "entry_id": eid, "kind": kind, "label_lang": lang})
        for i, (q, pos, neg) in enumerate([
            (f"What does {abbr} stand for?", f"{exp} (Technical)", f"{abbr} (Technical)"),
            (f"{abbr}는 무엇의 약어인가요?", f"{exp} (기술)", f"{abbr} (기술)"),
            (f"What is the abbreviation for {exp}?", f"{abbr} (Technical)", f"{exp} (Technical)"),
            (f"{exp}의 약어는?", f"{abbr} (기술)", f"{exp} (기술)"),
            (f"{abbr} meaning", f"{exp} (Technical)", f"{abbr} (Technical)"),
        ]):
            train_rows.append({"anchor": "query: " + q, "positive": "passage: " + pos,
                               "negative_echo": "passage: " + neg, "entry_id": eid,
                               "lang": "en", "direction": "abbr2exp", "template": f"t{i}"})
        if eid == "amf":  # a comparison query: one row per compared term
            for target, other, answer in (("amf", "smf", "Access and Mobility Management "
                                           "Function"),
                                          ("smf", "amf", "Session Management Function")):
                train_rows.append({
                    "anchor": "query: What is the difference between AMF and SMF?",
                    "positive": f"passage: {answer} (Technical)",
                    "negative_echo": f"passage: {target.upper()} (Technical)",
                    "entry_id": target, "other_entry_id": other, "lang": "en",
                    "direction": "abbr2exp", "template": "t-cmp"})
        queries.append({"id": f"q-{eid}", "text": f"Explain {abbr} in one line",
                        "relevant": [f"{eid}-expansion-en", f"{eid}-expansion-ko"],
                        "entry_id": eid, "lang": "en", "direction": "abbr2exp"})
    def dump(name, rows):
        (d / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    dump("corpus.jsonl", corpus)
    dump("train.jsonl", train_rows)
    dump("queries-dev.jsonl", queries)
    dump("queries-heldout-phrasings.jsonl", queries)
    dump("entries.jsonl", [{"id": e, "abbr": a, "expansion": x} for e, a, x in entries])
    return d


def tiny_recipe(model: Path, **kw) -> Recipe:
    base = dict(base_model=str(model), learning_rate=1e-3, batch_size=8, max_steps=4,
                eval_steps=1000, eval_queries=5, save_steps=2, logging_steps=1,
                final_eval=False, bf16=False, warmup_ratio=0.0, lr_scheduler_type="linear")
    base.update(kw)
    return Recipe(**base)
