"""``termfit eval``: compare retrieval systems on a data split or on your own queries."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from termfit.commands._args import non_negative_int, positive_int
from termfit.layout import DataLayout

HELP = "evaluate bm25 / acronym / dense / hybrid retrieval and write JSON, markdown and PNG"


def add_arguments(p: argparse.ArgumentParser) -> None:
    src = p.add_argument_group("what to evaluate (a data folder, or your own files)")
    src.add_argument("--data", help="folder written by `termfit data build`")
    src.add_argument("--split", default="heldout-phrasings",
                     help="heldout-terms | heldout-phrasings | dev | realtext-dev | realtext-test "
                     "| korean (hand-written Korean questions over the folder's corpus; "
                     "default: %(default)s)")
    src.add_argument("--questions", metavar="FILE",
                     help="Korean questions for --split korean (default: the shipped set)")
    src.add_argument("--queries", help="JSONL: {id, text, relevant: [corpus ids]}")
    src.add_argument("--corpus", help="JSONL: {id, text}")
    src.add_argument("--dev-queries", help="JSONL of dev queries for tuning the hybrid "
                     "(default with --data: queries-realtext-dev.jsonl when present, else "
                     "queries-dev.jsonl; never the split evaluated)")
    p.add_argument("--system", default="all",
                   help="bm25 | acronym | dense | hybrid | all, or a comma list (default: all)")
    p.add_argument("--model", default=None,
                   help="model for dense/hybrid: default, a local folder or a HF id")
    p.add_argument("--out", help="report JSON path; .md and .png are written beside it")
    p.add_argument("--limit-queries", type=positive_int, default=None, metavar="N",
                   help="evaluate a fixed random sample of N queries")
    p.add_argument("--limit-dev", type=non_negative_int, default=300, metavar="N",
                   help="dev queries used to tune the hybrid (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default: %(default)s)")
    p.add_argument("--tokenizer", default="ngram", choices=["ngram", "kiwi"],
                   help="BM25 tokenizer (default: %(default)s)")
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--no-cache", action="store_true", help="do not cache corpus embeddings")
    p.add_argument("--training-log", metavar="FILE",
                   help="trainer_state.json or CSV (step, ndcg@10): plot NDCG@10 against step "
                   "to --plot (or beside --out)")
    p.add_argument("--plot", help="PNG path for --training-log")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _systems(arg: str) -> list[str]:
    """The systems named by --system (comma-separated, or "all")."""
    from termfit.errors import InputError, Problem
    from termfit.evaluate import SYSTEMS

    systems = list(SYSTEMS) if arg == "all" else [s.strip() for s in arg.split(",") if s.strip()]
    bad = [s for s in systems if s not in SYSTEMS]
    if bad or not systems:
        raise InputError(Problem("--system", f"unknown system {', '.join(bad) or '(none)'}; "
                                 "expected " + ", ".join(SYSTEMS) + " or all"))
    return systems


def _input_files(args: argparse.Namespace) -> tuple[Path, Path, str, Path | None]:
    """(queries file, corpus file, report name, dev queries file or None) from the options."""
    from termfit.errors import InputError, Problem
    from termfit.evaluate import split_paths

    dev_path = Path(args.dev_queries) if args.dev_queries else None
    if args.data:
        if args.queries or args.corpus:
            raise InputError(Problem("--data", "give either --data or --queries/--corpus"))
        if args.split == "korean":
            qpath, cpath = _korean_files(args)
        else:
            qpath, cpath = split_paths(args.data, args.split)
        dev_path = dev_path or _default_dev(args.data, args.split)
        return qpath, cpath, f"{Path(args.data).name}/{args.split}", dev_path
    if args.split == "korean":
        raise InputError(Problem("--split korean", "needs --data DIR (its entries and corpus)"))
    if args.queries and args.corpus:
        return Path(args.queries), Path(args.corpus), Path(args.queries).stem, dev_path
    raise InputError(Problem("termfit eval", "give --data DIR [--split S], or "
                             "--queries Q.jsonl and --corpus C.jsonl"))


def _default_dev(data: str, split: str) -> Path | None:
    """Real-text dev when the folder has it, else template dev; never the split evaluated."""
    for name in ("realtext-dev", "dev"):
        cand = DataLayout(data).queries(name)
        if name != split and cand.is_file():
            return cand
    return None


def _korean_files(args: argparse.Namespace) -> tuple[Path, Path]:
    """(Korean questions file, corpus file) for --split korean."""
    from termfit.errors import InputError, Problem
    from termfit.realtext import korean_questions_path

    lay = DataLayout(args.data)
    for p in (lay.corpus, lay.entries):
        if not p.is_file():
            raise InputError(Problem(str(p), "file not found (is this a `termfit data build` "
                                     "output folder?)"))
    return Path(args.questions) if args.questions else korean_questions_path(), lay.corpus


def _korean_queries(args: argparse.Namespace, qpath: Path, corpus: list[dict]) -> list[dict]:
    """The hand-written Korean questions as queries over the data folder's corpus."""
    from dataclasses import fields

    from termfit.errors import InputError, Problem
    from termfit.fileio import read_jsonl
    from termfit.glossary import Entry
    from termfit.realtext import korean_queries, load_korean_questions

    epath = DataLayout(args.data).entries
    names = {f.name for f in fields(Entry)}
    entries = [Entry(**{k: v for k, v in r.items() if k in names})
               for r in read_jsonl(epath, {"id": str, "abbr": str, "expansion": str})]
    questions = load_korean_questions(qpath)
    queries, missing = korean_queries(questions, entries, corpus)
    if missing:
        sys.stderr.write(f"termfit eval: {len(missing)} of {len(questions)} Korean questions "
                         f"have no gold entry in {epath} (skipped)\n")
    if not queries:
        raise InputError(Problem(str(epath), "no Korean question has its gold entry here; "
                                 "build the folder from a glossary that has them"))
    return queries


def run(args: argparse.Namespace) -> int:
    from termfit import evaluate as ev
    from termfit.errors import InputError, Problem
    from termfit.fileio import check_output
    from termfit.report import markdown_table, plot_ndcg_curve

    for path in (args.out, args.plot):
        if path:
            check_output(path)
    if args.training_log:
        png = args.plot or (Path(args.out).with_suffix(".training.png") if args.out
                            else Path(args.training_log).with_suffix(".png"))
        plot_ndcg_curve(args.training_log, png)
        print(f"wrote {png}")
        if not (args.data or args.queries):
            return 0
    if args.limit_queries is not None and args.limit_queries < 1:
        raise InputError(Problem("--limit-queries", "must be at least 1"))
    systems = _systems(args.system)
    qpath, cpath, name, dev_path = _input_files(args)
    corpus = ev.load_corpus(cpath)
    ids = {c["id"] for c in corpus}
    queries = ev.sample(_korean_queries(args, qpath, corpus) if args.split == "korean"
                        and args.data else ev.load_queries(qpath, ids),
                        args.limit_queries, args.seed)
    dev = None
    if "hybrid" in systems and dev_path:
        dev = ev.sample(ev.load_queries(dev_path, ids), args.limit_dev, args.seed)
    report = ev.run_eval(
        systems, queries, corpus, args.model, dev_queries=dev, out=args.out, name=name,
        settings=ev.EvalSettings(tokenizer=args.tokenizer, batch_size=args.batch_size,
                                 cache=False if args.no_cache else None,
                                 show_progress=not args.quiet),
        extra={"split": args.split if args.data else None, "queries_file": str(qpath),
               "corpus_file": str(cpath), "limit_queries": args.limit_queries,
               "seed": args.seed, "dev_queries": len(dev) if dev else 0},
    )
    sys.stdout.write(markdown_table(report))
    if args.out:
        print(f"\nwrote {args.out} (+ .md, .png)")
    return 0
