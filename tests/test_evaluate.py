"""Evaluation runs, inputs, caching, reports and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from eval_fixtures import make_corpus, make_queries, write_data_dir, write_jsonl

from termfit import evaluate as ev
from termfit.cli import main
from termfit.errors import InputError
from termfit.metrics import METRIC_NAMES, per_query_metrics, summarize

QUIET = ev.EvalSettings(show_progress=False, cache=False)


def test_malformed_queries_file_names_the_line(tmp_path, capsys):
    c = write_jsonl(tmp_path / "c.jsonl", make_corpus())
    q = tmp_path / "q.jsonl"
    good = json.dumps(make_queries()[0], ensure_ascii=False)
    q.write_text(good + "\n" + good.replace('"q0"', '"q1"')[:-5] + "\n", encoding="utf-8")
    assert main(["eval", "--queries", str(q), "--corpus", str(c), "--system", "bm25"]) == 2
    err = capsys.readouterr().err
    assert f"{q}:2" in err and "malformed JSON" in err and "Traceback" not in err


def test_malformed_corpus_and_unknown_relevant_ids(tmp_path):
    rows = make_corpus()
    rows[3] = {"id": rows[3]["id"]}  # no text
    c = write_jsonl(tmp_path / "c.jsonl", rows)
    with pytest.raises(InputError) as exc:
        ev.load_corpus(c)
    assert f"{c}:4 [text]: missing field" in str(exc.value)
    qs = make_queries()
    qs[1]["relevant"] = ["nope"]
    qs[2]["relevant"] = []
    q = write_jsonl(tmp_path / "q.jsonl", qs)
    with pytest.raises(InputError) as exc:
        ev.load_queries(q, {r["id"] for r in make_corpus()})
    msg = str(exc.value)
    assert f"{q}:2 [relevant]" in msg and "'nope'" in msg and f"{q}:3 [relevant]" in msg


def test_duplicate_corpus_id(tmp_path):
    rows = make_corpus()
    rows.append(dict(rows[0]))
    c = write_jsonl(tmp_path / "c.jsonl", rows)
    with pytest.raises(InputError, match="duplicate id"):
        ev.load_corpus(c)


def test_lexical_systems_with_breakdowns():
    res = ev.evaluate(["bm25", "acronym"], make_queries(), make_corpus(), settings=QUIET)
    acr = res["acronym"]
    assert set(acr["metrics"]) == set(METRIC_NAMES)
    assert acr["metrics"]["ndcg@10"] > res["bm25"]["metrics"]["ndcg@10"]
    assert set(acr["breakdowns"]) == {"lang", "direction", "ambiguous"}
    assert set(acr["breakdowns"]["lang"]) == {"en", "ko", "mixed"}
    assert acr["breakdowns"]["ambiguous"]["true"]["n"] == 8
    single = ev.evaluate(["bm25"], make_queries(), make_corpus(), settings=QUIET)
    assert list(single) == ["bm25"] and single["bm25"]["metrics"] == res["bm25"]["metrics"]
    with pytest.raises(TypeError):
        ev.evaluate("bm25", make_queries(), make_corpus(), settings=QUIET)


def test_chunked_scoring_matches_unchunked(tiny_model):
    qs, corpus = make_queries(), make_corpus()
    chunked = ev.EvalSettings(chunk_size=3, cache=False, show_progress=False)
    a, _ = ev.rank_systems(["dense", "hybrid", "bm25"], qs, corpus, tiny_model,
                           settings=chunked)
    b, _ = ev.rank_systems(["dense", "hybrid", "bm25"], qs, corpus, tiny_model, settings=QUIET)
    assert a == b


def test_dense_matches_information_retrieval_evaluator(tiny_model):
    qs, corpus = make_queries(), make_corpus()
    ours = ev.evaluate(["dense"], qs, corpus, tiny_model, settings=QUIET)["dense"]
    theirs = ev.ir_evaluator(qs, corpus, "t", write_csv=False)(tiny_model)
    for name, value in ours["metrics"].items():
        assert value == pytest.approx(theirs[f"t_cosine_{name}"], abs=1e-6), name


def test_corpus_embeddings_are_cached(tiny_model, tmp_path, monkeypatch):
    texts = [r["text"] for r in make_corpus()]
    cached = ev.EvalSettings(cache=tmp_path, show_progress=False)
    first = ev.corpus_embeddings(tiny_model, texts, cached)
    assert len(list((tmp_path / "embeddings").glob("*.npy"))) == 1
    calls = []

    def fake_encode(model, texts, *a, **k):
        calls.append(len(texts))
        return np.zeros((len(texts), 32), dtype=np.float32)

    monkeypatch.setattr(ev, "_encode", fake_encode)
    again = ev.corpus_embeddings(tiny_model, texts, cached)
    np.testing.assert_array_equal(first, again)
    assert not calls
    # another corpus is another key
    ev.corpus_embeddings(tiny_model, texts[:-1], cached)
    assert calls == [len(texts) - 1]


def test_fingerprint_changes_with_weights(tiny_model):
    import torch

    fp = ev.weights_fingerprint(tiny_model)
    assert fp == ev.weights_fingerprint(tiny_model)
    p = next(tiny_model.parameters())
    with torch.no_grad():
        p[0, 0] += 1.0
        try:
            assert ev.weights_fingerprint(tiny_model) != fp
        finally:
            p[0, 0] -= 1.0


def test_hybrid_tuned_on_dev(tiny_model):
    qs, corpus = make_queries(), make_corpus()
    res = ev.evaluate(["hybrid"], qs, corpus, tiny_model, dev_queries=qs[:12], settings=QUIET)
    fusion = res["hybrid"]["fusion"]
    assert fusion["components"] == list(ev.HYBRID_COMPONENTS)
    assert fusion["dev_score"] is not None and len(fusion["weights"]) == 3


def test_cli_on_data_dir_writes_reports(tmp_path, tiny_model_path, capsys):
    data = write_data_dir(tmp_path / "data")
    out = tmp_path / "rep" / "report.json"
    rc = main(["eval", "--data", str(data), "--split", "heldout-terms", "--system", "all",
               "--model", str(tiny_model_path), "--out", str(out), "--limit-queries", "20",
               "--limit-dev", "8", "--quiet", "--no-cache"])
    assert rc == 0
    report = json.loads(out.read_text())
    assert list(report["systems"]) == list(ev.SYSTEMS)
    assert report["n_queries"] == 20 and report["split"] == "heldout-terms"
    assert report["systems"]["hybrid"]["fusion"]["dev_score"] is not None
    md = out.with_suffix(".md").read_text()
    assert "| **ndcg@10** |" in md and "lang=ko" in md
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    assert "| Metric | bm25 | acronym | dense | hybrid |" in capsys.readouterr().out


def test_cli_errors(tmp_path, capsys):
    assert main(["eval", "--data", str(tmp_path), "--system", "bm25"]) == 2
    assert "corpus.jsonl: file not found" in capsys.readouterr().err
    data = write_data_dir(tmp_path / "d")
    assert main(["eval", "--data", str(data), "--system", "bm24"]) == 2
    assert "unknown system bm24" in capsys.readouterr().err
    assert main(["eval", "--data", str(data), "--split", "test"]) == 2


def _random_rankings(queries, corpus, n: int = 50) -> list[float]:
    """NDCG@10 of ``n`` random rankings of the corpus for ``queries``."""
    rng = np.random.default_rng(0)
    ids = [c["id"] for c in corpus]
    rel = [set(q["relevant"]) for q in queries]
    return [summarize(per_query_metrics(
        [[ids[j] for j in rng.permutation(len(ids))] for _ in queries], rel))["ndcg@10"]
        for _ in range(n)]


def test_metrics_of_a_known_ranking(monkeypatch):
    """Exact metrics of a ranking fixed in advance: every query's answer at rank 2."""
    qs, corpus = make_queries(), make_corpus()
    ids = [c["id"] for c in corpus]

    def ranked_second(systems, queries, *a, **k):
        rankings = []
        for q in queries:
            gold = q["relevant"][0]
            rest = [i for i in ids if i not in q["relevant"]]
            rankings.append([rest[0], gold, *rest[1:9]])
        return {s: rankings for s in systems}, {}

    monkeypatch.setattr(ev, "rank_systems", ranked_second)
    m = ev.evaluate(["bm25"], qs, corpus, settings=QUIET)["bm25"]["metrics"]
    assert m["accuracy@1"] == 0 and m["accuracy@3"] == 1
    assert m["mrr@10"] == pytest.approx(0.5)
    n_rel = np.array([len(q["relevant"]) for q in qs])
    ideal = np.array([sum(1 / np.log2(r + 2) for r in range(min(n, 10))) for n in n_rel])
    assert m["ndcg@10"] == pytest.approx(float(np.mean((1 / np.log2(3)) / ideal)), abs=1e-6)


@pytest.mark.slow
def test_small_model_beats_random_rankings(small_model_path):
    """End to end with the real e5-small on the fixture: dense and hybrid rank better than
    every one of 50 random rankings of the same corpus."""
    from termfit.models import load_model

    model = load_model(str(small_model_path))
    qs, corpus = make_queries(), make_corpus()
    res = ev.evaluate(["dense", "hybrid"], qs, corpus, model, settings=QUIET)
    best_random = max(_random_rankings(qs, corpus))
    assert res["dense"]["metrics"]["ndcg@10"] > best_random
    assert res["hybrid"]["metrics"]["ndcg@10"] > best_random
