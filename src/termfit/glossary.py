"""Glossary entries: reading JSONL, CSV/TSV and specification "Abbreviations" clauses,
validating them (every problem reported at once) and merging spelling variants.

One :class:`Entry` is one sense: an abbreviation with two meanings (CP = Control Plane /
Cyclic Prefix) is two entries.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

from termfit.clauses import parse_abbreviation_clause
from termfit.errors import InputError, Problem
from termfit.fileio import decode_lines, jsonl_objects

CATEGORIES = ("technical", "conceptual", "application")
#: The label each category carries in passages, in both label languages.
CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "technical": {"ko": "기술", "en": "Technical"},
    "conceptual": {"ko": "개념", "en": "Conceptual"},
    "application": {"ko": "활용", "en": "Application"},
}
#: Label (lower case) -> its language: {"기술": "ko", "technical": "en", ...}.
LABEL_LANGS: dict[str, str] = {label.lower(): lang for labels in CATEGORY_LABELS.values()
                               for lang, label in labels.items()}
FIELDS = ("id", "abbr", "expansion", "ko", "category", "definition", "sources", "aliases")
LIST_FIELDS = ("ko", "sources", "aliases")
# Extra keys found in real glossary files that are accepted and ignored.
IGNORED_KEYS = frozenset({"origin", "note", "notes", "url", "kind"})
MAX_LEN = {"id": 120, "abbr": 40, "expansion": 300, "ko": 120, "definition": 1000,
           "sources": 300, "aliases": 300}

# Header names understood without a --columns mapping (compared case-insensitively).
DEFAULT_COLUMNS: dict[str, str] = {
    **{f: f for f in FIELDS},
    "abbreviation": "abbr", "acronym": "abbr", "short form": "abbr", "약어": "abbr",
    "expanded": "expansion", "full form": "expansion", "long form": "expansion",
    "term": "expansion", "english": "expansion", "원어": "expansion", "영문": "expansion",
    "korean": "ko", "한국어": "ko", "한글": "ko", "국문": "ko", "용어": "ko",
    "source": "sources", "alias": "aliases", "type": "category", "분류": "category",
    "description": "definition", "설명": "definition", "정의": "definition",
}
IGNORE = "-"  # map a column to "-" to skip it

_CATEGORY_ALIASES = {
    **{labels["ko"]: cat for cat, labels in CATEGORY_LABELS.items()},
    "tech": "technical", "concept": "conceptual", "app": "application",
}


#: A source that is a specification (3GPP/ETSI/ITU/IETF/IEEE/O-RAN documents, RFCs), as
#: opposed to a list of terms: a sense named by specifications is the likelier one in
#: specification text.
SPECIFICATION_SOURCE = re.compile(
    r"^\s*(?:3GPP|ETSI|ITU(?:-[TR])?|IETF|IEEE|O-RAN|oneM2M|ATIS)\b|\bRFC\s*\d+", re.I)


def is_specification_source(source: str) -> bool:
    """Whether a ``sources`` item names a specification ("3GPP TS 38.300", "RFC 8200")."""
    return bool(SPECIFICATION_SOURCE.search(source))


@dataclass
class Entry:
    """One sense of an abbreviation."""

    id: str
    abbr: str
    expansion: str
    ko: list[str] = field(default_factory=list)
    category: str | None = None
    definition: str | None = None
    sources: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # A single string is a one-item list, as in glossary files ("ko": "세션 관리 기능").
        for name in LIST_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, [value.strip()] if value.strip() else [])
            elif value is None:
                setattr(self, name, [])

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Row:
    """A raw row read from a file, before validation (``where`` is "file:line")."""

    data: dict
    source: str
    line: int | None


@dataclass
class MergeReport:
    """What :func:`merge_entries` did: spelling variants merged, and real multi-sense
    abbreviations kept apart."""

    merged: list[dict] = field(default_factory=list)
    senses: dict[str, list[str]] = field(default_factory=dict)
    conflicts: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"merged": self.merged, "senses": self.senses, "conflicts": self.conflicts}

    def summary(self) -> str:
        return (f"{len(self.merged)} spelling variants merged, "
                f"{len(self.senses)} abbreviations with several senses")


def default_glossary_path() -> Path:
    """The starter glossary shipped inside the package."""
    return Path(str(resources.files("termfit").joinpath("data/starter_glossary.jsonl")))


# --------------------------------------------------------------------------- readers

def _decode(path: Path, problems: list[Problem]) -> list[tuple[int, str]] | None:
    """Lines of a UTF-8 glossary file; undecodable lines are reported with their number."""
    return decode_lines(path, problems, "a glossary file")


def read_jsonl_rows(path: Path, problems: list[Problem]) -> list[Row]:
    """Rows of a JSONL glossary (one JSON object per line)."""
    rows = []
    for lineno, obj in jsonl_objects(path, problems, "a glossary file"):
        for key in obj:
            if key not in FIELDS and key not in IGNORED_KEYS:
                problems.append(Problem(str(path), f"unknown field; expected one of "
                                        f"{', '.join(FIELDS)}", lineno, key))
        rows.append(Row({k: v for k, v in obj.items() if k in FIELDS}, str(path), lineno))
    return rows


def parse_columns(spec: str | dict[str, str] | None) -> dict[str, str]:
    """Parse a column mapping "Header=field,Other=field" (or a dict) into header→field.

    Fields are those of :class:`Entry`; "-" ignores a column.
    """
    if not spec:
        return {}
    if isinstance(spec, dict):
        pairs = list(spec.items())
    else:
        pairs = []
        for part in spec.split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise InputError(Problem("--columns", f"expected HEADER=FIELD, got {part!r}"))
            head, _, fld = part.rpartition("=")
            pairs.append((head, fld))
    out = {}
    for head, fld in pairs:
        fld = fld.strip()
        if fld != IGNORE and fld not in FIELDS:
            raise InputError(Problem("--columns", f"unknown field {fld!r} for column "
                                     f"{head.strip()!r}; expected one of {', '.join(FIELDS)} "
                                     "or - to ignore"))
        out[head.strip().lower()] = fld
    return out


def _split_list(value: str) -> list[str]:
    return [v.strip() for v in re.split(r"[;|]", value) if v.strip()]


def read_table_rows(path: Path, problems: list[Problem],
                    columns: dict[str, str] | None = None) -> list[Row]:
    """Rows of a CSV or TSV glossary with a header line.

    Header names are mapped to entry fields by ``columns`` (header→field, see
    :func:`parse_columns`) and then by :data:`DEFAULT_COLUMNS`. List fields (ko, sources,
    aliases) hold several values separated by ";" or "|".
    """
    lines = _decode(path, problems)
    if lines is None:
        return []
    text = "\n".join(t for _, t in lines)
    numbers = [n for n, _ in lines]
    delim = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    if path.suffix.lower() not in (".tsv", ".tab", ".csv"):
        first = lines[0][1] if lines else ""
        delim = "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    mapping = {**DEFAULT_COLUMNS, **(columns or {})}
    try:
        header = next(reader)
    except StopIteration:
        problems.append(Problem(str(path), "empty file; expected a header line"))
        return []
    fields: list[str | None] = []
    for col in header:
        fld = mapping.get(col.strip().lower())
        if fld is None:
            problems.append(Problem(str(path), "unknown column; map it with --columns "
                                    f"'{col.strip()}=FIELD' (FIELD one of {', '.join(FIELDS)} "
                                    "or - to ignore)", numbers[0], col.strip()))
        fields.append(None if fld in (None, IGNORE) else fld)
    if fields and not any(f == "abbr" for f in fields):
        problems.append(Problem(str(path), "no abbreviation column in the header", numbers[0]))
    rows = []
    for rec in reader:
        lineno = numbers[min(reader.line_num - 1, len(numbers) - 1)]
        if not any(c.strip() for c in rec):
            continue
        if len(rec) > len(header):
            problems.append(Problem(str(path), f"{len(rec)} cells but the header has "
                                    f"{len(header)}", lineno))
        data: dict = {}
        for fld, cell in zip(fields, rec, strict=False):
            if fld is None:
                continue
            cell = cell.strip()
            if fld in LIST_FIELDS:
                data.setdefault(fld, []).extend(_split_list(cell))
            elif cell:
                data[fld] = cell
        rows.append(Row(data, str(path), lineno))
    return rows


def read_clause_rows(path: Path, problems: list[Problem]) -> list[Row]:
    """Rows of a plain-text "Abbreviations" clause of a 3GPP or ETSI specification."""
    lines = _decode(path, problems)
    if lines is None:
        return []
    text = "\n".join(t for _, t in lines)
    parsed = [(r.abbr, r.expansion, r.line) for r in parse_abbreviation_clause(text, str(path))]
    if not parsed:
        problems.append(Problem(str(path), "no abbreviation lines found; expected "
                                "'ABBR<tab>Expansion' lines"))
    src = path.name
    return [Row({"abbr": a, "expansion": e, "sources": [src]}, str(path), n)
            for a, e, n in parsed]


def read_rows(path: str | os.PathLike, problems: list[Problem],
              columns: dict[str, str] | None = None) -> list[Row]:
    """Raw rows of one glossary file; the format follows the extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        return read_jsonl_rows(path, problems)
    if suffix in (".csv", ".tsv", ".tab"):
        return read_table_rows(path, problems, columns)
    if suffix in (".txt", ".md", ".text", ""):
        return read_clause_rows(path, problems)
    problems.append(Problem(str(path), f"unknown glossary format {suffix!r}; expected .jsonl, "
                            ".csv, .tsv or a .txt Abbreviations clause"))
    return []


# ------------------------------------------------------------------------ validation

def slug(text: str) -> str:
    """A lower-case id fragment: letters, digits and hyphens."""
    return re.sub(r"[^0-9a-z가-힣]+", "-", text.lower()).strip("-") or "x"


def _str_list(value, row: Row, name: str, problems: list[Problem]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(row.source, "expected a list of strings", row.line, name))
        return []
    return [v.strip() for v in value if v.strip()]


def validate_row(row: Row, problems: list[Problem]) -> Entry | None:
    """Check one raw row; problems go to ``problems``; returns the entry when valid."""
    n = len(problems)
    abbr = _text_field(row, "abbr", True, problems)
    expansion = _text_field(row, "expansion", True, problems)
    ident = _text_field(row, "id", False, problems)
    definition = _text_field(row, "definition", False, problems)
    category = _text_field(row, "category", False, problems)
    if category is not None:
        category = _CATEGORY_ALIASES.get(category.lower(), category.lower())
        if category not in CATEGORIES:
            problems.append(Problem(row.source, f"unknown category {row.data['category']!r}; "
                                    f"expected one of {', '.join(CATEGORIES)}", row.line,
                                    "category"))
    lists = {name: _str_list(row.data.get(name), row, name, problems) for name in LIST_FIELDS}
    _check_lengths(row, {"id": ident, "abbr": abbr, "expansion": expansion,
                         "definition": definition}, lists, problems)
    if len(problems) > n or abbr is None or expansion is None:
        return None
    return Entry(id=ident or "", abbr=abbr, expansion=expansion, ko=lists["ko"],
                 category=category, definition=definition,
                 sources=lists["sources"] or [Path(row.source).name], aliases=lists["aliases"])


def _text_field(row: Row, name: str, required: bool, problems: list[Problem]) -> str | None:
    """The row's ``name`` field with spaces collapsed; None (and a problem if it is
    required or not a string) when it is absent, blank or not a string."""
    value = row.data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            what = {"abbr": "empty abbreviation", "expansion": "missing expansion"}.get(
                name, "missing value")
            problems.append(Problem(row.source, f"{what}; expected a non-empty string",
                                    row.line, name))
        return None
    if not isinstance(value, str):
        problems.append(Problem(row.source, f"expected a string, got "
                                f"{type(value).__name__}", row.line, name))
        return None
    return " ".join(value.split())


def _check_lengths(row: Row, texts: dict[str, str | None], lists: dict[str, list[str]],
                   problems: list[Problem]) -> None:
    for name, value in texts.items():
        if value is not None and len(value) > MAX_LEN[name]:
            problems.append(Problem(row.source, f"over-long field: {len(value)} characters, "
                                    f"at most {MAX_LEN[name]}", row.line, name))
    for name, values in lists.items():
        if any(len(v) > MAX_LEN[name] for v in values):
            problems.append(Problem(row.source, f"over-long value: at most {MAX_LEN[name]} "
                                    "characters per item", row.line, name))


# --------------------------------------------------------------------------- merging

_BRITISH = [  # British → American spellings that occur in telecom texts
    (r"isation", "ization"), (r"ise$", "ize"), (r"ised$", "ized"), (r"ising$", "izing"),
    (r"yse$", "yze"), (r"our$", "or"), (r"ours$", "ors"), (r"tre$", "ter"), (r"tres$", "ters"),
    (r"lling$", "ling"), (r"lled$", "led"), (r"ller$", "ler"), (r"ogue$", "og"),
    (r"ence$", "ense"), (r"mme$", "m"), (r"mmes$", "ms"),
]


def _word_norm(word: str, level: int) -> str:
    if level >= 2 and len(word) > 4:
        for pat, rep in _BRITISH:
            word = re.sub(pat, rep, word)
    if level >= 3 and len(word) > 3 and word.endswith("s") and not word.endswith(
            ("ss", "us", "is")):
        word = word[:-1]
    return word


def normalize(text: str, level: int = 3) -> str:
    """Comparison key: 1 = case, spaces and hyphens; 2 = + British/American; 3 = + plural s."""
    words = re.findall(r"[0-9a-z가-힣]+", text.casefold())
    return "".join(_word_norm(w, level) for w in words)


def variant_kind(a: str, b: str) -> str | None:
    """Why two spellings count as one ("case", "spacing/hyphens", "British/American",
    "plural"), or None when they differ otherwise."""
    if a == b:
        return "identical"
    if a.casefold() == b.casefold():
        return "case"
    for level, name in [(1, "spacing/hyphens"), (2, "British/American"), (3, "plural")]:
        if normalize(a, level) == normalize(b, level):
            return name
    return None


def _key(e: Entry) -> tuple[str, str]:
    return normalize(e.abbr, 1), normalize(e.expansion)


def _add_unique(target: list[str], values: Iterable[str]) -> None:
    for v in values:
        if v not in target:
            target.append(v)


def merge_entries(entries: Sequence[Entry]) -> tuple[list[Entry], MergeReport]:
    """Merge entries that differ only by case, spacing, hyphens, British/American spelling
    or a plural s (in abbreviation or expansion); other spellings become aliases.

    The first entry of a group is kept; Korean names, sources and aliases are united and
    the first non-empty category/definition wins (a different category is a conflict).
    Returns the merged entries (in first-seen order) and a report; entries with the same
    abbreviation but other expansions stay separate senses, listed in ``report.senses``.
    """
    report = MergeReport()
    groups: dict[tuple[str, str], Entry] = {}
    order: list[Entry] = []
    for e in entries:
        key = _key(e)
        kept = groups.get(key)
        if kept is None:
            kept = Entry(**{**asdict(e), "ko": list(e.ko), "sources": list(e.sources),
                            "aliases": list(e.aliases)})
            groups[key] = kept
            order.append(kept)
            continue
        kinds = {variant_kind(kept.abbr, e.abbr), variant_kind(kept.expansion, e.expansion)}
        kinds.discard("identical")
        _add_unique(kept.aliases, [s for s in (e.abbr, e.expansion, *e.aliases)
                                   if s not in (kept.abbr, kept.expansion)])
        _add_unique(kept.ko, e.ko)
        _add_unique(kept.sources, e.sources)
        kept.definition = kept.definition or e.definition
        if e.category and kept.category and e.category != kept.category:
            report.conflicts.append({"id": kept.id, "field": "category", "kept": kept.category,
                                     "other": e.category, "other_id": e.id})
        kept.category = kept.category or e.category
        report.merged.append({
            "kept": {"id": kept.id, "abbr": kept.abbr, "expansion": kept.expansion},
            "merged": {"id": e.id, "abbr": e.abbr, "expansion": e.expansion,
                       "sources": e.sources},
            "kind": sorted(k for k in kinds if k) or ["duplicate"],
        })
    by_abbr: dict[str, list[Entry]] = {}
    for e in order:
        by_abbr.setdefault(normalize(e.abbr, 1), []).append(e)
    for group in by_abbr.values():
        if len(group) > 1:
            report.senses[group[0].abbr] = [e.expansion for e in group]
    return order, report


def assign_ids(entries: list[Entry]) -> None:
    """Give entries without an id a unique slug (abbreviation, plus the expansion for
    abbreviations with several senses); explicit ids are kept."""
    taken = {e.id for e in entries if e.id}
    counts: dict[str, int] = {}
    for e in entries:
        counts[normalize(e.abbr, 1)] = counts.get(normalize(e.abbr, 1), 0) + 1
    for e in entries:
        if e.id:
            continue
        base = slug(e.abbr)
        if counts[normalize(e.abbr, 1)] > 1:
            base = f"{base}-{slug(' '.join(e.expansion.split()[:4]))}"[:80]
        ident, i = base, 2
        while ident in taken:
            ident, i = f"{base}-{i}", i + 1
        taken.add(ident)
        e.id = ident


# ------------------------------------------------------------------------------ API

def read_glossary(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    columns: str | dict[str, str] | None = None,
    default_category: str | None = None,
    merge: bool = True,
) -> tuple[list[Entry], MergeReport]:
    """Read, validate and merge glossary files; raises InputError with every problem.

    ``columns`` maps CSV/TSV header names to entry fields (see :func:`parse_columns`);
    ``default_category`` fills entries without a category.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if default_category is not None and default_category not in CATEGORIES:
        raise InputError(Problem("--default-category", f"unknown category "
                                 f"{default_category!r}; expected one of {', '.join(CATEGORIES)}"))
    mapping = parse_columns(columns)
    problems: list[Problem] = []
    entries: list[Entry] = []
    for path in paths:
        seen_ids: dict[str, int | None] = {}
        for row in read_rows(path, problems, mapping):
            entry = validate_row(row, problems)
            ident = row.data.get("id")
            if isinstance(ident, str) and ident.strip():
                if ident.strip() in seen_ids:
                    problems.append(Problem(row.source, f"duplicate id {ident.strip()!r} (first "
                                            f"at line {seen_ids[ident.strip()]})", row.line, "id"))
                    continue
                seen_ids[ident.strip()] = row.line
            if entry is not None:
                entries.append(entry)
    if not problems and not entries:
        problems.append(Problem(", ".join(str(p) for p in paths), "no glossary entries found"))
    if problems:
        raise InputError(problems)
    report = MergeReport()
    if merge:
        entries, report = merge_entries(entries)
    _dedupe_ids(entries)
    assign_ids(entries)
    if default_category:
        for e in entries:
            e.category = e.category or default_category
    return entries, report


def _dedupe_ids(entries: list[Entry]) -> None:
    """Explicit ids repeated across files (different senses) get a numeric suffix."""
    seen: set[str] = set()
    for e in entries:
        if not e.id:
            continue
        ident, i = e.id, 2
        while ident in seen:
            ident, i = f"{e.id}-{i}", i + 1
        e.id = ident
        seen.add(ident)


def load_glossary(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    columns: str | dict[str, str] | None = None,
    default_category: str | None = None,
    merge: bool = True,
) -> list[Entry]:
    """Read, validate and merge glossary files into entries (see :func:`read_glossary`)."""
    return read_glossary(paths, columns=columns, default_category=default_category,
                         merge=merge)[0]
