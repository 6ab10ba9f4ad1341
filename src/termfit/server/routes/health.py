"""The page, liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from termfit.server.context import CtxDep
from termfit.server.errors import ApiError

router = APIRouter(tags=["health"])


def static_file(name: str) -> Path:
    return Path(str(resources.files("termfit") / "static" / name))


@router.get("/", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(static_file("index.html"), media_type="text/html; charset=utf-8")


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: an index and model are loaded")
async def readyz(ctx: CtxDep) -> dict:
    if not ctx.worker.thread.is_alive():
        raise ApiError(503, "model worker is not running", code="not_ready",
                       type="server_error")
    return {"status": "ready", **ctx.served.searcher.info(), "reloads": ctx.served.reloads,
            "queued": ctx.worker.q.qsize(), "model_calls": ctx.worker.batches,
            "jobs": ctx.worker.jobs}


@router.get("/metrics", summary="Prometheus metrics (text exposition format)")
async def metrics(ctx: CtxDep) -> Response:
    return Response(ctx.metrics.render(), media_type=ctx.metrics.content_type)
