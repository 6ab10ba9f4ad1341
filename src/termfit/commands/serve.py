"""``termfit serve``: the search page, search API and OpenAI-compatible embeddings.

Every flag has an environment-variable twin ``TERMFIT_<FLAG>`` (``--api-key`` ->
``TERMFIT_API_KEY``); a flag given on the command line wins over its variable.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from termfit.commands._args import non_negative_int, port, positive_int
from termfit.errors import InputError, Problem

HELP = "serve an index over HTTP: web page, /search, /v1/embeddings, OpenAPI docs, /metrics"
INPUT_TYPES = ("query", "passage", "none")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def boolean(text: str) -> bool:
    """1/true/yes/on or 0/false/no/off (for environment variables)."""
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def origins(text: str) -> list[str]:
    """Comma-separated origins (for TERMFIT_CORS_ORIGIN)."""
    return [o.strip() for o in text.split(",") if o.strip()]


def choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise argparse.ArgumentTypeError(f"expected one of {', '.join(options)}, "
                                             f"got {text!r}")
        return text

    return parse


@dataclass(frozen=True)
class Flag:
    name: str
    type: Callable[[str], Any]
    default: Any
    help: str
    kind: str = "value"  # "value" | "switch" | "append"

    @property
    def env(self) -> str:
        return "TERMFIT_" + self.name.lstrip("-").replace("-", "_").upper()

    @property
    def dest(self) -> str:
        return self.name.lstrip("-").replace("-", "_")


def flags() -> list[Flag]:
    from termfit.server import Limits

    d = Limits()
    return [
        Flag("--index", str, None, "index folder from `termfit index` (required)"),
        Flag("--host", str, "127.0.0.1", "address to listen on"),
        Flag("--port", port, 8000, "TCP port"),
        Flag("--model", str, None, "model (default: the index's; must match it)"),
        Flag("--model-name", str, None, "the served model's id in /v1/models (default: the "
             "index's model)"),
        Flag("--default-input-type", choice(INPUT_TYPES), "query", "prompt for /v1/embeddings "
             "requests without input_type (OpenAI clients never send one): query|passage|none"),
        Flag("--api-key", str, None, "require Authorization: Bearer KEY on every route but "
             "/healthz and the page (prefer the variable: flags show in ps)"),
        Flag("--cors-origin", str, None, "allow browser requests from this origin "
             "(repeatable; the variable takes a comma-separated list; default: none)",
             kind="append"),
        Flag("--no-admin", boolean, False, "do not serve POST /admin/reload", kind="switch"),
        Flag("--max-k", positive_int, d.max_k, "largest k for /search"),
        Flag("--max-query-chars", positive_int, d.max_query_chars, "longest /search query"),
        Flag("--max-inputs", positive_int, d.max_inputs, "most texts per /v1/embeddings"),
        Flag("--max-input-chars", positive_int, d.max_input_chars, "longest embeddings input"),
        Flag("--max-body-bytes", positive_int, d.max_body_bytes, "largest request body"),
        Flag("--max-pending", positive_int, d.max_pending,
             "queued model jobs before answering 503 (busy)"),
        Flag("--threads", non_negative_int, 1, "torch threads for the model (0 = torch's "
             "default)"),
        Flag("--log-level", choice(LOG_LEVELS), "warning", "uvicorn log level"),
    ]


def add_arguments(p: argparse.ArgumentParser) -> None:
    for f in flags():
        shown = f"default: {f.default}; " if f.default not in (None, False) else ""
        help = f"{f.help} ({shown}env {f.env})"
        if f.kind == "switch":
            p.add_argument(f.name, action="store_const", const=True, default=None, help=help)
        elif f.kind == "append":
            p.add_argument(f.name, action="append", default=None, help=help)
        else:
            p.add_argument(f.name, type=f.type, default=None, help=help,
                           metavar=f.dest.upper())


def resolve(args: argparse.Namespace, environ: dict[str, str] | None = None) -> dict:
    """Every flag's value: the command line's, else its variable's, else the default."""
    environ = dict(os.environ) if environ is None else environ
    out, problems = {}, []
    for f in flags():
        value = getattr(args, f.dest, None)
        if value is None and environ.get(f.env) is not None:
            raw = environ[f.env]
            try:
                value = origins(raw) if f.kind == "append" else f.type(raw)
            except (argparse.ArgumentTypeError, ValueError) as exc:
                problems.append(Problem(f.env, str(exc)))
        out[f.dest] = f.default if value is None else value
    if out["index"] is None:
        problems.append(Problem("serve", "give --index INDEX_DIR (or TERMFIT_INDEX)"))
    if problems:
        raise InputError(problems)
    return out


def run(args: argparse.Namespace) -> int:
    from termfit.server import Limits, Settings, serve
    from termfit.server.config import check_exposure

    v = resolve(args)
    limits = Limits(max_k=v["max_k"], max_query_chars=v["max_query_chars"],
                    max_inputs=v["max_inputs"], max_input_chars=v["max_input_chars"],
                    max_body_bytes=v["max_body_bytes"], max_pending=v["max_pending"])
    settings = Settings(default_input_type=v["default_input_type"], api_key=v["api_key"],
                        cors_origins=v["cors_origin"] or [], admin=not v["no_admin"],
                        model_name=v["model_name"])
    check_exposure(v["host"], settings)
    print(f"serving {v['index']} on http://{v['host']}:{v['port']}/ (API docs at /docs)",
          flush=True)
    serve(v["index"], host=v["host"], port=v["port"], model=v["model"], limits=limits,
          settings=settings, log_level=v["log_level"], threads=v["threads"] or None)
    return 0
