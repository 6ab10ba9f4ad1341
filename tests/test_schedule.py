"""The clock, the time budget and the learning-rate schedule."""

from __future__ import annotations

import math

import pytest

from termfit.recipe import Recipe
from termfit.schedule import Clock, budget_spent, lr_factor, progress, warmup_steps


@pytest.mark.parametrize("kind", ["cosine", "linear", "constant_with_warmup"])
def test_step_schedule_matches_transformers(kind):
    import torch
    from transformers import get_scheduler

    recipe = Recipe(max_steps=50, warmup_ratio=0.1, lr_scheduler_type=kind)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    ref = get_scheduler(kind, opt, num_warmup_steps=5, num_training_steps=50)
    for step in range(50):
        assert lr_factor(recipe, progress(recipe, step, 0.0)) == pytest.approx(
            ref.get_last_lr()[0], abs=1e-9)
        opt.step()
        ref.step()


def test_time_schedule_follows_the_clock():
    recipe = Recipe(max_steps=1000, max_minutes=10, schedule_by="time", warmup_ratio=0.1)
    clock = Clock(offset=300.0)  # half the budget spent (e.g. before a --resume)
    assert progress(recipe, 10, clock.synced()) == pytest.approx(0.5, abs=1e-3)
    assert lr_factor(recipe, progress(recipe, 10, 300.0)) == pytest.approx(
        0.5 * (1 + math.cos(math.pi * (0.5 - 0.1) / 0.9)))
    assert progress(recipe, 1000, 300.0) == 1.0  # max_steps stays an upper bound
    assert lr_factor(recipe, progress(recipe, 1, 600.0)) == 0.0
    with pytest.raises(ValueError, match="max_minutes"):
        Recipe(schedule_by="time")


def test_budget_and_warmup():
    recipe = Recipe(max_minutes=1, warmup_ratio=0.1, batch_size=10, epochs=2)
    assert not budget_spent(recipe, 59.0) and budget_spent(recipe, 60.0)
    assert not budget_spent(Recipe(), 1e9)  # no budget
    assert warmup_steps(recipe, 1000) == 20  # 100 steps a epoch, 2 epochs
    assert warmup_steps(recipe, 1000, world_size=2) == 10
    assert warmup_steps(Recipe(max_steps=40, warmup_ratio=0.25), 10) == 10
