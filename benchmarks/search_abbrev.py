"""Search with and without the abbreviation path: top-1 accuracy.

Queries: the hand-written Korean questions (:func:`termfit.realtext.load_korean_questions`)
and, with ``--data`` (a ``termfit data build`` folder with the real-text splits), the
realtext-test queries. The index is built once (cached under ``--work``) with the offline
base model over the data folder's entries (``--data``) or the shared glossary. Systems:

- ``hybrid``: dense + BM25 + acronym + the Korean scorers ("names": dense over Korean-name
  and description passages; "translated": BM25 over English text with Korean terms
  translated), equal RRF weights, no abbreviation path;
- ``hybrid+abbr``: the same plus the abbreviation path (default weights);
- ``hybrid+abbr no-korean``: ``hybrid+abbr`` without the two Korean scorers;
- ``hybrid+abbr tuned``: weights chosen on realtext-dev by
  :func:`termfit.search.tune_settings` (only with ``--data``; never on test);
- ``dense`` and ``dense+abbr``.

A query is right when the top hit is an entry of the gold sense (spelling variants of one
sense count as one). Prints a table and writes ``benchmarks/results/search_abbrev.json``.

    python benchmarks/search_abbrev.py [--data DIR] [--model M] [--work DIR] [--limit-queries N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from _paths import shown

from termfit.fileio import read_jsonl, write_json
from termfit.glossary import normalize
from termfit.index import build_index
from termfit.realtext import load_korean_questions
from termfit.search import DEFAULT_WEIGHTS, Searcher, SearchSettings, tune_settings

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT.parent / "shared" / "data" / "telecom_glossary.jsonl"
OUT = ROOT / "benchmarks" / "results" / "search_abbrev.json"
#: (name, mode, abbreviation path, settings: "default" | "no-korean" | "tuned")
SYSTEMS = (("hybrid", "hybrid", False, "default"), ("hybrid+abbr", "hybrid", True, "default"),
           ("hybrid+abbr no-korean", "hybrid", True, "no-korean"),
           ("hybrid+abbr tuned", "hybrid", True, "tuned"), ("dense", "dense", False, "default"),
           ("dense+abbr", "dense", True, "default"))
#: Default weights with the Korean scorers left out.
NO_KOREAN = SearchSettings(DEFAULT_WEIGHTS | {"names": 0.0, "translated": 0.0})


def sense_ids(searcher: Searcher) -> dict[str, set[str]]:
    """Entry id -> the ids of every entry of its sense."""
    return {x: set(s.entry_ids) for senses in searcher.resolver.senses.values()
            for s in senses for x in s.entry_ids}


def korean_gold(searcher: Searcher, questions: Sequence[dict]) -> list[dict]:
    """The questions as queries with a gold entry id (same matching as
    :func:`termfit.realtext.korean_queries`); those without one in the index dropped."""
    by_abbr: dict[str, list[dict]] = {}
    for e in searcher.index.entries:
        by_abbr.setdefault(e["abbr"].casefold(), []).append(e)
    rows = []
    for q in questions:
        cands = by_abbr.get(q["abbr"].casefold(), [])
        for level in (1, 3):
            want = normalize(q["expansion"], level)
            gold = next((e for e in cands if normalize(e["expansion"], level) == want), None)
            if gold:
                rows.append({"text": q["question"], "entry_id": str(gold["id"]),
                             "kind": q["kind"], "ambiguous": len(cands) > 1})
                break
    return rows


def top1(searcher: Searcher, queries: Sequence[dict], mode: str, abbr: bool,
         senses: dict[str, set[str]]) -> dict:
    t0 = time.perf_counter()
    right, amb_right, amb = 0, 0, 0
    per_kind: dict[str, list[int]] = {}
    for i in range(0, len(queries), 32):
        batch = queries[i:i + 32]
        res = searcher.search_results([q["text"] for q in batch], k=1, mode=mode,
                                      abbreviations=abbr)
        for q, r in zip(batch, res, strict=True):
            ok = bool(r.hits) and r.hits[0].id in senses.get(q["entry_id"], {q["entry_id"]})
            right += ok
            kind = q.get("kind")
            if kind:
                per_kind.setdefault(kind, [0, 0])
                per_kind[kind][0] += ok
                per_kind[kind][1] += 1
            if q.get("ambiguous"):
                amb += 1
                amb_right += ok
    secs = time.perf_counter() - t0
    return {"n": len(queries), "top1": round(right / max(1, len(queries)), 4),
            "n_ambiguous": amb, "top1_ambiguous": round(amb_right / amb, 4) if amb else None,
            "ms_per_query": round(1000 * secs / max(1, len(queries)), 1),
            "top1_by_kind": {k: {"n": n, "top1": round(r / n, 4)}
                             for k, (r, n) in sorted(per_kind.items())}}


def print_kinds(results: dict[str, dict], queries: str) -> None:
    """A table of top-1 per question kind of the ``queries`` set, one row per system."""
    kinds = sorted({k for r in results.values() for k in r[queries]["top1_by_kind"]})
    if not kinds:
        return
    print(f"\n{queries} top-1 by kind")
    print("| system | " + " | ".join(kinds) + " |")
    print("|---|" + "---|" * len(kinds))
    for name, r in results.items():
        per = r[queries]["top1_by_kind"]
        print(f"| {name} | " + " | ".join(
            f"{per[k]['top1']:.3f} (n={per[k]['n']})" if k in per else "-" for k in kinds)
            + " |")


def index_dir(work: Path, data: Path | None, model: str = "default") -> Path:
    label = "default" if model == "default" else Path(model).name
    out = work / (("index-data" if data else "index-glossary") + f"-{label}")
    if not (out / "manifest.json").is_file():
        t0 = time.perf_counter()
        print(f"building the index in {out} ...", file=sys.stderr)
        if data:
            build_index(out, model=model, data=data, show_progress=False)
        else:
            build_index(out, [GLOSSARY], model, show_progress=False)
        print(f"built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=None,
                    help="data folder with queries-realtext-dev/test.jsonl")
    ap.add_argument("--work", type=Path, default=Path("/tmp/termfit-search-abbrev"))
    ap.add_argument("--limit-queries", type=int, default=None,
                    help="at most this many queries per set (and dev queries for tuning)")
    ap.add_argument("--model", default="default",
                    help="model behind the index (default: the offline e5-small)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if not args.data and not GLOSSARY.is_file():
        raise SystemExit(f"no {GLOSSARY}: pass --data")
    searcher = Searcher(index_dir(args.work, args.data, args.model), settings=SearchSettings())
    senses = sense_ids(searcher)
    lim = args.limit_queries
    sets = {"korean-questions": korean_gold(searcher, load_korean_questions())[:lim]}
    tuned = None
    if args.data:
        sets["realtext-test"] = read_jsonl(args.data / "queries-realtext-test.jsonl")[:lim]
        dev = read_jsonl(args.data / "queries-realtext-dev.jsonl")[:lim]
        t0 = time.perf_counter()
        tuned = tune_settings(searcher, dev)
        print(f"tuned on {len(dev)} realtext-dev queries in {time.perf_counter() - t0:.0f} s: "
              f"{tuned.weights}", file=sys.stderr)
    results: dict[str, dict] = {}
    for name, mode, abbr, which in SYSTEMS:
        if which == "tuned" and tuned is None:
            continue
        searcher.settings = {"tuned": tuned, "no-korean": NO_KOREAN}.get(which) or SearchSettings()
        results[name] = {s: top1(searcher, qs, mode, abbr, senses) for s, qs in sets.items()}
    cols = list(sets)
    print("| system | " + " | ".join(f"{c} top-1 | {c} ambiguous" for c in cols) + " |")
    print("|---|" + "---|---|" * len(cols))
    for name, r in results.items():
        print(f"| {name} | " + " | ".join(
            f"{r[c]['top1']:.3f} | {r[c]['top1_ambiguous'] or 0:.3f} (n={r[c]['n_ambiguous']})"
            for c in cols) + " |")
    print("queries: " + ", ".join(f"{c} {len(q)}" for c, q in sets.items()))
    print_kinds(results, "korean-questions")
    write_json(args.out, {
        "model": ("default (offline multilingual-e5-small, not fine-tuned)"
                  if args.model == "default" else shown(Path(args.model))),
        "index": "data entries" if args.data else shown(GLOSSARY),
        "data": shown(args.data), "limit_queries": lim,
        "queries": {c: len(q) for c, q in sets.items()},
        "tuned_settings": tuned.to_dict() if tuned else None, "results": results})
    print(f"wrote {shown(args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
