"""``termfit search``: ranked glossary entries for a query."""

from __future__ import annotations

import argparse
import json

from termfit.search import MAX_QUERY_CHARS, MODES

HELP = "search an index (hybrid dense + lexical by default)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", required=True, help="index folder from `termfit index`")
    p.add_argument("query", nargs="+",
                   help=f"query text (Korean or English, at most {MAX_QUERY_CHARS} characters)")
    p.add_argument("-k", type=int, default=10, help="number of results (default 10)")
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.add_argument("--model", default=None,
                   help="model to query with (default: the index's; must match it)")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    from termfit.errors import InputError, Problem
    from termfit.search import Searcher, check_query

    if args.k < 1:
        raise InputError(Problem("-k", f"must be at least 1, got {args.k}"))
    query = check_query(" ".join(args.query), name="query")
    hits = Searcher(args.index, model=args.model).search(query, k=args.k, mode=args.mode)
    if args.json:
        print(json.dumps({"query": query, "mode": args.mode,
                          "results": [h.to_dict() for h in hits]}, ensure_ascii=False, indent=2))
        return 0
    if not hits:
        print("no results")
        return 0
    w = max(len(h.abbr) for h in hits)
    for i, h in enumerate(hits, 1):
        ko = " / ".join(h.ko)
        cat = f" [{h.category}]" if h.category else ""
        print(f"{i:>2}. {h.abbr:<{w}}  {h.expansion}{cat}"
              f"{'  — ' + ko if ko else ''}  ({h.score:.3f} {h.scorer})")
    return 0
