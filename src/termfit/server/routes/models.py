"""GET /v1/models: the served model, as OpenAI clients list it."""

from __future__ import annotations

from fastapi import APIRouter

from termfit.server.checks import check_model
from termfit.server.context import Context, CtxDep

router = APIRouter(tags=["models"])


def model_card(ctx: Context) -> dict:
    return {"id": ctx.model_id, "object": "model", "created": int(ctx.served.loaded_at),
            "owned_by": "termfit"}


@router.get("/v1/models", summary="The served model (OpenAI list shape)")
async def list_models(ctx: CtxDep) -> dict:
    return {"object": "list", "data": [model_card(ctx)]}


@router.get("/v1/models/{model_id:path}", summary="The served model, by id")
async def get_model(model_id: str, ctx: CtxDep) -> dict:
    check_model(model_id, ctx.model_id)
    return model_card(ctx)
