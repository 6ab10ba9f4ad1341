"""Checks on the data files shipped inside the package: the starter glossary and readings."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from importlib import resources

import pytest

DATA = resources.files("termfit") / "data"
CATEGORIES = {"technical", "conceptual", "application"}
REQUIRED = ("id", "abbr", "expansion", "ko", "category", "definition", "sources")
HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")
ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@pytest.fixture(scope="module")
def entries() -> list[dict]:
    text = (DATA / "starter_glossary.jsonl").read_text(encoding="utf-8")
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        assert line.strip(), f"blank line {n}"
        row = json.loads(line)
        assert isinstance(row, dict), f"line {n} is not an object"
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def readings() -> dict[str, str]:
    text = (DATA / "en_ko_readings.tsv").read_text(encoding="utf-8")
    reader = csv.reader(text.splitlines(), delimiter="\t")
    assert next(reader) == ["word", "reading"]
    out: dict[str, str] = {}
    for n, row in enumerate(reader, 2):
        assert len(row) == 2, f"line {n}: expected 2 columns, got {row!r}"
        word, reading = row
        assert word not in out, f"line {n}: duplicate word {word!r}"
        out[word] = reading
    return out


def test_size_and_required_fields(entries):
    assert len(entries) >= 500
    for e in entries:
        for field in REQUIRED:
            assert e.get(field), f"{e.get('id')}: empty {field}"
        assert isinstance(e["ko"], list) and all(isinstance(k, str) and k for k in e["ko"])
        assert isinstance(e["sources"], list)


def test_categories_valid_and_all_used(entries):
    counts = Counter(e["category"] for e in entries)
    assert set(counts) == CATEGORIES, counts


def test_ids_unique_lowercase_slugs(entries):
    ids = [e["id"] for e in entries]
    dupes = [i for i, c in Counter(ids).items() if c > 1]
    assert not dupes, dupes
    bad = [i for i in ids if not ID_RE.fullmatch(i)]
    assert not bad, bad


def test_one_entry_per_sense(entries):
    senses = Counter((e["abbr"].lower(), e["expansion"].lower()) for e in entries)
    assert not [s for s, c in senses.items() if c > 1]


def test_many_abbreviations_have_several_senses(entries):
    by_abbr: dict[str, set[str]] = defaultdict(set)
    for e in entries:
        by_abbr[e["abbr"].upper()].add(e["expansion"].lower())
    multi = {a for a, s in by_abbr.items() if len(s) >= 2}
    assert len(multi) >= 15, sorted(multi)
    assert {"CP", "PDU", "AS", "SA", "CA", "SR"} <= multi


def test_abbreviation_shapes_present(entries):
    abbrs = [e["abbr"] for e in entries]
    assert any(re.search(r"\d", a) for a in abbrs)
    assert any("-" in a for a in abbrs)
    assert any("/" in a for a in abbrs)
    assert any(re.search(r"[a-z]", a) for a in abbrs)


def test_korean_names_contain_hangul(entries):
    bad = [e["id"] for e in entries if not all(HANGUL_SYLLABLE.search(k) for k in e["ko"])]
    assert not bad, bad


def test_definitions_are_short_sentences(entries):
    for e in entries:
        d = e["definition"]
        assert len(d.split()) <= 25, e["id"]
        assert d == d.strip() and d.endswith("."), e["id"]


def test_readings_are_hangul(readings):
    assert len(readings) >= 600
    for word, reading in readings.items():
        assert re.fullmatch(r"[a-z]+", word), word
        assert re.fullmatch(r"[\uac00-\ud7a3]+", reading), (word, reading)


def test_reading_finals_of_known_words(readings):
    # Final consonant (batchim) decides the particle: 펑션은, 네트워크는, 컨트롤로.
    def has_final(s: str) -> bool:
        return (ord(s[-1]) - 0xAC00) % 28 != 0

    assert has_final(readings["function"]) and has_final(readings["control"])
    assert not has_final(readings["network"]) and not has_final(readings["identifier"])


def test_expansion_last_words_have_readings(entries, readings):
    missing = set()
    for e in entries:
        words = re.findall(r"[A-Za-z]+", e["expansion"])
        last = words[-1] if words else ""
        # Acronyms inside expansions (LTE, IPv, Wi-Fi) are read letter by letter instead.
        if last and not last.isupper() and last.lower() not in {"fi", "ipv", "b", "x"}:
            if last.lower() not in readings:
                missing.add(last.lower())
    assert not missing, sorted(missing)
