"""Request checks as plain functions: each returns the cleaned value or raises ApiError."""

from __future__ import annotations

from collections.abc import Mapping

from termfit.search import MODES, QueryError, check_query
from termfit.server.config import Limits
from termfit.server.errors import ApiError


def check_text(text: str, param: str) -> None:
    """Refuse text that cannot be encoded as UTF-8 (lone surrogates such as ``\\ud800``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ApiError(400, f"{param} holds a character that is not valid Unicode text "
                       f"(U+{ord(text[exc.start]):04X} at position {exc.start})",
                       param=param.split("[")[0], code="invalid_text") from None


def check_search(q: str, k: int, mode: str, limits: Limits) -> str:
    """The stripped query of a valid /search request."""
    try:
        q = check_query(q, limits.max_query_chars)  # the same check as `termfit search`
    except QueryError as exc:
        message = "; ".join(p.message for p in exc.problems)
        raise ApiError(400, message, param="q", code=exc.code) from None
    if not 1 <= k <= limits.max_k:
        raise ApiError(400, f"k must be between 1 and {limits.max_k}, got {k}", param="k",
                       code="k_out_of_range")
    if mode not in MODES:
        raise ApiError(400, f"mode must be one of {', '.join(MODES)}, got {mode!r}",
                       param="mode", code="invalid_mode")
    return q


def check_inputs(inputs: str | list[str], limits: Limits) -> list[str]:
    """The texts of a valid /v1/embeddings ``input``."""
    texts = [inputs] if isinstance(inputs, str) else list(inputs)
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
                           f"{limits.max_input_chars}", param="input", code="input_too_long")
        check_text(t, f"input[{i}]")
    return texts


def check_dimensions(dimensions: int | None, dim: int) -> None:
    """Only the model's own dimension can be asked for."""
    if dimensions is not None and dimensions != dim:
        raise ApiError(400, f"this model gives {dim} dimensions; dimensions={dimensions} is "
                       "not supported", param="dimensions", code="invalid_dimensions")


def check_model(requested: str | None, served: str) -> None:
    """A request naming a model must name the served one (absent: the served one)."""
    if requested is not None and requested != served:
        check_text(requested, "model")
        raise ApiError(404, f"The model `{requested}` does not exist; this server serves "
                       f"`{served}` (see GET /v1/models)", param="model",
                       code="model_not_found")


def applied_input_type(requested: str | None, default: str,
                       prompts: Mapping[str, str] | None) -> str:
    """The prompt an embeddings request gets: its own ``input_type``, else the server's
    default; "none" when the model has no such prompt (said in the response)."""
    wanted = requested or default
    return wanted if wanted != "none" and wanted in (prompts or {}) else "none"
