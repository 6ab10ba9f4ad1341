"""How benchmark results name files: relative to the repository, or just the name."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shown(path: str | os.PathLike | None) -> str | None:
    """``path`` relative to the repository when inside it, else its last component (a
    temporary folder's absolute path means nothing on another machine)."""
    if path is None:
        return None
    p = Path(path)
    if not p.is_absolute() and not str(path).startswith(".."):
        return p.as_posix()
    try:
        return p.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return p.name
