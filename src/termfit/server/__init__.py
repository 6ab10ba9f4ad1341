"""The HTTP service: search, OpenAI-compatible embeddings, health, metrics and a web page.

All model work runs in one worker thread (:mod:`termfit.server.worker`); each concern has
its router under :mod:`termfit.server.routes`; request checks are plain functions
(:mod:`termfit.server.checks`); every refusal has one JSON shape
(:mod:`termfit.server.errors`).
"""

from termfit.server.app import ROUTERS, create_app, serve, uvicorn_config
from termfit.server.config import Limits, Settings
from termfit.server.errors import ApiError
from termfit.server.routes.embeddings import embedding_from_base64

__all__ = ["ROUTERS", "ApiError", "Limits", "Settings", "create_app",
           "embedding_from_base64", "serve", "uvicorn_config"]
