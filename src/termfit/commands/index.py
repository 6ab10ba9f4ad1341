"""``termfit index``: embed a glossary's passages once into an index folder."""

from __future__ import annotations

import argparse

from termfit.commands._args import positive_int

HELP = "embed every glossary entry once into a search index folder"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=None,
                   help="model folder, hub id or 'default' (offline multilingual-e5-small)")
    p.add_argument("--glossary", nargs="+", default=None, metavar="G",
                   help="glossary JSONL file(s) (default: the --data folder's entries, else "
                   "the starter glossary)")
    p.add_argument("--data", default=None, metavar="DIR",
                   help="a `termfit data build` folder: index its passages (its passage "
                   "template; its entries unless --glossary is given)")
    p.add_argument("--out", required=True, help="index folder to write (replaced atomically)")
    p.add_argument("--batch-size", type=positive_int, default=64)


def run(args: argparse.Namespace) -> int:
    from termfit.fileio import check_output
    from termfit.index import build_index, load_index
    from termfit.search import tune_index

    check_output(args.out, folder=True)
    out = build_index(args.out, glossary=args.glossary, model=args.model,
                      batch_size=args.batch_size, data=args.data)
    m = load_index(out).manifest
    ann = " + HNSW" if m.get("ann") else ""
    print(f"{out}: {m['n_entries']} entries, {m['n_passages']} passages, dim {m['dim']}{ann}, "
          f"model {m['model']} ({m['model_fingerprint'][:12]})")
    if args.data:  # fusion weights for the abbreviation path, when it has real-text dev
        tuned = tune_index(out, args.data)
        if tuned is not None:
            print(f"search fusion weights tuned on {tuned.tuned_on}: "
                  + ", ".join(f"{k} {v:g}" for k, v in tuned.weights.items()))
    return 0
