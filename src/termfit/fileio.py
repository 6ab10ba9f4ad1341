"""Atomic file writes, and the one place that reads JSON and JSONL files (line-checked)."""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from termfit.errors import InputError, Problem

logger = logging.getLogger(__name__)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and an atomic rename."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and an atomic rename."""
    path = Path(path)
    check_output(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc) from None
        raise


def _cannot_write(path: Path, exc: OSError) -> InputError:
    return InputError(Problem(str(path), f"cannot write here: {exc.strerror or exc}"))


# Files by which termfit recognises a folder it wrote itself (and may replace).
OUTPUT_MARKERS = ("modules.json", "stats.json", "manifest.json", "termfit_export.json",
                  "termfit_source.json", "report.json")


def check_output(path: str | os.PathLike, folder: bool = False) -> None:
    """Fail early, before any long work, when ``path`` cannot be written as a file or folder.

    Checks that ``path`` is not a folder (files) or a file (folders), and that its nearest
    existing parent is a writable folder. Raises :class:`InputError`.
    """
    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise InputError(Problem(str(path), "exists and is not a folder; expected a folder "
                                 "path"))
    if folder and path.is_dir() and any(path.iterdir()) and not any(
        (path / m).exists() for m in OUTPUT_MARKERS
    ):
        raise InputError(Problem(str(path), "exists and is not a termfit output folder, so it "
                                 "will not be replaced; choose a new or empty folder"))
    if not folder and path.is_dir():
        raise InputError(Problem(str(path), "is a folder; expected a file path"))
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(Problem(str(path), f"{parent} is a file, not a folder"))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(Problem(str(path), f"cannot write here: {parent} is not writable"))


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as pretty JSON, atomically."""
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> None:
    """Write rows as JSON lines, atomically."""
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


# Temporary folders are named ".NAME.PID-RANDOM.tmp" beside the output NAME; the writer
# holds a lock on the folder while it writes, so a folder that nobody holds and whose
# writer is gone is a leftover of a killed run.
STALE_AFTER_HOURS = 6.0
_TMP_MIDDLE = re.compile(r"^(?:(?P<pid>\d+)-[A-Za-z0-9_]+|[a-z0-9_]{8})$")


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary sibling directory that replaces ``path`` only on success.

    A crash or Ctrl-C leaves ``path`` as it was (absent or the previous version); what a
    killed run left beside ``path`` is removed first (:func:`remove_stale_temps`).
    """
    path = Path(path)
    check_output(path, folder=True)
    remove_stale_temps(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp",
                                    dir=path.parent))
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    os.chmod(tmp, 0o777 & ~_umask())
    lock = _lock_folder(tmp)
    try:
        yield tmp
        if path.exists():
            if not overwrite:
                raise FileExistsError(path)
            old = path.with_name(f".{path.name}.old-{os.getpid()}")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if lock is not None:
            os.close(lock)


def _lock_folder(folder: Path) -> int | None:
    """Open ``folder`` and hold an exclusive lock on it (released when the fd closes or the
    process dies); ``None`` where locks are not available."""
    try:
        import fcntl

        fd = os.open(folder, os.O_RDONLY)
    except (ImportError, OSError):
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _is_held(folder: Path) -> bool | None:
    """Whether a writer holds ``folder``'s lock (``None``: locks are not available here)."""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def stale_temps(path: str | os.PathLike, max_age_hours: float = STALE_AFTER_HOURS) -> list[Path]:
    """Temporary folders of ``path`` (``.NAME.*.tmp`` beside it) left by killed writers.

    One is stale when no process holds its lock and its writer's process is gone (or, for
    names without a process id, or a reused id, when it is older than ``max_age_hours``).
    Other outputs' temporary folders never match.
    """
    path = Path(path)
    parent, prefix = path.parent, f".{path.name}."
    if not parent.is_dir():
        return []
    now = time.time()
    found = []
    for p in parent.iterdir():
        if not (p.name.startswith(prefix) and p.name.endswith(".tmp")):
            continue
        m = _TMP_MIDDLE.match(p.name[len(prefix):-len(".tmp")])
        if m is None or not p.is_dir():
            continue
        held = _is_held(p)
        if held:
            continue
        pid = int(m.group("pid")) if m.group("pid") else None
        try:
            old = now - p.stat().st_mtime > max_age_hours * 3600
        except OSError:
            continue
        gone = pid is not None and pid != os.getpid() and not _pid_alive(pid)
        if gone or (old and (held is False or pid is None)):
            found.append(p)
    return found


def remove_stale_temps(path: str | os.PathLike,
                       max_age_hours: float = STALE_AFTER_HOURS) -> list[Path]:
    """Remove what killed runs left beside ``path`` and say so (a warning per folder).

    Temporary folders (:func:`stale_temps`) are deleted. A previous version set aside while
    being replaced (``.NAME.old-PID``) is deleted when ``path`` exists, and put back when
    the kill came between the two renames and ``path`` is missing.
    """
    path = Path(path)
    removed = []
    for p in stale_temps(path, max_age_hours):
        logger.warning("removing %s, left by an interrupted run", p)
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    parent = path.parent
    if parent.is_dir():
        for p in parent.glob(f".{glob.escape(path.name)}.old-*"):
            pid = p.name.rsplit("-", 1)[-1]
            if not pid.isdigit() or _pid_alive(int(pid)):
                continue
            if path.exists():
                logger.warning("removing %s, left by an interrupted run", p)
                shutil.rmtree(p, ignore_errors=True)
            else:
                logger.warning("restoring %s from %s, left by an interrupted run", path, p)
                os.replace(p, path)
            removed.append(p)
    return removed


@contextlib.contextmanager
def exclusive_lock(path: str | os.PathLike, what: str = "") -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created if needed) for the block;
    raise :class:`InputError` at once when another process holds it."""
    path = Path(path)
    try:
        import fcntl
    except ImportError:  # no advisory locks on this platform
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InputError(Problem(str(path.parent), what or f"{path} is locked by another "
                                     "process")) from None
        yield
    finally:
        os.close(fd)


def parse_json_object(text: str, path: str | os.PathLike, lineno: int,
                      problems: list[Problem]) -> dict | None:
    """One JSONL line as a dict, or ``None`` with the problem recorded."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(Problem(str(path), f"malformed JSON: {exc.msg}", lineno))
        return None
    if not isinstance(obj, dict):
        problems.append(Problem(str(path), "expected a JSON object", lineno))
        return None
    return obj


def _missing(path: Path, expected: str) -> Problem:
    what = f"is a folder; expected {expected}" if path.is_dir() else "file not found"
    return Problem(str(path), what)


def decode_lines(path: str | os.PathLike, problems: list[Problem],
                 expected: str = "a file") -> list[tuple[int, str]] | None:
    """(line number, text) of a UTF-8 file (a byte-order mark is dropped); a missing file
    and every undecodable line are recorded in ``problems``."""
    path = Path(path)
    if not path.is_file():
        problems.append(_missing(path, expected))
        return None
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    out = []
    for lineno, line in enumerate(raw.split(b"\n"), start=1):
        try:
            out.append((lineno, line.decode("utf-8").rstrip("\r")))
        except UnicodeDecodeError as exc:
            problems.append(Problem(str(path), f"undecodable bytes ({exc.reason}); "
                                    "expected UTF-8 text", lineno))
    return out


def jsonl_objects(path: str | os.PathLike, problems: list[Problem],
                  expected: str = "a JSONL file") -> list[tuple[int, dict]]:
    """(line number, object) of every non-blank line of a JSONL file; problems (missing
    file, undecodable bytes, malformed lines) are recorded, not raised."""
    out = []
    for lineno, text in decode_lines(path, problems, expected) or []:
        if not text.strip():
            continue
        obj = parse_json_object(text, path, lineno, problems)
        if obj is not None:
            out.append((lineno, obj))
    return out


def read_jsonl(
    path: str | os.PathLike, required: dict[str, type | tuple[type, ...]] | None = None
) -> list[dict]:
    """Read a JSONL file; every malformed line is reported at once with its number.

    ``required`` maps field names to the expected type(s); missing or mistyped fields
    are problems too. Blank lines are skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(_missing(path, "a JSONL file"))
    problems: list[Problem] = []
    rows: list[dict] = []
    for lineno, obj in jsonl_objects(path, problems):
        for name, typ in (required or {}).items():
            if name not in obj:
                problems.append(Problem(str(path), "missing field", lineno, name))
            elif not isinstance(obj[name], typ):
                want = typ.__name__ if isinstance(typ, type) else "/".join(t.__name__ for t in typ)
                got = type(obj[name]).__name__
                problems.append(Problem(str(path), f"expected {want}, got {got}", lineno, name))
        rows.append(obj)
    if problems:
        raise InputError(problems)
    return rows


def read_json_object(path: str | os.PathLike, missing: str | None = None,
                     what: str = "JSON file") -> dict:
    """A JSON file holding one object. :class:`InputError` when it is missing (with the
    hint ``missing``), unreadable or not an object; ``what`` names it in the message
    ("unreadable manifest: ...", "damaged manifest: expected a JSON object")."""
    path = Path(path)
    if not path.is_file():
        problem = _missing(path, "a JSON file")
        if missing and not path.is_dir():
            problem = Problem(str(path), f"file not found; {missing}")
        raise InputError(problem)
    try:
        obj = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(Problem(str(path), f"unreadable {what}: undecodable bytes "
                                 f"({exc.reason}); expected UTF-8")) from None
    except json.JSONDecodeError as exc:
        raise InputError(Problem(str(path), f"unreadable {what}: malformed JSON: {exc.msg} "
                                 f"(line {exc.lineno})")) from None
    except OSError as exc:
        raise InputError(Problem(str(path), f"cannot read: {exc.strerror or exc}")) from None
    if not isinstance(obj, dict):
        raise InputError(Problem(str(path), f"damaged {what}: expected a JSON object"))
    return obj
