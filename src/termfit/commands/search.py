"""``termfit search``: ranked glossary entries for a query."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from termfit.search import MAX_QUERY_CHARS, MODES

if TYPE_CHECKING:
    from termfit.expand import Abbreviation

HELP = "search an index (hybrid dense + lexical by default)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", required=True, help="index folder from `termfit index`")
    p.add_argument("query", nargs="+",
                   help=f"query text (Korean or English, at most {MAX_QUERY_CHARS} characters)")
    p.add_argument("-k", type=int, default=10, help="number of results (default 10)")
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.add_argument("--model", default=None,
                   help="model to query with (default: the index's; must match it)")
    p.add_argument("--no-abbreviations", action="store_true",
                   help="leave out the abbreviation path (abbreviations named in the query "
                        "resolved in context and their senses added as candidates)")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    from termfit.errors import InputError, Problem
    from termfit.search import Searcher, check_query

    if args.k < 1:
        raise InputError(Problem("-k", f"must be at least 1, got {args.k}"))
    query = check_query(" ".join(args.query), name="query")
    result = Searcher(args.index, model=args.model).search_results(
        [query], k=args.k, mode=args.mode, abbreviations=not args.no_abbreviations)[0]
    if args.json:
        print(json.dumps({"mode": args.mode, **result.to_dict()}, ensure_ascii=False, indent=2))
        return 0
    for line in abbreviation_lines(result.abbreviations):
        print(line)
    hits = result.hits
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


def abbreviation_lines(abbreviations: Sequence[Abbreviation]) -> list[str]:
    """One line per abbreviation of the query: the chosen sense, its probability and the
    other senses; then a blank line (nothing when the query names none)."""
    lines = []
    for a in abbreviations:
        if a.expansion is None:
            lines.append(f"{a.abbr}: not in the glossary")
            continue
        sense = a.expansion
        flag = ", uncertain" if a.uncertain else ""
        alts = "; ".join(f"{x.expansion} {x.score:.2f}" for x in a.alternatives)
        lines.append(f"{a.abbr} = {sense} ({a.score:.2f}{flag})"
                     + (f"  other senses: {alts}" if alts else ""))
    return [*lines, ""] if lines else []
