"""Atomic file writes and line-checked JSONL reading."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from termfit.errors import InputError, Problem


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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as pretty JSON, atomically."""
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> None:
    """Write rows as JSON lines, atomically."""
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary sibling directory that replaces ``path`` only on success.

    A crash or Ctrl-C leaves ``path`` as it was (absent or the previous version).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    os.chmod(tmp, 0o777 & ~_umask())
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


def read_jsonl(
    path: str | os.PathLike, required: dict[str, type | tuple[type, ...]] | None = None
) -> list[dict]:
    """Read a JSONL file; every malformed line is reported at once with its number.

    ``required`` maps field names to the expected type(s); missing or mistyped fields
    are problems too. Blank lines are skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(str(path), "file not found"))
    problems: list[Problem] = []
    rows: list[dict] = []
    raw = path.read_bytes()
    for lineno, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(str(path), f"undecodable bytes ({exc.reason})", lineno))
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(Problem(str(path), f"malformed JSON: {exc.msg}", lineno))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(str(path), "expected a JSON object", lineno))
            continue
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
