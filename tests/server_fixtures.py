"""Fixtures shared by the server tests: an index of the small glossary and a live server."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from search_fixtures import write_glossary

from termfit.index import build_index
from termfit.search import Searcher


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, tiny_model_path):
    d = tmp_path_factory.mktemp("serve")
    return build_index(d / "index", [write_glossary(d / "g.jsonl")], tiny_model_path,
                       show_progress=False)


@pytest.fixture(scope="module")
def searcher(index_dir):
    return Searcher(index_dir)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def live_server(app) -> Iterator[str]:
    """Run ``app`` with termfit's uvicorn configuration on a free loopback port."""
    import uvicorn

    from termfit.server import uvicorn_config

    port = free_port()
    srv = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def err(r, status: int) -> dict:
    """The error body of response ``r``, checking its status and shape."""
    assert r.status_code == status, r.text
    body = r.json()["error"]
    assert body["message"] and body["code"] and set(body) == {"message", "type", "param",
                                                              "code"}
    return body
