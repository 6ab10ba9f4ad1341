"""``termfit mine``: build or grow a glossary from specifications and other documents."""

from __future__ import annotations

import argparse
import sys

HELP = "extract abbreviations from documents (.txt, .md, .docx, .pdf) into a glossary"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("documents", nargs="+", metavar="DOC", help=".txt, .md, .docx or .pdf files")
    p.add_argument("--out", required=True, metavar="GLOSSARY.jsonl", help="glossary to write")
    p.add_argument("--merge", metavar="EXISTING.jsonl",
                   help="existing glossary: its entries are kept and the new ones added")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def run(args: argparse.Namespace) -> int:
    from termfit import mining
    from termfit.errors import InputError
    from termfit.fileio import check_output

    check_output(args.out)
    existing = mining.load_existing(args.merge) if args.merge else None
    result, problems = mining.mine_documents(args.documents, existing, progress=not args.quiet)
    if result.report["documents_read"] == 0:
        raise InputError(problems or "no documents could be read")
    for p in problems:
        print(f"termfit mine: skipped {p.source}: {p.message}", file=sys.stderr)
    report_file = mining.write_result(result, args.out)
    if not args.quiet:
        r = result.report
        print(f"read {r['documents_read']} document(s), skipped {len(problems)}; "
              f"{r['mentions']['clause']} clause rows, {r['mentions']['inline']} inline "
              "definitions")
        print(f"added {len(r['added'])}, merged {len(r['merged'])}, "
              f"conflicting abbreviations {len(r['conflicts'])}; {r['total']} entries")
        for c in r["conflicts"][:20]:
            senses = "; ".join(f"{s['expansion']} [{', '.join(s['sources'][:3])}]"
                               for s in c["senses"])
            print(f"  conflict {c['abbr']}: {senses}")
        if len(r["conflicts"]) > 20:
            print(f"  ... {len(r['conflicts']) - 20} more in {report_file}")
        print(f"wrote {args.out} and {report_file}")
    return 0
