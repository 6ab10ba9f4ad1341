"""``termfit data``: validate glossaries and build training/evaluation data."""

from __future__ import annotations

import argparse
import json

from termfit.commands._args import non_negative_int, positive_int
from termfit.glossary import CATEGORIES
from termfit.passages import DEFAULT_TEMPLATE

HELP = "validate glossaries and build bilingual training and evaluation data"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    build = sub.add_parser(
        "build", help="write train/corpus/query files from glossaries",
        description="Validate and merge GLOSSARY files (.jsonl, .csv, .tsv, or a .txt "
        "Abbreviations clause; default: the starter glossary), generate Korean/English "
        "(query, passage) pairs and evaluation queries, and write them to --out.")
    build.add_argument("glossary", nargs="*", metavar="GLOSSARY",
                       help="glossary files (default: the shipped starter glossary)")
    build.add_argument("--out", required=True, help="output directory (replaced atomically)")
    build.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    _common(build)
    build.add_argument("--pairs-per-entry", type=positive_int, default=32,
                       help="training queries per entry (default 32)")
    build.add_argument("--heldout-terms", type=float, default=0.10, metavar="FRACTION",
                       help="share of entries held out of training (default 0.10)")
    build.add_argument("--heldout-templates", type=float, default=0.2, metavar="FRACTION",
                       help="share of templates held out per language/direction (default 0.2)")
    build.add_argument("--max-heldout-phrasings", type=non_negative_int, default=3000,
                       help="cap on held-out phrasing queries (default 3000)")
    build.add_argument("--max-dev", type=non_negative_int, default=1000, help="cap on dev queries")
    build.add_argument("--passage-template", default=DEFAULT_TEMPLATE,
                       help="passage text for entries with a category (default "
                       f"'{DEFAULT_TEMPLATE}'); recorded in passages.json for `termfit index`")
    build.add_argument("--no-variants", action="store_true",
                       help="no lower-case / no-punctuation query variants")
    build.add_argument("--contexts", metavar="CONTEXTS.jsonl",
                       help="usage sentences (`termfit mine --contexts`): adds context training "
                       "rows and the realtext-dev/realtext-test splits, split by document")
    build.add_argument("--context-split", nargs=2, metavar=("DEV_DOCS", "TEST_DOCS"),
                       help="comma-separated document file names for real-text dev and test "
                       "(default: chosen by a stable hash of the file names)")
    build.add_argument("--no-generated-names", action="store_true",
                       help="no Korean-name rows for entries without a curated Korean name "
                       "(default: generated names, marked ko_generated)")
    build.add_argument("--name-rows", type=non_negative_int, default=4, metavar="N",
                       help="Korean name -> abbreviation/English name queries per entry "
                       "(default 4; 0: none)")
    build.add_argument("--description-rows", type=non_negative_int, default=3, metavar="N",
                       help="definition -> abbreviation queries per entry with a definition "
                       "(default 3; 0: none)")
    build.add_argument("--definitions", nargs="+", default=[], metavar="DOC",
                       help="documents whose Definitions clauses give entries definitions "
                       "for description queries")
    build.add_argument("--json", action="store_true", help="print the statistics as JSON")

    check = sub.add_parser("check", help="validate and merge glossaries; print the merge report")
    check.add_argument("glossary", nargs="*", metavar="GLOSSARY",
                       help="glossary files (default: the shipped starter glossary)")
    _common(check)
    check.add_argument("--out", help="also write the validated entries as JSONL")

    stats = sub.add_parser("stats", help="print the statistics table of a built directory")
    stats.add_argument("dir", help="directory written by `termfit data build`")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--columns", metavar="MAP",
                   help="CSV/TSV header mapping, e.g. 'Acronym=abbr,Full name=expansion,"
                   "Korean=ko,Notes=-' (fields: id abbr expansion ko category definition "
                   "sources aliases; - ignores a column)")
    p.add_argument("--default-category", choices=CATEGORIES,
                   help="category for entries that have none (default: no label)")


def _paths(args: argparse.Namespace) -> list[str]:
    from termfit.glossary import default_glossary_path

    return list(args.glossary) or [str(default_glossary_path())]


def run(args: argparse.Namespace) -> int:
    from termfit import dataset, glossary
    from termfit.fileio import check_output

    if args.data_command == "stats":
        print(dataset.format_stats(dataset.read_stats(args.dir)))
        return 0
    if args.data_command == "check":
        if args.out:
            check_output(args.out)
        entries, report = glossary.read_glossary(_paths(args), columns=args.columns,
                                                 default_category=args.default_category)
        print(f"{len(entries)} entries; {report.summary()}")
        for m in report.merged:
            k, o = m["kept"], m["merged"]
            print(f"  merged ({', '.join(m['kind'])}): {o['abbr']} | {o['expansion']}"
                  f"  ->  {k['abbr']} | {k['expansion']}")
        for c in report.conflicts:
            print(f"  conflict: {c['id']} {c['field']} {c['kept']!r} vs {c['other']!r}")
        if args.out:
            from termfit.fileio import write_jsonl

            write_jsonl(args.out, [e.to_dict() for e in entries])
            print(f"wrote {args.out}")
        return 0
    check_output(args.out, folder=True)
    config = dataset.BuildConfig(
        pairs_per_entry=args.pairs_per_entry,
        heldout_terms_fraction=args.heldout_terms,
        heldout_template_fraction=args.heldout_templates,
        max_heldout_phrasings=args.max_heldout_phrasings,
        max_dev_queries=args.max_dev,
        passage_template=args.passage_template,
        default_category=args.default_category,
        surface_variants=not args.no_variants,
        generated_ko_names=not args.no_generated_names,
        name_rows_per_entry=args.name_rows,
        description_rows_per_entry=args.description_rows,
        definitions_from=list(args.definitions),
    )
    contexts, context_config = _contexts(args)
    result = dataset.build_dataset(_paths(args), args.out, seed=args.seed, config=config,
                                   columns=args.columns, contexts=contexts,
                                   context_config=context_config)
    if args.json:
        print(json.dumps(result.stats, ensure_ascii=False, indent=2))
    else:
        print(dataset.format_stats(result.stats))
        from termfit.evalguard import guard_summary

        card = json.loads((result.out_dir / "data_card.json").read_text(encoding="utf-8"))
        print(f"\n{result.merge_report.summary()}; {guard_summary(card['eval_guard'])}; "
              f"wrote {result.out_dir}")
        if contexts is not None:
            from termfit.realtext import context_summary

            print(context_summary(card["realtext"]))
    return 0


def _contexts(args: argparse.Namespace):
    """Usage sentences and their options from ``--contexts``/``--context-split``."""
    from termfit.errors import InputError, Problem

    if args.contexts is None:
        if args.context_split:
            raise InputError(Problem("--context-split", "needs --contexts"))
        return None, None
    from termfit.realtext import ContextConfig
    from termfit.usage import read_contexts

    config = ContextConfig()
    if args.context_split:
        dev, test = ([d.strip() for d in x.split(",") if d.strip()] for x in args.context_split)
        config.dev_documents, config.test_documents = dev, test
    return read_contexts(args.contexts), config
