"""POST /v1/embeddings: OpenAI-compatible embeddings, plus ``input_type`` and
``truncate``."""

from __future__ import annotations

import base64
from typing import Literal

import numpy as np
from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from termfit.server.checks import applied_input_type, check_dimensions, check_inputs, check_model
from termfit.server.context import CtxDep
from termfit.server.worker import Embedded

router = APIRouter(tags=["embeddings"])
INPUT_TYPE_HEADER = "X-Termfit-Input-Type"


class EmbeddingsIn(BaseModel):
    """POST /v1/embeddings request."""

    input: str | list[str] = Field(..., description="a string or a list of strings")
    model: str | None = Field(None, description="the served model's id (GET /v1/models); "
                              "absent: the served model")
    encoding_format: Literal["float", "base64"] = "float"
    input_type: Literal["query", "passage", "none"] | None = Field(
        None, description="query|passage apply the model's prompt, none embeds the raw text; "
        "absent: the server's --default-input-type")
    truncate: bool = Field(False, description="cut inputs over the model's token limit "
                           "(reported in usage.truncated) instead of refusing them")
    dimensions: int | None = None
    user: str | None = None


@router.post("/v1/embeddings", summary="OpenAI-compatible embeddings of one or more texts")
async def embeddings(body: EmbeddingsIn, response: Response,
                     ctx: CtxDep) -> dict:
    check_model(body.model, ctx.model_id)
    texts = check_inputs(body.input, ctx.limits)
    searcher = ctx.served.searcher
    check_dimensions(body.dimensions, searcher.index.dim)
    input_type = applied_input_type(body.input_type, ctx.settings.default_input_type,
                                    searcher.model.prompts)
    out: Embedded = await ctx.run("embed", texts, input_type, body.truncate)
    response.headers[INPUT_TYPE_HEADER] = input_type
    return {"object": "list",
            "data": [{"object": "embedding", "index": i, "embedding": v}
                     for i, v in enumerate(encode_vectors(out.vectors, body.encoding_format))],
            "model": ctx.model_id,
            "usage": {"prompt_tokens": out.tokens, "total_tokens": out.tokens,
                      "input_type": input_type, "truncated": out.truncated}}


def encode_vectors(emb: np.ndarray, encoding_format: str) -> list:
    """Float lists, or base64 of little-endian float32 as the OpenAI API sends."""
    if encoding_format == "base64":
        return [base64.b64encode(v.astype("<f4").tobytes()).decode("ascii") for v in emb]
    return [v.tolist() for v in emb]


def embedding_from_base64(data: str) -> np.ndarray:
    """Decode one ``encoding_format=base64`` embedding (little-endian float32)."""
    return np.frombuffer(base64.b64decode(data), dtype="<f4")
