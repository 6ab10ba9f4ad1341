"""Checks made before a request reaches a route, as plain ASGI middleware.

They answer with the JSON error shape of :mod:`termfit.server.errors`: an over-long URL
(414), a missing or wrong API key (401), a body over the limit, counted while it streams
in, chunked or not (413), and a body that is not UTF-8 (400).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from termfit.server.errors import ApiError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Reachable without the API key: liveness, and the page (one static file).
PUBLIC_PATHS = frozenset({"/healthz", "/", "/index.html"})


def header(scope: Scope, name: bytes) -> str | None:
    """A request header's value (latin-1), or None."""
    for k, v in scope.get("headers", ()):
        if k == name:
            return v.decode("latin-1")
    return None


class UrlLimit:
    """414 ``url_too_long`` for a path plus query string over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = len(scope.get("raw_path") or scope["path"]) + len(
                scope.get("query_string", b""))
            if size > self.max_bytes:
                err = ApiError(414, f"the URL is {size} bytes; the limit is {self.max_bytes}",
                               code="url_too_long")
                return await err.response()(scope, receive, send)
        await self.app(scope, receive, send)


def key_matches(authorization: str | None, key: str) -> bool:
    """True when ``authorization`` is ``Bearer KEY`` (constant-time comparison)."""
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                             key.encode())


class ApiKeyAuth:
    """401 ``invalid_api_key`` unless ``Authorization: Bearer KEY`` (CORS preflights and
    :data:`PUBLIC_PATHS` pass)."""

    def __init__(self, app: ASGIApp, key: str):
        self.app, self.key = app, key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["path"] not in PUBLIC_PATHS
                and scope["method"] != "OPTIONS"
                and not key_matches(header(scope, b"authorization"), self.key)):
            missing = header(scope, b"authorization") is None
            err = ApiError(401, "missing API key: send Authorization: Bearer KEY" if missing
                           else "incorrect API key provided", code="invalid_api_key")
            return await err.response()(scope, receive, send)
        await self.app(scope, receive, send)


class BodyGuard:
    """Read the body up to ``max_bytes`` while it streams in (413 beyond, whatever
    Content-Length says or when there is none), check it is UTF-8 (400 ``invalid_utf8``),
    then hand it on."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        try:
            body = await self.read_body(header(scope, b"content-length"), receive)
            body.decode("utf-8")
        except ApiError as err:
            return await err.response()(scope, receive, send)
        except UnicodeDecodeError as exc:
            bad = ApiError(400, f"the body is not UTF-8 text (byte {exc.start})",
                           code="invalid_utf8")
            return await bad.response()(scope, receive, send)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def read_body(self, content_length: str | None, receive: Receive) -> bytes:
        too_large = ApiError(413, f"request body over {self.max_bytes} bytes",
                             code="body_too_large")
        if content_length is not None:
            if not content_length.strip().isdigit():
                raise ApiError(400, f"bad Content-Length header {content_length[:40]!r}",
                               code="invalid_http_request")
            if int(content_length) > self.max_bytes:
                raise too_large
        chunks, size = [], 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                break
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise too_large
            chunks.append(chunk)
            if not msg.get("more_body", False):
                break
        return b"".join(chunks)
