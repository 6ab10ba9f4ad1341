"""``termfit quickstart``: the main job on the embedded defaults."""

from __future__ import annotations

import argparse

HELP = "run the main job on the embedded defaults: prepare the offline model and check it"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="default", help="model to check (default: offline e5-small)")


def run(args: argparse.Namespace) -> int:
    from termfit.models import load_model
    from termfit.quickstart import format_widget, widget_scores

    print("[1/2] preparing the model ...", flush=True)
    model = load_model(args.model)
    print("[2/2] seed card examples (* = best passage):", flush=True)
    print(format_widget(widget_scores(model)))
    return 0
