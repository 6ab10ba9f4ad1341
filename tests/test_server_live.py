"""A live uvicorn server on loopback: the official OpenAI client, and raw HTTP faults."""

from __future__ import annotations

import json
import select
import socket
import urllib.parse

import numpy as np
import pytest
from server_fixtures import index_dir, live_server, searcher  # noqa: F401

from termfit.server import Limits, Settings, create_app

openai = pytest.importorskip("openai")


@pytest.fixture(scope="module")
def server(index_dir, searcher):  # noqa: F811
    app = create_app(index_dir, searcher=searcher, limits=Limits(max_body_bytes=200_000),
                     settings=Settings(api_key="test-key", reload_on_sighup=False))
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server + "/v1", api_key="test-key", max_retries=0)


def test_openai_client_float_and_base64(client, tiny_model_path):
    from sentence_transformers import SentenceTransformer

    (model,) = client.models.list().data
    texts = ["세션 관리 기능", "User Plane Function", "AMF"]
    expect = SentenceTransformer(str(tiny_model_path), device="cpu").encode(
        texts, prompt_name="query", normalize_embeddings=True)
    floats = client.embeddings.create(model=model.id, input=texts, encoding_format="float")
    b64 = client.embeddings.create(model=model.id, input=texts)  # the client asks for base64
    assert floats.model == model.id and floats.usage.prompt_tokens > 0
    for res in (floats, b64):
        got = np.array([d.embedding for d in sorted(res.data, key=lambda d: d.index)])
        np.testing.assert_allclose(got, expect, atol=1e-5)
    raw = client.embeddings.with_raw_response.create(model=model.id, input="AMF")
    assert raw.headers["x-termfit-input-type"] == "query"


@pytest.mark.parametrize("kwargs, status, code", [
    ({"input": []}, 400, "empty_input"),
    ({"input": ""}, 400, "empty_input"),
    ({"input": ["a"] * 257}, 400, "too_many_inputs"),
    ({"input": "x" * 8193}, 400, "input_too_long"),
    ({"input": [[1, 2]]}, 422, "invalid_value"),
    ({"input": "AMF", "model": "text-embedding-3-small"}, 404, "model_not_found"),
    ({"input": "AMF", "encoding_format": "int8"}, 422, "invalid_value"),
])
def test_openai_client_errors(client, kwargs, status, code):
    kwargs.setdefault("model", client.models.list().data[0].id)
    with pytest.raises(openai.APIStatusError) as exc:
        client.embeddings.create(**kwargs)
    assert exc.value.status_code == status and exc.value.code == code


def test_openai_client_wrong_key(server):
    bad = openai.OpenAI(base_url=server + "/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as exc:
        bad.models.list()
    assert exc.value.code == "invalid_api_key"


def raw_request(url: str, head: bytes, body_chunks=(), timeout: float = 10) -> tuple[int, dict]:
    """Send ``head`` and ``body_chunks``, stopping as soon as the server answers."""
    u = urllib.parse.urlparse(url)
    with socket.create_connection((u.hostname, u.port), timeout=timeout) as s:
        s.sendall(head)
        for chunk in body_chunks:
            if select.select([s], [], [], 0)[0]:
                break  # answered already: stop sending
            try:
                s.sendall(chunk)
            except OSError:
                break
        data = b""
        while b"\r\n\r\n" not in data or len(data) < _expected(data):
            part = s.recv(65536)
            if not part:
                break
            data += part
    head_part, _, body = data.partition(b"\r\n\r\n")
    status = int(head_part.split()[1])
    return status, json.loads(body)


def _expected(data: bytes) -> int:
    head, _, _ = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(head) + 4 + int(line.split(b":")[1])
    return 1 << 30


AUTH = b"Authorization: Bearer test-key\r\n"


def test_chunked_body_limited_while_streaming(server):
    head = (b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + AUTH + b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    status, body = raw_request(server, head, [chunk] * 400)  # 26 MB offered, 200 kB allowed
    assert status == 413 and body["error"]["code"] == "body_too_large"


def test_bad_content_length_gets_json(server):
    head = (b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + AUTH + b"Content-Length: abc\r\n\r\n{}")
    status, body = raw_request(server, head)
    assert status == 400 and body["error"]["code"] == "invalid_http_request"


def test_megabyte_url_gets_json_414(server):
    head = b"GET /search?q=" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n"
    status, body = raw_request(server, head)
    assert status == 414 and body["error"]["code"] == "url_too_long"


def test_non_utf8_body(server):
    payload = b'{"input": "\xff"}'
    head = (b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + AUTH + b"Content-Length: %d\r\n\r\n" % len(payload) + payload)
    status, body = raw_request(server, head)
    assert status == 400 and body["error"]["code"] == "invalid_utf8"


def test_lone_surrogate_fails_only_its_request(server):
    import concurrent.futures as cf

    import httpx

    auth = {"Authorization": "Bearer test-key", "content-type": "application/json"}

    def post(body: bytes) -> int:
        return httpx.post(server + "/v1/embeddings", content=body, headers=auth,
                          timeout=30).status_code

    bodies = [b'{"input": "x \\ud800"}' if i % 5 == 0 else b'{"input": "AMF %d"}' % i
              for i in range(40)]
    with cf.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(post, bodies))
    assert [s for i, s in enumerate(statuses) if i % 5] == [200] * 32
    assert {s for i, s in enumerate(statuses) if i % 5 == 0} == {400}
