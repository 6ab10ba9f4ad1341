"""Recipes: built-ins load; every bad key or value is named with its line."""

from __future__ import annotations

import pytest

from termfit.errors import InputError
from termfit.recipe import BUILTIN_RECIPES, Recipe, load_recipe


def test_builtin_recipes_load():
    for name in BUILTIN_RECIPES:
        r = load_recipe(name)
        assert r.loss in ("mnrl", "cached_mnrl") and r.scale == 20.0
    seed = load_recipe("seed-e5-large")
    assert (seed.base_model, seed.learning_rate, seed.batch_size, seed.epochs) == (
        "intfloat/multilingual-e5-large", 1e-5, 64, 3)
    assert (seed.weight_decay, seed.warmup_ratio, seed.lr_scheduler_type) == (0.01, 0.1, "cosine")


def test_recipe_errors_name_the_key_and_line(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("learning_rate: 1e-4\nbatchsize: 64\nbatch_sampler: random\nscale: -2\n")
    with pytest.raises(InputError) as err:
        load_recipe(p)
    text = str(err.value)
    assert f"{p}:2 [batchsize]: unknown key" in text
    assert f"{p}:3 [batch_sampler]" in text and "'random'" in text
    assert f"{p}:4 [scale]" in text
    p.write_text("- not\n- a mapping\n")
    with pytest.raises(InputError, match="mapping"):
        load_recipe(p)
    p.write_text("")
    with pytest.raises(InputError, match="empty recipe"):
        load_recipe(p)
    p.write_text("schedule_by: time\n")
    with pytest.raises(InputError, match="schedule_by: time needs max_minutes"):
        load_recipe(p)
    with pytest.raises(InputError, match="recipe file not found"):
        load_recipe(tmp_path / "missing.yaml")
    p.write_text("batch_size: 1\nmax_seq_length: 48\nsaved_max_seq_length: 4\n")
    with pytest.raises(InputError) as err:
        load_recipe(p)
    assert f"{p}:1 [batch_size]" in str(err.value)
    assert f"{p}:3 [saved_max_seq_length]" in str(err.value)


def test_command_line_overrides_are_named_as_options(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("max_steps: 10\n")
    assert load_recipe(p, max_steps=None).max_steps == 10
    assert load_recipe(p, max_steps=3).max_steps == 3
    with pytest.raises(InputError, match="--max-steps"):
        load_recipe(p, max_steps=-5)


def test_training_length_is_separate_from_the_saved_length():
    r = Recipe(max_seq_length=48)
    assert r.saved_max_seq_length is None  # the saved model keeps its base model's limit
    assert Recipe(max_seq_length=48, saved_max_seq_length=128).saved_max_seq_length == 128
