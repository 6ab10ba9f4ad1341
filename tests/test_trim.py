"""Vocabulary trimming: kept texts encode identically, others degrade gracefully."""

from __future__ import annotations

import json

import numpy as np
import pytest

from termfit.errors import TermfitError
from termfit.trim import general_piece_ids, kept_piece_ids, trim_vocabulary

KEEP = ["LTE 기지국 핸드오버", "Radio Resource Control", "무선 자원 제어", "RRC"]


@pytest.fixture(scope="module")
def trimmed(tiny_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("trim") / "model"
    st = trim_vocabulary(tiny_model, KEEP, out_dir=out, general_vocab=False)
    return st, out


def _vocab(st) -> list:
    return json.loads(st[0].tokenizer.backend_tokenizer.to_str())["model"]["vocab"]


def test_kept_texts_encode_identically(tiny_model, trimmed):
    st, _ = trimmed
    texts = ["query: LTE 기지국 핸드오버", "passage: Radio Resource Control", "RRC 무선 자원 제어"]
    for text in texts:
        assert st.tokenizer.tokenize(text) == tiny_model.tokenizer.tokenize(text)
    np.testing.assert_allclose(st.encode(texts), tiny_model.encode(texts), atol=1e-6)
    np.testing.assert_allclose(
        st.encode(texts, prompt_name="query"), tiny_model.encode(texts, prompt_name="query"),
        atol=1e-6,
    )


def test_vocabulary_is_small_with_specials_first(tiny_model, trimmed):
    st, _ = trimmed
    vocab = _vocab(st)
    assert len(vocab) < 200 < len(_vocab(tiny_model))
    assert [p for p, _ in vocab[:4]] == ["<s>", "<pad>", "</s>", "<unk>"]
    tok = st.tokenizer
    assert (tok.bos_token_id, tok.pad_token_id, tok.eos_token_id, tok.unk_token_id) == (0, 1, 2, 3)
    assert tok.mask_token_id == len(vocab) - 1
    enc = tok("RRC")
    assert enc["input_ids"][0] == 0 and enc["input_ids"][-1] == 2
    old = dict(map(tuple, _vocab(tiny_model)))
    assert all(old[p] == s for p, s in vocab)  # scores unchanged


def test_unknown_pieces_degrade_gracefully(tiny_model):
    # only single characters kept: words split into characters, foreign scripts become <unk>
    st = trim_vocabulary(tiny_model, [], general_size=0)
    tok = st.tokenizer
    text = "Resource Control 기지국"
    pieces = tok.tokenize(text)
    assert len(pieces) > len(tiny_model.tokenizer.tokenize(text))
    assert "".join(pieces).replace("\u2581", " ").strip() == text
    assert tok.unk_token_id not in tok(text)["input_ids"]
    ids = tok("ελληνικά")["input_ids"]
    assert ids.count(tok.unk_token_id) == len("ελληνικά")  # one <unk> per character
    assert np.isfinite(st.encode(["Resource ελληνικά"])).all()


def test_saved_model_round_trips(trimmed):
    from sentence_transformers import SentenceTransformer

    st, out = trimmed
    loaded = SentenceTransformer(str(out), device="cpu")
    assert json.loads((out / "config.json").read_text())["vocab_size"] == len(_vocab(st))
    np.testing.assert_allclose(loaded.encode(KEEP), st.encode(KEEP), atol=1e-6)


def test_general_vocabulary_is_korean_english(tiny_model):
    vocab = _vocab(tiny_model)
    ids = general_piece_ids(vocab, size=2000)
    pieces = [vocab[i][0].replace("\u2581", "") for i in ids]
    assert any(len(p) == 1 and "\uac00" <= p <= "\ud7a3" for p in pieces)
    assert "the" in pieces and "및" in pieces
    foreign = [c for p in pieces for c in p
               if "\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff"]
    assert not foreign  # no kana / CJK ideographs
    more = general_piece_ids(vocab, size=4000)
    assert ids < more


def test_keep_ids_and_bad_items(tiny_model):
    ids = kept_piece_ids(tiny_model, [12345, "RRC"], general_vocab=False)
    assert 12345 in ids and ids[:4] == [0, 1, 2, 3]
    with pytest.raises(TermfitError, match="cannot keep"):
        kept_piece_ids(tiny_model, [10**9], general_vocab=False)
    with pytest.raises(TermfitError, match="cannot keep"):
        kept_piece_ids(tiny_model, [3.5], general_vocab=False)


def test_takes_a_loaded_model_not_a_path(tiny_model_path):
    with pytest.raises(TermfitError, match="loaded PyTorch"):
        trim_vocabulary(str(tiny_model_path), ["RRC"])
