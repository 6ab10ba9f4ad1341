"""GET /search: ranked glossary entries for a query."""

from __future__ import annotations

import time

from fastapi import APIRouter, Query
from pydantic import BaseModel

from termfit.expand import Abbreviation
from termfit.search import Hit
from termfit.server.checks import check_search
from termfit.server.context import CtxDep

router = APIRouter(tags=["search"])


class SearchOut(BaseModel):
    """GET /search response."""

    query: str
    k: int
    mode: str
    took_ms: float
    #: abbreviations named in the query and the sense chosen for each (as POST /v1/expand)
    abbreviations: list[Abbreviation]
    results: list[Hit]


@router.get("/search", response_model=SearchOut,
            summary="Ranked glossary entries for a Korean or English query")
async def search(
    ctx: CtxDep,
    q: str = Query(..., description="query text (Korean or English)"),
    k: int = Query(10, description="number of results, 1..max-k"),
    mode: str = Query("hybrid", description="hybrid | dense | lexical"),
    abbreviations: bool = Query(True, description="resolve abbreviations named in the query "
                                "and add their senses as candidates"),
) -> dict:
    t0 = time.perf_counter()
    q = check_search(q, k, mode, ctx.limits)
    result, _ = await ctx.run("search", q, k, mode, abbreviations)
    return {"query": q, "k": k, "mode": mode,
            "took_ms": round((time.perf_counter() - t0) * 1000, 2),
            "abbreviations": list(result.abbreviations), "results": result.hits}
