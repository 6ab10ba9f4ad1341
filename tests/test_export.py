"""Export to ONNX / OpenVINO: same pipeline, loadable by load_model, atomic output."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from termfit.cli import main
from termfit.errors import TermfitError
from termfit.export import export_model, folder_size, read_manifest
from termfit.models import load_model
from termfit.runtime import load_exported

TEXTS = ["LTE 기지국 핸드오버", "Radio Resource Control", "무선 자원 제어 RRC"]
HAS_OPENVINO = all(importlib.util.find_spec(m) for m in ("openvino", "nncf"))


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # the parent package is missing
        return False


OPENVINO_CASE = pytest.mark.skipif(not HAS_OPENVINO, reason="openvino/nncf missing")


@pytest.fixture(scope="module")
def source(tiny_model, tmp_path_factory):
    """The tiny model with a small vocabulary, so that exports are quick."""
    from termfit.trim import trim_vocabulary

    out = tmp_path_factory.mktemp("src") / "model"
    return trim_vocabulary(tiny_model, TEXTS + ["query: ", "passage: "], out_dir=out,
                           general_vocab=False), out


@pytest.mark.parametrize("fmt,atol", [
    ("onnx", 1e-5),
    ("onnx-int8", None),
    pytest.param("openvino-int8", None, marks=[OPENVINO_CASE, pytest.mark.slow]),
])
def test_export_matches_pytorch(source, tmp_path, fmt, atol):
    st, path = source
    out = export_model(str(path), fmt, tmp_path / fmt)
    manifest = read_manifest(out)
    assert manifest["format"] == fmt
    assert manifest["vocab_size"] == st[0].auto_model.config.vocab_size
    model = load_model(out)
    assert model.prompts["query"] == "query: "
    for prompt in (None, "query"):
        want = st.encode(TEXTS, prompt_name=prompt)
        got = model.encode(TEXTS, prompt_name=prompt)
        assert got.shape == want.shape
        np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)  # Normalize kept
        if atol is not None:
            np.testing.assert_allclose(got, want, atol=atol)
        else:
            assert (got * want).sum(axis=1).min() > 0.98
    single = model.encode("RRC")
    assert single.shape == (st.get_embedding_dimension(),)


def test_export_with_trim(tiny_model_path, tmp_path):
    out = export_model(str(tiny_model_path), "onnx", tmp_path / "t", trim=True, keep=TEXTS,
                       general_vocab=False)
    assert read_manifest(out)["trimmed"] is True
    assert read_manifest(out)["vocab_size"] < 300
    ref = load_model(tiny_model_path)
    np.testing.assert_allclose(load_model(out).encode(TEXTS), ref.encode(TEXTS), atol=1e-5)


def test_failed_export_leaves_previous_folder(source, tmp_path, monkeypatch):
    import termfit.export as ex

    _, path = source
    out = tmp_path / "out"
    out.mkdir()
    (out / "termfit_export.json").write_text("{}")  # an earlier export
    (out / "keep.txt").write_text("old")

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ex, "_optimize_onnx", boom)
    with pytest.raises(RuntimeError):
        export_model(str(path), "onnx", out)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert (out / "keep.txt").read_text() == "old"


def test_bad_format_and_foreign_modules(tmp_path):
    with pytest.raises(TermfitError, match="unknown export format"):
        export_model(None, "tensorrt", tmp_path / "x")
    assert not (tmp_path / "x").exists()
    with pytest.raises(TermfitError, match="not an exported model"):
        load_exported(tmp_path)
    (tmp_path / "termfit_export.json").write_text("{}")
    transformer = {"type": "sentence_transformers.base.modules.transformer.Transformer",
                   "path": ""}
    for modules, expected in [
        ([{"type": "evil.Module", "path": ""}], "must be a Transformer"),
        ([transformer, {"type": "evil.Module", "path": "1"}], "unexpected module type"),
        ([transformer, {"type": "sentence_transformers.X", "path": "../up"}], "leaves"),
        ({"type": "x"}, "expected a list"),
    ]:
        (tmp_path / "modules.json").write_text(json.dumps(modules))
        with pytest.raises(TermfitError, match=expected):
            load_exported(tmp_path)


@pytest.mark.parametrize("fmt", [
    "onnx", "onnx-int8", pytest.param("openvino-int8", marks=[OPENVINO_CASE, pytest.mark.slow]),
])
def test_export_is_in_the_sentence_transformers_backend_layout(source, tmp_path, fmt):
    """Standard modules only (no remote code), the graph where ST's backends look for it,
    no PyTorch weights; where optimum is installed ST's own backend gives the same vectors."""
    _, path = source
    out = export_model(str(path), fmt, tmp_path / fmt)
    modules = json.loads((out / "modules.json").read_text())
    assert [m["type"].split(".")[-1] for m in modules] == ["Transformer", "Pooling", "Normalize"]
    assert all(m["type"].startswith("sentence_transformers.") for m in modules)
    assert not [f for f in out.rglob("*.json") if "termfit." in f.read_text()]
    backend = "openvino" if fmt.startswith("openvino") else "onnx"
    graph = {"onnx": "onnx/model.onnx", "openvino": "openvino/openvino_model.xml"}[backend]
    assert (out / graph).is_file()
    assert json.loads((out / "config.json").read_text())["model_type"] == "bert"
    assert (out / "tokenizer.json").is_file() and not list(out.glob("*.safetensors"))
    ours = load_model(out)
    assert type(ours[0]).__name__ == "RuntimeEncoder"
    want = ours.encode(TEXTS, prompt_name="query")
    optimum = {"onnx": "optimum.onnxruntime", "openvino": "optimum.intel"}[backend]
    if not _has(optimum):
        pytest.skip(f"{optimum} is not installed: sentence-transformers' {backend} backend "
                    "cannot be tried here")
    from sentence_transformers import SentenceTransformer

    theirs = SentenceTransformer(str(out), backend=backend, device="cpu")
    np.testing.assert_allclose(theirs.encode(TEXTS, prompt_name="query"), want, atol=1e-4)


def test_exports_of_the_earlier_layout_still_load(source, tmp_path):
    """Folders whose modules.json names termfit's own encoder (termfit 0.1) load the same."""
    st, path = source
    out = export_model(str(path), "onnx", tmp_path / "old")
    modules = json.loads((out / "modules.json").read_text())
    modules[0]["type"] = "termfit.export.RuntimeEncoder"
    (out / "modules.json").write_text(json.dumps(modules))
    np.testing.assert_allclose(load_model(out).encode(TEXTS), st.encode(TEXTS), atol=1e-5)


def test_cli_export(source, tmp_path, capsys):
    _, path = source
    out = tmp_path / "cli"
    assert main(["export", "--model", str(path), "--format", "onnx-int8", "--out", str(out)]) == 0
    assert "MB on disk" in capsys.readouterr().out
    assert folder_size(out) > 0 and (out / "onnx" / "model.onnx").is_file()


def test_cli_errors(source, tmp_path, capsys):
    _, path = source
    bad = tmp_path / "g.jsonl"
    bad.write_text('{"abbr": "RRC"}\nnot json\n')
    code = main(["export", "--model", str(path), "--format", "onnx", "--trim",
                 "--keep-glossary", str(bad), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "g.jsonl:2" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
    code = main(["export", "--model", str(path), "--format", "onnx", "--no-general-vocab",
                 "--out", str(tmp_path / "o")])
    assert code == 2 and "--trim" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", "--format", "onnx-fp16", "--out", str(tmp_path / "o")])


@pytest.mark.slow
def test_real_model_trim_keeps_glossary_embeddings(small_model_path, shared_data):
    from termfit.commands.export import glossary_texts
    from termfit.trim import trim_vocabulary

    texts = glossary_texts([str(shared_data / "telecom_glossary.jsonl")])
    st = load_model(small_model_path)
    trimmed = trim_vocabulary(st, texts)
    sample = texts[::97][:40]
    np.testing.assert_allclose(
        trimmed.encode(sample, prompt_name="passage"), st.encode(sample, prompt_name="passage"),
        atol=1e-5,
    )
    assert trimmed[0].auto_model.config.vocab_size < 60_000


def test_exports_have_distinct_fingerprints(source, tmp_path):
    from termfit.evaluate import weights_fingerprint

    _, path = source
    a = load_model(export_model(str(path), "onnx", tmp_path / "a"))
    b = load_model(export_model(str(path), "onnx-int8", tmp_path / "b"))
    assert weights_fingerprint(a) != weights_fingerprint(b)
    assert weights_fingerprint(a) == weights_fingerprint(load_model(tmp_path / "a"))


def test_cli_format_choices_come_from_the_library():
    from termfit import export_layout
    from termfit.commands import export as cmd

    assert cmd.FORMATS is export_layout.FORMATS


def test_export_carries_the_passage_template(source, tmp_path):
    import shutil

    from termfit.passages import PassageTemplate, read_template, write_template

    _, path = source
    trained = tmp_path / "trained"
    shutil.copytree(path, trained)
    write_template(trained, PassageTemplate("{term} <{label}>"))
    out = export_model(str(trained), "onnx", tmp_path / "onnx")
    assert read_template(out) == PassageTemplate("{term} <{label}>")
    assert read_template(export_model(str(path), "onnx", tmp_path / "plain")) is None


def test_running_an_export_without_its_runtime_names_the_extra(source, tmp_path, monkeypatch):
    import sys

    from termfit.errors import MissingDependencyError

    _, path = source
    out = export_model(str(path), "onnx", tmp_path / "e")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'termfit\[onnx\]'"):
        load_model(out)
