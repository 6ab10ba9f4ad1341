"""The model worker: one thread runs every model call, batching requests that queue up.

Requests that arrive while the model is busy are embedded together in its next call
(micro-batching without added waiting); a full queue answers 503 at once. A batch that
raises is retried request by request, so one bad request only ever fails itself.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import queue
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from termfit.expand import Resolver, expand, index_resolver
from termfit.search import Mode, Searcher
from termfit.server.config import Limits
from termfit.server.errors import ApiError

logger = logging.getLogger(__name__)


class HasSearcher(Protocol):
    searcher: Searcher


@dataclass
class Job:
    """One request's model work: ``kind`` "search" (query, k, mode, abbreviations) or "embed"
    (texts, input_type, truncate)."""

    kind: str
    payload: tuple
    future: cf.Future


@dataclass
class Embedded:
    """What an embed job returns."""

    vectors: np.ndarray
    tokens: int
    truncated: list[int]  # positions of inputs cut to the model's token limit
    searcher: Searcher


class Worker:
    """One thread that runs every model call; jobs queued meanwhile are batched together."""

    def __init__(self, state: HasSearcher, limits: Limits,
                 on_batch: Callable[[int], None] | None = None):
        self.state, self.limits, self.on_batch = state, limits, on_batch
        self.q: queue.Queue[Job | None] = queue.Queue(maxsize=limits.max_pending)
        self.batches = 0
        self.jobs = 0
        self.thread = threading.Thread(target=self._loop, name="termfit-model", daemon=True)
        self.thread.start()

    def submit(self, kind: str, *payload: Any) -> cf.Future:
        """Queue one job; 503 ``busy`` when the queue is full."""
        if kind not in RUNNERS:
            raise ValueError(f"unknown job kind {kind!r}; known: {', '.join(RUNNERS)}")
        fut: cf.Future = cf.Future()
        try:
            self.q.put_nowait(Job(kind, payload, fut))
        except queue.Full:
            raise ApiError(503, "server busy: too many queued requests, retry shortly",
                           code="busy", type="server_busy") from None
        return fut

    def stop(self) -> None:
        with contextlib.suppress(queue.Full):
            self.q.put_nowait(None)
        self.thread.join(timeout=5)

    def _loop(self) -> None:
        while True:
            jobs = self._next_batch()
            if jobs is None:
                return
            searcher = self.state.searcher  # one consistent index for the whole batch
            groups: dict[tuple, list[Job]] = {}
            for j in jobs:
                groups.setdefault((j.kind, j.payload[1:]), []).append(j)
            for key, group in groups.items():
                self._run_group(searcher, key, group)
            self.batches += 1
            self.jobs += len(jobs)
            if self.on_batch is not None:
                self.on_batch(len(jobs))

    def _next_batch(self) -> list[Job] | None:
        job = self.q.get()
        if job is None:
            return None
        jobs = [job]
        while len(jobs) < self.limits.max_batch:
            try:
                nxt = self.q.get_nowait()
            except queue.Empty:
                break
            if nxt is None:
                self.q.put(None)
                break
            jobs.append(nxt)
        return jobs

    def _run_group(self, searcher: Searcher, key: tuple, group: list[Job]) -> None:
        kind, opt = key
        try:
            RUNNERS[kind](searcher, group, *opt)
        except Exception as exc:
            pending = [j for j in group if not j.future.done()]
            if len(group) > 1:  # retry one by one: only the culprit fails
                for j in pending:
                    self._run_group(searcher, key, [j])
                return
            if not isinstance(exc, ApiError):
                logger.warning("model call failed: %r", exc)
            for j in pending:
                j.future.set_exception(exc)


def run_search(searcher: Searcher, group: list[Job], k: int, mode: Mode,
               abbreviations: bool = True) -> None:
    """Answer search jobs with one batched search (each a :class:`SearchResult`)."""
    results = searcher.search_results([j.payload[0] for j in group], k=k, mode=mode,
                                      abbreviations=abbreviations)
    for j, result in zip(group, results, strict=True):
        j.future.set_result((result, searcher))


def run_embed(searcher: Searcher, group: list[Job], input_type: str, truncate: bool) -> None:
    """Answer embed jobs with one model call; jobs with an input over the model's token
    limit fail alone (400) unless they asked for truncation."""
    model = searcher.model
    prefix = (model.prompts or {}).get(input_type, "") if input_type != "none" else ""
    limit = int(model.max_seq_length)
    ok: list[tuple[Job, list[int], list[int]]] = []
    for j in group:
        texts = j.payload[0]
        tok = model.tokenizer([prefix + t for t in texts], truncation=True,
                              max_length=limit + 1)
        ntok = [len(ids) for ids in tok["input_ids"]]
        over = [i for i, n in enumerate(ntok) if n > limit]
        if over and not truncate:
            j.future.set_exception(ApiError(
                400, f"input[{over[0]}] is more than {limit} tokens, the most this model "
                "reads; send shorter text, or \"truncate\": true to embed its first "
                f"{limit} tokens", param="input", code="input_too_long"))
            continue
        ok.append((j, [min(n, limit) for n in ntok], over))
    if not ok:
        return
    texts = [t for j, _, _ in ok for t in j.payload[0]]
    emb = searcher.encode(texts, prompt_name=None if input_type == "none" else input_type)
    start = 0
    for j, ntok, over in ok:
        n = len(j.payload[0])
        j.future.set_result(Embedded(emb[start:start + n], sum(ntok), over, searcher))
        start += n


# What each job kind runs: ``runner(searcher, jobs, *options)`` answers every job's future;
# jobs of one kind with equal options (payload[1:]) share a call.
_RESOLVERS: weakref.WeakKeyDictionary[Searcher, Resolver] = weakref.WeakKeyDictionary()


def run_expand(searcher: Searcher, group: list[Job], rewrite: bool) -> None:
    """Answer expand jobs with one call over all their texts (a resolver per index)."""
    resolver = _RESOLVERS.get(searcher)
    if resolver is None:
        resolver = _RESOLVERS[searcher] = index_resolver(searcher.index, searcher.model)
    results = expand([t for j in group for t in j.payload[0]], resolver, rewrite=rewrite)
    for j in group:
        n = len(j.payload[0])
        j.future.set_result(results[:n])
        results = results[n:]


RUNNERS: dict[str, Callable[..., None]] = {"search": run_search, "embed": run_embed,
                                           "expand": run_expand}
