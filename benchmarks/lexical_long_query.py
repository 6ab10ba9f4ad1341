"""Acronym (lexical) scorer time against query length: it must grow linearly.

Scores queries of 1k, 4k, 16k and 100k characters against the starter glossary's
passages, for three kinds of text: specification prose (from ../shared/specs when present,
else a repeated telecom sentence), spelled-out terms, and one long unbroken word (the case
that was quadratic). `termfit search` and the server cap queries at 256 characters; the
scorer itself is also used on evaluation queries and from Python.

    python benchmarks/lexical_long_query.py [--out benchmarks/results/lexical_long_query.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LENGTHS = (1_000, 4_000, 16_000, 100_000)
SENTENCE = ("The AMF selects an SMF for the PDU session and the UPF forwards user plane "
            "traffic; 세션 관리 기능은 무엇인가요? ")
TERMS = ("What is the abbreviation for Access and Mobility Management Function and "
         "Radio Link Failure? ")


def _texts() -> dict[str, str]:
    specs = sorted((ROOT.parent / "shared" / "specs").glob("*.md"))
    prose = "".join(p.read_text(encoding="utf-8") for p in specs[:3]) if specs else ""
    if len(prose) < max(LENGTHS):
        prose = SENTENCE * (max(LENGTHS) // len(SENTENCE) + 1)
    return {
        "spec prose" if specs else "telecom sentences": prose,
        "spelled-out terms": TERMS * (max(LENGTHS) // len(TERMS) + 1),
        "one long word": "a" * max(LENGTHS),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" /
                                         "lexical_long_query.json"))
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    from termfit.glossary import default_glossary_path, load_glossary
    from termfit.index import index_passages
    from termfit.lexical import AcronymScorer

    entries = load_glossary([default_glossary_path()])
    passages, _ = index_passages(entries)
    rows = []
    print(f"{len(passages)} passages ({len(entries)} entries, starter glossary)")
    print(f"{'text':<20}" + "".join(f"{n:>10,}" for n in LENGTHS) + "   s per 1k chars")
    for name, text in _texts().items():
        times = []
        for n in LENGTHS:
            scorer = AcronymScorer(passages, exact_match=1.0)  # fresh caches
            t0 = time.perf_counter()
            scorer.score([text[:n]])
            times.append(time.perf_counter() - t0)
        per_k = [t / (n / 1000) for t, n in zip(times, LENGTHS, strict=True)]
        rows.append({"text": name, "seconds": dict(zip(map(str, LENGTHS), map(
            lambda t: round(t, 4), times), strict=True)),
            "seconds_per_1k_chars": [round(x, 4) for x in per_k]})
        print(f"{name:<20}" + "".join(f"{t:>10.3f}" for t in times)
              + "   " + " ".join(f"{x:.3f}" for x in per_k))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "script": "benchmarks/lexical_long_query.py", "glossary": "starter_glossary.jsonl",
        "passages": len(passages), "lengths": list(LENGTHS), "results": rows,
    }, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
