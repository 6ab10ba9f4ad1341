"""The ``termfit`` command line: a thin layer over the library API.

Each subcommand lives in ``termfit.commands.<name>`` and defines ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from termfit import __version__
from termfit.errors import TermfitError

COMMANDS = [
    "quickstart",
    "model",
    "data",
    "eval",
    "train",
    "index",
    "search",
    "serve",
    "export",
    "mine",
]


def _available_commands() -> dict[str, object]:
    mods = {}
    for name in COMMANDS:
        try:
            mods[name] = importlib.import_module(f"termfit.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"termfit.commands.{name}":
                continue
            raise
    return mods


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="termfit",
        description="Turn a terminology glossary into a fine-tuned bilingual "
        "(Korean/English) retrieval model, and search it.",
    )
    parser.add_argument("--version", action="version", version=f"termfit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, mod in _available_commands().items():
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``termfit`` console script."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "_run", None):
        parser.print_help()
        return 1
    try:
        return int(args._run(args) or 0)
    except TermfitError as exc:
        print(f"termfit {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"termfit {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # disk full, permissions...: the file and the reason, no traceback
        logging.getLogger("termfit").debug("details", exc_info=True)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"termfit {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
