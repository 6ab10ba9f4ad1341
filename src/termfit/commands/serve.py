"""``termfit serve``: the search page, search API and OpenAI-compatible embeddings."""

from __future__ import annotations

import argparse

from termfit.commands._args import non_negative_int, port, positive_int

HELP = "serve an index over HTTP: web page, /search, /v1/embeddings, OpenAPI docs"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from termfit.serve import Limits

    d = Limits()
    p.add_argument("--index", required=True, help="index folder from `termfit index`")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port, default=8000)
    p.add_argument("--model", default=None, help="model (default: the index's; must match it)")
    p.add_argument("--max-k", type=positive_int, default=d.max_k)
    p.add_argument("--max-query-chars", type=positive_int, default=d.max_query_chars)
    p.add_argument("--max-inputs", type=positive_int, default=d.max_inputs)
    p.add_argument("--max-input-chars", type=positive_int, default=d.max_input_chars)
    p.add_argument("--max-pending", type=positive_int, default=d.max_pending,
                   help="queued model jobs before answering 503 (busy)")
    p.add_argument("--threads", type=non_negative_int, default=1,
                   help="torch threads for the model (default 1; 0 = torch's default)")
    p.add_argument("--log-level", default="warning")


def run(args: argparse.Namespace) -> int:
    from termfit.serve import Limits, serve

    limits = Limits(max_k=args.max_k, max_query_chars=args.max_query_chars,
                    max_inputs=args.max_inputs, max_input_chars=args.max_input_chars,
                    max_pending=args.max_pending)
    serve(args.index, host=args.host, port=args.port, model=args.model, limits=limits,
          log_level=args.log_level, threads=args.threads or None)
    return 0
