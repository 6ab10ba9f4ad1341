"""What every route needs, stored on the app: the served index, the worker, the limits,
the settings and the metrics; :func:`get_context` hands it to a route."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from termfit.errors import TermfitError
from termfit.server.config import Limits, Settings
from termfit.server.errors import ApiError
from termfit.server.metrics import Metrics
from termfit.server.state import ServedIndex
from termfit.server.worker import Worker


@dataclass
class Context:
    served: ServedIndex
    worker: Worker
    limits: Limits
    settings: Settings
    metrics: Metrics

    @property
    def model_id(self) -> str:
        """The served model's id in /v1/models and embeddings responses."""
        return self.settings.model_name or self.served.searcher.model_name

    async def run(self, kind: str, *payload: Any) -> Any:
        """Run one job on the model worker; the library's input errors become 400."""
        try:
            return await asyncio.wrap_future(self.worker.submit(kind, *payload))
        except TermfitError as exc:
            raise ApiError(400, str(exc)) from None


def get_context(request: Request) -> Context:
    """FastAPI dependency: the app's :class:`Context`."""
    return request.app.state.termfit


CtxDep = Annotated[Context, Depends(get_context)]
