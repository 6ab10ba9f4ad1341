"""Build training and evaluation data from a glossary: splits, pairs, corpus, statistics.

Output directory (written atomically, all or nothing):

- ``train.jsonl``: anchor ("query: ..."), positive ("passage: ..."), negative_echo (the
  passage that merely repeats the query's own term), entry_id, lang, direction, template,
  and for comparison queries other_entry_id (the query has one row per compared term);
- ``corpus.jsonl``: id, text (no prefix), entry_id, kind ("abbr"|"expansion"), label_lang;
- ``queries-heldout-terms.jsonl``, ``queries-heldout-phrasings.jsonl``, ``queries-dev.jsonl``:
  id, text (no prefix), relevant (corpus ids), entry_id, lang, direction, template, ambiguous;
- ``entries.jsonl`` (validated, merged glossary), ``merge_report.json``, ``templates.json``,
  ``stats.json``, ``data_card.json``, ``passages.json`` (the passage template, read by
  ``termfit index --data``).

File names: :mod:`termfit.layout`; passages: :mod:`termfit.passages`.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import cast

from tqdm.auto import tqdm

from termfit.errors import InputError, Problem
from termfit.evalguard import drop_leaking_rows, normalize_query
from termfit.fileio import atomic_directory, read_json_object, write_json, write_jsonl
from termfit.glossary import Entry, MergeReport, normalize, read_glossary
from termfit.layout import QUERY_SPLITS, SPLITS, DataLayout
from termfit.namerows import NameSettings, add_name_data
from termfit.pairs import (
    GROUPS,
    TEMPLATES,
    Query,
    Template,
    generate_queries,
    lookalike_index,
    query_label_lang,
    templates_by_group,
)
from termfit.passages import (
    DEFAULT_TEMPLATE,
    DEFAULT_UNLABELED_TEMPLATE,
    PassageTemplate,
    corpus_rows,
    write_template,
)
from termfit.prompts import PASSAGE_PROMPT, QUERY_PROMPT
from termfit.realtext import (
    REALTEXT_SPLITS,
    ContextConfig,
    add_context_data,
    load_korean_questions,
)
from termfit.usage import UsageSentence

# Default share of each (lang, direction) in an entry's training queries; ko+mixed ≈ en.
DEFAULT_WEIGHTS = {
    "en/abbr2exp": 10, "en/exp2abbr": 6, "ko/abbr2exp": 8, "ko/exp2abbr": 3,
    "mixed/abbr2exp": 2, "mixed/exp2abbr": 3,
}
# Where a group's unfilled quota goes (e.g. no Korean name → mixed exp→abbr queries).
_FALLBACK = {
    ("ko", "exp2abbr"): ("mixed", "exp2abbr"),
    ("mixed", "exp2abbr"): ("en", "exp2abbr"),
    ("en", "exp2abbr"): ("mixed", "abbr2exp"),
    ("mixed", "abbr2exp"): ("ko", "abbr2exp"),
    ("ko", "abbr2exp"): ("en", "abbr2exp"),
}
_FILL_ORDER = [("ko", "exp2abbr"), ("mixed", "exp2abbr"), ("en", "exp2abbr"),
               ("mixed", "abbr2exp"), ("ko", "abbr2exp"), ("en", "abbr2exp")]


@dataclass
class BuildConfig:
    """Options of :func:`build_dataset` (all have working defaults)."""

    pairs_per_entry: int = 32
    weights: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    heldout_terms_fraction: float = 0.10
    heldout_template_fraction: float = 0.2
    heldout_terms_queries_per_entry: int = 6
    heldout_phrasings_per_entry: int = 2
    max_heldout_phrasings: int = 3000
    max_dev_queries: int = 1000
    passage_template: str = DEFAULT_TEMPLATE
    no_label_passage_template: str = DEFAULT_UNLABELED_TEMPLATE
    default_category: str | None = None
    surface_variants: bool = True
    token_stats: bool = True
    # Korean-name and description rows (termfit.namerows)
    generated_ko_names: bool = True
    name_rows_per_entry: int = 4
    description_rows_per_entry: int = 3
    max_name_heldout_phrasings: int = 600
    definitions_from: list[str] = field(default_factory=list)

    @property
    def names(self) -> NameSettings:
        """The Korean-name and description row settings (:mod:`termfit.namerows`)."""
        return NameSettings(self.generated_ko_names, self.name_rows_per_entry,
                            self.description_rows_per_entry, self.heldout_template_fraction,
                            self.max_name_heldout_phrasings, list(self.definitions_from),
                            self.surface_variants)

    @property
    def passages(self) -> PassageTemplate:
        """The passage template (:mod:`termfit.passages`)."""
        return PassageTemplate(self.passage_template, self.no_label_passage_template)

    def check(self) -> None:
        problems = self.passages.problems()
        if not 0 <= self.heldout_terms_fraction < 1:
            problems.append(Problem("heldout_terms_fraction", "expected a number in [0, 1)"))
        if not 0 < self.heldout_template_fraction < 1:
            problems.append(Problem("heldout_template_fraction", "expected a number in (0, 1)"))
        if self.pairs_per_entry < 1:
            problems.append(Problem("pairs_per_entry", "expected a positive integer"))
        for name in ("max_heldout_phrasings", "max_dev_queries", "name_rows_per_entry",
                     "description_rows_per_entry", "max_name_heldout_phrasings"):
            if getattr(self, name) < 0:
                problems.append(Problem(name, "expected an integer >= 0"))
        bad = set(self.weights) - set(DEFAULT_WEIGHTS)
        if bad:
            problems.append(Problem("weights", f"unknown groups {sorted(bad)}; expected "
                                    f"{', '.join(DEFAULT_WEIGHTS)}"))
        if problems:
            raise InputError(problems)


@dataclass
class BuildResult:
    """What :func:`build_dataset` wrote."""

    out_dir: Path
    counts: dict[str, int]
    stats: dict
    merge_report: MergeReport
    files: dict[str, Path]


# ----------------------------------------------------------------------------- splits

def split_heldout_terms(entries: Sequence[Entry], fraction: float,
                        seed: int) -> tuple[list[Entry], list[Entry]]:
    """(train, held-out) entries; all senses of an abbreviation, and all abbreviations of
    one expansion, fall on the same side."""
    parent = list(range(len(entries)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, str], int] = {}
    for i, e in enumerate(entries):
        for key in (("a", normalize(e.abbr, 1)), ("e", normalize(e.expansion))):
            if key in first:
                parent[find(i)] = find(first[key])
            else:
                first[key] = i
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(entries)):
        groups[find(i)].append(i)
    order = sorted(groups.values(), key=lambda g: entries[g[0]].id)
    random.Random(seed).shuffle(order)
    target = round(fraction * len(entries))
    held: set[int] = set()
    for g in order:
        if len(held) >= target:
            break
        held.update(g)
    train = [e for i, e in enumerate(entries) if i not in held]
    return train, [e for i, e in enumerate(entries) if i in held]


def split_templates(templates: Sequence[Template], fraction: float,
                    seed: int) -> tuple[list[Template], list[Template]]:
    """(training, held-out) templates: ``fraction`` of each (lang, direction), at least one."""
    rng = random.Random(seed + 1)
    train, held = [], []
    for group in templates_by_group(templates).values():
        group = list(group)
        rng.shuffle(group)
        n = max(1, round(fraction * len(group))) if len(group) > 1 else 0
        held += group[:n]
        train += group[n:]
    key = {t.id: i for i, t in enumerate(templates)}
    return sorted(train, key=lambda t: key[t.id]), sorted(held, key=lambda t: key[t.id])


# ------------------------------------------------------------------------------ corpus

def build_corpus(entries: Sequence[Entry], config: BuildConfig) -> list[dict]:
    """``corpus.jsonl`` rows: the passages of every entry (:func:`termfit.passages.corpus_rows`)."""
    return corpus_rows(entries, config.passages)


class _Answers:
    """Looks up which corpus passages answer a query."""

    def __init__(self, entries: Sequence[Entry], corpus: list[dict]):
        self.by_abbr: dict[str, list[Entry]] = defaultdict(list)
        self.by_exp: dict[str, list[Entry]] = defaultdict(list)
        for e in entries:
            self.by_abbr[normalize(e.abbr, 1)].append(e)
            self.by_exp[normalize(e.expansion)].append(e)
        self.passages: dict[tuple[str, str], list[dict]] = defaultdict(list)
        self.by_text: dict[str, list[str]] = defaultdict(list)
        for row in corpus:
            self.passages[(row["entry_id"], row["kind"])].append(row)
            self.by_text[row["text"]].append(row["id"])

    def ambiguous(self, e: Entry) -> bool:
        return len(self.by_abbr[normalize(e.abbr, 1)]) > 1

    def answer_entries(self, e: Entry, direction: str, picks_sense: bool) -> list[Entry]:
        if direction == "abbr2exp" and not picks_sense:
            found = list(self.by_abbr[normalize(e.abbr, 1)])
        else:
            found = [e]
        for x in list(found):  # an expansion shared by two entries: both answer
            found += self.by_exp[normalize(x.expansion)]
        return found

    def relevant(self, q: Query) -> list[str]:
        kind = "expansion" if q.direction == "abbr2exp" else "abbr"
        entries = self.answer_entries(q.entry, q.direction, q.template.picks_sense)
        if q.other is not None:
            entries += self.answer_entries(q.other, q.direction, q.template.picks_sense)
        out: list[str] = []
        for x in entries:
            for row in self.passages[(x.id, kind)]:
                for pid in self.by_text[row["text"]]:  # identical passages answer too
                    if pid not in out:
                        out.append(pid)
        return out

    def passage(self, e: Entry, kind: str, lang: str) -> str:
        rows = self.passages[(e.id, kind)]
        want = query_label_lang(lang)
        for row in rows:
            if row["label_lang"] in (want, None):
                return row["text"]
        return rows[0]["text"]


def _quotas(config: BuildConfig) -> dict[tuple[str, str], int]:
    total = sum(config.weights.values()) or 1
    quotas = {g: int(config.pairs_per_entry * config.weights.get(f"{g[0]}/{g[1]}", 0) / total)
              for g in GROUPS}
    quotas[("en", "abbr2exp")] += config.pairs_per_entry - sum(quotas.values())
    return quotas


# ------------------------------------------------------------------------------- build

def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _query_row(qid: str, q: Query, answers: _Answers) -> dict:
    return {
        "id": qid, "text": q.text, "relevant": answers.relevant(q), "entry_id": q.entry.id,
        "lang": q.lang, "direction": q.direction, "template": q.template.id,
        "ambiguous": answers.ambiguous(q.entry),
    }


def generate(entries: list[Entry], seed: int, config: BuildConfig,
             progress: bool = True) -> dict[str, list[dict]]:
    """All output rows (train, corpus, query splits, entries, templates) in memory."""
    config.check()
    train_entries, held_entries = split_heldout_terms(entries, config.heldout_terms_fraction,
                                                      seed)
    train_tpl, held_tpl = split_templates(TEMPLATES, config.heldout_template_fraction, seed)
    train_groups = templates_by_group(train_tpl)
    held_groups = templates_by_group(held_tpl)
    corpus = build_corpus(entries, config)
    answers = _Answers(entries, corpus)
    quotas = _quotas(config)
    others_train = lookalike_index(train_entries)
    others_all = lookalike_index(entries)

    train: list[dict] = []
    used: dict[str, set[str]] = {}
    seen_pairs: set[tuple[str, str]] = set()
    for e in tqdm(train_entries, desc="training pairs", unit="entry", disable=not progress):
        rng = random.Random(f"{seed}/train/{e.id}")
        deficit: dict[tuple[str, str], int] = defaultdict(int)
        used[e.id] = set()
        for group in _FILL_ORDER:
            want = quotas[group] + deficit[group]
            qs = generate_queries(e, train_groups[group], want, rng, others_train,
                                  config.surface_variants)
            if len(qs) < want and group in _FALLBACK:
                deficit[_FALLBACK[group]] += want - len(qs)
            for q in qs:
                used[e.id].add(q.template.id)
                answer_kind, echo_kind = (("expansion", "abbr") if q.direction == "abbr2exp"
                                          else ("abbr", "expansion"))
                anchor = QUERY_PROMPT + q.text
                # A comparison asks about both terms: one row per term, each naming the
                # other so that neither is ever a negative of the query.
                targets = [(e, q.other)] if q.other is None else [(e, q.other), (q.other, e)]
                for target, other in targets:
                    positive = PASSAGE_PROMPT + answers.passage(target, answer_kind, q.lang)
                    if (anchor, positive) in seen_pairs:
                        continue
                    seen_pairs.add((anchor, positive))
                    row = {
                        "anchor": anchor, "positive": positive,
                        "negative_echo": PASSAGE_PROMPT + answers.passage(target, echo_kind,
                                                                          q.lang),
                        "entry_id": target.id, "lang": q.lang, "direction": q.direction,
                        "template": q.template.id,
                    }
                    if other is not None:
                        row["other_entry_id"] = other.id
                    train.append(row)
    train_texts = {normalize_query(r["anchor"][len(QUERY_PROMPT):]) for r in train}

    def query_split(name: str, items: list[Query], limit: int | None) -> list[dict]:
        rows, seen = [], set()
        for q in items:
            key = normalize_query(q.text)
            if key in train_texts or key in seen:
                continue
            seen.add(key)
            rows.append(q)
        if limit is not None and len(rows) > limit:
            rng = random.Random(f"{seed}/{name}/sample")
            keep = set(rng.sample(range(len(rows)), limit))
            rows = [q for i, q in enumerate(rows) if i in keep]
        return [_query_row(f"{name}-{i:05d}", q, answers) for i, q in enumerate(rows)]

    # held-out terms: every template, spread over languages and directions
    ht_items: list[Query] = []
    all_groups = templates_by_group(TEMPLATES)
    ht_quota = {("en", "abbr2exp"): 2, ("en", "exp2abbr"): 1, ("ko", "abbr2exp"): 1,
                ("ko", "exp2abbr"): 1, ("mixed", "abbr2exp"): 1, ("mixed", "exp2abbr"): 1}
    scale = config.heldout_terms_queries_per_entry / sum(ht_quota.values())
    for e in held_entries:
        rng = random.Random(f"{seed}/heldout-terms/{e.id}")
        for group, n in ht_quota.items():
            n = max(1, round(n * scale)) if n else 0
            ht_items += generate_queries(e, all_groups[group], n, rng, others_all,
                                         config.surface_variants)
    # held-out phrasings: held-out templates on training entries
    hp_items: list[Query] = []
    dev_items: list[Query] = []
    for e in train_entries:
        rng = random.Random(f"{seed}/heldout-phrasings/{e.id}")
        groups = rng.sample(GROUPS, len(GROUPS))
        got = 0
        for group in groups:
            if got >= config.heldout_phrasings_per_entry:
                break
            qs = generate_queries(e, held_groups[group], 1, rng, others_all,
                                  config.surface_variants)
            hp_items += qs
            got += len(qs)
        # dev: training templates this entry did not use in train.jsonl
        drng = random.Random(f"{seed}/dev/{e.id}")
        group = drng.choice(GROUPS)
        dev_items += generate_queries(e, train_groups[group], 1, drng, others_all,
                                      config.surface_variants, exclude=used.get(e.id))
    return {
        "train": train,
        "corpus": corpus,
        "heldout-terms": query_split("heldout-terms", ht_items, None),
        "heldout-phrasings": query_split("heldout-phrasings", hp_items,
                                         config.max_heldout_phrasings),
        "dev": query_split("dev", dev_items, config.max_dev_queries),
        "entries": _entry_rows(entries, held_entries),
        "templates": [asdict(t) | {"split": "train" if t in train_tpl else "heldout"}
                      for t in TEMPLATES],
    }


def _entry_rows(entries: list[Entry], held: list[Entry]) -> list[dict]:
    held_ids = {e.id for e in held}
    return [e.to_dict() | {"split": "heldout-terms" if e.id in held_ids else "train"}
            for e in entries]


# ------------------------------------------------------------------------------ stats

def compute_stats(data: dict[str, list[dict]], token_stats: bool = True) -> dict:
    """Counts by split, language and direction; token lengths per column."""
    counts: dict[str, dict] = {}
    for name in ("train", *QUERY_SPLITS):
        rows = data[name]
        by = Counter((r["lang"], r["direction"]) for r in rows)
        counts[name] = {
            "total": len(rows),
            "by_lang": dict(sorted(Counter(r["lang"] for r in rows).items())),
            "by_direction": dict(sorted(Counter(r["direction"] for r in rows).items())),
            "by_lang_direction": {f"{k[0]}/{k[1]}": v for k, v in sorted(by.items())},
            "templates": len({r["template"] for r in rows}),
        }
        if name != "train":
            counts[name]["ambiguous"] = sum(r["ambiguous"] for r in rows)
    counts["corpus"] = {"total": len(data["corpus"])}
    counts["entries"] = {
        "total": len(data["entries"]),
        "heldout_terms": sum(r["split"] == "heldout-terms" for r in data["entries"]),
        "with_ko": sum(bool(r["ko"]) for r in data["entries"]),
        "with_ko_generated_name": sum("ko_generated_name" in r for r in data["entries"]),
        "with_category": sum(bool(r["category"]) for r in data["entries"]),
        "with_definition": sum(bool(r["definition"]) for r in data["entries"]),
    }
    stats: dict = {"counts": counts, "tokens": {}}
    if token_stats:
        tok = _tokenizer()
        if tok is not None:
            columns = {
                "train.anchor": [r["anchor"] for r in data["train"]],
                "train.positive": [r["positive"] for r in data["train"]],
                "train.negative_echo": [r["negative_echo"] for r in data["train"]],
                "corpus.text": [PASSAGE_PROMPT + r["text"] for r in data["corpus"]],
            }
            for name in QUERY_SPLITS:
                columns[f"{name}.text"] = [QUERY_PROMPT + r["text"] for r in data[name]]
            cache: dict[str, int] = {}
            for col, texts in columns.items():
                if not texts:
                    continue
                todo = list(dict.fromkeys(t for t in texts if t not in cache))
                for start in range(0, len(todo), 4096):
                    chunk = todo[start:start + 4096]
                    for text, enc in zip(chunk, tok.encode_batch(chunk), strict=True):
                        cache[text] = len(enc.ids)
                lengths = [cache[t] for t in texts]
                stats["tokens"][col] = {"min": min(lengths), "mean": round(
                    sum(lengths) / len(lengths), 2), "max": max(lengths)}
    return stats


def _tokenizer():
    """The default model's tokenizer (the ``tokenizers`` library on its tokenizer.json, no
    weights; lighter to import than transformers), or None if unavailable."""
    try:
        from tokenizers import Tokenizer

        from termfit.base_model import tokenizer_json_path

        tok = Tokenizer.from_file(str(tokenizer_json_path()))
        tok.no_truncation()
        tok.no_padding()
        return tok
    except Exception:  # noqa: BLE001 - statistics are optional
        return None


def format_stats(stats: dict) -> str:
    """Markdown tables like the seed card's: counts and token lengths."""
    c = stats["counts"]
    groups = [f"{lang}/{d}" for lang in ("en", "ko", "mixed") for d in ("abbr2exp", "exp2abbr")]
    groups += sorted({g for name in ("train", *QUERY_SPLITS)  # e.g. ko/name2exp (namerows)
                      for g in c[name]["by_lang_direction"]} - set(groups))
    head = "| split | total | " + " | ".join(groups) + " |"
    lines = [head, "|" + "|".join([":--"] + ["--:"] * (len(groups) + 1)) + "|"]
    for name in ("train", *QUERY_SPLITS):
        by = c[name]["by_lang_direction"]
        lines.append(f"| {name} | {c[name]['total']:,} | "
                     + " | ".join(f"{by.get(g, 0):,}" for g in groups) + " |")
    e = c["entries"]
    lines.append("")
    lines.append(f"entries: {e['total']:,} ({e['heldout_terms']:,} held-out terms, "
                 f"{e['with_ko']:,} with Korean names, "
                 f"{e.get('with_ko_generated_name', 0):,} with generated Korean names, "
                 f"{e['with_category']:,} with a category, "
                 f"{e['with_definition']:,} with a definition); corpus passages: "
                 f"{c['corpus']['total']:,}; templates used in train: {c['train']['templates']}")
    if stats.get("tokens"):
        lines += ["", "| column | type | details |", "|:--|:--|:--|"]
        for col, t in stats["tokens"].items():
            lines.append(f"| {col} | string | min: {t['min']} tokens, mean: {t['mean']} tokens, "
                         f"max: {t['max']} tokens |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------- API

def build_dataset(
    glossary: str | os.PathLike | Sequence[str | os.PathLike] | Sequence[Entry],
    out_dir: str | os.PathLike,
    seed: int = 42,
    config: BuildConfig | None = None,
    *,
    columns: str | dict[str, str] | None = None,
    progress: bool = True,
    contexts: Sequence[UsageSentence] | None = None,
    context_config: ContextConfig | None = None,
) -> BuildResult:
    """Validate the glossary, generate pairs and evaluation queries, and write ``out_dir``.

    ``glossary`` is one or more files (JSONL, CSV/TSV, clause .txt) or a list of
    :class:`~termfit.glossary.Entry`. ``contexts``: usage sentences of real documents,
    split by document into context training rows and the ``realtext-dev``/``realtext-test``
    query splits (:mod:`termfit.realtext`). Raises InputError (nothing written) on bad input.
    """
    config = config or BuildConfig()
    config.check()
    inputs: list[dict] = []
    if isinstance(glossary, (str, os.PathLike)):
        glossary = [glossary]
    items = list(glossary)
    if items and all(isinstance(x, Entry) for x in items):
        from termfit.glossary import assign_ids, merge_entries

        entries, report = merge_entries(items)  # type: ignore[arg-type]
        assign_ids(entries)
        if config.default_category:
            for e in entries:
                e.category = e.category or config.default_category
        inputs.append({"source": "entries", "entries": len(items)})
    else:
        paths = [Path(cast("str | os.PathLike[str]", x)) for x in items]  # not Entry: see above
        entries, report = read_glossary(paths, columns=columns,
                                        default_category=config.default_category)
        inputs = [{"path": str(x), "sha256": _file_sha256(p)}
                  for x, p in zip(items, paths, strict=True)]
    data = generate(entries, seed, config, progress)
    names_card = add_name_data(data, entries, config.names, seed)
    context_card = (add_context_data(data, entries, contexts, context_config, seed)
                    if contexts is not None else None)
    data["train"], guard = drop_leaking_rows(
        data["train"], [q["question"] for q in load_korean_questions()], QUERY_PROMPT)
    if not data["train"]:
        raise InputError(Problem("glossary", "no training pairs could be generated"))
    stats = compute_stats(data, config.token_stats)
    counts = {k: len(v) for k, v in data.items()}
    card = {
        "inputs": inputs, "seed": seed, "config": asdict(config), "counts": counts,
        "merge": report.summary(), "names": names_card, "eval_guard": guard.to_dict(),
        "templates": {
            "total": len(TEMPLATES),
            "by_lang": dict(Counter(t.lang for t in TEMPLATES)),
        },
    }
    if context_card is not None:
        card["realtext"] = context_card
    out = Path(out_dir)
    with atomic_directory(out) as tmp:
        lay = DataLayout(tmp)
        for name in SPLITS:
            write_jsonl(lay.split(name), data[name])
        write_json(lay.templates, data["templates"])
        write_json(lay.merge_report, report.to_dict())
        write_json(lay.stats, stats)
        write_json(lay.data_card, card)
        write_template(tmp, config.passages)
        for name in REALTEXT_SPLITS if context_card is not None else ():
            write_jsonl(lay.queries(name), data[name])
    return BuildResult(out, counts, stats, report,
                       {k: DataLayout(out).split(k) for k in SPLITS})


def split_path(data_dir: str | os.PathLike, name: str) -> Path:
    """File of split ``name`` (train, corpus, entries, heldout-terms, heldout-phrasings, dev)."""
    short = name.removeprefix("queries-").removesuffix(".jsonl")
    if short not in SPLITS:
        raise InputError(Problem(str(name), f"unknown split; expected one of {', '.join(SPLITS)}"))
    path = DataLayout(data_dir).split(short)
    if not path.is_file():
        raise InputError(Problem(str(path), "file not found; run `termfit data build` first"))
    return path


def load_split(data_dir: str | os.PathLike, name: str):
    """Load one split of a built data directory as a Hugging Face ``datasets.Dataset``."""
    from datasets import load_dataset

    return load_dataset("json", data_files=str(split_path(data_dir, name)), split="train")


def read_stats(data_dir: str | os.PathLike) -> dict:
    """The ``stats.json`` of a built data directory."""
    return read_json_object(DataLayout(data_dir).stats, what="statistics",
                            missing="is this a `termfit data build` output folder?")
