"""``termfit mine``: build or grow a glossary from specifications and other documents."""

from __future__ import annotations

import argparse
import sys

HELP = "extract abbreviations from documents (.txt, .md, .docx, .pdf) into a glossary"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("documents", nargs="+", metavar="DOC", help=".txt, .md, .docx or .pdf files")
    p.add_argument("--out", required=True, metavar="GLOSSARY.jsonl", help="glossary to write")
    p.add_argument("--contexts", metavar="CONTEXTS.jsonl",
                   help="also write usage sentences: every prose sentence using an "
                        "abbreviation that its document defines, with that sense")
    p.add_argument("--merge", metavar="EXISTING.jsonl",
                   help="existing glossary: its entries are kept and the new ones added")
    p.add_argument("--allow-no-clause", action="store_true",
                   help="mine documents without Abbreviations clause rows too (definitions "
                        "and inline definitions only) instead of skipping them")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def _summary(r: dict, skipped: int, report_file, args: argparse.Namespace) -> None:
    m = r["mentions"]
    print(f"read {r['documents_read']} document(s), skipped {skipped}; {m['clause']} clause "
          f"rows, {m['definition']} definitions, {m['inline']} inline definitions"
          + (f", {r['usage_sentences']} usage sentences" if args.contexts else ""))
    print(f"added {len(r['added'])}, merged {len(r['merged'])}, "
          f"conflicting abbreviations {len(r['conflicts'])}; {r['total']} entries")
    for c in r["conflicts"][:20]:
        senses = "; ".join(f"{s['expansion']} [{', '.join(s['sources'][:3])}]"
                           for s in c["senses"])
        print(f"  conflict {c['abbr']}: {senses}")
    if len(r["conflicts"]) > 20:
        print(f"  ... {len(r['conflicts']) - 20} more in {report_file}")
    written = f"{args.out}, {args.contexts} and" if args.contexts else f"{args.out} and"
    print(f"wrote {written} {report_file}")


def run(args: argparse.Namespace) -> int:
    from termfit import mining
    from termfit.errors import InputError, Problem
    from termfit.fileio import check_output

    check_output(args.out)
    if args.contexts:
        check_output(args.contexts)
    existing = mining.load_existing(args.merge) if args.merge else None
    result, problems = mining.mine_documents(
        args.documents, existing, progress=not args.quiet, contexts=bool(args.contexts),
        allow_no_clause=args.allow_no_clause)
    r = result.report
    if r["documents_read"] == 0:
        raise InputError(problems or "no documents could be read")
    if not any(r["mentions"].values()):
        raise InputError(problems + [Problem(
            ", ".join(map(str, args.documents[:3])) + (" ..." if len(args.documents) > 3
                                                       else ""),
            "nothing found: no abbreviation rows, definitions or inline definitions; "
            "nothing written")])
    for p in problems:
        print(f"termfit mine: skipped {p.source}: {p.message}", file=sys.stderr)
    for u in r["unresolved_rows"][:50]:
        print(f"termfit mine: unresolved row {u['document']}:{u['line']}: {u['text']!r} "
              f"({u['reason']})", file=sys.stderr)
    if len(r["unresolved_rows"]) > 50:
        print(f"termfit mine: ... {len(r['unresolved_rows']) - 50} more unresolved rows in "
              "the report", file=sys.stderr)
    report_file = mining.write_result(result, args.out, args.contexts)
    if not args.quiet:
        _summary(r, len(problems), report_file, args)
    if problems:
        print(f"termfit mine: {len(problems)} document(s) skipped (exit code "
              f"{InputError.exit_code}); the others were written", file=sys.stderr)
        return InputError.exit_code
    return 0
