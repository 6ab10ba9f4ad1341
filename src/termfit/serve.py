"""The HTTP service: search, OpenAI-compatible embeddings, health checks and a web page.

All model work runs in one worker thread that drains a bounded queue in batches: requests
that arrive while the model is busy are embedded together in the next call (micro-batching
without added waiting), and a full queue answers 503 at once instead of piling up.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures as cf
import contextlib
import logging
import os
import queue
import signal
import threading
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from termfit import __version__
from termfit.errors import InputError, Problem, TermfitError
from termfit.search import MAX_QUERY_CHARS, MODES, Searcher

logger = logging.getLogger(__name__)


@dataclass
class Limits:
    """Request limits; anything over them gets a 4xx JSON error."""

    max_query_chars: int = MAX_QUERY_CHARS  # /search q
    max_k: int = 100
    max_inputs: int = 256  # /v1/embeddings list length
    max_input_chars: int = 8192  # per embeddings input
    max_body_bytes: int = 2_000_000
    max_pending: int = 512  # queued model jobs before 503 "busy"
    max_batch: int = 64  # jobs merged into one model call

    def __post_init__(self) -> None:
        bad = [Problem("limits", f"must be at least 1, got {v}", field=k)
               for k, v in vars(self).items() if not isinstance(v, int) or v < 1]
        if bad:
            raise InputError(bad)


class ApiError(Exception):
    """An error answered as ``{"error": {...}}`` with an HTTP status."""

    def __init__(self, status: int, message: str, param: str | None = None,
                 code: str = "invalid_request", type: str = "invalid_request_error"):
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.type = (
            status, message, param, code, type)

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param,
                          "code": self.code}}


# --- request and response bodies ---------------------------------------------------
class HitOut(BaseModel):
    """One search result."""

    id: str
    abbr: str
    expansion: str
    ko: list[str]
    category: str | None
    score: float
    scorer: Literal["dense", "bm25", "acronym", "hybrid"]


class SearchOut(BaseModel):
    """GET /search response."""

    query: str
    k: int
    mode: str
    took_ms: float
    results: list[HitOut]


class EmbeddingsIn(BaseModel):
    """POST /v1/embeddings request (OpenAI-compatible, plus ``input_type``)."""

    input: str | list[str] = Field(..., description="a string or a list of strings")
    model: str | None = Field(None, description="ignored: the served model answers")
    encoding_format: Literal["float", "base64"] = "float"
    input_type: Literal["query", "passage"] | None = Field(
        None, description="query|passage apply the E5 prefix; absent embeds the raw text")
    dimensions: int | None = None
    user: str | None = None


# --- the model worker ---------------------------------------------------------------
@dataclass
class _Job:
    kind: str  # "search" | "embed"
    payload: tuple
    future: cf.Future


class Worker:
    """One thread that runs every model call; jobs queued meanwhile are batched together."""

    def __init__(self, state: _State, limits: Limits):
        self.state, self.limits = state, limits
        self.q: queue.Queue[_Job | None] = queue.Queue(maxsize=limits.max_pending)
        self.batches = 0
        self.jobs = 0
        self.thread = threading.Thread(target=self._loop, name="termfit-model", daemon=True)
        self.thread.start()

    def submit(self, kind: str, *payload: Any) -> cf.Future:
        fut: cf.Future = cf.Future()
        try:
            self.q.put_nowait(_Job(kind, payload, fut))
        except queue.Full:
            raise ApiError(503, "server busy: too many queued requests, retry shortly",
                           code="busy", type="server_busy") from None
        return fut

    def stop(self) -> None:
        with contextlib.suppress(queue.Full):
            self.q.put_nowait(None)
        self.thread.join(timeout=5)

    def _loop(self) -> None:
        while True:
            job = self.q.get()
            if job is None:
                return
            jobs = [job]
            while len(jobs) < self.limits.max_batch:
                try:
                    nxt = self.q.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self.q.put(None)
                    break
                jobs.append(nxt)
            searcher = self.state.searcher  # one consistent index for the whole batch
            groups: dict[tuple, list[_Job]] = {}
            for j in jobs:
                key = (j.kind, j.payload[1:])  # (k, mode) for search, input_type for embed
                groups.setdefault(key, []).append(j)
            for (kind, opt), group in groups.items():
                try:
                    if kind == "search":
                        self._search(searcher, group, *opt)
                    else:
                        self._embed(searcher, group, *opt)
                except Exception as exc:  # pass any failure to the waiting requests
                    for j in group:
                        if not j.future.done():
                            j.future.set_exception(exc)
            self.batches += 1
            self.jobs += len(jobs)

    @staticmethod
    def _search(searcher: Searcher, group: list[_Job], k: int, mode: str) -> None:
        results = searcher.search_many([j.payload[0] for j in group], k=k, mode=mode)
        for j, hits in zip(group, results, strict=True):
            j.future.set_result((hits, searcher))

    @staticmethod
    def _embed(searcher: Searcher, group: list[_Job], input_type: str | None) -> None:
        texts = [t for j in group for t in j.payload[0]]
        emb = searcher.encode(texts, prompt_name=input_type)
        prefix = (searcher.model.prompts or {}).get(input_type or "", "")
        tok = searcher.model.tokenizer([prefix + t for t in texts], truncation=True,
                                       max_length=searcher.model.max_seq_length)
        ntok = [len(ids) for ids in tok["input_ids"]]
        start = 0
        for j in group:
            n = len(j.payload[0])
            j.future.set_result((emb[start:start + n], sum(ntok[start:start + n]), searcher))
            start += n


class _State:
    """The searcher being served; replaced as a whole on reload."""

    def __init__(self, searcher: Searcher, index_dir: Path, model: str | None):
        self.searcher = searcher
        self.index_dir = index_dir
        self.model = model
        self.reload_lock = threading.Lock()
        self.loaded_at = time.time()
        self.reloads = 0

    def reload(self) -> dict:
        """Load the index folder again and swap it in; the old one serves until then."""
        with self.reload_lock:
            old = self.searcher
            new_index_fp = _manifest_fp(self.index_dir)
            reuse = old.model if new_index_fp == old.index.manifest["model_fingerprint"] else None
            new = Searcher(self.index_dir, model=self.model, st_model=reuse)
            self.searcher = new  # atomic reference swap; in-flight batches keep `old`
            self.loaded_at = time.time()
            self.reloads += 1
            return new.info()


def _manifest_fp(index_dir: Path) -> str | None:
    from termfit.fileio import read_json_object

    try:
        return read_json_object(index_dir / "manifest.json").get("model_fingerprint")
    except InputError:
        return None


# --- the app -------------------------------------------------------------------------
def create_app(
    index_dir: str | os.PathLike,
    model: str | None = None,
    limits: Limits | None = None,
    searcher: Searcher | None = None,
    admin: bool = True,
    reload_on_sighup: bool = True,
):
    """Build the FastAPI app serving ``index_dir`` (loaded now, errors raised now).

    ``model`` overrides the index's model (refused when its fingerprint differs);
    ``searcher`` reuses an already loaded :class:`Searcher`; ``admin`` enables
    POST /admin/reload; ``reload_on_sighup`` reloads the index on SIGHUP.
    """
    from fastapi import FastAPI, Query, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import FileResponse, JSONResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    limits = limits or Limits()
    index_dir = Path(index_dir)
    state = _State(searcher or Searcher(index_dir, model=model), index_dir, model)
    worker = Worker(state, limits)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        loop = asyncio.get_running_loop()
        if reload_on_sighup and hasattr(signal, "SIGHUP"):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(_reload_logged()))
        yield
        worker.stop()

    app = FastAPI(
        title="termfit search",
        version=__version__,
        description="Search a telecom/ICT glossary (Korean/English) and embed text with the "
        "glossary's retrieval model.",
        lifespan=lifespan,
    )
    app.state.termfit = state
    app.state.worker = worker
    app.state.limits = limits

    # -- errors: always {"error": {...}} JSON, 4xx for bad input
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        headers = {"Retry-After": "1"} if exc.status == 503 else None
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        errs = exc.errors()
        ctype = request.headers.get("content-type", "")
        not_json = request.method == "POST" and "json" not in ctype
        if any(e.get("type") == "json_invalid" for e in errs) or (
                not_json and any(tuple(e.get("loc", ())) == ("body",) for e in errs)):
            msg = ("the body must be JSON sent with Content-Type: application/json"
                   if not_json else "malformed JSON body")
            return JSONResponse(ApiError(400, msg, code="invalid_json").body(), status_code=400)
        first = errs[0] if errs else {}
        loc = [str(x) for x in first.get("loc", ()) if x not in ("body", "query")]
        param = ".".join(loc) or None
        msg = f"{param}: {first.get('msg', 'invalid value')}" if param else first.get(
            "msg", "invalid request")
        return JSONResponse(ApiError(422, msg, param=param, code="invalid_value").body(),
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        return JSONResponse(
            ApiError(exc.status_code, str(exc.detail), code="http_error").body(),
            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.middleware("http")
    async def _body_limit(request: Request, call_next):
        size = request.headers.get("content-length")
        if size is not None and (not size.isdigit() or int(size) > limits.max_body_bytes):
            err = ApiError(413, f"request body over {limits.max_body_bytes} bytes",
                           code="body_too_large")
            return JSONResponse(err.body(), status_code=413)
        return await call_next(request)

    async def _run(kind: str, *payload: Any):
        try:
            return await asyncio.wrap_future(worker.submit(kind, *payload))
        except TermfitError as exc:  # bad input found by the library
            raise ApiError(400, str(exc)) from None

    # -- pages
    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(_static("index.html"), media_type="text/html; charset=utf-8")

    @app.get("/healthz", tags=["health"], summary="Liveness: the process answers")
    async def healthz():
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="Readiness: an index and model are loaded")
    async def readyz():
        if not worker.thread.is_alive():
            raise ApiError(503, "model worker is not running", code="not_ready",
                           type="server_error")
        return {"status": "ready", **state.searcher.info(), "reloads": state.reloads,
                "queued": worker.q.qsize(), "model_calls": worker.batches,
                "jobs": worker.jobs}

    # -- search
    @app.get("/search", tags=["search"], response_model=SearchOut,
             summary="Ranked glossary entries for a Korean or English query")
    async def search(
        q: str = Query(..., description="query text (Korean or English)"),
        k: int = Query(10, description=f"number of results, 1..{limits.max_k}"),
        mode: str = Query("hybrid", description="hybrid | dense | lexical"),
    ):
        t0 = time.perf_counter()
        q = q.strip()
        if not q:
            raise ApiError(400, "q must not be empty", param="q", code="empty_query")
        if len(q) > limits.max_query_chars:
            raise ApiError(400, f"q is {len(q)} characters; the limit is "
                           f"{limits.max_query_chars}", param="q", code="query_too_long")
        if not 1 <= k <= limits.max_k:
            raise ApiError(400, f"k must be between 1 and {limits.max_k}, got {k}", param="k",
                           code="k_out_of_range")
        if mode not in MODES:
            raise ApiError(400, f"mode must be one of {', '.join(MODES)}", param="mode",
                           code="invalid_mode")
        hits, _ = await _run("search", q, k, mode)
        return {"query": q, "k": k, "mode": mode,
                "took_ms": round((time.perf_counter() - t0) * 1000, 2),
                "results": [h.to_dict() for h in hits]}

    # -- embeddings (OpenAI-compatible)
    @app.post("/v1/embeddings", tags=["embeddings"],
              summary="OpenAI-compatible embeddings of one or more texts")
    async def embeddings(body: EmbeddingsIn):
        texts = [body.input] if isinstance(body.input, str) else list(body.input)
        if not texts:
            raise ApiError(400, "input must not be an empty list", param="input",
                           code="empty_input")
        if len(texts) > limits.max_inputs:
            raise ApiError(400, f"{len(texts)} inputs; the limit is {limits.max_inputs}",
                           param="input", code="too_many_inputs")
        for i, t in enumerate(texts):
            if not t.strip():
                raise ApiError(400, f"input[{i}] is empty", param="input", code="empty_input")
            if len(t) > limits.max_input_chars:
                raise ApiError(400, f"input[{i}] is {len(t)} characters; the limit is "
                               f"{limits.max_input_chars}", param="input",
                               code="input_too_long")
        dim = state.searcher.index.dim
        if body.dimensions is not None and body.dimensions != dim:
            raise ApiError(400, f"this model gives {dim} dimensions; dimensions="
                           f"{body.dimensions} is not supported", param="dimensions",
                           code="invalid_dimensions")
        emb, ntok, searcher = await _run("embed", texts, body.input_type)
        if body.encoding_format == "base64":
            vecs = [base64.b64encode(v.astype("<f4").tobytes()).decode("ascii") for v in emb]
        else:
            vecs = [v.tolist() for v in emb]
        return {"object": "list",
                "data": [{"object": "embedding", "index": i, "embedding": v}
                         for i, v in enumerate(vecs)],
                "model": searcher.model_name,
                "usage": {"prompt_tokens": ntok, "total_tokens": ntok}}

    # -- admin
    async def _reload_logged() -> None:
        try:
            info = await asyncio.to_thread(state.reload)
            logger.warning("index reloaded: %s", info["index"])
        except Exception as exc:  # keep serving the old index
            logger.error("reload failed, still serving the previous index: %s", exc)

    if admin:
        @app.post("/admin/reload", tags=["admin"],
                  summary="Reload the index folder; requests keep being served meanwhile")
        async def reload():
            try:
                info = await asyncio.to_thread(state.reload)
            except TermfitError as exc:
                raise ApiError(409, f"reload failed, still serving the previous index: {exc}",
                               code="reload_failed") from None
            return {"status": "reloaded", **info}

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        logger.exception("unexpected error")
        return JSONResponse(ApiError(500, "internal error", code="internal",
                                     type="server_error").body(), status_code=500)

    return app


def _static(name: str) -> Path:
    return Path(str(resources.files("termfit") / "static" / name))


def serve(index_dir: str | os.PathLike, host: str = "127.0.0.1", port: int = 8000,
          model: str | None = None, limits: Limits | None = None, log_level: str = "warning",
          threads: int | None = 1) -> None:
    """Run the app with uvicorn (blocking).

    ``threads`` caps torch's, OpenMP's and BLAS's thread pools (None: their defaults). One
    is the default: on a shared 2-core machine two pool threads spin-wait on each other and
    a query embedding took up to 20x longer (see docs/search.md); throughput comes from
    batching instead.
    """
    import uvicorn

    if threads is not None:
        import torch
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(threads)
        threadpool_limits(threads)  # numpy's OpenBLAS and any other OpenMP runtime
    app = create_app(index_dir, model=model, limits=limits)
    print(f"serving {index_dir} on http://{host}:{port}/ (API docs at /docs)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)


def embedding_from_base64(data: str) -> np.ndarray:
    """Decode one ``encoding_format=base64`` embedding (little-endian float32)."""
    return np.frombuffer(base64.b64decode(data), dtype="<f4")
