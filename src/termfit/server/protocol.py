"""uvicorn's HTTP/1.1 protocol, answering unparsable requests with the JSON error shape.

uvicorn answers a request that its parser (h11) refuses, such as a bad Content-Length,
with a plain-text 400; this subclass sends ``{"error": {..., "code":
"invalid_http_request"}}`` instead. The request-line/header limit is raised
(:data:`MAX_HEAD_BYTES`) so that an over-long URL is read and refused with a JSON 414 by
:class:`termfit.server.middleware.UrlLimit` rather than a dropped connection.
"""

from __future__ import annotations

import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from termfit.server.errors import error_body

MAX_HEAD_BYTES = 4 * 1024 * 1024


class JsonErrorH11Protocol(H11Protocol):
    """:class:`H11Protocol` whose 400 for an unparsable request is JSON."""

    def send_400_response(self, msg: str) -> None:
        body = json.dumps(error_body(f"invalid HTTP request: {msg}",
                                     code="invalid_http_request")).encode()
        headers = [(b"content-type", b"application/json"), (b"connection", b"close"),
                   (b"content-length", str(len(body)).encode())]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                      h11.Data(data=body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()
