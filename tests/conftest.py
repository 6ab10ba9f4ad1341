"""Shared fixtures: a tiny random model for fast tests and the real small model for e2e."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def pytest_collection_modifyitems(config, items):
    """Every test that loads the real small model belongs to the slow tier, marked or not."""
    for item in items:
        if "small_model_path" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def build_tiny_model(out: Path, hidden: int = 32, layers: int = 2, seed: int = 0) -> Path:
    """A random BERT with the real XLM-R tokenizer, saved for sentence-transformers."""
    import torch
    from sentence_transformers import SentenceTransformer
    try:
        from sentence_transformers.sentence_transformer.modules import (
            Normalize,
            Pooling,
            Transformer,
        )
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    from termfit.base_model import load_tokenizer_json

    torch.manual_seed(seed)
    hf = out / "_hf"
    hf.mkdir(parents=True)
    config = BertConfig(
        vocab_size=250037, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=2,
        intermediate_size=hidden * 2, max_position_embeddings=512, pad_token_id=0,
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(hf)
    (hf / "tokenizer.json").write_text(json.dumps(load_tokenizer_json()))
    PreTrainedTokenizerFast(
        tokenizer_file=str(hf / "tokenizer.json"), bos_token="<s>", eos_token="</s>",
        unk_token="<unk>", pad_token="<pad>", cls_token="<s>", sep_token="</s>",
        mask_token="<mask>", model_max_length=512,
    ).save_pretrained(hf)
    tr = Transformer(str(hf), max_seq_length=128)
    st = SentenceTransformer(
        modules=[tr, Pooling(hidden, pooling_mode="mean"), Normalize()],
        prompts={"query": "query: ", "passage": "passage: "},
        device="cpu",
    )
    st.save(str(out / "model"))
    return out / "model"


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    """Path of a tiny random sentence-transformers model (2 layers, hidden 32)."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def tiny_model(tiny_model_path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(tiny_model_path), device="cpu")


@pytest.fixture(scope="session")
def small_model_path() -> Path:
    """The real offline multilingual-e5-small (built once into TERMFIT_HOME)."""
    from termfit.base_model import prepare_default_model

    return prepare_default_model()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "telecom_glossary.jsonl").is_file():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA
