"""Training recipes: a validated YAML file of settings (``termfit train --recipe``).

Unknown keys and bad values are errors that name the key and its line
(``my.yaml:4 [scale]: Input should be greater than 0 (got -2)``).
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from termfit.errors import InputError, Problem

BUILTIN_RECIPES = ("seed-e5-large", "cpu-e5-small")


class Recipe(BaseModel):
    """A training recipe. Unknown keys and bad values are errors."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    base_model: str = Field("default", description="model spec: default, folder or HF id")
    # loss
    loss: Literal["mnrl", "cached_mnrl"] = "mnrl"
    scale: float = Field(20.0, gt=0)
    symmetric: bool = Field(False, description="also rank queries for each passage")
    gather_across_devices: bool = False
    mini_batch_size: int = Field(32, ge=1, description="for cached_mnrl")
    # optimisation
    learning_rate: float = Field(1e-5, gt=0, lt=1)
    embedding_learning_rate: float | None = Field(None, gt=0, lt=1)
    weight_decay: float = Field(0.01, ge=0)
    lr_scheduler_type: Literal["cosine", "linear", "constant", "constant_with_warmup"] = "cosine"
    warmup_ratio: float = Field(0.1, ge=0, le=1)
    batch_size: int = Field(64, ge=2)
    epochs: float = Field(3.0, gt=0)
    max_steps: int = Field(-1, ge=-1, description="-1: use epochs")
    max_minutes: float | None = Field(None, gt=0, description="stop after this much training")
    schedule_by: Literal["steps", "time"] = Field(
        "steps", description="time: warmup and decay follow the share of max_minutes spent "
                             "(max_steps is then an upper bound), so a run ends on time with "
                             "its schedule complete on a machine of any speed")
    max_train_pairs: int | None = Field(None, ge=1)
    max_seq_length: int = Field(256, ge=8, le=8192, description="truncation while training")
    saved_max_seq_length: int | None = Field(
        None, ge=8, le=8192, description="the saved model's limit (default: the base model's)")
    bf16: bool | Literal["auto"] = "auto"
    seed: int = 42
    # data
    batch_sampler: Literal["entity", "no_duplicates", "batch"] = "entity"
    hard_negatives: Literal["none", "echo", "mined"] = "none"
    mined_range_min: int = Field(0, ge=0)
    mined_range_max: int = Field(20, ge=1)
    # speed
    trim_vocabulary: bool = False
    general_vocab_size: int = Field(30_000, ge=0)
    freeze_embeddings: bool = False
    freeze_layers: int = Field(0, ge=0)
    num_threads: int | None = Field(None, ge=1)
    pad_to_multiple_of: int = Field(16, ge=1, description="pad lengths to few distinct shapes")
    # evaluation and checkpoints
    eval_steps: int = Field(200, ge=1)
    eval_queries: int = Field(500, ge=1, description="dev queries used at each evaluation")
    save_steps: int = Field(200, ge=1)
    save_total_limit: int = Field(2, ge=1)
    logging_steps: int = Field(20, ge=1)
    final_eval: bool = Field(True, description="evaluate held-out splits at the end")

    @model_validator(mode="after")
    def _check(self) -> Recipe:
        if self.mined_range_max <= self.mined_range_min:
            raise ValueError("mined_range_max must be greater than mined_range_min")
        if self.schedule_by == "time" and not self.max_minutes:
            raise ValueError("schedule_by: time needs max_minutes")
        return self


def recipe_path(name_or_path: str | os.PathLike) -> Path:
    """A recipe file path, or the path of a built-in recipe by name."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    name = str(name_or_path).removesuffix(".yaml")
    if name in BUILTIN_RECIPES:
        return Path(str(resources.files("termfit") / "recipes" / f"{name}.yaml"))
    raise InputError(Problem(str(name_or_path), f"recipe file not found (built-in recipes: "
                                                 f"{', '.join(BUILTIN_RECIPES)})"))


def load_recipe(name_or_path: str | os.PathLike, **overrides: Any) -> Recipe:
    """Read and validate a YAML recipe; every problem names its key (and line).

    ``overrides`` (command-line options) replace the file's values; ``None`` means unset.
    """
    path = recipe_path(name_or_path)
    data = _read_mapping(path)
    given = {k: v for k, v in overrides.items() if v is not None}
    data.update(given)
    try:
        return Recipe(**data)
    except ValidationError as exc:
        raise InputError([_problem(path, err, given) for err in exc.errors()]) from None


def _read_mapping(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(Problem(str(path), f"not valid YAML: {exc}")) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or str(exc)
        raise InputError(Problem(str(path), f"not valid YAML: {what}",
                                 mark.line + 1 if mark else None)) from None
    if data is None:
        raise InputError(Problem(str(path), "empty recipe; expected a mapping of recipe keys"))
    if not isinstance(data, dict):
        raise InputError(Problem(str(path), "expected a mapping of recipe keys"))
    return data


def _problem(path: Path, err: Any, given: dict) -> Problem:
    key = ".".join(str(x) for x in err["loc"]) or None
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif "input" in err and not isinstance(err["input"], dict):
        msg = f"{msg} (got {err['input']!r})"
    if key is not None and key in given:  # a command-line override, not the file
        return Problem(f"--{key.replace('_', '-')}", msg)
    return Problem(str(path), msg, _line_of(path, key) if key else None, key)


def _line_of(path: Path, key: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(key.split('.')[0])}\s*:")
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if pattern.match(line):
            return i
    return None
