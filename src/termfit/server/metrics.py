"""Prometheus metrics of one app: requests, latency, batch sizes, queue depth, what is
loaded. Each app has its own registry, so several apps can live in one process."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable

from fastapi import FastAPI
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
)

from termfit.server.middleware import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)


class Metrics:
    """The collectors; ``render()`` gives the text exposition format."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("termfit_requests", "HTTP requests answered, by route and "
                                "status", ["method", "route", "status"], registry=r)
        self.latency = Histogram("termfit_request_duration_seconds", "Time to answer a "
                                 "request, by route", ["route"], buckets=LATENCY_BUCKETS,
                                 registry=r)
        self.batch = Histogram("termfit_batch_size", "Requests served by one model call",
                               buckets=BATCH_BUCKETS, registry=r)
        self.queue = Gauge("termfit_queue_depth", "Model jobs waiting in the queue",
                           registry=r)
        self.loaded = Info("termfit_index", "The served index and model (fingerprints)",
                           registry=r)
        self.reloads = Counter("termfit_reloads", "Index reloads, by result", ["result"],
                               registry=r)

    def watch_queue(self, depth: Callable[[], float]) -> None:
        self.queue.set_function(depth)

    def set_loaded(self, info: dict) -> None:
        self.loaded.info({k: str(v) for k, v in info.items()})

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RouteLabels:
    """The route template a request path belongs to ("/v1/models/{model_id}"), or
    "other": bounded label values, whichever layer answered the request."""

    def __init__(self, templates: Iterable[str]):
        self.exact = {t for t in templates if "{" not in t}
        self.patterns = [(re.compile("^" + re.sub(r"\\{[^}]+\\}", ".+", re.escape(t)) + "$"), t)
                         for t in templates if "{" in t]

    def __call__(self, path: str) -> str:
        if path in self.exact:
            return path
        return next((t for rx, t in self.patterns if rx.match(path)), "other")


def app_routes(app: FastAPI) -> RouteLabels:
    """The labels of ``app``'s documented paths, its page and its docs."""
    paths = [*app.openapi().get("paths", {}), "/", app.docs_url, app.openapi_url,
             app.redoc_url]
    return RouteLabels(p for p in paths if p)


class MetricsMiddleware:
    """Count every answered request and time it, whatever answered it."""

    def __init__(self, app: ASGIApp, metrics: Metrics, labels: Callable[[], RouteLabels]):
        self.app, self.metrics, self.labels = app, metrics, labels

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        route = self.labels()(scope["path"])
        status = 500
        t0 = time.perf_counter()

        async def send_status(msg: Message) -> None:
            nonlocal status
            if msg["type"] == "http.response.start":
                status = msg["status"]
            await send(msg)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - t0)
