"""What an entry's passages are: the one definition that data build (corpus, training
positives), evaluation, the search index and the searcher's acronym scorer all use.

An entry has an abbreviation passage and an expansion passage in each label language
("AMF (기술)", "AMF (Technical)", "Access and Mobility Management Function (기술)", ...);
an entry without a category has one unlabeled passage of each ("RLF", "Radio Link
Failure"). Korean names are not corpus passages: they are query text in training. The
search index alone also embeds an entry's Korean names and description as "name passages"
(:func:`name_passages`, kinds :data:`NAME_KINDS`); the corpus stays as it is.

The template is recorded as ``passages.json`` in a data folder (and in a model folder
trained on it), so that ``termfit index`` writes the passages the model was trained on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from termfit.errors import InputError, Problem
from termfit.fileio import read_json_object
from termfit.glossary import CATEGORY_LABELS
from termfit.layout import PASSAGES

#: File that records the passage template in a data or model folder.
TEMPLATE_FILE = PASSAGES
DEFAULT_TEMPLATE = "{term} ({label})"
DEFAULT_UNLABELED_TEMPLATE = "{term}"
#: Passage kinds, in order.
KINDS = ("abbr", "expansion")
#: Label languages of an entry with a category, in order.
LABEL_LANGS = ("ko", "en")


@dataclass(frozen=True)
class PassageTemplate:
    """How a term and its category label become a passage text."""

    labeled: str = DEFAULT_TEMPLATE
    unlabeled: str = DEFAULT_UNLABELED_TEMPLATE

    def problems(self) -> list[Problem]:
        """What is wrong with the template (empty when it is usable)."""
        out = []
        if "{term}" not in self.labeled or "{label}" not in self.labeled:
            out.append(Problem("passage_template", "must contain {term} and {label}"))
        if "{term}" not in self.unlabeled:
            out.append(Problem("no_label_passage_template", "must contain {term}"))
        return out

    def render(self, term: str, label: str | None) -> str:
        """A passage for ``term`` ("AAL2 (기술)"; "AAL2" without a label)."""
        if label is None:
            return self.unlabeled.format(term=term)
        return self.labeled.format(term=term, label=label)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


DEFAULT = PassageTemplate()


@dataclass(frozen=True)
class Passage:
    """One passage of one entry (a row of ``corpus.jsonl``)."""

    id: str
    text: str
    entry_id: str
    kind: str  # "abbr" | "expansion" (corpus); "ko_name" | "description" (search only)
    label_lang: str | None  # "ko" | "en" | None (entry without a category)

    def to_dict(self) -> dict:
        return asdict(self)


def _field(entry: Any, name: str) -> Any:
    return entry.get(name) if isinstance(entry, Mapping) else getattr(entry, name, None)


def category_label(category: str | None, label_lang: str) -> str | None:
    """The category label in ``label_lang`` ("ko" or "en"), or None without a category."""
    labels = CATEGORY_LABELS.get(category or "")
    return labels[label_lang] if labels else None


def entry_passages(entry: Any, template: PassageTemplate = DEFAULT) -> list[Passage]:
    """The passages of one entry (an :class:`~termfit.glossary.Entry` or an
    ``entries.jsonl`` row): abbreviation and expansion, each in both label languages (one
    unlabeled passage each when the entry has no category)."""
    eid = str(_field(entry, "id") or _field(entry, "abbr"))
    category = _field(entry, "category")
    langs: tuple[str | None, ...] = LABEL_LANGS if category in CATEGORY_LABELS else (None,)
    out = []
    for kind in KINDS:
        term = str(_field(entry, kind) or "").strip()
        for ll in langs:
            label = category_label(category, ll) if ll else None
            out.append(Passage(f"{eid}/{kind}" + (f"/{ll}" if ll else ""),
                               template.render(term, label), eid, kind, ll))
    return out


def passage_texts(entry: Any, template: PassageTemplate = DEFAULT) -> list[str]:
    """The texts of :func:`entry_passages`."""
    return [p.text for p in entry_passages(entry, template)]


def corpus_rows(entries: Iterable[Any], template: PassageTemplate = DEFAULT) -> list[dict]:
    """``corpus.jsonl`` rows: every passage of every entry."""
    return [p.to_dict() for e in entries for p in entry_passages(e, template)]


# --- the template file --------------------------------------------------------------------
def write_template(folder: str | os.PathLike, template: PassageTemplate) -> Path:
    """Record ``template`` as ``folder/passages.json`` (the folder is being written)."""
    path = Path(folder) / TEMPLATE_FILE
    path.write_text(json.dumps(template.to_dict(), ensure_ascii=False, indent=2) + "\n",
                    encoding="utf-8")
    return path


def read_template(folder: str | os.PathLike) -> PassageTemplate | None:
    """The template recorded in a data or model folder, or None when it records none."""
    path = Path(folder) / TEMPLATE_FILE
    if not path.is_file():
        return None
    data = read_json_object(path)
    bad = set(data) - {"labeled", "unlabeled"}
    if bad or not all(isinstance(v, str) for v in data.values()):
        raise InputError(Problem(str(path), "expected an object with the string fields "
                                 "labeled and unlabeled"))
    template = PassageTemplate(**data)
    if template.problems():
        raise InputError([Problem(str(path), p.message, field=p.source)
                          for p in template.problems()])
    return template


# --- Korean-name and description passages (search only) -----------------------------------
#: Kinds of the search index's name passages; the training corpus never holds them.
NAME_KINDS = ("ko_name", "description")
#: ``entries.jsonl`` keys (data and index folders) of generated Korean names: the name
#: composed by :mod:`termfit.ko_names` and the loanword reading (both marked generated).
GENERATED_NAME_KEYS = ("ko_generated_name", "ko_loanword_name")
#: The index row key of an entry's description (glossary or mined definition).
DESCRIPTION_KEY = "description"


def korean_names(entry: Any) -> list[tuple[str, bool]]:
    """(name, generated) of every Korean name of an entry (an :class:`~termfit.glossary.Entry`
    or an ``entries.jsonl`` row): the curated ``ko`` names, then the generated ones."""
    out: list[tuple[str, bool]] = []
    seen: set[str] = set()
    curated = [(str(n), False) for n in (_field(entry, "ko") or [])]
    generated = [(str(_field(entry, k)), True) for k in GENERATED_NAME_KEYS if _field(entry, k)]
    for name, gen in curated + generated:
        name = " ".join(name.split())
        if name and name not in seen:
            seen.add(name)
            out.append((name, gen))
    return out


def entry_description(entry: Any) -> str | None:
    """An entry's description: the index row's ``description``, else the glossary
    ``definition``, else a data folder's ``mined_definition`` text; None without one."""
    for value in (_field(entry, DESCRIPTION_KEY), _field(entry, "definition"),
                  (_field(entry, "mined_definition") or {}).get("text")
                  if isinstance(_field(entry, "mined_definition"), Mapping) else None):
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


def name_passages(entry: Any) -> list[Passage]:
    """An entry's Korean-name passages (kind "ko_name", one per name of
    :func:`korean_names`) and its description passage (kind "description"), for search.
    The passage text is the name or description alone."""
    eid = str(_field(entry, "id") or _field(entry, "abbr"))
    out = [Passage(f"{eid}/ko_name/{i}", name, eid, "ko_name", None)
           for i, (name, _) in enumerate(korean_names(entry))]
    description = entry_description(entry)
    if description:
        out.append(Passage(f"{eid}/description", description, eid, "description", None))
    return out
