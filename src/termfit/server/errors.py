"""One JSON error shape for every refusal, and the handlers that produce it.

Every error the server answers, from a route, a middleware or the HTTP parser, is
``{"error": {"message", "type", "param", "code"}}`` (the OpenAI error body) with a
specific ``code``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)

# Codes for HTTP errors raised by the framework itself (unknown path, wrong method, ...).
HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large",
              414: "url_too_long", 401: "invalid_api_key"}


class ApiError(Exception):
    """An error answered as ``{"error": {...}}`` with an HTTP status."""

    def __init__(self, status: int, message: str, param: str | None = None,
                 code: str = "invalid_request", type: str = "invalid_request_error"):
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.type = (
            status, message, param, code, type)

    def body(self) -> dict:
        """The JSON error body."""
        return error_body(self.message, code=self.code, param=self.param, type=self.type)

    def response(self) -> JSONResponse:
        """This error as a response (also an ASGI app, usable from middleware)."""
        headers = {"Retry-After": "1"} if self.status == 503 else None
        if self.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def error_body(message: str, code: str, param: str | None = None,
               type: str = "invalid_request_error") -> dict:
    """``{"error": {"message", "type", "param", "code"}}`` (a message quoting text that is not
    valid Unicode shows it escaped)."""
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error raised inside ``app`` with the JSON error shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return validation_error(exc.errors(), request.method,
                            request.headers.get("content-type", "")).response()


def validation_error(errs: Sequence[Any], method: str, content_type: str) -> ApiError:
    """The :class:`ApiError` for FastAPI's request validation errors ``errs``."""
    not_json = method == "POST" and "json" not in content_type
    if any(e.get("type") == "json_invalid" for e in errs) or (
            not_json and any(tuple(e.get("loc", ())) == ("body",) for e in errs)):
        msg = ("the body must be JSON sent with Content-Type: application/json"
               if not_json else "malformed JSON body")
        return ApiError(400, msg, code="invalid_json")
    first = errs[0] if errs else {}
    loc = [str(x) for x in first.get("loc", ()) if x not in ("body", "query")]
    param = ".".join(loc) or None
    msg = first.get("msg", "invalid value")
    return ApiError(422, f"{param}: {msg}" if param else msg, param=param,
                    code="invalid_value")


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    err = ApiError(exc.status_code, str(exc.detail),
                   code=HTTP_CODES.get(exc.status_code, "http_error"))
    return JSONResponse(err.body(), status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unexpected error on %s %s", request.method, request.url.path,
                 exc_info=exc)
    return ApiError(500, "internal error", code="internal", type="server_error").response()
