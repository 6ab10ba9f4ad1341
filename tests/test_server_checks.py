"""Request checks as plain functions, without HTTP."""

from __future__ import annotations

import pytest

from termfit.server import ApiError, Limits
from termfit.server.checks import (
    applied_input_type,
    check_dimensions,
    check_inputs,
    check_model,
    check_search,
    check_text,
)

LIMITS = Limits(max_k=20, max_query_chars=10, max_inputs=3, max_input_chars=12)


def code_of(fn, *args) -> str:
    with pytest.raises(ApiError) as exc:
        fn(*args)
    return exc.value.code


def test_check_search():
    assert check_search("  AMF ", 5, "dense", LIMITS) == "AMF"
    assert code_of(check_search, " ", 5, "hybrid", LIMITS) == "empty_query"
    assert code_of(check_search, "x" * 11, 5, "hybrid", LIMITS) == "query_too_long"
    assert code_of(check_search, "AMF", 0, "hybrid", LIMITS) == "k_out_of_range"
    assert code_of(check_search, "AMF", 21, "hybrid", LIMITS) == "k_out_of_range"
    assert code_of(check_search, "AMF", 5, "fuzzy", LIMITS) == "invalid_mode"
    assert code_of(check_search, "A\ud800", 5, "hybrid", LIMITS) == "invalid_text"


def test_check_inputs():
    assert check_inputs("AMF", LIMITS) == ["AMF"]
    assert check_inputs(["a", "b"], LIMITS) == ["a", "b"]
    assert code_of(check_inputs, [], LIMITS) == "empty_input"
    assert code_of(check_inputs, ["a", " "], LIMITS) == "empty_input"
    assert code_of(check_inputs, ["a"] * 4, LIMITS) == "too_many_inputs"
    assert code_of(check_inputs, "x" * 13, LIMITS) == "input_too_long"
    with pytest.raises(ApiError, match=r"input\[1\].*U\+D800 at position 2"):
        check_inputs(["ok", "x \ud800"], LIMITS)


def test_check_text_accepts_any_real_unicode():
    check_text("세션 관리 기능 😀 \u0000", "q")
    assert code_of(check_text, "\udfff", "q") == "invalid_text"


def test_check_model_and_dimensions():
    check_model(None, "served")
    check_model("served", "served")
    assert code_of(check_model, "other", "served") == "model_not_found"
    assert code_of(check_model, "x\ud800", "served") == "invalid_text"
    check_dimensions(None, 384)
    check_dimensions(384, 384)
    assert code_of(check_dimensions, 256, 384) == "invalid_dimensions"


@pytest.mark.parametrize("requested, default, prompts, applied", [
    (None, "query", {"query": "query: "}, "query"),
    ("passage", "query", {"query": "q: ", "passage": "p: "}, "passage"),
    ("none", "query", {"query": "q: "}, "none"),
    (None, "none", {"query": "q: "}, "none"),
    (None, "query", {}, "none"),  # a model without prompts: said, not silently different
    ("passage", "query", None, "none"),
])
def test_applied_input_type(requested, default, prompts, applied):
    assert applied_input_type(requested, default, prompts) == applied
