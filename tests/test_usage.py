import json

import pytest

from termfit.errors import InputError
from termfit.usage import UsageSentence, read_contexts, write_contexts


def _row(**kw):
    base = dict(text="The UE sends a BSR.", abbr="BSR", start=15, end=18,
                expansion="Buffer Status Report", source="38.321_MAC_j20.md", line=7)
    base.update(kw)
    return UsageSentence(**base)


def test_round_trip(tmp_path):
    rows = [_row(), _row(abbr="UE", start=4, end=6, expansion="User Equipment")]
    path = tmp_path / "ctx.jsonl"
    write_contexts(path, rows)
    assert read_contexts(path) == rows
    first = json.loads(path.read_text().splitlines()[0])
    assert set(first) == {"text", "abbr", "start", "end", "expansion", "source", "line"}
    assert first["text"][first["start"]:first["end"]] == "BSR"


def test_bad_rows_reported_with_line(tmp_path):
    path = tmp_path / "ctx.jsonl"
    good = json.dumps(_row().to_dict())
    bad_span = json.dumps(dict(_row().to_dict(), end=99))
    missing = json.dumps({k: v for k, v in _row().to_dict().items() if k != "abbr"})
    path.write_text("\n".join([good, bad_span, missing, "[1]", "{"]) + "\n")
    with pytest.raises(InputError) as exc:
        read_contexts(path)
    text = str(exc.value)
    assert ":2" in text and "span" in text
    assert ":3 [abbr]: missing field" in text
    assert ":4" in text and ":5" in text


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_contexts(tmp_path / "nope.jsonl")
