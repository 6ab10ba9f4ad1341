"""Checkpoints: published whole, the newest complete one found, leftovers removed, Ctrl-C."""

from __future__ import annotations

import json
import logging
import os
import signal

import pytest

from termfit.checkpoints import (
    LOCK,
    MARKER,
    Interrupt,
    checkpoint_folder,
    newest_complete,
    partial_dir,
    publish,
)
from termfit.errors import InputError


def _written(checkpoint_dir, step: int, total: int = 40):
    """What the trainer writes for one checkpoint (into the partial folder)."""
    p = partial_dir(checkpoint_dir) / f"checkpoint-{step}"
    p.mkdir(parents=True)
    (p / "model.safetensors").write_bytes(b"x" * 100)
    (p / "trainer_state.json").write_text(json.dumps(
        {"global_step": step, "max_steps": total, "log_history": [{"loss": 1.0, "step": step}]}))
    return p


def test_publish_renames_whole_checkpoints_and_keeps_the_newest(tmp_path):
    for step in (10, 20, 30):
        _written(tmp_path, step)
        dst = publish(tmp_path, step, {"elapsed_seconds": step * 1.5}, keep=2)
        assert dst == tmp_path / f"checkpoint-{step}" and (dst / MARKER).is_file()
        assert not (partial_dir(tmp_path) / f"checkpoint-{step}").exists()
    assert sorted(p.name for p in tmp_path.glob("checkpoint-*")) == [
        "checkpoint-20", "checkpoint-30"]
    last = newest_complete(tmp_path)
    assert (last.step, last.max_steps, last.elapsed_seconds) == (30, 40, 45.0)
    assert last.log_history == [{"loss": 1.0, "step": 30}]
    assert not list(tmp_path.glob(".*.tmp"))


def test_resume_skips_an_incomplete_newer_checkpoint(tmp_path, caplog):
    _written(tmp_path, 20)
    publish(tmp_path, 20, {"elapsed_seconds": 1.0}, keep=2)
    broken = tmp_path / "checkpoint-40"  # e.g. written by an older version, killed mid-save
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    (broken / "optimizer.pt.tmp").write_bytes(b"x" * 100)
    with caplog.at_level(logging.WARNING):
        last = newest_complete(tmp_path)
    assert last.path == tmp_path / "checkpoint-20"
    assert "incomplete checkpoint" in caplog.text and "checkpoint-40" in caplog.text
    assert newest_complete(tmp_path / "missing") is None


def test_checkpoint_folder_removes_leftovers_and_refuses_a_second_run(tmp_path, caplog):
    d = tmp_path / "ckpts"
    _written(d, 30)  # a save that a kill interrupted
    (d / ".checkpoint-10.123-deleted.tmp").mkdir()
    with caplog.at_level(logging.WARNING), checkpoint_folder(d):
        assert not partial_dir(d).exists() and not list(d.glob(".checkpoint-*"))
        with pytest.raises(InputError, match="another training run"), checkpoint_folder(d):
            pass
    assert "checkpoint-30" in caplog.text
    assert not d.exists()  # nothing was saved: no folder left behind
    d.mkdir()
    (d / "checkpoint-5").mkdir()
    with checkpoint_folder(d):
        pass
    assert sorted(p.name for p in d.iterdir()) == [LOCK, "checkpoint-5"]


def test_ctrl_c_requests_a_save_and_a_second_one_aborts():
    with Interrupt() as interrupt:
        os.kill(os.getpid(), signal.SIGINT)
        assert interrupt.requested
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
