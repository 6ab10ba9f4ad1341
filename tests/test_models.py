"""Model resolution and the model-folder check shared by train, index, eval and export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from termfit.errors import ExitCode, ModelError
from termfit.models import check_model_folder, load_model, resolve_model_path


def not_a_model(tmp_path: Path) -> Path:
    """A folder with a config.json that has no model_type."""
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"name": "my settings"}))
    return folder


def damaged_model(tiny_model_path: Path, tmp_path: Path) -> Path:
    """A copy of the tiny model whose model.safetensors is cut short."""
    folder = tmp_path / "damaged"
    shutil.copytree(tiny_model_path, folder)
    weights = folder / "model.safetensors"
    with open(weights, "r+b") as fh:
        fh.truncate(weights.stat().st_size // 2)
    return folder


def test_a_good_model_passes(tiny_model_path):
    check_model_folder(tiny_model_path)
    assert resolve_model_path(str(tiny_model_path)) == str(tiny_model_path)


def test_config_without_model_type(tmp_path):
    folder = not_a_model(tmp_path)
    with pytest.raises(ModelError, match="config.json has no 'model_type'") as err:
        resolve_model_path(str(folder))
    assert str(folder) in str(err.value)
    assert err.value.exit_code == ExitCode.MODEL_OR_ENVIRONMENT


def test_truncated_weights(tiny_model_path, tmp_path):
    folder = damaged_model(tiny_model_path, tmp_path)
    with pytest.raises(ModelError, match="model.safetensors is incomplete or corrupt") as err:
        load_model(folder)
    assert str(folder) in str(err.value)


@pytest.mark.parametrize("fault,expected", [
    ("modules", "modules.json is unreadable"),
    ("no-config", "config.json is missing"),
    ("file", "is not a folder"),
    ("empty", "no modules.json or config.json"),
])
def test_other_faults_name_the_folder(tiny_model_path, tmp_path, fault, expected):
    folder = tmp_path / "m"
    if fault == "file":
        folder.write_text("x")
    elif fault == "empty":
        folder.mkdir()
    else:
        shutil.copytree(tiny_model_path, folder, ignore=shutil.ignore_patterns("*.safetensors"))
        if fault == "modules":
            (folder / "modules.json").write_text("[{")
        else:
            (folder / "config.json").unlink()
    with pytest.raises(ModelError, match=expected) as err:
        check_model_folder(folder)
    assert str(folder) in str(err.value)


def test_damaged_tokenizer_is_a_model_error(tiny_model_path, tmp_path):
    folder = tmp_path / "tok"
    shutil.copytree(tiny_model_path, folder)
    (folder / "tokenizer.json").write_text("{not json")
    with pytest.raises(ModelError, match="cannot load the model") as err:
        load_model(folder)
    assert str(folder) in str(err.value)


def test_export_with_missing_graph(tiny_model_path, tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(tiny_model_path, folder, ignore=shutil.ignore_patterns("*.safetensors"))
    (folder / "termfit_export.json").write_text(json.dumps(
        {"format": "onnx", "runtime": "onnx", "file_name": "onnx/model.onnx"}))
    with pytest.raises(ModelError, match="graph model.onnx is missing"):
        check_model_folder(folder)


GLOSSARY = [
    ("AMF", "Access and Mobility Management Function", "접근 및 이동성 관리 기능"),
    ("SMF", "Session Management Function", "세션 관리 기능"),
    ("UPF", "User Plane Function", "사용자 평면 기능"),
    ("RRC", "Radio Resource Control", "무선 자원 제어"),
    ("NAS", "Non-Access Stratum", "비접속 계층"),
    ("QoS", "Quality of Service", "서비스 품질"),
]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, Path]:
    """A glossary and the data folder built from it."""
    from termfit.cli import main

    root = tmp_path_factory.mktemp("data")
    glossary = root / "g.jsonl"
    glossary.write_text("".join(
        json.dumps({"abbr": a, "expansion": e, "ko": [k]}, ensure_ascii=False) + "\n"
        for a, e, k in GLOSSARY), encoding="utf-8")
    assert main(["data", "build", str(glossary), "--out", str(root / "d")]) == 0
    return glossary, root / "d"


@pytest.mark.parametrize("command", ["train", "index", "eval", "export"])
@pytest.mark.parametrize("kind", ["not-a-model", "damaged"])
def test_commands_refuse_a_bad_model_folder(command, kind, data, tiny_model_path, tmp_path,
                                            capsys):
    from termfit.cli import main

    glossary, data_dir = data
    capsys.readouterr()
    folder = not_a_model(tmp_path) if kind == "not-a-model" else damaged_model(
        tiny_model_path, tmp_path)
    out = tmp_path / "out"
    argv = {
        "train": ["train", "--data", str(data_dir), "--base-model", str(folder)],
        "index": ["index", "--glossary", str(glossary), "--model", str(folder)],
        "eval": ["eval", "--data", str(data_dir), "--system", "dense", "--model", str(folder)],
        "export": ["export", "--format", "onnx", "--model", str(folder)],
    }[command] + ["--out", str(out) + (".json" if command == "eval" else "")]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == ExitCode.MODEL_OR_ENVIRONMENT, err
    assert err.startswith(f"termfit {command}: error: {folder}")
    assert ("model_type" if kind == "not-a-model" else "model.safetensors") in err
    assert "Traceback" not in err and not list(tmp_path.glob("out*"))


@pytest.fixture(scope="module")
def without_prompts(tiny_model, tmp_path_factory) -> Path:
    """The tiny model saved without prompts (its config names no E5 model)."""
    import copy

    st = copy.deepcopy(tiny_model)
    st.prompts = {}
    out = tmp_path_factory.mktemp("plain") / "plain-model"
    st.save(str(out))
    return out


def test_model_without_prompts_gets_no_e5_prompts(without_prompts, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="termfit.models"):
        st = load_model(without_prompts)
    assert not (st.prompts or {}).get("query")
    assert "not an E5-family model" in caplog.text


def test_e5_family_or_setting_gets_the_prompts(without_prompts, tmp_path, caplog):
    import logging

    named = tmp_path / "multilingual-e5-small-finetuned"
    shutil.copytree(without_prompts, named)
    with caplog.at_level(logging.INFO, logger="termfit.models"):
        assert load_model(named).prompts["query"] == "query: "
    assert "E5-family" in caplog.text
    forced = load_model(without_prompts, e5_prompts=True)
    assert forced.prompts["passage"] == "passage: "
    assert not (load_model(named, e5_prompts=False).prompts or {}).get("query")
