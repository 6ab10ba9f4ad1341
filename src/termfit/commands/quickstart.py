"""``termfit quickstart``: the main job on the embedded defaults."""

from __future__ import annotations

import argparse

from termfit.commands._args import positive_int

HELP = ("run the whole pipeline on the embedded defaults: offline model, starter glossary, "
        "data, a short fine-tune, before/after evaluation and a search index")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="termfit-quickstart", help="output folder")
    p.add_argument("--glossary", nargs="*", help="glossary files (default: the starter glossary)")
    p.add_argument("--model", default="default", help="base model (default: offline e5-small)")
    p.add_argument("--recipe", default="cpu-e5-small", help="training recipe")
    p.add_argument("--max-steps", type=positive_int, default=150, help="fine-tuning steps")
    p.add_argument("--eval-queries", type=positive_int, default=400,
                   help="held-out queries to evaluate")
    p.add_argument("--check-only", action="store_true",
                   help="only prepare the model and score the seed card's examples")


def run(args: argparse.Namespace) -> int:
    from termfit.fileio import check_output
    from termfit.models import load_model
    from termfit.quickstart import format_widget, run_pipeline, widget_scores

    if args.check_only:
        model = load_model(args.model)
        print(format_widget(widget_scores(model)))
        return 0
    check_output(args.out, folder=True)
    run_pipeline(args.out, glossary=args.glossary, base_model=args.model, recipe=args.recipe,
                 max_steps=args.max_steps, eval_queries=args.eval_queries)
    return 0
