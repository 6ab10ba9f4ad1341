"""What the server accepts (:class:`Limits`) and how it is exposed (:class:`Settings`)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from termfit.errors import InputError, Problem
from termfit.search import MAX_QUERY_CHARS

INPUT_TYPES: tuple[str, ...] = ("query", "passage", "none")


@dataclass
class Limits:
    """Request limits; anything over them gets a 4xx JSON error."""

    max_query_chars: int = MAX_QUERY_CHARS  # /search q, as `termfit search`
    max_k: int = 100
    max_inputs: int = 256  # /v1/embeddings list length
    max_input_chars: int = 8192  # per embeddings input
    max_body_bytes: int = 2_000_000
    max_url_bytes: int = 8192  # path and query string
    max_pending: int = 512  # queued model jobs before 503 "busy"
    max_batch: int = 64  # jobs merged into one model call

    def __post_init__(self) -> None:
        bad = [Problem("limits", f"must be at least 1, got {v}", field=k)
               for k, v in vars(self).items() if not isinstance(v, int) or v < 1]
        if bad:
            raise InputError(bad)


@dataclass
class Settings:
    """How the server is exposed and what it assumes for clients that say little.

    ``default_input_type`` is the prompt applied to /v1/embeddings requests without
    ``input_type`` (the OpenAI client never sends one); ``api_key`` (when set) is required
    as ``Authorization: Bearer KEY`` on every route but /healthz and the page;
    ``admin`` serves POST /admin/reload; ``model_name`` is the id of the served model in
    /v1/models (default: the index's model).
    """

    default_input_type: str = "query"
    api_key: str | None = None
    cors_origins: list[str] = field(default_factory=list)
    admin: bool = True
    reload_on_sighup: bool = True
    model_name: str | None = None

    def __post_init__(self) -> None:
        if self.default_input_type not in INPUT_TYPES:
            raise InputError(Problem("settings", f"expected one of {', '.join(INPUT_TYPES)}, "
                                     f"got {self.default_input_type!r}",
                                     field="default_input_type"))
        if self.api_key is not None and not self.api_key.strip():
            raise InputError(Problem("settings", "the API key must not be empty",
                                     field="api_key"))


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, settings: Settings) -> None:
    """Refuse to serve the admin routes on a reachable address without an API key."""
    if settings.admin and not settings.api_key and not is_loopback(host):
        raise InputError(Problem(
            "serve", f"--host {host} is reachable from other machines and /admin/reload "
            "would have no authentication: set --api-key (or TERMFIT_API_KEY), or turn the "
            "admin routes off with --no-admin", field="host"))
