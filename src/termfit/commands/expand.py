"""``termfit expand``: the abbreviations of texts, each resolved to a sense in context."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "find the abbreviations of texts or documents and resolve each to a sense in context"

DOCUMENT_SUFFIXES = (".md", ".markdown", ".docx", ".pdf")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("texts", nargs="*", metavar="TEXT", help="texts (Korean or English)")
    p.add_argument("--input", metavar="FILE",
                   help="one text per line (- for standard input), or a .md/.docx/.pdf "
                   "document resolved paragraph by paragraph with document-level evidence")
    p.add_argument("--document", action="store_true",
                   help="read a --input .txt file as one document (paragraphs separated by "
                   "blank lines) rather than one text per line")
    p.add_argument("--index", help="index folder from `termfit index` (glossary and model)")
    p.add_argument("--glossary", action="append", metavar="FILE",
                   help="glossary file, without --index; repeat for several (default: the "
                   "starter glossary)")
    p.add_argument("--model", default=None,
                   help="model (default: the index's, or the offline multilingual-e5-small)")
    p.add_argument("--rewrite", action="store_true",
                   help="insert each expansion after the first use: \"CP (Cyclic Prefix)\"")
    p.add_argument("--jsonl", action="store_true", help="one JSON object per input text")


def _lines(path: str) -> list[str]:
    from termfit.errors import InputError, Problem

    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        p = Path(path)
        if p.is_dir():
            raise InputError(Problem(path, "is a folder; expected a text file"))
        if not p.is_file():
            raise InputError(Problem(path, "file not found"))
        data = p.read_bytes()
    texts: list[str] = []
    problems: list[Problem] = []
    for n, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError as exc:
            problems.append(Problem(path, f"undecodable bytes ({exc.reason}); expected UTF-8 "
                                    "text", n))
            continue
        if line.strip():
            texts.append(line.strip())
    if problems:
        raise InputError(problems)
    if not texts:
        raise InputError(Problem(path, "no text found; expected one text per line"))
    return texts


def document_paragraphs(path: str) -> list[str]:
    """Paragraphs of a document (blocks separated by blank lines, lines joined)."""
    from termfit.errors import InputError, Problem
    from termfit.mining import DocumentError, read_document

    try:
        parts = read_document(path)
    except DocumentError as exc:
        raise InputError(Problem(path, str(exc))) from None
    paragraphs: list[str] = []
    for _, text in parts:
        block: list[str] = []
        for line in [*text.splitlines(), ""]:
            if line.strip():
                block.append(line.strip())
            elif block:
                paragraphs.append(" ".join(block))
                block = []
    return paragraphs


def _inputs(args: argparse.Namespace) -> tuple[list[str], bool]:
    from termfit.errors import InputError, Problem

    if args.texts and args.input:
        raise InputError(Problem("expand", "give texts or --input FILE, not both"))
    if args.document and not args.input:
        raise InputError(Problem("--document", "needs --input FILE"))
    if args.input:
        if args.document or Path(args.input).suffix.lower() in DOCUMENT_SUFFIXES:
            return document_paragraphs(args.input), True
        return _lines(args.input), False
    if not args.texts:
        raise InputError(Problem("expand", "no text given; pass texts or --input FILE"))
    empty = [i for i, t in enumerate(args.texts, 1) if not t.strip()]
    if empty:
        raise InputError(Problem("expand", f"text {empty[0]} is empty"))
    return [t.strip() for t in args.texts], False


def _print(result, rewrite: bool) -> None:
    print(result.rewritten if rewrite else result.text)
    for a in result.abbreviations:
        if a.expansion is None:
            print(f"  {a.abbr}: (unknown)")
            continue
        flag = "  (uncertain)" if a.uncertain else ""
        ident = f" [{a.entry_id}]" if a.entry_id else " [defined in the text]"
        alts = "; ".join(f"{x.expansion} {x.score:.2f}" for x in a.alternatives[:3])
        print(f"  {a.abbr}: {a.expansion}{ident} {a.score:.2f}{flag}"
              + (f"  — other senses: {alts}" if alts else ""))


def run(args: argparse.Namespace) -> int:
    from termfit.errors import InputError, Problem
    from termfit.expand import expand, load_resolver

    if args.index and args.glossary:
        raise InputError(Problem("--glossary", "not with --index (the index has its glossary)"))
    texts, document = _inputs(args)
    resolver = load_resolver(index=args.index, glossary=args.glossary, model=args.model)
    results = expand(texts, resolver, rewrite=args.rewrite, document=document)
    for i, r in enumerate(results):
        if args.jsonl:
            print(json.dumps(r.to_dict(), ensure_ascii=False))
        else:
            if i:
                print()
            _print(r, args.rewrite)
    return 0
