"""Build and load a search index: every glossary entry's passages embedded once.

An index is a folder written atomically (:func:`termfit.fileio.atomic_directory`)::

    manifest.json     model fingerprint, glossary hash, dims, passage template, ...
    entries.jsonl     one row per glossary entry (id, abbr, expansion, ko, category, ...)
    embeddings.npy    float32 [n_passages, dim], L2-normalised
    passage_entry.npy int32 [n_passages]: the entry each passage belongs to
    name_embeddings.npy, name_passage_entry.npy
                      the same for the Korean-name and description passages
                      (:func:`termfit.passages.name_passages`; absent in older indexes)
    ann.usearch       approximate (HNSW) index, only above ``ANN_THRESHOLD`` passages

An entry's passages are those of :mod:`termfit.passages` (the corpus of ``termfit data
build``), with the template of the data folder or model folder; its dense score is the
maximum over them. Each entry row also keeps the entry's generated Korean names
(``ko_generated_name``, ``ko_loanword_name``: from the data folder, or composed by
:mod:`termfit.ko_names` at index time) and its ``description``; they are embedded apart, as
name passages, for the searcher's "names" scorer.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from termfit import __version__
from termfit.errors import InputError, ModelError, Problem, TermfitError
from termfit.fileio import (
    atomic_directory,
    read_json_object,
    read_jsonl,
    write_json,
    write_jsonl,
)
from termfit.glossary import FIELDS, Entry, default_glossary_path, load_glossary
from termfit.layout import DataLayout
from termfit.passages import (
    DEFAULT,
    DESCRIPTION_KEY,
    GENERATED_NAME_KEYS,
    PassageTemplate,
    entry_description,
    korean_names,
    name_passages,
    passage_texts,
    read_template,
)

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
# Passage counts at or above this also get an HNSW index (usearch). Measured with
# benchmarks/index_ann.py on 2 shared cores, one thread (docs/search.md): exact cosine costs
# 10 ms per query at 100k passages, still under the ~25 ms of embedding the query, with
# perfect recall and no build time; HNSW is faster but loses recall and takes minutes to build.
ANN_THRESHOLD = 200_000
#: Files of the Korean-name and description passages (indexes since ``n_name_passages``).
NAME_EMBEDDINGS, NAME_OWNERS = "name_embeddings.npy", "name_passage_entry.npy"


class IndexMismatchError(ModelError):
    """The index was built with another model than the one asked for."""


# --- passages ---------------------------------------------------------------------------
def index_passages(entries: Sequence[Any], template: PassageTemplate = DEFAULT
                   ) -> tuple[list[str], list[int]]:
    """(passage texts, owning entry index) of every entry, as :mod:`termfit.passages`
    defines them: the passages the model was trained and evaluated on."""
    passages: list[str] = []
    owner: list[int] = []
    for i, e in enumerate(entries):
        for p in passage_texts(e, template):
            passages.append(p)
            owner.append(i)
    return passages, owner


def manifest_template(manifest: dict) -> PassageTemplate:
    """The passage template an index was built with (the default for older indexes)."""
    t = manifest.get("passage_template")
    if isinstance(t, dict) and set(t) == {"labeled", "unlabeled"}:
        return PassageTemplate(**t)
    return DEFAULT


def _get(entry: Any, name: str) -> Any:
    return entry.get(name) if isinstance(entry, dict) else getattr(entry, name, None)


def lexical_text(entry: Any) -> str:
    """One combined text per entry for BM25: abbreviation, expansion, Korean names (curated,
    then generated), aliases. ``entry``: an :class:`Entry` or an index row."""
    parts = [f"{_get(entry, 'abbr')}: {_get(entry, 'expansion')}",
             *(n for n, _ in korean_names(entry)), *(_get(entry, "aliases") or [])]
    return " / ".join(p for p in parts if p)


def english_text(entry: Any) -> str:
    """An entry's English text, for Korean queries translated word by word
    (:mod:`termfit.ko_query`): expansion, Latin-script aliases, description."""
    aliases = [a for a in _get(entry, "aliases") or [] if a.isascii()]
    parts = [_get(entry, "expansion"), *aliases, entry_description(entry)]
    return " / ".join(p for p in parts if p)


def name_fields(entries: Sequence[Entry], rows: Sequence[dict] | None = None) -> list[dict]:
    """Per entry, the index row keys beyond the glossary fields: generated Korean names
    (a data folder's ``rows`` when they carry one, else composed now, for entries without
    a curated name) and the description (glossary definition, else a mined one)."""
    from termfit.ko_names import compose_names
    from termfit.namerows import definitions, loanword_name

    composed = compose_names(entries)
    defined = definitions(entries)
    out = []
    for i, e in enumerate(entries):
        row = rows[i] if rows is not None else {}
        extra: dict[str, str] = {}
        name = row.get("ko_generated_name") or composed.get(e.id)
        loan = row.get("ko_loanword_name") or loanword_name(e.expansion)
        for key, value in zip(GENERATED_NAME_KEYS, (name, loan), strict=True):
            if value and value not in e.ko and value not in extra.values():
                extra[key] = value
        description = (defined[e.id][0] if e.id in defined
                       else entry_description({"mined_definition": row.get("mined_definition")}))
        if description:
            extra[DESCRIPTION_KEY] = description
        out.append(extra)
    return out


def index_name_passages(entries: Sequence[Any]) -> tuple[list[str], list[int]]:
    """(texts, owning entry index) of every entry's Korean-name and description passages
    (:func:`termfit.passages.name_passages`)."""
    texts: list[str] = []
    owner: list[int] = []
    for i, e in enumerate(entries):
        for p in name_passages(e):
            texts.append(p.text)
            owner.append(i)
    return texts, owner


def entry_record(entry: Any) -> dict:
    """The metadata row stored in ``entries.jsonl``."""
    if hasattr(entry, "__dataclass_fields__"):
        row = asdict(entry)
    else:  # pragma: no cover - pydantic or plain objects
        row = dict(vars(entry))
    return {k: v for k, v in row.items() if v not in (None, [], "")} | {
        "ko": list(entry.ko or []),
        "category": entry.category,
    }


def glossary_hash(entries: Sequence[Any]) -> str:
    """sha256 of the entries' canonical JSON (independent of file formatting)."""
    h = hashlib.sha256()
    for e in entries:
        h.update(json.dumps(entry_record(e), sort_keys=True, ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


# --- model fingerprint ---------------------------------------------------------------
_SAMPLE = 1 << 16


def model_fingerprint(model_path: str | os.PathLike) -> str:
    """A content fingerprint of a model folder, cheap enough to check on every load.

    sha256 over every file's relative name and size, the full content of files up to
    192 KiB (configs, tokenizer settings) and the first, middle and last 64 KiB of larger
    files (weights). Copies and moves keep the fingerprint (no mtimes); retraining changes
    it. A fine-tuned copy that differs only in the middle of a weights file would collide,
    which training never produces (every tensor changes).
    """
    root = Path(model_path)
    if not root.is_dir():
        raise TermfitError(f"cannot fingerprint model {root}: not a folder")
    h = hashlib.sha256()
    files = sorted(
        p for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and p.name.lower() not in ("readme.md", "license", "notice")
    )
    for p in files:
        size = p.stat().st_size
        h.update(f"{p.relative_to(root).as_posix()}\0{size}\0".encode())
        with open(p, "rb") as fh:
            if size <= 3 * _SAMPLE:
                h.update(fh.read())
            else:
                for off in (0, size // 2, size - _SAMPLE):
                    fh.seek(off)
                    h.update(fh.read(_SAMPLE))
    return h.hexdigest()[:32]


# --- build / load ---------------------------------------------------------------------
@dataclass
class Index:
    """A loaded index: entries, passage embeddings and (optionally) an HNSW index."""

    path: Path
    manifest: dict
    entries: list[dict]
    embeddings: np.ndarray  # [n_passages, dim] float32, normalised
    passage_entry: np.ndarray  # [n_passages] int32
    ann: Any = None  # usearch.index.Index when present
    #: Korean-name and description passages ([n, dim]; None: an index built before them)
    name_embeddings: np.ndarray | None = None
    name_passage_entry: np.ndarray | None = None  # [n] int32, non-decreasing

    @property
    def dim(self) -> int:
        return int(self.embeddings.shape[1])

    def dense_scores(self, query_emb: np.ndarray) -> np.ndarray:
        """Exact cosine per entry (max over its passages): ``[nq, n_entries]``."""
        sims = np.atleast_2d(np.asarray(query_emb, dtype=np.float32)) @ self.embeddings.T
        # An entry's passages are contiguous, so a segmented max gives the per-entry max.
        return np.maximum.reduceat(sims, self._starts, axis=1)

    @property
    def _starts(self) -> np.ndarray:
        if getattr(self, "_starts_cache", None) is None:
            change = np.flatnonzero(np.diff(self.passage_entry)) + 1
            self._starts_cache = np.concatenate([[0], change]).astype(np.int64)
        return self._starts_cache

    def name_scores(self, query_emb: np.ndarray) -> np.ndarray:
        """Cosine per entry, the max over its name and description passages:
        ``[nq, n_entries]``; -1 for entries without one (and everywhere in an index built
        without name passages)."""
        q = np.atleast_2d(np.asarray(query_emb, dtype=np.float32))
        out = np.full((q.shape[0], len(self.entries)), -1.0, dtype=np.float32)
        owner = self.name_passage_entry
        if self.name_embeddings is None or owner is None or not len(owner):
            return out
        sims = q @ self.name_embeddings.T
        starts = np.flatnonzero(np.diff(owner, prepend=-1))
        out[:, owner[starts]] = np.maximum.reduceat(sims, starts, axis=1)
        return out

    def dense_topk(self, query_emb: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """Top-``k`` entries per query as (entry index, cosine); HNSW when built."""
        q = np.atleast_2d(np.asarray(query_emb, dtype=np.float32))
        k = min(k, len(self.entries))
        if self.ann is None:
            scores = self.dense_scores(q)
            return [_topk_row(row, k) for row in scores]
        # Over-fetch passages so that k distinct entries survive the max-per-entry merge.
        per = self.embeddings.shape[0] / max(1, len(self.entries))
        matches = self.ann.search(q, min(self.embeddings.shape[0], int(k * per * 2) + 8))
        results = []
        for i in range(q.shape[0]):
            m = matches[i] if q.shape[0] > 1 else matches
            best: dict[int, float] = {}
            for key, dist in zip(m.keys.tolist(), m.distances.tolist(), strict=True):
                e = int(self.passage_entry[key])
                s = 1.0 - float(dist)  # usearch "cos" metric returns 1 - cosine
                if s > best.get(e, -2.0):
                    best[e] = s
            results.append(sorted(best.items(), key=lambda t: -t[1])[:k])
        return results


def _topk_row(row: np.ndarray, k: int) -> list[tuple[int, float]]:
    idx = np.argpartition(-row, k - 1)[:k] if k < row.shape[0] else np.arange(row.shape[0])
    idx = idx[np.argsort(-row[idx], kind="stable")]
    return [(int(i), float(row[i])) for i in idx]


def _data_rows(data_dir: str | os.PathLike) -> list[dict]:
    return read_jsonl(DataLayout(data_dir).entries, {"id": str, "abbr": str, "expansion": str})


def data_entries(data_dir: str | os.PathLike) -> list[Entry]:
    """The validated, merged entries of a ``termfit data build`` folder."""
    return [Entry(**{k: r[k] for k in FIELDS if k in r}) for r in _data_rows(data_dir)]


def _inputs(glossary: Sequence[str | os.PathLike] | None, data: str | os.PathLike | None
            ) -> tuple[list[Path], list[Entry], list[dict] | None]:
    """(source paths, entries, the data folder's entry rows or None)."""
    if data is not None and not Path(data).is_dir():
        raise InputError(Problem(str(data), "data folder not found (make one with: termfit "
                                 "data build GLOSSARY --out DIR)"))
    if glossary is None and data is not None:
        rows = _data_rows(data)
        entries = [Entry(**{k: r[k] for k in FIELDS if k in r}) for r in rows]
        return [DataLayout(data).entries], entries, rows
    paths = [Path(p) for p in (glossary or [default_glossary_path()])]
    return paths, load_glossary(paths), None


def resolve_template(data: str | os.PathLike | None, model_path: str | os.PathLike
                     ) -> PassageTemplate:
    """The passage template of the data folder, else of the model folder, else the default."""
    for folder in (data, model_path):
        if folder is not None and Path(folder).is_dir():
            template = read_template(folder)
            if template is not None:
                return template
    return DEFAULT


def build_index(
    out: str | os.PathLike,
    glossary: Sequence[str | os.PathLike] | None = None,
    model: str | os.PathLike | None = None,
    batch_size: int = 64,
    ann_threshold: int = ANN_THRESHOLD,
    show_progress: bool = True,
    data: str | os.PathLike | None = None,
) -> Path:
    """Embed every entry's passages once and write the index folder atomically.

    ``data`` is a ``termfit data build`` folder: its passage template is used and, without
    ``glossary``, its entries. Otherwise the model folder's template (copied there by
    training) or the default one.
    """
    from termfit.models import load_model, resolve_model_path

    paths, entries, rows = _inputs(glossary, data)
    if not entries:
        raise InputError(Problem(", ".join(map(str, paths)), "the glossary has no entries"))
    model_path = resolve_model_path(model)
    template = resolve_template(data, model_path)
    st = load_model(model_path)
    passages, owner = index_passages(entries, template)
    records = [entry_record(e) | extra
               for e, extra in zip(entries, name_fields(entries, rows), strict=True)]
    names, name_owner = index_name_passages(records)

    def embed(texts: list[str]) -> np.ndarray:
        return st.encode(
            texts, prompt_name="passage", batch_size=batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=show_progress,
        ).astype(np.float32).reshape(len(texts), -1)

    emb = embed(passages)
    name_emb = embed(names) if names else np.zeros((0, emb.shape[1]), dtype=np.float32)
    manifest = {
        "format_version": FORMAT_VERSION,
        "termfit_version": __version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "model": str(model) if model is not None else "default",
        "model_path": str(model_path),
        "model_fingerprint": model_fingerprint(model_path),
        "glossary": [str(p) for p in paths],
        "glossary_hash": glossary_hash(entries),
        "n_entries": len(entries),
        "n_passages": len(passages),
        "n_name_passages": len(names),
        "dim": int(emb.shape[1]),
        "passage_prompt": (st.prompts or {}).get("passage", ""),
        "query_prompt": (st.prompts or {}).get("query", ""),
        "passage_template": template.to_dict(),
        "ann": None,
    }
    with atomic_directory(out) as tmp:
        np.save(tmp / "embeddings.npy", emb)
        np.save(tmp / "passage_entry.npy", np.asarray(owner, dtype=np.int32))
        np.save(tmp / NAME_EMBEDDINGS, name_emb)
        np.save(tmp / NAME_OWNERS, np.asarray(name_owner, dtype=np.int32))
        write_jsonl(tmp / "entries.jsonl", records)
        if len(passages) >= ann_threshold:
            manifest["ann"] = _build_ann(emb, tmp / "ann.usearch")
        write_json(tmp / "manifest.json", manifest)
    return Path(out)


def _build_ann(emb: np.ndarray, path: Path) -> dict:
    from usearch.index import Index as UIndex

    params = {"library": "usearch", "metric": "cos", "connectivity": 16,
              "expansion_add": 128, "expansion_search": 64}
    ix = UIndex(ndim=emb.shape[1], metric="cos", dtype="f32", connectivity=16,
                expansion_add=128, expansion_search=64)
    ix.add(np.arange(emb.shape[0], dtype=np.uint64), emb, log="building ANN index")
    ix.save(str(path))
    return params | {"file": path.name}


def load_index(path: str | os.PathLike) -> Index:
    """Load an index folder written by :func:`build_index`, with clear errors."""
    path = Path(path)
    mpath = path / "manifest.json"
    if not mpath.is_file():
        raise InputError(Problem(str(path), "not an index folder (no manifest.json); "
                                 "build one with `termfit index`"))
    manifest = read_json_object(mpath, what="manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise InputError(Problem(str(mpath), f"index format {manifest.get('format_version')} "
                                 f"is not supported (expected {FORMAT_VERSION}); rebuild it"))
    try:
        emb = np.load(path / "embeddings.npy", mmap_mode=None)
        owner = np.load(path / "passage_entry.npy")
    except (OSError, ValueError) as exc:
        raise InputError(Problem(str(path), f"damaged index: {exc}")) from None
    entries = read_jsonl(path / "entries.jsonl")
    missing = [k for k in ("n_passages", "dim", "n_entries", "model", "model_fingerprint")
               if k not in manifest]
    if missing:
        raise InputError(Problem(str(mpath), f"damaged manifest: missing {', '.join(missing)}"))
    expected = np.arange(len(entries))
    if (emb.shape != (manifest["n_passages"], manifest["dim"])
            or len(entries) != manifest["n_entries"] or owner.shape[0] != emb.shape[0]
            or not np.array_equal(np.unique(owner), expected)
            or np.any(np.diff(owner) < 0)):
        raise InputError(Problem(str(path), "damaged index: sizes disagree with manifest.json"))
    ann = None
    if manifest.get("ann"):
        from usearch.index import Index as UIndex

        ann_file = path / manifest["ann"]["file"]
        try:
            ann = UIndex.restore(str(ann_file), view=True)
        except (ValueError, RuntimeError) as exc:
            raise InputError(Problem(str(ann_file), f"damaged index: unreadable ANN file ({exc})")
                             ) from None
        if ann is None:
            raise InputError(Problem(str(ann_file), "damaged index: the ANN file is missing"))
        # usearch declares this setter apart from its getter, which mypy reads as read-only
        ann.expansion_search = manifest["ann"].get("expansion_search", 64)  # type: ignore[misc]
    names, name_owner = _load_names(path, manifest, len(entries))
    return Index(path, manifest, entries, emb.astype(np.float32, copy=False), owner, ann,
                 names, name_owner)


def _load_names(path: Path, manifest: dict, n_entries: int
                ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The name passages of an index folder; (None, None) for an index built before them
    (search then runs without its "names" scorer)."""
    if "n_name_passages" not in manifest:
        logger.info("index %s has no Korean-name passages (built by an older termfit); "
                    "rebuild it with `termfit index` to search Korean names", path)
        return None, None
    try:
        emb = np.load(path / NAME_EMBEDDINGS)
        owner = np.load(path / NAME_OWNERS)
    except (OSError, ValueError) as exc:
        raise InputError(Problem(str(path), f"damaged index: {exc}")) from None
    if (emb.shape[0] != manifest["n_name_passages"] or owner.shape != (emb.shape[0],)
            or (emb.shape[0] and emb.shape[1] != manifest["dim"])
            or np.any(np.diff(owner) < 0) or np.any(owner < 0) or np.any(owner >= n_entries)):
        raise InputError(Problem(str(path), "damaged index: the name passages disagree with "
                                 "manifest.json"))
    return emb.astype(np.float32, copy=False), owner


def check_model(index: Index, model_path: str | os.PathLike) -> None:
    """Refuse a model whose fingerprint differs from the one the index was built with."""
    fp = model_fingerprint(model_path)
    if fp != index.manifest["model_fingerprint"]:
        raise IndexMismatchError(
            f"index {index.path} was built with model {index.manifest['model']!r} "
            f"(fingerprint {index.manifest['model_fingerprint']}), but the model given "
            f"({model_path}) has fingerprint {fp}. Query with the same model, or rebuild "
            f"the index: termfit index --model {model_path} --out {index.path}"
        )
