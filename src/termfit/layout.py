"""File names of a ``termfit data build`` folder, written down once.

>>> DataLayout("data").queries("dev")
PosixPath('data/queries-dev.jsonl')
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TRAIN = "train.jsonl"
CORPUS = "corpus.jsonl"
ENTRIES = "entries.jsonl"
TEMPLATES = "templates.json"
MERGE_REPORT = "merge_report.json"
STATS = "stats.json"
DATA_CARD = "data_card.json"
#: The passage template (:mod:`termfit.passages`); also copied into a model trained on it.
PASSAGES = "passages.json"
QUERIES_PREFIX = "queries-"
QUERIES_SUFFIX = ".jsonl"
#: Evaluation query splits, in the order they are built.
QUERY_SPLITS = ("heldout-terms", "heldout-phrasings", "dev")
#: Every JSONL split of a data folder.
SPLITS = ("train", "corpus", "entries", *QUERY_SPLITS)


def queries_file(split: str) -> str:
    """File name of a query split: ``queries-<split>.jsonl``."""
    return f"{QUERIES_PREFIX}{split}{QUERIES_SUFFIX}"


def split_file(split: str) -> str:
    """File name of any split (train, corpus, entries or a query split)."""
    return queries_file(split) if split in QUERY_SPLITS else f"{split}{QUERIES_SUFFIX}"


@dataclass(frozen=True)
class DataLayout:
    """Paths of the files of one data folder (none of them need exist)."""

    root: Path

    def __init__(self, root: str | os.PathLike):
        object.__setattr__(self, "root", Path(root))

    @property
    def train(self) -> Path:
        return self.root / TRAIN

    @property
    def corpus(self) -> Path:
        return self.root / CORPUS

    @property
    def entries(self) -> Path:
        return self.root / ENTRIES

    @property
    def templates(self) -> Path:
        return self.root / TEMPLATES

    @property
    def merge_report(self) -> Path:
        return self.root / MERGE_REPORT

    @property
    def stats(self) -> Path:
        return self.root / STATS

    @property
    def data_card(self) -> Path:
        return self.root / DATA_CARD

    @property
    def passages(self) -> Path:
        return self.root / PASSAGES

    def queries(self, split: str) -> Path:
        """``queries-<split>.jsonl``."""
        return self.root / queries_file(split)

    def split(self, name: str) -> Path:
        """The JSONL file of any split (see :data:`SPLITS`)."""
        return self.root / split_file(name)
