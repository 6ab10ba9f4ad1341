"""Fine-tune a sentence-transformers model on the pairs of ``termfit data build``.

Built on :class:`sentence_transformers.SentenceTransformerTrainer` with
MultipleNegativesRankingLoss. What termfit adds: a validated recipe file, a batch sampler
that keeps one pair per entry and per abbreviation in a batch, the "echo" hard negative,
optional vocabulary trimming so that word embeddings can train cheaply, a time budget,
Ctrl-C checkpoints, and the seed card's training-log table and curve.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sentence_transformers.base.sampler import NoDuplicatesBatchSampler
from sentence_transformers.sentence_transformer.data_collator import (
    SentenceTransformerDataCollator,
)

from termfit.errors import InputError, Interrupted, Problem, TermfitError
from termfit.fileio import atomic_directory, atomic_write_text, read_jsonl, write_json
from termfit.layout import DataLayout
from termfit.passages import read_template, write_template
from termfit.prompts import PASSAGE_PROMPT, QUERY_PROMPT

logger = logging.getLogger(__name__)


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
    max_seq_length: int = Field(256, ge=8, le=8192)
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
        if self.batch_size < 2:
            raise ValueError("batch_size must be at least 2 for in-batch negatives")
        if self.mined_range_max <= self.mined_range_min:
            raise ValueError("mined_range_max must be greater than mined_range_min")
        if self.schedule_by == "time" and not self.max_minutes:
            raise ValueError("schedule_by: time needs max_minutes")
        return self


BUILTIN_RECIPES = ("seed-e5-large", "cpu-e5-small")


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
    """Read and validate a YAML recipe; every problem names its key."""
    path = recipe_path(name_or_path)
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
    given = {k: v for k, v in overrides.items() if v is not None}
    data.update(given)
    try:
        return Recipe(**data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(x) for x in err["loc"]) or None
            line = _line_of(path, key) if key else None
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            elif "input" in err and not isinstance(err["input"], dict):
                msg = f"{msg} (got {err['input']!r})"
            if key in given:  # a command-line override, not the file
                problems.append(Problem(f"--{key.replace('_', '-')}", msg))
            else:
                problems.append(Problem(str(path), msg, line, key))
        raise InputError(problems) from None


def _line_of(path: Path, key: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(key.split('.')[0])}\s*:")
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if pattern.match(line):
            return i
    return None


# --- batch sampling -----------------------------------------------------------------------
GROUP_COLUMNS = ("group_entry", "group_abbr")


def _abbr_key(abbr: str) -> str:
    return re.sub(r"[\s\-_/.]", "", abbr).casefold()


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


class EntityBatchSampler(NoDuplicatesBatchSampler):
    """At most one pair per glossary entry and per abbreviation in a batch.

    The library's ``no_duplicates`` sampler compares exact strings, so "AAL2 (기술)" and
    "AAL2 (Technical)" (one entry), or two senses of one abbreviation, can share a batch and
    act as false negatives for each other. Rows carry their entry ids and abbreviation keys
    (two of each for a comparison query, which answers both terms) in the
    ``group_entry``/``group_abbr`` list columns, which the collator drops before tokenising.
    Batches are a deterministic function of (seed, epoch), so under DDP every process builds
    the same global batches and accelerate hands each process its share.
    """

    def __init__(self, dataset, batch_size, drop_last, valid_label_columns=None,
                 generator=None, seed=0, **kwargs):
        import torch

        super().__init__(dataset, batch_size, drop_last, valid_label_columns,
                         generator if generator is not None else torch.Generator(), seed)
        cols = [c for c in GROUP_COLUMNS if c in dataset.column_names]
        text_cols = [c for c in dataset.column_names
                     if c not in cols and c not in (valid_label_columns or [])]
        keys = [dataset[c] for c in cols]
        texts = [dataset[c] for c in text_cols]
        self._values = [
            {f"{c}={v}" for c, k in zip(cols, keys, strict=True) for v in _listed(k[i])}
            | {t[i] for t in texts}
            for i in range(len(dataset))
        ]

    def __iter__(self) -> Iterator[list[int]]:
        if self.generator is not None and self.seed is not None:
            self.generator.manual_seed(self.seed + self.epoch)
        values = self._values
        yielded, expected = 0, len(self)
        for _ in range(3):  # a full pass can fall short of len(); then reshuffle
            for batch in self._iter_one_pass(lambda i: values[i],
                                             lambda v, b: not v.isdisjoint(b)):
                yield batch
                yielded += 1
                if yielded >= expected:
                    return


class GroupDroppingCollator(SentenceTransformerDataCollator):
    """The library's collator, minus the sampler's group columns (they are not inputs)."""

    def __call__(self, features):
        features = [{k: v for k, v in f.items() if k not in GROUP_COLUMNS} for f in features]
        return super().__call__(features)


def bucketed(preprocess_fn, multiple: int, pad_id: int):
    """Wrap a preprocess function so that sequence lengths are padded to a multiple.

    CPU kernels (oneDNN, used for bf16) are prepared per input shape; padding lengths to a
    few buckets keeps the number of distinct shapes, and so the preparation cost, small.
    """
    import torch

    def fn(texts, *args, **kwargs):
        out = preprocess_fn(texts, *args, **kwargs)
        ids = out.get("input_ids")
        if ids is None or ids.ndim != 2 or multiple <= 1:
            return out
        extra = -ids.shape[1] % multiple
        if extra:
            for key, value in list(out.items()):
                if isinstance(value, torch.Tensor) and value.ndim == 2 and value.shape == ids.shape:
                    fill = pad_id if key == "input_ids" else 0
                    out[key] = torch.nn.functional.pad(value, (0, extra), value=fill)
        return out

    return fn


# --- data -------------------------------------------------------------------------------
@dataclass
class TrainData:
    """Training rows and evaluation splits read from a data folder."""

    pairs: list[dict]
    corpus: list[dict]
    dev: list[dict]
    heldout: dict[str, list[dict]]
    entries: dict[str, dict]


def read_train_data(data_dir: str | os.PathLike) -> TrainData:
    """Read train.jsonl, corpus.jsonl, entries.jsonl and the query splits of a data folder."""
    d = Path(data_dir)
    if not d.is_dir():
        raise InputError(Problem(str(d), "data folder not found (make one with: termfit data "
                                         "build GLOSSARY --out DIR)"))
    lay = DataLayout(d)
    pairs = read_jsonl(lay.train, {"anchor": str, "positive": str, "entry_id": str})
    if not pairs:
        raise InputError(Problem(str(lay.train), "no training pairs"))
    corpus = read_jsonl(lay.corpus, {"id": str, "text": str})
    entries = {e["id"]: e for e in read_jsonl(lay.entries, {"id": str, "abbr": str})}
    q_req = {"id": str, "text": str, "relevant": list}
    dev = read_jsonl(lay.queries("dev"), q_req) if lay.queries("dev").is_file() else []
    heldout = {}
    for name in ("heldout-phrasings", "heldout-terms"):
        p = lay.queries(name)
        if p.is_file():
            heldout[name] = read_jsonl(p, q_req)
    return TrainData(pairs, corpus, dev, heldout, entries)


def _strip(text: str, prefix: str) -> str:
    return text[len(prefix):] if text.startswith(prefix) else text


def build_train_dataset(data: TrainData, recipe: Recipe, rng: random.Random):
    """The Hugging Face dataset the trainer consumes (anchor, positive[, negative], groups)."""
    from datasets import Dataset

    pairs = list(data.pairs)
    limit = recipe.max_train_pairs
    if recipe.hard_negatives == "mined" and recipe.max_steps > 0:
        # mining embeds every anchor: only mine for the pairs the run can consume
        world = int(os.environ.get("WORLD_SIZE", "1"))
        need = recipe.max_steps * recipe.batch_size * world
        limit = min(limit or need, need)
    if limit and len(pairs) > limit:
        pairs = rng.sample(pairs, limit)
    cols: dict[str, list] = {"anchor": [], "positive": []}
    use_echo = recipe.hard_negatives == "echo"
    if use_echo:
        cols["negative"] = []
    cols["group_entry"], cols["group_abbr"] = [], []
    for row in pairs:
        cols["anchor"].append(row["anchor"])
        cols["positive"].append(row["positive"])
        if use_echo:
            # a context row's other-sense passage beats its echo as a hard negative
            cols["negative"].append(row.get("negative") or row.get("negative_echo")
                                    or row["positive"])
        ids = [row["entry_id"]] + ([row["other_entry_id"]] if row.get("other_entry_id") else [])
        cols["group_entry"].append(ids)
        cols["group_abbr"].append([_abbr_key(data.entries.get(i, {}).get("abbr", i))
                                   for i in ids])
    if recipe.batch_sampler != "entity":
        del cols["group_entry"], cols["group_abbr"]
    return Dataset.from_dict(cols)


def mine_negatives(dataset, model, data: TrainData, recipe: Recipe):
    """Add one mined hard negative per pair with sentence-transformers' mine_hard_negatives.

    Candidates that belong to the positive's own entry (its passage in the other label
    language), or to the other term of a comparison query, are not negatives and are dropped.
    """
    from datasets import Dataset
    from sentence_transformers import mine_hard_negatives

    passages = sorted({PASSAGE_PROMPT + c["text"] for c in data.corpus})
    entry_of: dict[str, set[str]] = {}
    for c in data.corpus:
        entry_of.setdefault(PASSAGE_PROMPT + c["text"], set()).add(str(c.get("entry_id", c["id"])))
    base = dataset.select_columns(["anchor", "positive"])
    mined = mine_hard_negatives(
        base, model, anchor_column_name="anchor", positive_column_name="positive",
        corpus=passages, range_min=recipe.mined_range_min, range_max=recipe.mined_range_max,
        num_negatives=5, sampling_strategy="top", output_format="n-tuple",
        batch_size=128, verbose=True,
    )
    neg_cols = [c for c in mined.column_names if c.startswith("negative")]
    by_pair: dict[tuple[str, str], list[str]] = {}
    for row in mined:
        by_pair[(row["anchor"], row["positive"])] = [row[c] for c in neg_cols]
    negatives = []
    for anchor, positive, group in zip(
        dataset["anchor"], dataset["positive"],
        dataset["group_entry"] if "group_entry" in dataset.column_names
        else [None] * len(dataset), strict=True,
    ):
        own = entry_of.get(positive, set()) | set(_listed(group) if group else [])
        cands = [n for n in by_pair.get((anchor, positive), [])
                 if not (entry_of.get(n, set()) & own) and n != positive]
        negatives.append(cands[0] if cands else None)
    keep = [i for i, n in enumerate(negatives) if n is not None]
    out = dataset.select(keep).to_dict()
    ordered = {"anchor": out["anchor"], "positive": out["positive"],
               "negative": [negatives[i] for i in keep]}
    for c in dataset.column_names:
        if c not in ordered and c != "negative":
            ordered[c] = out[c]
    return Dataset.from_dict(ordered)


# --- model preparation -------------------------------------------------------------------
def prepare_model(recipe: Recipe, data: TrainData):
    """Load the base model and apply trimming and freezing as the recipe says."""
    from termfit.models import load_model

    model = load_model(recipe.base_model)
    model.max_seq_length = recipe.max_seq_length
    if recipe.trim_vocabulary:
        from termfit.trim import trim_vocabulary

        keep = [_strip(p["anchor"], QUERY_PROMPT) for p in data.pairs]
        keep += [c["text"] for c in data.corpus]
        for qs in [data.dev, *data.heldout.values()]:
            keep += [q["text"] for q in qs]
        keep += [e.get("abbr", "") + " " + e.get("expansion", "") for e in data.entries.values()]
        before = model[0].auto_model.get_input_embeddings().num_embeddings
        model = trim_vocabulary(model, keep=keep, general_vocab=recipe.general_vocab_size > 0,
                                general_size=max(recipe.general_vocab_size, 1))
        after = model[0].auto_model.get_input_embeddings().num_embeddings
        print(f"vocabulary trimmed: {before:,} -> {after:,} pieces", flush=True)
    hf = model[0].auto_model
    if recipe.freeze_embeddings or recipe.freeze_layers:
        hf.get_input_embeddings().weight.requires_grad_(False)
    if recipe.freeze_layers:
        for p in hf.embeddings.parameters():
            p.requires_grad_(False)
        layers = getattr(getattr(hf, "encoder", None), "layer", None)
        if layers is None:
            raise TermfitError("freeze_layers needs an encoder with .encoder.layer")
        for layer in layers[: recipe.freeze_layers]:
            for p in layer.parameters():
                p.requires_grad_(False)
    return model


def _bf16_supported() -> bool:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    try:  # CPUs with AVX512-BF16 or AMX run bf16 matmuls natively
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


# --- training log ------------------------------------------------------------------------
def training_log(log_history: list[dict], metric: str) -> list[dict]:
    """Rows of the seed card's training-log table: epoch, step, training loss, eval metric."""
    rows: dict[int, dict] = {}
    for item in log_history:
        step = item.get("step")
        if step is None:
            continue
        row = rows.setdefault(step, {"epoch": item.get("epoch"), "step": step,
                                     "training_loss": None, "ndcg@10": None})
        if "loss" in item:
            row["training_loss"] = item["loss"]
        for k, v in item.items():
            if k.startswith("eval_dev_") and k.endswith(metric):
                row["ndcg@10"] = v
    return [rows[s] for s in sorted(rows)]


def format_training_log(rows: list[dict]) -> str:
    """The training log as the seed card's markdown table."""
    out = ["| Epoch | Step | Training Loss | dev NDCG@10 |", "|:--:|:--:|:--:|:--:|"]
    for r in rows:
        loss = "-" if r["training_loss"] is None else f"{r['training_loss']:.4f}"
        ndcg = "-" if r["ndcg@10"] is None else f"{r['ndcg@10']:.4f}"
        out.append(f"| {r['epoch'] or 0:.4f} | {r['step']} | {loss} | {ndcg} |")
    return "\n".join(out)


def plot_training_log(rows: list[dict], path: str | os.PathLike) -> None:
    """Training loss and dev NDCG@10 against step, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax1 = plt.subplots(figsize=(7, 4))
    loss = [(r["step"], r["training_loss"]) for r in rows if r["training_loss"] is not None]
    ndcg = [(r["step"], r["ndcg@10"]) for r in rows if r["ndcg@10"] is not None]
    if loss:
        ax1.plot(*zip(*loss, strict=True), color="tab:blue", label="training loss")
    ax1.set_xlabel("step")
    ax1.set_ylabel("training loss", color="tab:blue")
    ax2 = ax1.twinx()
    if ndcg:
        ax2.plot(*zip(*ndcg, strict=True), "o-", color="tab:red", label="dev NDCG@10")
    ax2.set_ylabel("dev NDCG@10", color="tab:red")
    ax2.set_ylim(0, 1)
    ax1.set_title("termfit training")
    fig.tight_layout()
    tmp = Path(path).with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    os.replace(tmp, path)


# --- training ----------------------------------------------------------------------------
@dataclass
class TrainResult:
    model_dir: Path
    steps: int
    train_seconds: float
    metrics: dict[str, float] = field(default_factory=dict)
    log: list[dict] = field(default_factory=list)


CLOCK_FILE = "termfit_clock.json"


class Clock:
    """Training time, carried across ``--resume`` (an interrupted run's time still counts)."""

    def __init__(self, offset: float = 0.0):
        self.offset = offset
        self.started = time.perf_counter()

    def start(self) -> None:
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        return self.offset + time.perf_counter() - self.started

    def synced(self) -> float:
        """Elapsed seconds, the same on every process of a distributed run (their maximum),
        so that all of them use one learning rate and stop at one step. Every process must
        call it at the same point."""
        import torch.distributed as dist

        value = self.elapsed()
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            import torch

            device = "cuda" if dist.get_backend() == "nccl" else "cpu"
            t = torch.tensor([value], dtype=torch.float64, device=device)
            dist.all_reduce(t, op=dist.ReduceOp.MAX)
            value = float(t.item())
        return value


def progress(recipe: Recipe, step: int, elapsed: float) -> float:
    """Share of the run done: steps done, or with ``schedule_by: time`` also the share of
    ``max_minutes`` spent (``elapsed`` seconds)."""
    p = step / recipe.max_steps if recipe.max_steps > 0 else 0.0
    if recipe.schedule_by == "time" and recipe.max_minutes:
        p = max(p, elapsed / (recipe.max_minutes * 60))
    return min(p, 1.0)


def lr_factor(recipe: Recipe, p: float) -> float:
    """The learning-rate multiplier at progress ``p`` (the shapes of transformers' schedules)."""
    w = recipe.warmup_ratio
    if p < w and recipe.lr_scheduler_type != "constant":
        return p / w
    if recipe.lr_scheduler_type in ("constant", "constant_with_warmup"):
        return 1.0
    q = (p - w) / max(1e-9, 1.0 - w)
    if recipe.lr_scheduler_type == "linear":
        return max(0.0, 1.0 - q)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * q)))


def time_scheduler(optimizer, recipe: Recipe, clock: Clock):
    """A LambdaLR whose factor follows :func:`progress` (time-based when the recipe says).

    transformers' schedulers count steps only; a CPU budget is in minutes, and steps take a
    machine-dependent time, so this one reads the clock.
    """
    import torch

    def factor(steps_done: int) -> float:
        return lr_factor(recipe, progress(recipe, steps_done, clock.synced()))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _training_bar(trainer):
    from transformers.trainer_callback import ProgressCallback

    for cb in trainer.callback_handler.callbacks:
        if isinstance(cb, ProgressCallback):
            return cb.training_bar
    return None


def _callbacks(recipe: Recipe, clock: Clock, trainer=None):
    from transformers import TrainerCallback

    class TimeBudget(TrainerCallback):
        """Stop (and save) once the recipe's time budget is spent; keep the clock in each
        checkpoint; with a time schedule, keep the bar's total at the projected step count."""

        def on_train_begin(self, args, state, control, **kw):
            clock.start()

        def on_step_end(self, args, state, control, **kw):
            step = state.global_step
            if not recipe.max_minutes:
                return
            elapsed = clock.synced()  # every process, every step: they stop together
            if recipe.schedule_by == "time" and step % 10 == 0 and trainer is not None:
                bar = _training_bar(trainer)
                p = progress(recipe, step, elapsed)
                if bar is not None and p > 0:
                    bar.total = max(step, min(state.max_steps, round(step / p)))
                    bar.refresh()
            if elapsed > recipe.max_minutes * 60:
                logger.warning("time budget of %.1f min spent at step %d", recipe.max_minutes,
                               step)
                control.should_training_stop = True
                control.should_save = True
                control.should_evaluate = True

        def on_save(self, args, state, control, **kw):
            ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if ckpt.is_dir() and _is_main_process():
                write_json(ckpt / CLOCK_FILE, {"elapsed_seconds": clock.elapsed()})

    return [TimeBudget()]


def _resumed_clock(checkpoint: str | None) -> Clock:
    if checkpoint and (Path(checkpoint) / CLOCK_FILE).is_file():
        saved = json.loads((Path(checkpoint) / CLOCK_FILE).read_text())
        return Clock(float(saved.get("elapsed_seconds", 0.0)))
    return Clock()


def _warmup_steps(recipe: Recipe, n_pairs: int) -> int:
    """The recipe's warmup ratio as a number of optimizer steps."""
    if recipe.max_steps > 0:
        total = recipe.max_steps
    else:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        total = math.ceil(n_pairs // (recipe.batch_size * world) * recipe.epochs)
    return int(round(recipe.warmup_ratio * total))


def _is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def _optimizer(model, recipe: Recipe):
    """AdamW with its own learning rate for the word embeddings when the recipe asks (and
    always under a time schedule, which needs the optimizer to build its scheduler)."""
    import torch

    if recipe.embedding_learning_rate is None and recipe.schedule_by == "steps":
        return None
    emb = model[0].auto_model.get_input_embeddings().weight
    others = [p for p in model.parameters() if p.requires_grad and p is not emb]
    decay = [p for p in others if p.ndim > 1]
    no_decay = [p for p in others if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": recipe.weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    if emb.requires_grad and recipe.embedding_learning_rate is None:
        (decay if emb.ndim > 1 else no_decay).append(emb)
    elif emb.requires_grad:
        groups.append({"params": [emb], "weight_decay": 0.0, "lr": recipe.embedding_learning_rate})
    return torch.optim.AdamW(groups, lr=recipe.learning_rate)


def train(
    data_dir: str | os.PathLike,
    recipe: Recipe,
    out_dir: str | os.PathLike,
    checkpoint_dir: str | os.PathLike | None = None,
    resume: bool = False,
) -> TrainResult:
    """Fine-tune as the recipe says and save the model (with its model card) to ``out_dir``."""
    import torch
    from sentence_transformers import (
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import (
        CachedMultipleNegativesRankingLoss,
        MultipleNegativesRankingLoss,
    )
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers
    from transformers.trainer_utils import get_last_checkpoint

    from termfit.evaluate import ir_evaluator, sample

    out_dir = Path(out_dir)
    checkpoint_dir = Path(checkpoint_dir or f"{out_dir}.checkpoints")
    if recipe.num_threads:
        torch.set_num_threads(recipe.num_threads)
    last = get_last_checkpoint(str(checkpoint_dir)) if checkpoint_dir.is_dir() else None
    if resume and last is None:
        raise TermfitError(f"--resume: no checkpoint found in {checkpoint_dir}")
    if not resume and last is not None:
        raise TermfitError(f"{checkpoint_dir} holds checkpoints of an earlier run: continue it "
                           "with --resume, or remove the folder")

    data = read_train_data(data_dir)
    rng = random.Random(recipe.seed)
    model = prepare_model(recipe, data)
    train_ds = build_train_dataset(data, recipe, rng)
    if recipe.hard_negatives == "mined":
        train_ds = mine_negatives(train_ds, model, data, recipe)
    dev = sample(data.dev, recipe.eval_queries, seed=recipe.seed) if data.dev else []
    evaluator = ir_evaluator(dev, data.corpus, name="dev") if dev else None

    directions = ("query_to_doc", "doc_to_query") if recipe.symmetric else ("query_to_doc",)
    if recipe.loss == "cached_mnrl":
        loss = CachedMultipleNegativesRankingLoss(
            model, scale=recipe.scale, mini_batch_size=recipe.mini_batch_size,
            gather_across_devices=recipe.gather_across_devices, directions=directions)
    else:
        loss = MultipleNegativesRankingLoss(
            model, scale=recipe.scale, gather_across_devices=recipe.gather_across_devices,
            directions=directions)

    bf16 = _bf16_supported() if recipe.bf16 == "auto" else bool(recipe.bf16)
    sampler = {"entity": EntityBatchSampler, "no_duplicates": BatchSamplers.NO_DUPLICATES,
               "batch": BatchSamplers.BATCH_SAMPLER}[recipe.batch_sampler]
    args = SentenceTransformerTrainingArguments(
        output_dir=str(checkpoint_dir),
        num_train_epochs=recipe.epochs,
        max_steps=recipe.max_steps,
        per_device_train_batch_size=recipe.batch_size,
        per_device_eval_batch_size=recipe.batch_size,
        learning_rate=recipe.learning_rate,
        weight_decay=recipe.weight_decay,
        lr_scheduler_type=recipe.lr_scheduler_type,
        warmup_steps=_warmup_steps(recipe, len(train_ds)),
        bf16=bf16,
        seed=recipe.seed,
        data_seed=recipe.seed,
        batch_sampler=sampler,
        eval_strategy="steps" if evaluator else "no",
        eval_steps=recipe.eval_steps,
        save_strategy="steps",
        save_steps=recipe.save_steps,
        save_total_limit=recipe.save_total_limit,
        logging_steps=recipe.logging_steps,
        logging_first_step=True,
        dataloader_drop_last=True,
        report_to="none",
        disable_tqdm=False,
        use_cpu=not torch.cuda.is_available(),
    )
    card = model.model_card_data
    card.language = ["ko", "en"]
    card.license = "mit"
    card.model_name = f"termfit fine-tune of {recipe.base_model}"
    card.train_datasets = [{"name": "termfit glossary pairs"}]
    card.local_files_only = True
    optimizer = _optimizer(model, recipe)
    clock = _resumed_clock(last if resume else None)
    scheduler = None
    if recipe.schedule_by == "time":
        scheduler = time_scheduler(optimizer, recipe, clock)
    trainer = SentenceTransformerTrainer(
        model=model, args=args, train_dataset=train_ds, loss=loss, evaluator=evaluator,
        data_collator=GroupDroppingCollator(preprocess_fn=bucketed(
            getattr(model, "preprocess", None) or model.tokenize, recipe.pad_to_multiple_of,
            model.tokenizer.pad_token_id or 0)),
        optimizers=(optimizer, scheduler) if optimizer is not None else (None, None),
    )
    for callback in _callbacks(recipe, clock, trainer):
        trainer.add_callback(callback)
    try:
        trainer.train(resume_from_checkpoint=last if resume else None)
    except KeyboardInterrupt:
        if _is_main_process():
            trainer._save_checkpoint(trainer.model, trial=None)
            ckpt = get_last_checkpoint(str(checkpoint_dir))
            raise Interrupted(f"interrupted at step {trainer.state.global_step}; checkpoint "
                               f"saved in {ckpt}; continue with --resume") from None
        raise
    train_seconds = clock.elapsed()

    metrics: dict[str, float] = {}
    if recipe.final_eval and data.heldout:
        for name, queries in data.heldout.items():
            ev = ir_evaluator(queries, data.corpus, name=name)
            trainer.evaluator = ev
            res = trainer.evaluate()
            metrics.update({k.removeprefix("eval_"): v for k, v in res.items()
                            if name.replace("-", "_") in k or name in k})
    log = training_log(trainer.state.log_history, "ndcg@10")
    if _is_main_process():
        with atomic_directory(out_dir) as tmp:
            model.save(str(tmp))
            resolved = recipe.model_dump()
            resolved["_resolved"] = {"bf16": bf16, "steps": trainer.state.global_step,
                                     "train_seconds": round(train_seconds, 1),
                                     "train_pairs": len(train_ds), "data_dir": str(data_dir)}
            (tmp / "termfit_recipe.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False,
                                                                    allow_unicode=True))
            write_json(tmp / "training_log.json", {"log": log, "metrics": metrics})
            (tmp / "training_log.md").write_text(format_training_log(log) + "\n")
            plot_training_log(log, tmp / "training_curve.png")
            if (template := read_template(data_dir)) is not None:  # for `termfit index`
                write_template(tmp, template)
    return TrainResult(out_dir, trainer.state.global_step, train_seconds, metrics, log)


def summarize_metrics(metrics: dict[str, float]) -> str:
    """A short table of the main held-out metrics."""
    rows = []
    for split in ("heldout-phrasings", "heldout-terms"):
        key = split.replace("-", "_")
        vals = {k.split("_cosine_")[-1]: v for k, v in metrics.items()
                if (k.startswith(split) or k.startswith(key)) and "_cosine_" in k}
        if vals:
            rows.append(f"| {split} | {vals.get('ndcg@10', math.nan):.4f} | "
                        f"{vals.get('accuracy@1', math.nan):.4f} | "
                        f"{vals.get('mrr@10', math.nan):.4f} |")
    if not rows:
        return ""
    return "\n".join(["| split | NDCG@10 | accuracy@1 | MRR@10 |", "|:--|--:|--:|--:|", *rows])


def write_recipe(recipe: Recipe, path: str | os.PathLike) -> None:
    """Write a recipe as YAML, atomically."""
    atomic_write_text(path, yaml.safe_dump(recipe.model_dump(), sort_keys=False))

