"""POST /v1/expand through FastAPI's TestClient: the objects of termfit.expand, 4xx errors."""

from __future__ import annotations

import pytest
from server_fixtures import err, index_dir, searcher  # noqa: F401

fastapi = pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from termfit.expand import expand, index_resolver  # noqa: E402
from termfit.server import Limits, Settings, create_app  # noqa: E402

LIMITS = Limits(max_inputs=3, max_input_chars=200, max_body_bytes=20_000)


@pytest.fixture(scope="module")
def client(index_dir, searcher):  # noqa: F811
    app = create_app(index_dir, limits=LIMITS, searcher=searcher,
                     settings=Settings(reload_on_sighup=False))
    with TestClient(app) as c:
        yield c


def test_expand_returns_the_library_objects(client, searcher):  # noqa: F811
    texts = ["AMF는 SMF의 세션을 관리한다", "The Cyclic Prefix (CP) and the CP."]
    r = client.post("/v1/expand", json={"input": texts, "rewrite": True})
    assert r.status_code == 200, r.text
    want = [x.to_dict() for x in expand(texts, index_resolver(searcher.index, searcher.model),
                                        rewrite=True)]
    assert r.json()["data"] == want
    assert want[0]["rewritten"].startswith("AMF (Access and Mobility Management Function)는")
    one = client.post("/v1/expand", json={"input": "the AMF"}).json()["data"]
    assert len(one) == 1 and "rewritten" not in one[0]
    assert one[0]["abbreviations"][0]["entry_id"] == "amf"


@pytest.mark.parametrize("payload, status, code", [
    ({"input": []}, 400, "empty_input"),
    ({"input": ["AMF", "  "]}, 400, "empty_input"),
    ({"input": ["a", "b", "c", "d"]}, 400, "too_many_inputs"),
    ({"input": "x" * 201}, 400, None),
    ({"input": "AMF", "rewrite": "maybe"}, 422, "invalid_value"),
    ({}, 422, "invalid_value"),
])
def test_expand_bad_input(client, payload, status, code):
    body = err(client.post("/v1/expand", json=payload), status)
    assert code is None or body["code"] == code
