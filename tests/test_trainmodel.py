"""The trained and saved forms of the model; the base model's licence."""

from __future__ import annotations

import json

from termfit.trainmodel import base_licence


def test_licence_comes_from_the_base_model(tmp_path):
    d = tmp_path / "base"
    d.mkdir()
    assert base_licence(d) == "unknown"
    (d / "LICENSE").write_text("multilingual-e5-small\nLicensed under the MIT License.\n")
    assert base_licence(d) == "mit"
    (d / "config.json").write_text(json.dumps({"model_type": "bert", "license": "cc-by-4.0"}))
    assert base_licence(d) == "cc-by-4.0"
    (d / "README.md").write_text("---\nlanguage: en\nlicense: apache-2.0\n---\n# card\n")
    assert base_licence(d) == "apache-2.0"
    (d / "README.md").write_text("# a card without front matter\nlicense: gpl\n")
    assert base_licence(d) == "cc-by-4.0"


def test_restore_puts_back_the_base_tokenizer_and_trained_rows(tiny_model_path):
    import torch
    from sentence_transformers import SentenceTransformer

    from termfit.recipe import Recipe
    from termfit.trainmodel import prepare_model, restore_saved_form
    from termfit.trainset import TrainData

    data = TrainData(pairs=[{"anchor": "query: AMF", "positive": "passage: Access and "
                             "Mobility Management Function", "entry_id": "amf"}],
                     corpus=[], dev=[], heldout={}, entries={})
    recipe = Recipe(base_model=str(tiny_model_path), trim_vocabulary=True,
                    general_vocab_size=100, max_seq_length=16)
    model, saved = prepare_model(recipe, data)
    emb = model[0].auto_model.get_input_embeddings()
    assert emb.num_embeddings < 5000 and model.max_seq_length == 16
    with torch.no_grad():
        emb.weight.add_(1.0)  # "training"
    restore_saved_form(model, saved)
    base = SentenceTransformer(str(tiny_model_path), device="cpu")
    text = ["The AMF equalises larger registration areas; 的 注册"]
    assert model.tokenizer(text)["input_ids"] == base.tokenizer(text)["input_ids"]
    assert model.max_seq_length == base.max_seq_length
    after = model[0].auto_model.get_input_embeddings().weight
    before = base[0].auto_model.get_input_embeddings().weight
    ids = base.tokenizer("AMF", add_special_tokens=False)["input_ids"]
    assert torch.allclose(after[ids], before[ids] + 1.0)
    untouched = (after == before).all(dim=1).sum().item()
    assert untouched > before.shape[0] - 5000
