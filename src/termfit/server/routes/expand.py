"""POST /v1/expand: the abbreviations of texts, each resolved to a sense in context
(:func:`termfit.expand.expand`, the function ``termfit expand`` calls)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from termfit.server.checks import check_inputs
from termfit.server.context import CtxDep

router = APIRouter(tags=["expand"])


class ExpandIn(BaseModel):
    """POST /v1/expand request."""

    input: str | list[str] = Field(..., description="a text or a list of texts")
    rewrite: bool = Field(False, description="also return each text with the expansion "
                          "inserted after the first use of each abbreviation")


@router.post("/v1/expand", summary="Abbreviations of texts, each resolved to a sense")
async def expand_texts(body: ExpandIn, ctx: CtxDep) -> dict:
    """One object per input text, in order: ``{"text", "abbreviations": [{"abbr", "start",
    "end", "expansion", "entry_id", "score", "uncertain", "alternatives"}], "rewritten"?}``."""
    texts = check_inputs(body.input, ctx.limits)
    results = await ctx.run("expand", texts, body.rewrite)
    return {"object": "list", "data": [r.to_dict() for r in results]}
