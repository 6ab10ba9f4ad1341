"""The HTTP API through FastAPI's TestClient: routes, errors, auth, CORS, metrics, reload."""

from __future__ import annotations

import json
import shutil
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from search_fixtures import ROWS, write_glossary
from server_fixtures import err, index_dir, searcher  # noqa: F401

from termfit.index import build_index, model_fingerprint
from termfit.server import Limits, Settings, create_app, embedding_from_base64

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

LIMITS = Limits(max_k=20, max_query_chars=50, max_inputs=4, max_input_chars=1000,
                max_body_bytes=20_000)
NO_SIGHUP = Settings(reload_on_sighup=False)


@pytest.fixture(scope="module")
def client(index_dir, searcher):  # noqa: F811
    with TestClient(create_app(index_dir, limits=LIMITS, searcher=searcher,
                               settings=NO_SIGHUP)) as c:
        yield c


def served_model(client) -> str:
    return client.get("/v1/models").json()["data"][0]["id"]


def test_page_health_and_docs(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'id="q"' in r.text and "http" not in r.text.split("<script>")[1]  # no CDN
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["entries"] == len(ROWS)
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/search", "/v1/embeddings", "/v1/models", "/healthz", "/readyz", "/metrics",
            "/admin/reload"} <= set(paths)
    assert client.get("/docs").status_code == 200


def test_search_returns_ranked_hits(client):
    r = client.get("/search", params={"q": "접근 및 이동성 관리 기능", "k": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["k"] == 3 and body["mode"] == "hybrid" and len(body["results"]) == 3
    top = body["results"][0]
    assert top["abbr"] == "AMF" and top["ko"] == ["접근 및 이동성 관리 기능"]
    assert set(top) == {"id", "abbr", "expansion", "ko", "category", "score", "scorer",
                        "found_by"}
    assert body["abbreviations"] == []
    lex = client.get("/search", params={"q": "CP", "k": 2, "mode": "lexical"}).json()
    assert {h["expansion"] for h in lex["results"]} == {"Control Plane", "Cyclic Prefix"}


def test_search_reports_the_query_abbreviations(client):
    body = client.get("/search", params={"q": "CP 길이가 긴 경우 성능은?", "k": 5}).json()
    (cp,) = body["abbreviations"]
    assert set(cp) == {"abbr", "start", "end", "expansion", "entry_id", "score", "uncertain",
                       "alternatives"}
    assert (cp["abbr"], cp["start"], cp["end"]) == ("CP", 0, 2)
    senses = {cp["entry_id"]} | {a["entry_id"] for a in cp["alternatives"]}
    assert senses == {"cp-control", "cp-prefix"}
    by_abbr = {h["id"]: h for h in body["results"]}
    assert senses <= set(by_abbr)
    assert all("abbreviation" in by_abbr[i]["found_by"] for i in senses)
    off = client.get("/search", params={"q": "CP 길이가 긴 경우 성능은?", "k": 5,
                                        "abbreviations": "false"}).json()
    assert off["abbreviations"] == []
    assert all("abbreviation" not in h["found_by"] for h in off["results"])


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


def test_models_lists_the_served_model(client, searcher):  # noqa: F811
    body = client.get("/v1/models").json()
    assert body["object"] == "list" and len(body["data"]) == 1
    card = body["data"][0]
    assert card["id"] == searcher.model_name and card["object"] == "model"
    assert client.get(f"/v1/models/{card['id']}").json()["id"] == card["id"]
    assert err(client.get("/v1/models/other-model"), 404)["code"] == "model_not_found"


def test_embeddings_openai_shape_and_default_query_prompt(client, searcher):  # noqa: F811
    r = client.post("/v1/embeddings", json={"input": "AMF", "model": served_model(client)})
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "list" and body["model"] == searcher.model_name
    assert body["usage"]["prompt_tokens"] > 0 and body["usage"]["input_type"] == "query"
    assert r.headers["x-termfit-input-type"] == "query"
    (item,) = body["data"]
    assert item["object"] == "embedding" and item["index"] == 0
    v = np.array(item["embedding"])
    assert v.shape == (searcher.index.dim,) and np.linalg.norm(v) == pytest.approx(1, abs=1e-4)
    np.testing.assert_allclose(v, searcher.encode(["AMF"], prompt_name="query")[0], atol=1e-5)


def test_default_input_type_none(index_dir, searcher):  # noqa: F811
    app = create_app(index_dir, searcher=searcher,
                     settings=Settings(default_input_type="none", reload_on_sighup=False))
    with TestClient(app) as c:
        r = c.post("/v1/embeddings", json={"input": "AMF"})
        assert r.json()["usage"]["input_type"] == "none"
        np.testing.assert_allclose(r.json()["data"][0]["embedding"],
                                   searcher.encode(["AMF"], prompt_name=None)[0], atol=1e-5)
        r = c.post("/v1/embeddings", json={"input": "AMF", "input_type": "passage"})
        assert r.headers["x-termfit-input-type"] == "passage"


def test_embeddings_input_type_and_base64(client, searcher):  # noqa: F811
    texts = ["세션 관리 기능", "User Plane Function"]
    q = client.post("/v1/embeddings", json={"input": texts, "input_type": "query"}).json()
    b = client.post("/v1/embeddings", json={"input": texts, "input_type": "query",
                                             "encoding_format": "base64"}).json()
    p = client.post("/v1/embeddings", json={"input": texts, "input_type": "passage"}).json()
    n = client.post("/v1/embeddings", json={"input": texts, "input_type": "none"}).json()
    expect = searcher.encode(texts, prompt_name="query")
    for i in range(2):
        np.testing.assert_allclose(q["data"][i]["embedding"], expect[i], atol=1e-5)
        np.testing.assert_allclose(embedding_from_base64(b["data"][i]["embedding"]), expect[i],
                                   atol=1e-6)
    np.testing.assert_allclose(n["data"][0]["embedding"],
                               searcher.encode(texts[:1], prompt_name=None)[0], atol=1e-5)
    assert not np.allclose(p["data"][0]["embedding"], q["data"][0]["embedding"])
    tok = searcher.model.tokenizer
    assert q["usage"]["prompt_tokens"] == sum(len(tok("query: " + t)["input_ids"]) for t in texts)
    assert p["usage"]["total_tokens"] == sum(len(tok("passage: " + t)["input_ids"]) for t in texts)


def test_over_token_limit_refused_or_truncated_as_asked(client, searcher):  # noqa: F811
    long = " ".join(["ab"] * 300)  # 899 characters, well over the tiny model's 128 tokens
    e = err(client.post("/v1/embeddings", json={"input": ["AMF", long]}), 400)
    assert e["code"] == "input_too_long" and "input[1]" in e["message"]
    r = client.post("/v1/embeddings", json={"input": ["AMF", long], "truncate": True})
    assert r.status_code == 200 and r.json()["usage"]["truncated"] == [1]
    limit = searcher.model.max_seq_length
    assert r.json()["usage"]["prompt_tokens"] == limit + len(
        searcher.model.tokenizer("query: AMF")["input_ids"])


@pytest.mark.parametrize("payload, status, code", [
    ({"input": []}, 400, "empty_input"),
    ({"input": ""}, 400, "empty_input"),
    ({"input": ["a"] * 5}, 400, "too_many_inputs"),
    ({"input": "x" * 1001}, 400, "input_too_long"),
    ({"input": [[1, 2, 3]]}, 422, "invalid_value"),
    ({"input": 5}, 422, "invalid_value"),
    ({"input": "AMF", "encoding_format": "int8"}, 422, "invalid_value"),
    ({"input": "AMF", "input_type": "document"}, 422, "invalid_value"),
    ({"input": "AMF", "dimensions": 7}, 400, "invalid_dimensions"),
    ({"input": "AMF", "model": "text-embedding-3-small"}, 404, "model_not_found"),
    ({}, 422, "invalid_value"),
])
def test_embeddings_bad_input(client, payload, status, code):
    assert err(client.post("/v1/embeddings", json=payload), status)["code"] == code


def test_lone_surrogate_is_refused_alone(client):
    body = b'{"input": ["AMF", "x \\ud800"]}'
    r = client.post("/v1/embeddings", content=body, headers={"content-type": "application/json"})
    e = err(r, 400)
    assert e["code"] == "invalid_text" and "input[1]" in e["message"]
    assert client.post("/v1/embeddings", json={"input": "AMF"}).status_code == 200
    r = client.post("/v1/embeddings", content=b'{"input": "AMF", "model": "m\\udfff"}',
                    headers={"content-type": "application/json"})
    assert err(r, 400)["code"] == "invalid_text"


def test_malformed_and_oversized_bodies(client):
    json_ct = {"content-type": "application/json"}
    r = client.post("/v1/embeddings", content=b'{"input": "AMF"', headers=json_ct)
    assert err(r, 400)["code"] == "invalid_json"
    r = client.post("/v1/embeddings", content=b'{"input": "AMF"}',
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert "Content-Type: application/json" in err(r, 400)["message"]
    r = client.post("/v1/embeddings", content=json.dumps({"input": "x" * 30_000}),
                    headers=json_ct)
    assert err(r, 413)["code"] == "body_too_large"
    r = client.post("/v1/embeddings", content=b'{"input": "\xff\xfe"}', headers=json_ct)
    assert err(r, 400)["code"] == "invalid_utf8"
    assert err(client.get("/nope"), 404)["code"] == "not_found"
    assert err(client.get("/v1/embeddings"), 405)["code"] == "method_not_allowed"


def test_chunked_body_is_limited_while_streaming(client):
    sent = []

    def chunks():
        for _ in range(100):
            sent.append(1)
            yield b" " * 1000

    r = client.post("/v1/embeddings", content=chunks(), headers={"content-type":
                                                                  "application/json"})
    assert err(r, 413)["code"] == "body_too_large"


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=60), k=st.integers(-5, 30))
def test_search_never_5xx(client, q, k):
    r = client.get("/search", params={"q": q, "k": k})
    assert r.status_code < 500 and ("results" in r.json() or "error" in r.json())


def test_metrics_in_prometheus_format(client):
    client.get("/search", params={"q": "AMF"})
    client.get("/search", params={"q": ""})
    client.post("/v1/embeddings", json={"input": ["AMF", "SMF"]})
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'termfit_requests_total{method="GET",route="/search",status="200"}' in text
    assert 'termfit_requests_total{method="GET",route="/search",status="400"}' in text
    assert 'termfit_request_duration_seconds_bucket{le="0.005",route="/v1/embeddings"}' in text
    assert "termfit_batch_size_count" in text and "termfit_queue_depth 0.0" in text
    fp = client.get("/readyz").json()["model_fingerprint"]
    assert f'model_fingerprint="{fp}"' in text and "glossary_hash=" in text


def test_api_key(index_dir, searcher):  # noqa: F811
    app = create_app(index_dir, searcher=searcher,
                     settings=Settings(api_key="s3cret", reload_on_sighup=False))
    with TestClient(app) as c:
        assert c.get("/healthz").status_code == 200 and c.get("/").status_code == 200
        for method, path in [("GET", "/search?q=AMF"), ("POST", "/v1/embeddings"),
                             ("GET", "/v1/models"), ("GET", "/metrics"), ("GET", "/readyz"),
                             ("GET", "/docs"), ("POST", "/admin/reload")]:
            assert err(c.request(method, path), 401)["code"] == "invalid_api_key"
        bad = {"Authorization": "Bearer nope"}
        assert "incorrect" in err(c.get("/search?q=AMF", headers=bad), 401)["message"]
        good = {"Authorization": "Bearer s3cret"}
        assert c.get("/search?q=AMF", headers=good).status_code == 200
        assert c.post("/v1/embeddings", json={"input": "AMF"}, headers=good).status_code == 200


def test_cors_off_by_default_and_on_for_given_origins(client, index_dir, searcher):  # noqa: F811
    pre = {"Origin": "http://app.example", "Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "authorization,content-type"}
    r = client.options("/v1/embeddings", headers=pre)
    assert "access-control-allow-origin" not in r.headers
    app = create_app(index_dir, searcher=searcher, settings=Settings(
        cors_origins=["http://app.example"], api_key="k", reload_on_sighup=False))
    with TestClient(app) as c:
        r = c.options("/v1/embeddings", headers=pre)
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "http://app.example"
        r = c.options("/v1/embeddings", headers={**pre, "Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in r.headers


def test_admin_routes_can_be_turned_off(index_dir, searcher):  # noqa: F811
    app = create_app(index_dir, searcher=searcher,
                     settings=Settings(admin=False, reload_on_sighup=False))
    with TestClient(app) as c:
        assert err(c.post("/admin/reload"), 404)["code"] == "not_found"


def test_reload_swaps_index_without_dropping_requests(index_dir, tmp_path,  # noqa: F811
                                                      tiny_model_path):
    live = tmp_path / "live"
    shutil.copytree(index_dir, live)
    app = create_app(live, settings=NO_SIGHUP)
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


def test_reload_with_damaged_model_is_refused(index_dir, tmp_path, tiny_model_path):  # noqa: F811
    live = tmp_path / "live"
    shutil.copytree(index_dir, live)
    damaged = tmp_path / "damaged-model"
    shutil.copytree(tiny_model_path, damaged)
    weights = damaged / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:5000])
    with TestClient(create_app(live, settings=NO_SIGHUP)) as c:
        before = c.get("/readyz").json()["model_fingerprint"]
        manifest = json.loads((live / "manifest.json").read_text())
        manifest.update(model_path=str(damaged), model_fingerprint=model_fingerprint(damaged))
        (live / "manifest.json").write_text(json.dumps(manifest))
        e = err(c.post("/admin/reload"), 409)
        assert e["code"] == "reload_failed" and "still serving" in e["message"]
        assert c.get("/readyz").json()["model_fingerprint"] == before
        assert c.get("/search", params={"q": "AMF"}).status_code == 200
        assert c.post("/v1/embeddings", json={"input": "AMF"}).status_code == 200
