"""The index being served, replaced as a whole on reload."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from termfit.errors import InputError
from termfit.fileio import read_json_object
from termfit.search import Searcher

logger = logging.getLogger(__name__)


class ReloadError(Exception):
    """A reload failed; the previous index keeps serving."""


class ServedIndex:
    """The :class:`Searcher` being served and how to reload it."""

    def __init__(self, searcher: Searcher, index_dir: Path, model: str | None):
        self.searcher = searcher
        self.index_dir = index_dir
        self.model = model
        self.reload_lock = threading.Lock()
        self.loaded_at = time.time()
        self.reloads = 0

    def reload(self) -> dict:
        """Load the index folder again and swap it in; the old one serves until then.

        Any failure (a broken index, a mismatching or damaged model) raises
        :class:`ReloadError` with the reason and leaves the served index as it was.
        """
        with self.reload_lock:
            old = self.searcher
            reuse = (old.model if manifest_fingerprint(self.index_dir)
                     == old.index.manifest["model_fingerprint"] else None)
            try:
                new = Searcher(self.index_dir, model=self.model, st_model=reuse)
                if reuse is None:  # a damaged model fails here, not on requests
                    new.encode(["reload check"])
            except Exception as exc:
                raise ReloadError(f"{type(exc).__name__}: {exc}".strip()) from exc
            self.searcher = new  # atomic reference swap; in-flight batches keep `old`
            self.loaded_at = time.time()
            self.reloads += 1
            return new.info()


def manifest_fingerprint(index_dir: Path) -> str | None:
    """The model fingerprint an index folder's manifest records (None if unreadable)."""
    try:
        return read_json_object(index_dir / "manifest.json").get("model_fingerprint")
    except InputError:
        return None
