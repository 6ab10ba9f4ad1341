from __future__ import annotations

import json

import numpy as np
import pytest
from search_fixtures import ROWS, write_glossary

from termfit.dataset import BuildConfig, build_dataset
from termfit.errors import InputError
from termfit.glossary import Entry
from termfit.index import build_index, load_index
from termfit.layout import DataLayout
from termfit.passages import (
    DEFAULT,
    PassageTemplate,
    corpus_rows,
    entry_passages,
    passage_texts,
    read_template,
    write_template,
)

AMF = Entry(id="amf", abbr="AMF", expansion="Access and Mobility Management Function",
            ko=["접근 및 이동성 관리 기능"], category="technical")


def test_entry_passages():
    assert passage_texts(AMF) == [
        "AMF (기술)", "AMF (Technical)",
        "Access and Mobility Management Function (기술)",
        "Access and Mobility Management Function (Technical)"]
    assert [p.id for p in entry_passages(AMF)] == [
        "amf/abbr/ko", "amf/abbr/en", "amf/expansion/ko", "amf/expansion/en"]
    bare = Entry(id="rlf", abbr="RLF", expansion="Radio Link Failure")
    assert passage_texts(bare) == ["RLF", "Radio Link Failure"]
    assert corpus_rows([bare])[0] == {"id": "rlf/abbr", "text": "RLF", "entry_id": "rlf",
                                      "kind": "abbr", "label_lang": None}
    # an entries.jsonl row gives the same passages as the entry
    assert passage_texts(AMF.to_dict()) == passage_texts(AMF)


def test_template():
    t = PassageTemplate("{term} [{label}]")
    assert t.render("AAL2", "Technical") == "AAL2 [Technical]"
    assert t.render("AAL2", None) == "AAL2"
    assert DEFAULT.render("AAL2", "기술") == "AAL2 (기술)"
    assert [p.source for p in PassageTemplate("{term}", "x").problems()] == [
        "passage_template", "no_label_passage_template"]


def test_template_file_round_trip(tmp_path):
    assert read_template(tmp_path) is None
    t = PassageTemplate("{label}: {term}")
    write_template(tmp_path, t)
    assert read_template(tmp_path) == t
    (tmp_path / "passages.json").write_text(json.dumps({"labeled": "{term}"}))
    with pytest.raises(InputError, match="must contain"):
        read_template(tmp_path)


@pytest.mark.parametrize("template", [None, "{term} <{label}>"])
def test_index_holds_exactly_the_corpus_passages(tmp_path, tiny_model_path, template):
    from termfit.models import load_model

    g = write_glossary(tmp_path / "g.jsonl")
    config = BuildConfig(token_stats=False)
    if template:
        config.passage_template = template
    data = build_dataset([g], tmp_path / "data", config=config, progress=False).out_dir
    corpus = [json.loads(line) for line in DataLayout(data).corpus.open()]
    out = build_index(tmp_path / "ix", model=tiny_model_path, data=data, show_progress=False)
    ix = load_index(out)
    assert ix.manifest["n_passages"] == len(corpus)
    assert ix.manifest["passage_template"]["labeled"] == (template or DEFAULT.labeled)
    # passage i of the index is corpus row i, owned by that row's entry
    ids = [e["id"] for e in ix.entries]
    assert [ids[i] for i in ix.passage_entry] == [r["entry_id"] for r in corpus]
    texts = [r["text"] for r in corpus]
    model = load_model(tiny_model_path)
    emb = model.encode(texts, prompt_name="passage", normalize_embeddings=True)
    assert np.allclose(ix.embeddings, emb, atol=1e-5)
    if template:
        assert any("<기술>" in t for t in texts)


def test_index_of_a_glossary_uses_the_default_passages(tmp_path, tiny_model_path):
    g = write_glossary(tmp_path / "g.jsonl")
    data = build_dataset([g], tmp_path / "data", config=BuildConfig(token_stats=False),
                         progress=False).out_dir
    a = load_index(build_index(tmp_path / "a", [g], tiny_model_path, show_progress=False))
    b = load_index(build_index(tmp_path / "b", model=tiny_model_path, data=data,
                               show_progress=False))
    assert a.manifest["n_passages"] == b.manifest["n_passages"] == sum(
        4 if r["category"] else 2 for r in ROWS)
    assert np.allclose(a.embeddings, b.embeddings, atol=1e-5)


def test_index_missing_data_folder(tmp_path, tiny_model_path):
    with pytest.raises(InputError, match="data folder not found"):
        build_index(tmp_path / "ix", model=tiny_model_path, data=tmp_path / "nope",
                    show_progress=False)


def test_cli_index_data_and_a_trained_model_carry_the_template(tmp_path, tiny_model_path,
                                                               capsys):
    """`termfit index --data DIR` and a model trained on DIR both index with DIR's
    passage template."""
    from termfit.cli import main
    from termfit.recipe import Recipe
    from termfit.train import train

    g = write_glossary(tmp_path / "g.jsonl")
    data = tmp_path / "data"
    assert main(["data", "build", str(g), "--out", str(data),
                 "--passage-template", "{term} <{label}>", "--pairs-per-entry", "4"]) == 0
    assert read_template(data) == PassageTemplate("{term} <{label}>")
    assert main(["index", "--model", str(tiny_model_path), "--data", str(data),
                 "--out", str(tmp_path / "ix")]) == 0
    assert load_index(tmp_path / "ix").manifest["passage_template"]["labeled"] == (
        "{term} <{label}>")
    recipe = Recipe(base_model=str(tiny_model_path), batch_size=4, max_steps=1,
                    eval_steps=1000, save_steps=1000, final_eval=False, bf16=False)
    train(data, recipe, tmp_path / "model")
    assert read_template(tmp_path / "model") == read_template(data)
    ix = load_index(build_index(tmp_path / "ix2", [g], tmp_path / "model",
                                show_progress=False))
    assert ix.manifest["passage_template"]["labeled"] == "{term} <{label}>"


def test_name_passages_curated_then_generated_and_description():
    from termfit.passages import entry_description, korean_names, name_passages

    row = {"id": "rlf", "abbr": "RLF", "expansion": "Radio Link Failure", "ko": [],
           "ko_generated_name": "무선 링크 실패", "ko_loanword_name": "라디오 링크 페일러",
           "mined_definition": {"text": "Loss of the radio link.", "source": "x.md"}}
    assert korean_names(row) == [("무선 링크 실패", True), ("라디오 링크 페일러", True)]
    assert korean_names({"ko": ["제어 평면"], "ko_loanword_name": "제어 평면"}) == [
        ("제어 평면", False)]
    assert entry_description(row) == "Loss of the radio link."
    ps = name_passages(row)
    assert [(p.kind, p.text) for p in ps] == [
        ("ko_name", "무선 링크 실패"), ("ko_name", "라디오 링크 페일러"),
        ("description", "Loss of the radio link.")]
    assert ps[0].id == "rlf/ko_name/0" and ps[-1].id == "rlf/description"
