"""``termfit train``: fine-tune on a data folder with a recipe."""

from __future__ import annotations

import argparse

HELP = "fine-tune an embedding model on the pairs of 'termfit data build'"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="data folder from 'termfit data build'")
    p.add_argument("--recipe", default="cpu-e5-small",
                   help="recipe YAML file or built-in name (cpu-e5-small, seed-e5-large)")
    p.add_argument("--out", required=True, help="folder for the fine-tuned model")
    p.add_argument("--checkpoints", help="checkpoint folder (default: OUT.checkpoints)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--base-model", help="override the recipe's base model")
    p.add_argument("--max-steps", type=int, help="override the recipe's max_steps")
    p.add_argument("--max-minutes", type=float, help="override the recipe's time budget")


def run(args: argparse.Namespace) -> int:
    from termfit.fileio import check_output
    from termfit.recipe import load_recipe
    from termfit.train import train
    from termfit.trainlog import format_training_log, summarize_metrics

    check_output(args.out, folder=True)
    if args.checkpoints:
        check_output(args.checkpoints, folder=True)
    recipe = load_recipe(args.recipe, base_model=args.base_model, max_steps=args.max_steps,
                         max_minutes=args.max_minutes)
    result = train(args.data, recipe, args.out, checkpoint_dir=args.checkpoints,
                   resume=args.resume)
    print(format_training_log(result.log))
    table = summarize_metrics(result.metrics)
    if table:
        print()
        print(table)
    print(f"\n{result.steps} steps in {result.train_seconds / 60:.1f} min; model saved to "
          f"{result.model_dir}")
    return 0
