"""Which passages to index per entry: a handful of Korean/English questions, dense only.

Compares (a) the training passages per entry (termfit.passages: abbreviation and
expansion with each category label, max over them; what `termfit index` writes), (b) those
plus each Korean name as a passage, (c) one combined passage per entry
("AMF: Access and Mobility ... / 접근 및 이동성 관리 기능") and (d) (a) and (c), on the
target entries plus a random sample of other glossary entries as distractors.

    python benchmarks/search_passages.py --glossary ../shared/data/telecom_glossary.jsonl
    (prints the table; writes benchmarks/results/search_passages.json)
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

# (query, expected abbreviation): paraphrases, questions, Korean without the exact TTA name.
QUERIES = [
    ("이동성 관리를 담당하는 5G 코어 네트워크 기능", "AMF"),
    ("세션을 관리하는 기능은?", "SMF"),
    ("What does the user plane function do?", "UPF"),
    ("무선 링크 실패", "RLF"),
    ("무선 자원 제어 프로토콜", "RRC"),
    ("사물 인터넷이란 무엇인가요?", "IoT"),
    ("hybrid ARQ retransmission", "HARQ"),
    ("하향링크 물리 제어 채널", "PDCCH"),
    ("network slice selection assistance info", "NSSAI"),
    ("셀 무선 네트워크 임시 식별자", "C-RNTI"),
    ("LTE 코어의 이동성 관리 엔티티", "MME"),
    ("software defined networking의 약어", "SDN"),
    ("서비스 품질", "QoS"),
    ("What is the abbreviation for Radio Link Failure?", "RLF"),
    ("AMF의 역할은 무엇인가요?", "AMF"),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--glossary", required=True)
    ap.add_argument("--model", default=None)
    ap.add_argument("--distractors", type=int, default=400)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" /
                                         "search_passages.json"))
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from termfit.glossary import load_glossary
    from termfit.index import lexical_text
    from termfit.models import load_model
    from termfit.passages import DEFAULT, category_label, passage_texts

    entries = load_glossary([args.glossary])
    wanted = {a for _, a in QUERIES}
    targets = [e for e in entries if e.abbr in wanted]
    others = [e for e in entries if e.abbr not in wanted]
    random.Random(0).shuffle(others)
    pool = targets + others[: args.distractors]
    model = load_model(args.model)
    q = model.encode([t for t, _ in QUERIES], prompt_name="query", normalize_embeddings=True)

    def evaluate(passages_of) -> tuple[float, float]:
        texts, owner = [], []
        for i, e in enumerate(pool):
            for p in passages_of(e):
                texts.append(p)
                owner.append(i)
        emb = model.encode(texts, prompt_name="passage", normalize_embeddings=True,
                           batch_size=64, show_progress_bar=True)
        starts = np.flatnonzero(np.diff(np.asarray(owner), prepend=-1))
        scores = np.maximum.reduceat(q @ emb.T, starts, axis=1)
        hit1, rr = [], []
        for row, (_, abbr) in zip(scores, QUERIES, strict=True):
            order = np.argsort(-row)
            rank = next(r for r, i in enumerate(order, 1) if pool[i].abbr == abbr)
            hit1.append(rank == 1)
            rr.append(1 / rank)
        return float(np.mean(hit1)), float(np.mean(rr))

    def with_korean(e) -> list[str]:
        label = category_label(e.category, "ko")
        return [*passage_texts(e), *(DEFAULT.render(k, label) for k in e.ko)]

    options = {
        "training passages (max)": passage_texts,
        "+ Korean names (max)": with_korean,
        "combined passage": lambda e: [lexical_text(e)],
        "training + combined": lambda e: [*passage_texts(e), lexical_text(e)],
    }
    rows = {name: evaluate(fn) for name, fn in options.items()}
    print(f"{len(QUERIES)} queries, {len(pool)} entries")
    print(f"{'passages':<26}{'hit@1':>7}{'MRR':>7}")
    for name, (h, m) in rows.items():
        print(f"{name:<26}{h:>7.3f}{m:>7.3f}")
    from _paths import shown

    from termfit.fileio import write_json

    write_json(args.out, {
        "script": "benchmarks/search_passages.py", "glossary": shown(args.glossary),
        "model": shown(args.model) or "default", "queries": len(QUERIES),
        "entries": len(pool), "results": {name: {"hit@1": round(h, 4), "mrr": round(m, 4)}
                                          for name, (h, m) in rows.items()},
    })
    print(f"wrote {shown(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
