"""JSON readers; atomic output folders, and the removal of what killed writers left behind."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

import pytest

from termfit.errors import InputError
from termfit.fileio import (
    atomic_directory,
    exclusive_lock,
    jsonl_objects,
    read_json_object,
    read_jsonl,
    remove_stale_temps,
    stale_temps,
)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_atomic_directory_replaces_only_on_success(tmp_path):
    out = tmp_path / "idx"
    with atomic_directory(out) as tmp:
        (tmp / "manifest.json").write_text("{}")
        assert tmp.name.startswith(f".idx.{os.getpid()}-") and tmp.name.endswith(".tmp")
    assert (out / "manifest.json").is_file()
    with pytest.raises(RuntimeError), atomic_directory(out) as tmp:
        (tmp / "manifest.json").write_text('{"new": 1}')
        raise RuntimeError
    assert (out / "manifest.json").read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]


def test_stale_temp_folders_of_the_same_output_are_removed(tmp_path, caplog):
    dead = _dead_pid()
    stale = tmp_path / f".idx.{dead}-abc123.tmp"  # a killed writer's
    legacy_old = tmp_path / ".idx.k2j4h5g6.tmp"  # an older name without a process id
    legacy_new = tmp_path / ".idx.a1b2c3d4.tmp"
    other = tmp_path / f".MODEL.{dead}-abc123.tmp"  # another output's: never ours to remove
    for p in (stale, legacy_old, legacy_new, other):
        p.mkdir()
        (p / "part.bin").write_bytes(b"x" * 10)
    old = time.time() - 7 * 3600
    os.utime(legacy_old, (old, old))
    with caplog.at_level(logging.WARNING):
        removed = remove_stale_temps(tmp_path / "idx")
    assert sorted(removed) == sorted([stale, legacy_old])
    assert not stale.exists() and not legacy_old.exists()
    assert legacy_new.exists() and other.exists()
    assert "left by an interrupted run" in caplog.text and stale.name in caplog.text


def test_a_live_writers_temp_folder_is_kept(tmp_path):
    out = tmp_path / "MODEL"
    with atomic_directory(out) as tmp:
        old = time.time() - 30 * 3600
        os.utime(tmp, (old, old))  # old, but its writer (this process) holds it
        assert stale_temps(out) == []
        # another process sees it held too
        code = ("import sys; from termfit.fileio import stale_temps; "
                f"sys.exit(len(stale_temps({str(out)!r})))")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 0
        (tmp / "modules.json").write_text("{}")
    assert (out / "modules.json").is_file()


def test_a_killed_writer_is_cleaned_up_by_the_next_run(tmp_path):
    out = tmp_path / "MODEL"
    code = ("import os, pathlib; from termfit.fileio import atomic_directory\n"
            f"with atomic_directory({str(out)!r}) as tmp:\n"
            "    (tmp / 'model.safetensors').write_bytes(b'x' * 1000)\n"
            "    os._exit(9)\n")  # dies inside the block, as kill -9 would
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 9
    left = list(tmp_path.glob(".MODEL.*.tmp"))
    assert len(left) == 1 and not out.exists()
    with atomic_directory(out) as tmp:
        (tmp / "modules.json").write_text("{}")
    assert [p.name for p in tmp_path.iterdir()] == ["MODEL"]


def test_a_kill_between_the_two_renames_restores_the_previous_version(tmp_path):
    out = tmp_path / "idx"
    aside = tmp_path / f".idx.old-{_dead_pid()}"
    aside.mkdir()
    (aside / "manifest.json").write_text('{"v": 1}')
    remove_stale_temps(out)
    assert (out / "manifest.json").read_text() == '{"v": 1}' and not aside.exists()
    aside.mkdir()
    remove_stale_temps(out)  # the new version made it: the old one goes
    assert not aside.exists() and (out / "manifest.json").is_file()


def test_exclusive_lock_refuses_a_second_holder(tmp_path):
    lock = tmp_path / ".lock"
    with exclusive_lock(lock):
        with pytest.raises(InputError, match="busy"), exclusive_lock(lock, what="busy"):
            pass
    with exclusive_lock(lock):
        pass


def test_read_json_object(tmp_path):
    p = tmp_path / "m.json"
    with pytest.raises(InputError, match="file not found; build it first"):
        read_json_object(p, missing="build it first")
    p.write_bytes(b'\xef\xbb\xbf{"a": 1}')
    assert read_json_object(p) == {"a": 1}
    p.write_text("[1]")
    with pytest.raises(InputError, match="damaged manifest: expected a JSON object"):
        read_json_object(p, what="manifest")
    p.write_text("{oops")
    with pytest.raises(InputError, match="unreadable manifest: malformed JSON"):
        read_json_object(p, what="manifest")
    p.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(InputError, match="undecodable bytes"):
        read_json_object(p)
    with pytest.raises(InputError, match="is a folder"):
        read_json_object(tmp_path)


def test_jsonl_readers_report_every_line(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_bytes(b'{"a": 1}\n\n[2]\n{bad\n\xff\n{"a": 3}\r\n')
    problems = []
    rows = jsonl_objects(p, problems)
    assert rows == [(1, {"a": 1}), (6, {"a": 3})]
    assert sorted(pr.line for pr in problems) == [3, 4, 5]
    with pytest.raises(InputError) as err:
        read_jsonl(p)
    assert len(err.value.problems) == 3
