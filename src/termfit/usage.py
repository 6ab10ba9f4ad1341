"""Usage sentences: a document's sentences that use an abbreviation it defines.

Each row is one (sentence, abbreviation) pair with the sense the document's own
Abbreviations clause gives the abbreviation. Rows are stored as JSONL, one object per
row with exactly the fields of :class:`UsageSentence`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from termfit.errors import InputError, Problem
from termfit.fileio import parse_json_object, write_jsonl


@dataclass(frozen=True)
class UsageSentence:
    """One sentence using one abbreviation.

    ``text[start:end]`` is the abbreviation as written; ``expansion`` is the sense the
    document's own Abbreviations clause gives it; ``source`` is the document's file
    name; ``line`` is the 1-based line where the sentence starts.
    """

    text: str
    abbr: str
    start: int
    end: int
    expansion: str
    source: str
    line: int

    def to_dict(self) -> dict:
        """The row as a plain dict with exactly the dataclass fields."""
        return asdict(self)


_FIELDS: dict[str, type] = {f.name: (int if f.type in ("int", int) else str)
                            for f in fields(UsageSentence)}


def _row(obj: dict, path: Path, lineno: int, problems: list[Problem]) -> UsageSentence | None:
    extra = sorted(set(obj) - set(_FIELDS))
    if extra:
        problems.append(Problem(str(path), f"unexpected field(s): {', '.join(extra)}", lineno))
        return None
    ok = True
    for name, typ in _FIELDS.items():
        value = obj.get(name)
        if name not in obj:
            problems.append(Problem(str(path), "missing field", lineno, name))
            ok = False
        elif not isinstance(value, typ) or isinstance(value, bool):
            problems.append(Problem(str(path), f"expected {typ.__name__}, got "
                                    f"{type(value).__name__}", lineno, name))
            ok = False
    if not ok:
        return None
    row = UsageSentence(**obj)
    if not (0 <= row.start < row.end <= len(row.text)):
        problems.append(Problem(str(path), f"span {row.start}:{row.end} is outside the text "
                                f"(length {len(row.text)})", lineno, "start"))
        return None
    if row.line < 1:
        problems.append(Problem(str(path), "expected a 1-based line number", lineno, "line"))
        return None
    return row


def read_contexts(path: str | os.PathLike) -> list[UsageSentence]:
    """Read usage sentences from JSONL; every bad line is reported at once."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder; expected a JSONL file" if path.is_dir() else "file not found"
        raise InputError(Problem(str(path), what))
    problems: list[Problem] = []
    rows: list[UsageSentence] = []
    for lineno, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(str(path), f"undecodable bytes ({exc.reason})", lineno))
            continue
        obj = parse_json_object(text, path, lineno, problems)
        if obj is not None and (row := _row(obj, path, lineno, problems)) is not None:
            rows.append(row)
    if problems:
        raise InputError(problems)
    return rows


def write_contexts(path: str | os.PathLike, rows: Iterable[UsageSentence]) -> None:
    """Write usage sentences as JSONL, atomically."""
    write_jsonl(path, (r.to_dict() for r in rows))
