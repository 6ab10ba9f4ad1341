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
from types import ModuleType

from termfit import __version__
from termfit.errors import ExitCode, TermfitError

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
    "expand",
]


def _available_commands() -> dict[str, ModuleType]:
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
    """Entry point of the ``termfit`` console script; exit codes: :class:`ExitCode`."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors: argparse exits with 2 (bad input)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "_run", None):
        parser.print_help()
        return ExitCode.BAD_INPUT
    try:
        return int(args._run(args) or 0)
    except BaseException as exc:  # noqa: B036 - every exit goes through the table
        return report(args.command, exc)


def report(command: str, exc: BaseException) -> int:
    """Print ``exc`` as ``termfit COMMAND: error: ...`` and return its exit code."""
    prefix = f"termfit {command}:"
    log = logging.getLogger("termfit")
    if isinstance(exc, TermfitError):
        print(f"{prefix} error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    if isinstance(exc, KeyboardInterrupt):
        print(f"{prefix} interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    if isinstance(exc, BrokenPipeError):  # output piped into a command that stopped reading
        return ExitCode.OK
    if isinstance(exc, SystemExit):
        raise exc
    if isinstance(exc, OSError):  # disk full, permissions...: the file and the reason
        log.debug("details", exc_info=exc)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{prefix} error: {where}{exc.strerror or exc}", file=sys.stderr)
        return ExitCode.FILE_SYSTEM
    if isinstance(exc, MemoryError):
        print(f"{prefix} error: out of memory", file=sys.stderr)
        return ExitCode.MODEL_OR_ENVIRONMENT
    if not isinstance(exc, Exception):
        raise exc
    log.debug("details", exc_info=exc)
    print(f"{prefix} unexpected error (a bug in termfit): {type(exc).__name__}: {exc}"
          + ("" if log.isEnabledFor(logging.DEBUG) else " (run with -v for details)"),
          file=sys.stderr)
    return ExitCode.UNEXPECTED


if __name__ == "__main__":
    sys.exit(main())
