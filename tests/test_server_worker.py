"""The model worker without HTTP: batching, a full queue, and one bad job failing alone."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from termfit.search import SearchResult
from termfit.server import ApiError, Limits
from termfit.server.worker import Embedded, Worker


class FakeTokenizer:
    def __call__(self, texts, truncation=True, max_length=None):
        ids = [[0] * min(len(t.split()) + 2, max_length or 10**9) for t in texts]
        return {"input_ids": ids}


class FakeModel:
    prompts = {"query": "query: ", "passage": "passage: "}
    max_seq_length = 8
    tokenizer = FakeTokenizer()


class FakeSearcher:
    """Embeds text as its length; a text holding "boom" makes the whole call raise."""

    model = FakeModel()

    def __init__(self, gate: threading.Event | None = None):
        self.gate, self.calls = gate, []

    def encode(self, texts, prompt_name=None):
        if self.gate is not None:
            self.gate.wait(10)
        self.calls.append(list(texts))
        if any("boom" in t for t in texts):
            raise RuntimeError("cannot embed this")
        return np.array([[len(t)] for t in texts], dtype=np.float32)

    def search_results(self, queries, k, mode, abbreviations=True):
        if self.gate is not None:
            self.gate.wait(10)
        return [SearchResult(q, []) for q in queries]


class State:
    def __init__(self, searcher):
        self.searcher = searcher


def test_full_queue_answers_busy():
    release = threading.Event()
    worker = Worker(State(FakeSearcher(release)), Limits(max_pending=1, max_batch=1))
    futures, busy = [], []
    for _ in range(3):
        try:
            futures.append(worker.submit("search", "AMF", 5, "hybrid"))
        except ApiError as exc:
            busy.append(exc.status)
    assert busy and set(busy) == {503}
    release.set()
    assert all(f.result(timeout=10)[0].hits == [] for f in futures)
    worker.stop()


def test_a_failing_job_does_not_fail_its_batch():
    gate = threading.Event()
    searcher = FakeSearcher(gate)
    batches: list[int] = []
    worker = Worker(State(searcher), Limits(), on_batch=batches.append)
    blocker = worker.submit("embed", ["first"], "query", False)  # holds the worker
    while worker.q.qsize():
        time.sleep(0.01)
    good = [worker.submit("embed", [f"text {i}"], "query", False) for i in range(5)]
    bad = worker.submit("embed", ["boom"], "query", False)
    gate.set()
    assert isinstance(blocker.result(timeout=10), Embedded)
    for i, f in enumerate(good):
        out = f.result(timeout=10)
        assert out.vectors.tolist() == [[len(f"text {i}")]] and out.tokens == 5
    with pytest.raises(RuntimeError, match="cannot embed"):
        bad.result(timeout=10)
    assert len(searcher.calls[1]) == 6  # batched together, then retried one by one
    assert sum(batches) == 7
    worker.stop()


def test_over_long_input_fails_only_its_request_unless_truncated():
    worker = Worker(State(FakeSearcher()), Limits())
    long = " ".join(["w"] * 20)
    too_long = worker.submit("embed", ["short", long], "query", False)
    with pytest.raises(ApiError) as exc:
        too_long.result(timeout=10)
    assert exc.value.code == "input_too_long" and "input[1]" in exc.value.message
    out = worker.submit("embed", ["short", long], "query", True).result(timeout=10)
    assert out.truncated == [1] and out.tokens == 4 + 8
    worker.stop()


def test_unknown_job_kind_is_refused():
    worker = Worker(State(FakeSearcher()), Limits())
    with pytest.raises(ValueError, match="unknown job kind"):
        worker.submit("translate", "AMF")
    worker.stop()
