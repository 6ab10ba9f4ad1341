"""Generated Korean term names against known English/Korean pairs.

Known pairs: TTA's ICT term list (``../shared/data/ko_en_ict_terms.jsonl``), the Korean
names of the shared glossary and of the starter glossary. The pairs are split by a hash of
the normalised English name, fixed before the lexicon (``termfit/data/en_ko_terms.tsv``)
was written: the lexicon was written with the seen half in view, never the held-out half.
The shared glossary's own Korean names (270 rows) were listed once before the split was
fixed, so ``held_out_clean`` also reports the held-out pairs whose English name is not one
of those rows. Reported per part:
how many pairs get a name, exact match (spaces and middle dots ignored) and character F1
(multiset of Hangul/Latin/digit characters) against the closest known name, over the
pairs that get a name and over all pairs (a missing name scores 0). Coverage: the share of
the shared glossary's expansions that get a name.

    python benchmarks/ko_names.py [--out benchmarks/results/ko_names.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections import Counter
from pathlib import Path

from termfit.fileio import write_json
from termfit.glossary import normalize
from termfit.ko_names import korean_name, unknown_words

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
STARTER = ROOT / "src" / "termfit" / "data" / "starter_glossary.jsonl"
_CHARS = re.compile(r"[0-9A-Za-z가-힣]")


def is_held_out(english: str) -> bool:
    """The fixed split: half of the English names, by a hash of their normalised form."""
    digest = hashlib.sha256(normalize(english, 1).encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % 2 == 1


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def known_pairs(shared: Path = SHARED, starter: Path = STARTER) -> dict[str, list[str]]:
    """English name → its known Korean names, from the three sources (sources present only)."""
    pairs: dict[str, list[str]] = {}

    def add(english: str, names: list[str]) -> None:
        key = english.strip()
        for name in names:
            name = name.strip()
            if name and re.search(r"[가-힣]", name) and name not in pairs.setdefault(key, []):
                pairs[key].append(name)

    if (shared / "ko_en_ict_terms.jsonl").is_file():
        for row in _jsonl(shared / "ko_en_ict_terms.jsonl"):
            add(row["en"], [row["ko"], *row.get("synonyms", [])])
    if (shared / "telecom_glossary.jsonl").is_file():
        for row in _jsonl(shared / "telecom_glossary.jsonl"):
            add(row["expansion"], row.get("ko", []))
    if starter.is_file():
        for row in _jsonl(starter):
            add(row["expansion"], row.get("ko", []))
    return _merge_spellings(pairs)


def _merge_spellings(pairs: dict[str, list[str]]) -> dict[str, list[str]]:
    """The same English name in two spellings counts once."""
    merged: dict[str, list[str]] = {}
    seen: dict[str, str] = {}
    for english, names in pairs.items():
        if not names:
            continue
        key = normalize(english, 1)
        first = seen.setdefault(key, english)
        merged.setdefault(first, [])
        merged[first] += [n for n in names if n not in merged[first]]
    return merged


def glossary_named(glossary: Path) -> set[str]:
    """Normalised expansions of the glossary rows that carry a Korean name."""
    if not glossary.is_file():
        return set()
    return {normalize(row["expansion"], 1) for row in _jsonl(glossary) if row.get("ko")}


def _chars(text: str) -> Counter:
    return Counter(_CHARS.findall(text))


def char_f1(predicted: str, gold: str) -> float:
    """F1 of the character multisets (spaces and punctuation ignored)."""
    p, g = _chars(predicted), _chars(gold)
    common = sum((p & g).values())
    if not common:
        return 0.0
    precision, recall = common / sum(p.values()), common / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def _squash(text: str) -> str:
    return "".join(_CHARS.findall(text)).lower()


def score(pairs: dict[str, list[str]]) -> dict:
    """Named count, exact match and character F1 of the generated names for ``pairs``."""
    named = exact = 0
    f1_sum = 0.0
    for english, golds in pairs.items():
        name = korean_name(english)
        if name is None:
            continue
        named += 1
        exact += any(_squash(name) == _squash(g) for g in golds)
        f1_sum += max(char_f1(name, g) for g in golds)
    n = len(pairs)
    return {
        "pairs": n, "named": named,
        "exact_named": round(exact / named, 3) if named else None,
        "char_f1_named": round(f1_sum / named, 3) if named else None,
        "exact_all": round(exact / n, 3) if n else None,
        "char_f1_all": round(f1_sum / n, 3) if n else None,
    }


def coverage(glossary: Path) -> dict:
    """Share of the glossary's distinct expansions that get a generated name, and of the
    distinct words of those expansions (outside multi-word units) that the lexicon knows."""
    expansions = {row["expansion"] for row in _jsonl(glossary)}
    named = sum(korean_name(e) is not None for e in expansions)
    words = {w.lower() for e in expansions for w in re.findall(r"[A-Za-z]{2,}", e)
             if not any(c.isupper() for c in w[1:])}
    unknown = {w for e in expansions for w in unknown_words(e)}
    return {"expansions": len(expansions), "named": named,
            "share": round(named / len(expansions), 3) if expansions else None,
            "words": len(words), "unknown_words": len(unknown & words),
            "word_share": round(1 - len(unknown & words) / len(words), 3) if words else None}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/ko_names.json")
    args = parser.parse_args(argv)
    pairs = known_pairs()
    listed = glossary_named(SHARED / "telecom_glossary.jsonl")
    parts = {
        "seen": {e: k for e, k in pairs.items() if not is_held_out(e)},
        "held_out": {e: k for e, k in pairs.items() if is_held_out(e)},
        "held_out_clean": {e: k for e, k in pairs.items()
                           if is_held_out(e) and normalize(e, 1) not in listed},
    }
    result = {"parts": {name: score(p) for name, p in parts.items()}}
    glossary = SHARED / "telecom_glossary.jsonl"
    if glossary.is_file():
        result["coverage"] = coverage(glossary)
    print(f"{'part':<15} {'pairs':>6} {'named':>6} {'exact|named':>12} {'chrF1|named':>12} "
          f"{'exact|all':>10} {'chrF1|all':>10}")
    for name, r in result["parts"].items():
        print(f"{name:<15} {r['pairs']:>6} {r['named']:>6} {r['exact_named']!s:>12} "
              f"{r['char_f1_named']!s:>12} {r['exact_all']!s:>10} {r['char_f1_all']!s:>10}")
    if "coverage" in result:
        c = result["coverage"]
        print(f"coverage of the shared glossary's expansions: {c['named']}/{c['expansions']} "
              f"= {c['share']}; of their words: {c['words'] - c['unknown_words']}/{c['words']} "
              f"= {c['word_share']}")
    write_json(args.out, result)
    return result


if __name__ == "__main__":
    main()
