"""The training set: the rows of a data folder as the trainer consumes them.

Reads ``termfit data build`` output, builds the Hugging Face dataset (anchor, positive,
optional negative, and the entity sampler's group columns), adds mined hard negatives,
and refuses data too small for one batch before anything is written.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

from termfit.errors import InputError, Problem
from termfit.fileio import read_jsonl
from termfit.layout import DataLayout
from termfit.recipe import Recipe
from termfit.sampler import EntityBatchSampler, abbr_key, listed

HELDOUT_SPLITS = ("heldout-phrasings", "heldout-terms")


@dataclass
class TrainData:
    """Training rows and evaluation splits read from a data folder."""

    pairs: list[dict]
    corpus: list[dict]
    dev: list[dict]
    heldout: dict[str, list[dict]]
    entries: dict[str, dict]
    source: Path | None = None


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
    q_req: dict[str, type | tuple[type, ...]] = {"id": str, "text": str, "relevant": list}
    dev = read_jsonl(lay.queries("dev"), q_req) if lay.queries("dev").is_file() else []
    heldout = {}
    for name in HELDOUT_SPLITS:
        p = lay.queries(name)
        if p.is_file():
            heldout[name] = read_jsonl(p, q_req)
    return TrainData(pairs, corpus, dev, heldout, entries, d)


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def build_train_dataset(data: TrainData, recipe: Recipe, rng: random.Random):
    """The Hugging Face dataset the trainer consumes (anchor, positive[, negative], groups)."""
    from datasets import Dataset

    pairs = list(data.pairs)
    limit = recipe.max_train_pairs
    if recipe.hard_negatives == "mined" and recipe.max_steps > 0:
        # mining embeds every anchor: only mine for the pairs the run can consume
        need = recipe.max_steps * recipe.batch_size * world_size()
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
        cols["group_abbr"].append([abbr_key(data.entries.get(i, {}).get("abbr", i))
                                   for i in ids])
    if recipe.batch_sampler != "entity":
        del cols["group_entry"], cols["group_abbr"]
    return Dataset.from_dict(cols)


def check_one_batch(dataset, recipe: Recipe, source: str | os.PathLike) -> None:
    """Refuse, before anything is written, a training set that cannot fill one step.

    One step takes ``batch_size`` pairs on every process; the entity sampler also needs
    that many pairs of distinct entries and abbreviations.
    """
    n, world = len(dataset), world_size()
    need = recipe.batch_size * world
    per = f"batch size {recipe.batch_size}" + (f" on each of {world} processes" if world > 1
                                               else "")
    if n < need:
        raise InputError(Problem(str(source), f"{n} training pair{'s' if n != 1 else ''}, "
                                 f"fewer than one step needs ({per}); lower batch_size or "
                                 "add data"))
    if recipe.batch_sampler == "entity":
        sampler = EntityBatchSampler(dataset, batch_size=recipe.batch_size, drop_last=True,
                                     seed=recipe.seed)
        if next(iter(sampler), None) is None:
            raise InputError(Problem(str(source), f"{n} training pairs, but fewer distinct "
                                     f"entries and abbreviations than the {per}: the entity "
                                     "sampler cannot fill one batch; lower batch_size"))


def passage_prefix(data: TrainData) -> str:
    """The prompt that ``train.jsonl`` puts before corpus texts in its positives ("passage: "
    for E5-family models, "" for others), read from the data itself."""
    texts = {c["text"] for c in data.corpus}
    for row in data.pairs[:50]:
        pos = row["positive"]
        for cut in range(0, min(len(pos), 40)):
            if pos[cut:] in texts:
                return pos[:cut]
    return ""


def mine_negatives(dataset, model, data: TrainData, recipe: Recipe):
    """Add one mined hard negative per pair with sentence-transformers' mine_hard_negatives.

    Candidates that belong to the positive's own entry (its passage in the other label
    language), or to the other term of a comparison query, are not negatives and are dropped.
    """
    from datasets import Dataset
    from sentence_transformers import mine_hard_negatives

    prefix = passage_prefix(data)
    passages = sorted({prefix + c["text"] for c in data.corpus})
    entry_of: dict[str, set[str]] = {}
    for c in data.corpus:
        entry_of.setdefault(prefix + c["text"], set()).add(str(c.get("entry_id", c["id"])))
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
    groups = (dataset["group_entry"] if "group_entry" in dataset.column_names
              else [None] * len(dataset))
    negatives = []
    for anchor, positive, group in zip(dataset["anchor"], dataset["positive"], groups,
                                       strict=True):
        own = entry_of.get(positive, set()) | set(listed(group) if group else [])
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
