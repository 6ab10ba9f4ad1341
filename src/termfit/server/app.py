"""Build the app (:func:`create_app`) and run it with uvicorn (:func:`serve`)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.middleware.cors import CORSMiddleware

from termfit import __version__
from termfit.search import Searcher
from termfit.server.config import Limits, Settings, check_exposure
from termfit.server.context import Context
from termfit.server.errors import install_error_handlers
from termfit.server.metrics import Metrics, MetricsMiddleware, app_routes
from termfit.server.middleware import ApiKeyAuth, BodyGuard, UrlLimit
from termfit.server.routes import admin, embeddings, expand, health, models, search
from termfit.server.state import ServedIndex
from termfit.server.worker import Worker

# Served by every app; /admin routes only with Settings.admin.
ROUTERS: list[APIRouter] = [health.router, search.router, embeddings.router, models.router,
                            expand.router]
ADMIN_ROUTERS: list[APIRouter] = [admin.router]


def loaded_info(searcher: Searcher) -> dict:
    """What is served, for the metrics' info: index, model and their fingerprints."""
    return {**searcher.info(), "glossary_hash": searcher.index.manifest.get("glossary_hash")}


def create_app(
    index_dir: str | os.PathLike,
    model: str | None = None,
    limits: Limits | None = None,
    settings: Settings | None = None,
    searcher: Searcher | None = None,
) -> FastAPI:
    """Build the FastAPI app serving ``index_dir`` (loaded now, errors raised now).

    ``model`` overrides the index's model (refused when its fingerprint differs);
    ``searcher`` reuses an already loaded :class:`Searcher`.
    """
    limits, settings = limits or Limits(), settings or Settings()
    index_dir = Path(index_dir)
    served = ServedIndex(searcher or Searcher(index_dir, model=model), index_dir, model)
    metrics = Metrics()
    ctx = Context(served, Worker(served, limits, on_batch=metrics.batch.observe), limits,
                  settings, metrics)
    metrics.watch_queue(ctx.worker.q.qsize)
    metrics.set_loaded(loaded_info(served.searcher))

    app = FastAPI(title="termfit search", version=__version__, lifespan=_lifespan(ctx),
                  description="Search a telecom/ICT glossary (Korean/English) and embed text "
                  "with the glossary's retrieval model.")
    app.state.termfit = ctx
    install_error_handlers(app)
    for router in ROUTERS + (ADMIN_ROUTERS if settings.admin else []):
        app.include_router(router)
    _add_middleware(app, limits, settings, metrics)
    return app


def _add_middleware(app: FastAPI, limits: Limits, settings: Settings,
                    metrics: Metrics) -> None:
    # Added innermost first: metrics see everything, CORS answers preflights before auth.
    app.add_middleware(BodyGuard, max_bytes=limits.max_body_bytes)
    if settings.api_key:
        app.add_middleware(ApiKeyAuth, key=settings.api_key)
    app.add_middleware(UrlLimit, max_bytes=limits.max_url_bytes)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"],
                           expose_headers=[embeddings.INPUT_TYPE_HEADER])
    app.add_middleware(MetricsMiddleware, metrics=metrics,
                       labels=functools.cache(lambda: app_routes(app)))


def _lifespan(ctx: Context):
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        loop = asyncio.get_running_loop()
        if ctx.settings.reload_on_sighup and hasattr(signal, "SIGHUP"):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(
                    admin.reload_logged(ctx)))
        yield
        ctx.worker.stop()

    return lifespan


def uvicorn_config(app: FastAPI, host: str, port: int, log_level: str = "warning") -> Any:
    """The uvicorn configuration termfit serves with (JSON errors from the HTTP parser)."""
    import uvicorn

    from termfit.server.protocol import MAX_HEAD_BYTES, JsonErrorH11Protocol

    return uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False,
                          http=JsonErrorH11Protocol,
                          h11_max_incomplete_event_size=MAX_HEAD_BYTES)


def serve(index_dir: str | os.PathLike, host: str = "127.0.0.1", port: int = 8000,
          model: str | None = None, limits: Limits | None = None,
          settings: Settings | None = None, log_level: str = "warning",
          threads: int | None = 1) -> None:
    """Run the app with uvicorn (blocking).

    ``threads`` caps torch's, OpenMP's and BLAS's thread pools (None: their defaults). One
    is the default: on a shared 2-core machine two pool threads spin-wait on each other and
    a query embedding took up to 20x longer (see docs/search.md); throughput comes from
    batching instead.
    """
    import uvicorn

    settings = settings or Settings()
    check_exposure(host, settings)
    if threads is not None:
        import torch
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(threads)
        threadpool_limits(threads)  # numpy's OpenBLAS and any other OpenMP runtime
    app = create_app(index_dir, model=model, limits=limits, settings=settings)
    uvicorn.Server(uvicorn_config(app, host, port, log_level)).run()
