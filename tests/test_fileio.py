from __future__ import annotations

import pytest

from termfit.errors import InputError
from termfit.fileio import jsonl_objects, read_json_object, read_jsonl


def test_read_json_object(tmp_path):
    p = tmp_path / "m.json"
    with pytest.raises(InputError, match="file not found; build it first"):
        read_json_object(p, missing="build it first")
    p.write_bytes(b'\xef\xbb\xbf{"a": 1}')
    assert read_json_object(p) == {"a": 1}
    p.write_text("[1]")
    with pytest.raises(InputError, match="damaged manifest: expected a JSON object"):
        read_json_object(p, what="manifest")
    p.write_text("{oops")
    with pytest.raises(InputError, match="unreadable manifest: malformed JSON"):
        read_json_object(p, what="manifest")
    p.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(InputError, match="undecodable bytes"):
        read_json_object(p)
    with pytest.raises(InputError, match="is a folder"):
        read_json_object(tmp_path)


def test_jsonl_readers_report_every_line(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_bytes(b'{"a": 1}\n\n[2]\n{bad\n\xff\n{"a": 3}\r\n')
    problems = []
    rows = jsonl_objects(p, problems)
    assert rows == [(1, {"a": 1}), (6, {"a": 3})]
    assert sorted(pr.line for pr in problems) == [3, 4, 5]
    with pytest.raises(InputError) as err:
        read_jsonl(p)
    assert len(err.value.problems) == 3
