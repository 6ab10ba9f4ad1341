"""The entity-aware batch sampler, its greedy pass and the collator's length buckets."""

from __future__ import annotations

import random

import pytest
from train_fixtures import write_data

from termfit.recipe import Recipe
from termfit.sampler import EntityBatchSampler, abbr_key, bucketed, greedy_batches
from termfit.trainset import build_train_dataset, read_train_data


@pytest.fixture
def dataset(tmp_path):
    data = read_train_data(write_data(tmp_path / "data"))
    return build_train_dataset(data, Recipe(batch_sampler="entity"), random.Random(0))


def test_entity_sampler_keeps_one_pair_per_entry_and_abbreviation(dataset):
    ds = dataset
    assert {"group_entry", "group_abbr"} <= set(ds.column_names)
    sampler = EntityBatchSampler(ds, batch_size=8, drop_last=True, seed=3)
    batches = list(sampler)
    assert len(batches) == len(sampler) > 0
    cmp_rows = [i for i, g in enumerate(ds["group_entry"]) if len(g) == 2]
    assert len(cmp_rows) == 2 and sorted(ds[cmp_rows[0]]["group_entry"]) == ["amf", "smf"]
    for batch in batches:
        rows = [ds[i] for i in batch]
        entries = [e for r in rows for e in r["group_entry"]]
        assert len(set(entries)) == len(entries)  # a comparison also claims its other term
        abbrs = [a for r in rows for a in r["group_abbr"]]
        assert len(set(abbrs)) == len(abbrs)  # CP senses never together
    assert batches == list(EntityBatchSampler(ds, batch_size=8, drop_last=True, seed=3))
    sampler.set_epoch(1)
    assert list(sampler) != batches


def test_entity_sampler_needs_no_private_library_helper(dataset, monkeypatch):
    """Some sentence-transformers 6.x releases have no NoDuplicatesBatchSampler._iter_one_pass."""
    from sentence_transformers.base.sampler import NoDuplicatesBatchSampler

    if hasattr(NoDuplicatesBatchSampler, "_iter_one_pass"):
        monkeypatch.delattr(NoDuplicatesBatchSampler, "_iter_one_pass")
    batches = list(EntityBatchSampler(dataset, batch_size=8, drop_last=True, seed=1))
    assert len(batches) == len(dataset) // 8


def test_greedy_pass_keeps_order_and_defers_clashes():
    values = {0: {"a"}, 1: {"a"}, 2: {"b"}, 3: {"c"}, 4: {"b"}, 5: {"d"}}
    batches = list(greedy_batches([0, 1, 2, 3, 4, 5], values.__getitem__, 2, drop_last=False))
    # 1 clashes with 0 and waits; it leads the next batch, ahead of later rows
    assert batches == [[0, 2], [1, 3], [4, 5]]
    values = {0: {"a"}, 1: {"a"}, 2: {"a"}, 3: {"b"}}
    assert list(greedy_batches([0, 1, 2, 3], values.__getitem__, 2, drop_last=True)) == [[0, 3]]
    assert list(greedy_batches([0, 1, 2, 3], values.__getitem__, 2, drop_last=False)) == [
        [0, 3], [1], [2]]
    assert list(greedy_batches([], values.__getitem__, 2, drop_last=False)) == []


def test_abbreviation_keys_ignore_spelling():
    assert abbr_key("5G-NR") == abbr_key("5g nr") == abbr_key("5G_N.R") == "5gnr"


def test_bucketed_pads_to_a_multiple():
    import torch

    def tokenize(texts):
        n = len(texts[0])
        return {"input_ids": torch.ones(len(texts), n, dtype=torch.long),
                "attention_mask": torch.ones(len(texts), n, dtype=torch.long)}

    out = bucketed(tokenize, 8, pad_id=0)(["abcde"])
    assert out["input_ids"].shape == (1, 8)
    assert out["attention_mask"][0].tolist() == [1] * 5 + [0] * 3
    assert bucketed(tokenize, 8, pad_id=0)(["a" * 16])["input_ids"].shape == (1, 16)
