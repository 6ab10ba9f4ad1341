from __future__ import annotations

import json
import shutil
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from search_fixtures import ROWS, write_glossary

from termfit.errors import InputError
from termfit.index import build_index
from termfit.search import Searcher
from termfit.serve import ApiError, Limits, Worker, create_app, embedding_from_base64

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, tiny_model_path):
    d = tmp_path_factory.mktemp("serve")
    return build_index(d / "index", [write_glossary(d / "g.jsonl")], tiny_model_path,
                       show_progress=False)


@pytest.fixture(scope="module")
def searcher(index_dir):
    return Searcher(index_dir)


@pytest.fixture(scope="module")
def client(index_dir, searcher):
    limits = Limits(max_k=20, max_query_chars=50, max_inputs=4, max_input_chars=100,
                    max_body_bytes=20_000)
    with TestClient(create_app(index_dir, limits=limits, searcher=searcher,
                               reload_on_sighup=False)) as c:
        yield c


def err(r, status):
    assert r.status_code == status, r.text
    body = r.json()["error"]
    assert body["message"]
    return body


def test_page_health_and_docs(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'id="q"' in r.text and "http" not in r.text.split("<script>")[1]  # no CDN
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["entries"] == len(ROWS)
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/search", "/v1/embeddings", "/healthz", "/readyz", "/admin/reload"} <= set(paths)
    assert client.get("/docs").status_code == 200


def test_search_returns_ranked_hits(client):
    r = client.get("/search", params={"q": "접근 및 이동성 관리 기능", "k": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["k"] == 3 and body["mode"] == "hybrid" and len(body["results"]) == 3
    top = body["results"][0]
    assert top["abbr"] == "AMF" and top["ko"] == ["접근 및 이동성 관리 기능"]
    assert set(top) == {"id", "abbr", "expansion", "ko", "category", "score", "scorer"}
    lex = client.get("/search", params={"q": "CP", "k": 2, "mode": "lexical"}).json()
    assert {h["expansion"] for h in lex["results"]} == {"Control Plane", "Cyclic Prefix"}


@pytest.mark.parametrize("params, status, code", [
    ({"q": "  "}, 400, "empty_query"),
    ({}, 422, "invalid_value"),
    ({"q": "AMF", "k": 0}, 400, "k_out_of_range"),
    ({"q": "AMF", "k": 21}, 400, "k_out_of_range"),
    ({"q": "AMF", "k": "ten"}, 422, "invalid_value"),
    ({"q": "x" * 51}, 400, "query_too_long"),
    ({"q": "AMF", "mode": "fuzzy"}, 400, "invalid_mode"),
])
def test_search_bad_input(client, params, status, code):
    assert err(client.get("/search", params=params), status)["code"] == code


def test_embeddings_openai_shape(client, searcher):
    r = client.post("/v1/embeddings", json={"input": "AMF", "model": "anything"})
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "list" and body["model"] and body["usage"]["prompt_tokens"] > 0
    (item,) = body["data"]
    assert item["object"] == "embedding" and item["index"] == 0
    v = np.array(item["embedding"])
    assert v.shape == (searcher.index.dim,) and np.linalg.norm(v) == pytest.approx(1, abs=1e-4)
    np.testing.assert_allclose(v, searcher.encode(["AMF"], prompt_name=None)[0], atol=1e-5)


def test_embeddings_input_type_and_base64(client, searcher):
    texts = ["세션 관리 기능", "User Plane Function"]
    q = client.post("/v1/embeddings", json={"input": texts, "input_type": "query"}).json()
    b = client.post("/v1/embeddings", json={"input": texts, "input_type": "query",
                                             "encoding_format": "base64"}).json()
    p = client.post("/v1/embeddings", json={"input": texts, "input_type": "passage"}).json()
    expect = searcher.encode(texts, prompt_name="query")
    for i in range(2):
        np.testing.assert_allclose(q["data"][i]["embedding"], expect[i], atol=1e-5)
        np.testing.assert_allclose(embedding_from_base64(b["data"][i]["embedding"]), expect[i],
                                   atol=1e-6)
    assert not np.allclose(p["data"][0]["embedding"], q["data"][0]["embedding"])
    tok = searcher.model.tokenizer
    assert q["usage"]["prompt_tokens"] == sum(len(tok("query: " + t)["input_ids"]) for t in texts)
    assert p["usage"]["total_tokens"] == sum(len(tok("passage: " + t)["input_ids"]) for t in texts)


@pytest.mark.parametrize("payload, status, code", [
    ({"input": []}, 400, "empty_input"),
    ({"input": ""}, 400, "empty_input"),
    ({"input": ["a"] * 5}, 400, "too_many_inputs"),
    ({"input": "x" * 101}, 400, "input_too_long"),
    ({"input": [[1, 2, 3]]}, 422, "invalid_value"),
    ({"input": "AMF", "encoding_format": "int8"}, 422, "invalid_value"),
    ({"input": "AMF", "input_type": "document"}, 422, "invalid_value"),
    ({"input": "AMF", "dimensions": 7}, 400, "invalid_dimensions"),
    ({}, 422, "invalid_value"),
])
def test_embeddings_bad_input(client, payload, status, code):
    assert err(client.post("/v1/embeddings", json=payload), status)["code"] == code


def test_malformed_and_oversized_bodies(client):
    r = client.post("/v1/embeddings", content=b'{"input": "AMF"',
                    headers={"content-type": "application/json"})
    assert err(r, 400)["code"] == "invalid_json"
    r = client.post("/v1/embeddings", content=b'{"input": "AMF"}',
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert "Content-Type: application/json" in err(r, 400)["message"]
    r = client.post("/v1/embeddings", content=json.dumps({"input": "x" * 30_000}),
                    headers={"content-type": "application/json"})
    assert err(r, 413)["code"] == "body_too_large"
    assert err(client.get("/nope"), 404)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=60), k=st.integers(-5, 30))
def test_search_never_5xx(client, q, k):
    r = client.get("/search", params={"q": q, "k": k})
    assert r.status_code < 500 and ("results" in r.json() or "error" in r.json())


def test_limits_are_validated():
    with pytest.raises(InputError, match="max_k"):
        Limits(max_k=0)


def test_reload_swaps_index_without_dropping_requests(index_dir, tmp_path, tiny_model_path):
    live = tmp_path / "live"
    shutil.copytree(index_dir, live)
    app = create_app(live, reload_on_sighup=False)
    statuses: list[int] = []
    with TestClient(app) as c:
        assert c.get("/search", params={"q": "Non-Access Stratum", "k": 1}).json()[
            "results"][0]["abbr"] != "NAS"
        stop = threading.Event()

        def hammer():
            while not stop.is_set():
                statuses.append(c.get("/search", params={"q": "AMF", "k": 2}).status_code)

        threads = [threading.Thread(target=hammer) for _ in range(3)]
        for t in threads:
            t.start()
        rows = [*ROWS, {"id": "nas", "abbr": "NAS", "expansion": "Non-Access Stratum",
                        "ko": ["비접속 계층"], "category": "technical"}]
        build_index(live, [write_glossary(tmp_path / "g2.jsonl", rows)], tiny_model_path,
                    show_progress=False)
        r = c.post("/admin/reload")
        stop.set()
        for t in threads:
            t.join()
        assert r.status_code == 200 and r.json()["entries"] == len(ROWS) + 1
        hit = c.get("/search", params={"q": "비접속 계층", "k": 1}).json()["results"][0]
        assert hit["abbr"] == "NAS"
        assert statuses and set(statuses) == {200}
        # a broken index folder: reload refused, the loaded index keeps serving
        (live / "manifest.json").unlink()
        assert err(c.post("/admin/reload"), 409)["code"] == "reload_failed"
        assert c.get("/search", params={"q": "NAS"}).status_code == 200


def test_full_queue_answers_busy():
    release = threading.Event()

    class SlowSearcher:
        def search_many(self, queries, k, mode):
            release.wait(10)
            return [[] for _ in queries]

    class State:
        searcher = SlowSearcher()

    worker = Worker(State(), Limits(max_pending=1, max_batch=1))
    futures, busy = [], []
    for _ in range(3):
        try:
            futures.append(worker.submit("search", "AMF", 5, "hybrid"))
        except ApiError as exc:
            busy.append(exc.status)
    assert busy and set(busy) == {503}
    release.set()
    assert all(f.result(timeout=10)[0] == [] for f in futures)
    worker.stop()
