from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from search_fixtures import ROWS, write_glossary

from termfit.errors import InputError
from termfit.glossary import Entry
from termfit.index import (
    IndexMismatchError,
    build_index,
    check_model,
    lexical_text,
    load_index,
    model_fingerprint,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory, tiny_model_path):
    d = tmp_path_factory.mktemp("ix")
    g = write_glossary(d / "g.jsonl")
    return build_index(d / "index", [g], tiny_model_path, show_progress=False), g


def test_lexical_text():
    e = Entry(id="amf", abbr="AMF", expansion="Access and Mobility Management Function",
              ko=["접근 및 이동성 관리 기능"], category="technical")
    assert lexical_text(e) == (
        "AMF: Access and Mobility Management Function / 접근 및 이동성 관리 기능")


def test_build_writes_consistent_files(built, tiny_model_path):
    path, _ = built
    assert sorted(p.name for p in path.iterdir()) == [
        "embeddings.npy", "entries.jsonl", "manifest.json", "name_embeddings.npy",
        "name_passage_entry.npy", "passage_entry.npy"]
    ix = load_index(path)
    m = ix.manifest
    assert m["n_entries"] == len(ROWS) == len(ix.entries)
    # abbreviation and expansion, in two label languages when the entry has a category
    assert m["n_passages"] == sum(4 if r.get("category") else 2 for r in ROWS)
    assert ix.embeddings.shape == (m["n_passages"], m["dim"])
    assert np.allclose(np.linalg.norm(ix.embeddings, axis=1), 1.0, atol=1e-4)
    assert m["model_fingerprint"] == model_fingerprint(tiny_model_path)
    assert m["ann"] is None
    assert {e["abbr"] for e in ix.entries} == {r["abbr"] for r in ROWS}
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".index")]


def test_dense_scores_are_max_over_passages(built):
    ix = load_index(built[0])
    q = ix.embeddings[[4]]  # a passage of some entry: that entry scores 1.0
    scores = ix.dense_scores(q)
    assert scores.shape == (1, len(ix.entries))
    owner = int(ix.passage_entry[4])
    assert scores[0, owner] == pytest.approx(1.0, abs=1e-5)
    sims = (q @ ix.embeddings.T)[0]
    for e in range(len(ix.entries)):
        assert scores[0, e] == pytest.approx(sims[ix.passage_entry == e].max(), abs=1e-6)
    top = ix.dense_topk(q, 3)[0]
    assert top[0][0] == owner and len(top) == 3


def test_glossary_hash_changes_with_content(built, tiny_model_path, tmp_path):
    _, g = built
    rows = [dict(r) for r in ROWS]
    rows[0]["ko"] = ["액세스 및 이동성 관리 기능"]
    g2 = write_glossary(tmp_path / "g2.jsonl", rows)
    p2 = build_index(tmp_path / "ix2", [g2], tiny_model_path, show_progress=False)
    assert load_index(p2).manifest["glossary_hash"] != load_index(built[0]).manifest[
        "glossary_hash"]


def test_other_model_is_refused(built, tiny_model_path, tmp_path):
    ix = load_index(built[0])
    check_model(ix, tiny_model_path)  # same model: fine
    other = tmp_path / "other"
    shutil.copytree(tiny_model_path, other)
    check_model(ix, other)  # a copy keeps the fingerprint
    cfg = other / "config_sentence_transformers.json"
    data = json.loads(cfg.read_text())
    data["prompts"] = {"query": "q: ", "passage": "p: "}
    cfg.write_text(json.dumps(data))
    with pytest.raises(IndexMismatchError, match="was built with model"):
        check_model(ix, other)


def test_approximate_index_above_threshold(tiny_model_path, tmp_path):
    pytest.importorskip("usearch")
    g = write_glossary(tmp_path / "g.jsonl")
    path = build_index(tmp_path / "ix", [g], tiny_model_path, ann_threshold=1,
                       show_progress=False)
    ix = load_index(path)
    assert ix.manifest["ann"]["library"] == "usearch" and ix.ann is not None
    q = ix.embeddings[[0, 7]]
    exact = [[e for e, _ in row] for row in
             [sorted(enumerate(s), key=lambda t: -t[1])[:3] for s in ix.dense_scores(q)]]
    approx = [[e for e, _ in row] for row in ix.dense_topk(q, 3)]
    assert [r[0] for r in approx] == [r[0] for r in exact]


def test_damaged_ann_file_is_reported(tiny_model_path, tmp_path):
    pytest.importorskip("usearch")
    path = build_index(tmp_path / "ix", [write_glossary(tmp_path / "g.jsonl")], tiny_model_path,
                       ann_threshold=1, show_progress=False)
    ann_file = path / load_index(path).manifest["ann"]["file"]
    ann_file.write_bytes(ann_file.read_bytes()[:16])
    with pytest.raises(InputError, match="damaged index: unreadable ANN file"):
        load_index(path)
    ann_file.unlink()
    with pytest.raises(InputError, match="damaged index: the ANN file is missing"):
        load_index(path)


def test_bad_inputs(tmp_path, tiny_model_path):
    with pytest.raises(InputError, match="not an index folder"):
        load_index(tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"abbr": "AMF"}\nnot json\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        build_index(tmp_path / "ix", [bad], tiny_model_path, show_progress=False)
    assert "bad.jsonl:2" in str(err.value)
    assert not (tmp_path / "ix").exists()


def test_damaged_index_is_reported(built, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built[0], copy)
    np.save(copy / "embeddings.npy", np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(InputError, match="damaged index"):
        load_index(copy)


def test_index_keeps_korean_names_and_name_passages(built):
    ix = load_index(built[0])
    rlf = next(e for e in ix.entries if e["id"] == "rlf")
    assert rlf["ko_generated_name"] == "무선 링크 실패"  # generated at index time
    amf = next(e for e in ix.entries if e["id"] == "amf")
    assert "ko_generated_name" not in amf  # curated name: nothing generated
    assert ix.name_embeddings is not None and ix.name_passage_entry is not None
    assert ix.name_embeddings.shape == (ix.manifest["n_name_passages"], ix.dim)
    owner = int(ix.name_passage_entry[0])
    scores = ix.name_scores(ix.name_embeddings[[0]])
    assert scores[0, owner] == pytest.approx(1.0, abs=1e-5)
    assert lexical_text(rlf).endswith("/ 무선 링크 실패 / 라디오 링크 페일러")


def test_name_fields_prefer_data_rows_and_mined_definitions():
    from termfit.index import name_fields

    e = Entry(id="rlf", abbr="RLF", expansion="Radio Link Failure")
    row = {"ko_generated_name": "무선 링크 장애",
           "mined_definition": {"text": "Loss of the radio link.", "source": "a.md"}}
    (extra,) = name_fields([e], [row])
    assert extra["ko_generated_name"] == "무선 링크 장애"
    assert extra["description"] == "Loss of the radio link."
    assert name_fields([e])[0]["ko_generated_name"] == "무선 링크 실패"


def test_older_index_without_name_passages_loads(built, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(built[0], old)
    (old / "name_embeddings.npy").unlink()
    (old / "name_passage_entry.npy").unlink()
    m = json.loads((old / "manifest.json").read_text())
    del m["n_name_passages"]
    (old / "manifest.json").write_text(json.dumps(m))
    ix = load_index(old)
    assert ix.name_embeddings is None
    assert (ix.name_scores(ix.embeddings[[0]]) == -1).all()


def test_damaged_name_passages_are_a_clear_error(built, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(built[0], bad)
    np.save(bad / "name_passage_entry.npy", np.zeros(1, dtype=np.int32))
    with pytest.raises(InputError, match="name passages disagree"):
        load_index(bad)
