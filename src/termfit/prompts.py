"""The E5 prompts ("query: ", "passage: ") and which models need them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from termfit.errors import InputError
from termfit.fileio import read_json_object

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
#: sentence-transformers ``prompts`` of an E5-family model.
E5_PROMPTS: dict[str, str] = {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT}

# Keys of a model's config / termfit metadata that may name its base model.
_NAME_KEYS = ("_name_or_path", "base_model", "model_name", "name")


def _is_e5_name(name: str) -> bool:
    low = name.replace("\\", "/").lower()
    return any(part.startswith("e5-") or "-e5-" in part or part == "e5"
               for part in low.replace(" ", "/").split("/"))


def needs_e5_prompts(model_name_or_config: str | os.PathLike | Mapping) -> bool:
    """True for an E5-family model, known by name ("intfloat/multilingual-e5-small"),
    by a model folder (its name, ``config.json`` or ``termfit_source.json``) or by a
    config mapping (``_name_or_path``, ``base_model``)."""
    if isinstance(model_name_or_config, Mapping):
        return any(isinstance(model_name_or_config.get(k), str)
                   and _is_e5_name(model_name_or_config[k]) for k in _NAME_KEYS)
    name = os.fspath(model_name_or_config)
    if _is_e5_name(name):
        return True
    path = Path(name)
    if path.is_dir():
        for meta in ("termfit_source.json", "config.json"):
            if not (path / meta).is_file():
                continue
            try:
                data = read_json_object(path / meta)
            except InputError:
                continue
            if needs_e5_prompts(data):
                return True
    return False
