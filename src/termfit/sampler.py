"""Batches for in-batch negatives: the entity-aware batch sampler and its collator.

MNRL treats every other passage of a batch as a negative, so two pairs of one glossary
entry, or of one abbreviation's senses, must not share a batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from sentence_transformers.base.sampler import DefaultBatchSampler
from sentence_transformers.sentence_transformer.data_collator import (
    SentenceTransformerDataCollator,
)

GROUP_COLUMNS = ("group_entry", "group_abbr")
RESHUFFLE_PASSES = 3


def abbr_key(abbr: str) -> str:
    """An abbreviation normalised for comparison ("5G-NR", "5g nr" -> "5gnr")."""
    return re.sub(r"[\s\-_/.]", "", abbr).casefold()


def listed(value) -> list:
    """``value`` as a list (a group column holds one id or a list of ids)."""
    return value if isinstance(value, list) else [value]


class EntityBatchSampler(DefaultBatchSampler):
    """At most one pair per glossary entry and per abbreviation in a batch.

    The library's ``no_duplicates`` sampler compares exact strings, so "AAL2 (기술)" and
    "AAL2 (Technical)" (one entry), or two senses of one abbreviation, can share a batch and
    act as false negatives for each other. Rows carry their entry ids and abbreviation keys
    (two of each for a comparison query, which answers both terms) in the
    ``group_entry``/``group_abbr`` list columns, which the collator drops before tokenising;
    the texts themselves are compared too, as the library does.

    Batches are a deterministic function of (seed, epoch), so a resumed run sees the same
    batches and under DDP every process builds the same global batches (accelerate hands
    each process its share). The greedy pass is written here rather than borrowed from
    ``NoDuplicatesBatchSampler``: its per-pass helper is private and absent from some
    sentence-transformers 6.x releases.
    """

    def __init__(self, dataset, batch_size: int, drop_last: bool,
                 valid_label_columns: list[str] | None = None, generator=None, seed: int = 0,
                 **kwargs):
        import torch

        super().__init__(dataset, batch_size=batch_size, drop_last=drop_last,
                         valid_label_columns=valid_label_columns,
                         generator=generator if generator is not None else torch.Generator(),
                         seed=seed)
        self.num_rows = len(dataset)
        cols = [c for c in GROUP_COLUMNS if c in dataset.column_names]
        text_cols = [c for c in dataset.column_names
                     if c not in cols and c not in (valid_label_columns or [])]
        keys = [dataset[c] for c in cols]
        texts = [dataset[c] for c in text_cols]
        self._values = [
            {f"{c}={v}" for c, k in zip(cols, keys, strict=True) for v in listed(k[i])}
            | {str(t[i]) for t in texts}
            for i in range(self.num_rows)
        ]

    def __len__(self) -> int:
        if self.drop_last:
            return self.num_rows // self.batch_size
        return (self.num_rows + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[list[int]]:
        import torch

        generator = self.generator
        assert generator is not None  # __init__ always sets one
        generator.manual_seed(self.seed + self.epoch)
        yielded, expected = 0, len(self)
        for _ in range(RESHUFFLE_PASSES):  # a full pass can fall short of len(): reshuffle
            order = torch.randperm(self.num_rows, generator=generator).tolist()
            for batch in greedy_batches(order, self._values.__getitem__, self.batch_size,
                                        self.drop_last):
                yield batch
                yielded += 1
                if yielded >= expected:
                    return
            if yielded == 0:
                return


def greedy_batches(order: list[int], values: Callable[[int], set], batch_size: int,
                   drop_last: bool) -> Iterator[list[int]]:
    """One pass over ``order``: each batch takes, in order, the rows whose values are
    disjoint from the batch's; a row that clashes waits (in order) for a later batch."""
    waiting: list[int] = []
    stream = iter(order)
    exhausted = False
    while waiting or not exhausted:
        batch: list[int] = []
        taken: set = set()
        still: list[int] = []
        for pos, i in enumerate(waiting):
            if len(batch) == batch_size:
                still.extend(waiting[pos:])
                break
            if values(i).isdisjoint(taken):
                batch.append(i)
                taken |= values(i)
            else:
                still.append(i)
        while len(batch) < batch_size:
            nxt = next(stream, None)
            if nxt is None:
                exhausted = True
                break
            if values(nxt).isdisjoint(taken):
                batch.append(nxt)
                taken |= values(nxt)
            else:
                still.append(nxt)
        waiting = still
        if len(batch) == batch_size or (batch and not drop_last):
            yield batch
        elif exhausted and not batch:
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
