"""POST /admin/reload: reload the index folder while requests keep being served."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter

from termfit.server.context import Context, CtxDep
from termfit.server.errors import ApiError
from termfit.server.state import ReloadError

logger = logging.getLogger(__name__)
router = APIRouter(tags=["admin"])


async def reload_index(ctx: Context) -> dict:
    """Reload in a thread; :class:`ReloadError` when it failed (old index still served)."""
    try:
        info = await asyncio.to_thread(ctx.served.reload)
    except ReloadError:
        ctx.metrics.reloads.labels("failed").inc()
        raise
    ctx.metrics.reloads.labels("ok").inc()
    ctx.metrics.set_loaded(info)
    return info


async def reload_logged(ctx: Context) -> None:
    """Reload on SIGHUP: log the outcome, keep serving either way."""
    try:
        info = await reload_index(ctx)
        logger.warning("index reloaded: %s", info["index"])
    except ReloadError as exc:
        logger.error("reload failed, still serving the previous index: %s", exc)


@router.post("/admin/reload",
             summary="Reload the index folder; requests keep being served meanwhile")
async def reload(ctx: CtxDep) -> dict:
    try:
        info = await reload_index(ctx)
    except ReloadError as exc:
        raise ApiError(409, f"reload failed, still serving the previous index: {exc}",
                       code="reload_failed") from None
    return {"status": "reloaded", **info}
