"""Training checkpoints that survive a crash: written whole or not at all.

The trainer writes each checkpoint into ``CHECKPOINTS/.partial/checkpoint-N``; once every
process has finished writing, a marker file is added and the folder is renamed to
``CHECKPOINTS/checkpoint-N`` (one atomic rename). So a ``checkpoint-N`` folder is always
complete, ``--resume`` takes the newest one, and a run killed mid-save leaves only
``.partial``, which the next run removes. Ctrl-C asks the trainer to save and stop at the
end of the current step (through its public control flags); a second Ctrl-C aborts.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from termfit.errors import Interrupted
from termfit.fileio import exclusive_lock, write_json
from termfit.schedule import all_processes_max

logger = logging.getLogger(__name__)

MARKER = "termfit_clock.json"  # written last, before the rename: the checkpoint is complete
PARTIAL = ".partial"  # the trainer's output folder: checkpoints being written
LOCK = ".termfit.lock"
_NAME = re.compile(r"^checkpoint-(\d+)$")


@dataclass
class Checkpoint:
    """A complete checkpoint and what the run needs to know about it."""

    path: Path
    step: int
    max_steps: int
    elapsed_seconds: float
    log_history: list[dict] = field(default_factory=list)


def partial_dir(checkpoint_dir: str | os.PathLike) -> Path:
    """The folder where the trainer writes checkpoints before they are complete."""
    return Path(checkpoint_dir) / PARTIAL


def is_complete(path: str | os.PathLike) -> bool:
    """Whether a checkpoint folder holds a finished save (its marker and trainer state)."""
    p = Path(path)
    return (p / MARKER).is_file() and (p / "trainer_state.json").is_file()


def checkpoint_steps(checkpoint_dir: str | os.PathLike) -> list[tuple[int, Path]]:
    """``(step, folder)`` of every ``checkpoint-N`` folder, oldest first."""
    d = Path(checkpoint_dir)
    if not d.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in d.iterdir()
             if p.is_dir() and (m := _NAME.match(p.name))]
    return sorted(found)


def newest_complete(checkpoint_dir: str | os.PathLike) -> Checkpoint | None:
    """The newest complete checkpoint; incomplete ones (from older versions of termfit, or
    damaged by hand) are reported and skipped."""
    for _step, path in reversed(checkpoint_steps(checkpoint_dir)):
        if is_complete(path):
            return read_checkpoint(path)
        logger.warning("skipping incomplete checkpoint %s", path)
    return None


def read_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a complete checkpoint's step, planned steps, training time and log."""
    p = Path(path)
    state = json.loads((p / "trainer_state.json").read_text(encoding="utf-8"))
    marker = json.loads((p / MARKER).read_text(encoding="utf-8"))
    return Checkpoint(p, int(state.get("global_step", 0)), int(state.get("max_steps", 0)),
                      float(marker.get("elapsed_seconds", 0.0)), state.get("log_history", []))


@contextlib.contextmanager
def checkpoint_folder(checkpoint_dir: str | os.PathLike) -> Iterator[Path]:
    """Hold the checkpoint folder for one run: refuse when another run holds it, remove
    what a killed run left behind (a half-written or half-deleted checkpoint), and on the
    way out the trainer's scratch files (and the folder itself if no checkpoint was made).
    """
    d = Path(checkpoint_dir)
    ours = not d.exists() or not any(d.iterdir())
    d.mkdir(parents=True, exist_ok=True)
    try:
        with exclusive_lock(d / LOCK, what=f"another training run is using {d}"):
            ours = _remove_leftovers(d) or ours
            try:
                yield d
            finally:
                shutil.rmtree(partial_dir(d), ignore_errors=True)
    finally:
        if ours and {p.name for p in d.iterdir()} <= {LOCK}:
            shutil.rmtree(d, ignore_errors=True)


def _remove_leftovers(d: Path) -> bool:
    """Remove a killed run's partial and half-deleted checkpoints; whether there were any."""
    found = False
    for p in d.iterdir():
        if p.name == PARTIAL:
            names = sorted(c.name for c in p.glob("checkpoint-*"))
            if names:
                logger.warning("removing incomplete %s left by an interrupted run (in %s)",
                               ", ".join(names), p)
            shutil.rmtree(p, ignore_errors=True)
            found = True
        elif p.name.startswith(".checkpoint-") and p.name.endswith(".tmp"):
            logger.warning("removing %s left by an interrupted run", p)
            shutil.rmtree(p, ignore_errors=True)
            found = True
    return found


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def _barrier() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.barrier()


def publish(checkpoint_dir: Path, step: int, marker: dict, keep: int) -> Path:
    """Complete the checkpoint the trainer wrote for ``step``: add the marker, rename it into
    place, and delete the oldest complete checkpoints beyond ``keep``."""
    src = partial_dir(checkpoint_dir) / f"checkpoint-{step}"
    dst = checkpoint_dir / f"checkpoint-{step}"
    write_json(src / MARKER, {"step": step, **marker})
    if dst.exists():  # e.g. written again after a resume from an earlier one
        _discard(dst)
    os.replace(src, dst)
    complete = [p for _, p in checkpoint_steps(checkpoint_dir) if is_complete(p)]
    for old in complete[:-keep]:
        _discard(old)
    return dst


def _discard(path: Path) -> None:
    """Delete a folder by renaming it out of sight first (a kill mid-delete leaves no
    half-deleted checkpoint under its name)."""
    gone = path.with_name(f".{path.name}.{os.getpid()}-deleted.tmp")
    os.replace(path, gone)
    shutil.rmtree(gone, ignore_errors=True)


def atomic_checkpoints_callback(checkpoint_dir: str | os.PathLike, keep: int,
                                marker: Callable[[], dict]):
    """A trainer callback that publishes each checkpoint once it is written whole.

    The trainer's ``output_dir`` must be :func:`partial_dir` and its own rotation off
    (``save_total_limit=None``); ``marker()`` gives what the marker file records (the
    training clock).
    """
    from transformers import TrainerCallback

    d = Path(checkpoint_dir)

    class AtomicCheckpoints(TrainerCallback):
        def on_save(self, args, state, control, **kw):
            _barrier()  # every process has written its part (e.g. its RNG state)
            if is_main_process():
                publish(d, state.global_step, marker(), keep)
            _barrier()

    return AtomicCheckpoints()


class Interrupt:
    """Ctrl-C (SIGINT) as a request to save a checkpoint and stop after the current step.

    Use as a context manager around ``trainer.train()`` with :meth:`callback` installed; a
    second Ctrl-C raises ``KeyboardInterrupt`` at once.
    """

    def __init__(self) -> None:
        self.requested = False
        self.stopped_at: int | None = None
        self._previous: Any = None

    def _handle(self, signum, frame) -> None:
        self.requested = True
        logger.warning("interrupted: saving a checkpoint at the end of this step "
                       "(Ctrl-C again to abort without saving)")
        previous = self._previous
        signal.signal(signal.SIGINT, previous if callable(previous) or previous in (
            signal.SIG_IGN, signal.SIG_DFL) else signal.default_int_handler)

    def __enter__(self) -> Interrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def callback(self):
        """The trainer callback that turns a request into a save and a stop."""
        from transformers import TrainerCallback

        outer = self

        class StopOnInterrupt(TrainerCallback):
            def on_step_end(self, args, state, control, **kw):
                # the processes of a distributed run stop at one step together
                if all_processes_max(float(outer.requested)) > 0:
                    outer.stopped_at = state.global_step
                    control.should_save = True
                    control.should_training_stop = True

        return StopOnInterrupt()


def interrupted_error(step: int, checkpoint_dir: Path) -> Interrupted:
    """The error a Ctrl-C'd run ends with."""
    return Interrupted(f"interrupted at step {step}; checkpoint saved in "
                        f"{checkpoint_dir / f'checkpoint-{step}'}; continue with --resume")
