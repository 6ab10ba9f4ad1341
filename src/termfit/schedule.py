"""Training time: the clock carried across ``--resume``, the time budget and the
learning-rate schedule that follows the clock (``schedule_by: time``)."""

from __future__ import annotations

import logging
import math
import time

from termfit.recipe import Recipe

logger = logging.getLogger(__name__)


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
        return all_processes_max(self.elapsed())


def all_processes_max(value: float) -> float:
    """The maximum of ``value`` over the processes of a distributed run (``value`` alone
    otherwise). Every process must call it at the same point."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        import torch

        device = "cuda" if dist.get_backend() == "nccl" else "cpu"
        t = torch.tensor([value], dtype=torch.float64, device=device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        value = float(t.item())
    return value


def budget_spent(recipe: Recipe, elapsed: float) -> bool:
    """Whether the recipe's time budget (``max_minutes``) is spent after ``elapsed`` seconds."""
    return recipe.max_minutes is not None and elapsed >= recipe.max_minutes * 60


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


def warmup_steps(recipe: Recipe, n_pairs: int, world_size: int = 1) -> int:
    """The recipe's warmup ratio as a number of optimizer steps."""
    if recipe.max_steps > 0:
        total = recipe.max_steps
    else:
        total = math.ceil(n_pairs // (recipe.batch_size * world_size) * recipe.epochs)
    return int(round(recipe.warmup_ratio * total))


def time_budget_callback(recipe: Recipe, clock: Clock, trainer=None):
    """A trainer callback that starts the clock, stops (with a checkpoint and an evaluation)
    once the budget is spent, and with a time schedule keeps the progress bar's total at the
    projected step count."""
    from transformers import TrainerCallback

    class TimeBudget(TrainerCallback):
        def on_train_begin(self, args, state, control, **kw):
            clock.start()

        def on_step_end(self, args, state, control, **kw):
            if not recipe.max_minutes:
                return
            step = state.global_step
            elapsed = clock.synced()  # every process, every step: they stop together
            if recipe.schedule_by == "time" and step % 10 == 0 and trainer is not None:
                _update_bar(trainer, step, state.max_steps, progress(recipe, step, elapsed))
            if budget_spent(recipe, elapsed):
                logger.warning("time budget of %.1f min spent at step %d", recipe.max_minutes,
                               step)
                control.should_training_stop = True
                control.should_save = True
                control.should_evaluate = True

    return TimeBudget()


def _update_bar(trainer, step: int, max_steps: int, p: float) -> None:
    from transformers.trainer_callback import ProgressCallback

    for cb in trainer.callback_handler.callbacks:
        bar = getattr(cb, "training_bar", None) if isinstance(cb, ProgressCallback) else None
        if bar is not None and p > 0:
            bar.total = max(step, min(max_steps, round(step / p)))
            bar.refresh()
