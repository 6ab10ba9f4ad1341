import json

import pytest

from termfit.prompts import E5_PROMPTS, PASSAGE_PROMPT, QUERY_PROMPT, needs_e5_prompts


def test_prompts_defined_once():
    assert E5_PROMPTS == {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT}
    assert (QUERY_PROMPT, PASSAGE_PROMPT) == ("query: ", "passage: ")


@pytest.mark.parametrize("name, expected", [
    ("intfloat/multilingual-e5-small", True),
    ("intfloat/e5-base-v2", True),
    ("multilingual-e5-small (offline rebuild)", True),
    ("sentence-transformers/all-MiniLM-L6-v2", False),
    ("BAAI/bge-m3", False),
    ("some/model-e5x", False),
])
def test_needs_e5_prompts_by_name(name, expected):
    assert needs_e5_prompts(name) is expected


def test_needs_e5_prompts_by_config_and_folder(tmp_path):
    assert needs_e5_prompts({"_name_or_path": "intfloat/multilingual-e5-small"})
    assert not needs_e5_prompts({"_name_or_path": "bert-base-uncased"})
    folder = tmp_path / "my-model"
    folder.mkdir()
    assert not needs_e5_prompts(folder)
    (folder / "termfit_source.json").write_text(
        json.dumps({"base_model": "intfloat/multilingual-e5-small"}))
    assert needs_e5_prompts(folder)
