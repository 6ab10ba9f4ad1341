"""Bad input on the command line: a specific message, a non-zero exit, no traceback,
nothing half-written. None of these tests loads a model."""

from __future__ import annotations

import pytest

from termfit import cli
from termfit.errors import ExitCode, InputError, Interrupted, ModelError
from termfit.fileio import atomic_write_text, check_output


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``termfit ARGV``; argparse errors exit via SystemExit."""
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_no_arguments_prints_help_and_fails(capsys):
    code, out, _ = run(capsys)
    assert code == ExitCode.BAD_INPUT
    assert "usage: termfit" in out and "search" in out


@pytest.mark.parametrize("command", cli.COMMANDS)
def test_every_command_has_help(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert f"usage: termfit {command}" in out


def test_malformed_glossary_names_file_and_line(capsys, tmp_path):
    bad = tmp_path / "g.jsonl"
    bad.write_text('{"abbr": "AMF", "expansion": "Access and Mobility Management Function"}\n'
                   '{"abbr": "SMF"\n', encoding="utf-8")
    code, _, err = run(capsys, "data", "check", str(bad))
    assert code == 2
    assert f"{bad}:2: malformed JSON" in err


def test_glossary_that_is_a_folder(capsys, tmp_path):
    code, _, err = run(capsys, "data", "check", str(tmp_path))
    assert code == 2
    assert "is a folder; expected a glossary file" in err


def test_data_check_out_is_a_folder(capsys, tmp_path):
    code, out, err = run(capsys, "data", "check", "--out", str(tmp_path))
    assert code == 2
    assert f"{tmp_path}: is a folder; expected a file path" in err
    assert out == ""  # refused before the glossary was even read
    assert list(tmp_path.iterdir()) == []


def test_data_build_out_is_a_file_is_left_alone(capsys, tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me", encoding="utf-8")
    code, _, err = run(capsys, "data", "build", "--out", str(target))
    assert code == 2
    assert "exists and is not a folder" in err
    assert target.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.txt"]


def test_out_below_a_file(capsys, tmp_path):
    (tmp_path / "f").write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "mine", str(tmp_path / "doc.txt"), "--out",
                       str(tmp_path / "f" / "g.jsonl"))
    assert code == 2
    assert "is a file, not a folder" in err


@pytest.mark.parametrize("argv, option, expected", [
    (["serve", "--index", "x", "--port", "70000"], "--port", "0-65535, got 70000"),
    (["data", "build", "--out", "x", "--max-dev", "-1"], "--max-dev", ">= 0, got -1"),
    (["eval", "--data", "x", "--limit-dev", "-1"], "--limit-dev", ">= 0, got -1"),
    (["eval", "--data", "x", "--batch-size", "zero"], "--batch-size", "an integer, got 'zero'"),
    (["quickstart", "--max-steps", "0"], "--max-steps", ">= 1, got 0"),
    (["export", "--format", "onnx", "--out", "x", "--threads", "-1"], "--threads", ">= 1"),
])
def test_out_of_range_numbers(capsys, argv, option, expected):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert f"argument {option}: expected" in err and expected in err


def test_search_k_zero(capsys):
    code, _, err = run(capsys, "search", "--index", "x", "-k", "0", "q")
    assert code == 2
    assert "-k: must be at least 1, got 0" in err


def test_data_stats_on_a_folder_that_is_not_data(capsys, tmp_path):
    code, _, err = run(capsys, "data", "stats", str(tmp_path))
    assert code == 2
    assert f"{tmp_path / 'stats.json'}: file not found" in err


@pytest.mark.parametrize("manifest, expected", [
    ("[]", "damaged manifest: expected a JSON object"),
    ("{not json", "unreadable manifest"),
])
def test_search_damaged_index(capsys, tmp_path, manifest, expected):
    (tmp_path / "manifest.json").write_text(manifest, encoding="utf-8")
    code, _, err = run(capsys, "search", "--index", str(tmp_path), "query")
    assert code == 2
    assert expected in err


def test_search_folder_that_is_not_an_index(capsys, tmp_path):
    code, _, err = run(capsys, "search", "--index", str(tmp_path), "query")
    assert code == 2
    assert "not an index folder" in err


def test_index_out_is_a_file(capsys, tmp_path):
    target = tmp_path / "index"
    target.write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "index", "--out", str(target), "--model", str(tmp_path / "m"))
    assert code == 2
    assert "exists and is not a folder" in err


@pytest.mark.parametrize("content, expected", [
    ("log_history: [1\n", ":2: not valid YAML"),
    ("max_steps: ten\n", ":1 [max_steps]:"),
])
def test_train_bad_recipe(capsys, tmp_path, content, expected):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "train", "--data", str(tmp_path), "--out", str(tmp_path / "m"),
                       "--recipe", str(recipe))
    assert code == 2
    assert f"{recipe}{expected}" in err


def test_train_override_is_blamed_not_the_recipe(capsys, tmp_path):
    code, _, err = run(capsys, "train", "--data", str(tmp_path), "--out", str(tmp_path / "m"),
                       "--max-steps", "-5")
    assert code == 2
    assert "--max-steps: " in err and ".yaml" not in err


@pytest.mark.parametrize("name, content, expected", [
    ("state.json", '{"log_history": 5}', "[log_history]: expected a list"),
    ("state.json", '{"log_history": [{"step": 1, "eval_ndcg@10": "x"}]}', "expected numbers"),
    ("log.csv", b"\xff\xfe step", "undecodable bytes"),
])
def test_eval_bad_training_log(capsys, tmp_path, name, content, expected):
    log = tmp_path / name
    if isinstance(content, bytes):
        log.write_bytes(content)
    else:
        log.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "eval", "--training-log", str(log),
                       "--plot", str(tmp_path / "p.png"))
    assert code == 2
    assert str(log) in err and expected in err
    assert not (tmp_path / "p.png").exists()


def test_mine_document_that_is_a_folder(capsys, tmp_path):
    code, _, err = run(capsys, "mine", str(tmp_path), "--out", str(tmp_path / "g.jsonl"),
                       "--quiet")
    assert code == 2
    assert "is a folder; expected a document file" in err
    assert err.count("is a folder") == 1  # reported once, not as 'skipped' and again


def test_os_errors_are_reported_without_traceback(capsys, monkeypatch):
    from termfit import dataset

    def denied(_):
        raise PermissionError(13, "Permission denied", "/data/stats.json")

    monkeypatch.setattr(dataset, "read_stats", denied)
    code, _, err = run(capsys, "data", "stats", "/data")
    assert code == ExitCode.FILE_SYSTEM == 4
    assert "termfit data: error: /data/stats.json: Permission denied" in err


def test_model_folder_that_is_not_a_model(tmp_path):
    from termfit.models import resolve_model_path

    with pytest.raises(ModelError, match="not a model folder"):
        resolve_model_path(str(tmp_path))


def test_atomic_write_into_a_folder_leaves_nothing(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(InputError, match="is a folder; expected a file path"):
        atomic_write_text(tmp_path / "out", "x")
    assert list((tmp_path / "out").iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_check_output_accepts_new_nested_paths(tmp_path):
    check_output(tmp_path / "a" / "b" / "c.json")
    check_output(tmp_path / "a" / "b", folder=True)
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_replace_a_foreign_folder(tmp_path, capsys):
    from termfit.cli import main

    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("keep me")
    assert main(["data", "build", "--out", str(foreign)]) == 2
    assert "not a termfit output folder" in capsys.readouterr().err
    assert (foreign / "thesis.txt").read_text() == "keep me"


@pytest.mark.parametrize("exc,code,message", [
    (KeyboardInterrupt(), 1, "termfit model: interrupted"),
    (Interrupted("interrupted at step 2"), 1, "error: interrupted at step 2"),
    (InputError("bad value"), 2, "termfit model: error: input: bad value"),
    (ModelError("models/x is not a model"), 3, "termfit model: error: models/x is not a model"),
    (PermissionError(13, "Permission denied", "/x"), 4, "error: /x: Permission denied"),
    (ZeroDivisionError("division by zero"), 5, "unexpected error (a bug in termfit): "
                                              "ZeroDivisionError: division by zero"),
])
def test_exit_code_table(capsys, monkeypatch, exc, code, message):
    from termfit.commands import model

    def fail(args):
        raise exc

    monkeypatch.setattr(model, "run", fail)
    got, _, err = run(capsys, "model", "info")
    assert got == code and message in err


def test_exit_codes_are_distinct_and_documented():
    from pathlib import Path

    from termfit import errors

    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 4, 5]
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for c in ExitCode:
        assert f"| {int(c)} " in readme, f"exit code {int(c)} is not in the README's table"
        assert f"{int(c)}     " in errors.__doc__


@pytest.mark.parametrize("blocked,argv,extra", [
    ("nncf", ["export", "--format", "openvino-int8"], "openvino"),
    ("onnxruntime", ["export", "--format", "onnx-int8"], "onnx"),
    ("pypdf", ["mine"], "docs"),
    ("docx", ["mine"], "docs"),
])
def test_missing_extra_names_the_install_command(capsys, monkeypatch, tmp_path, blocked, argv,
                                                 extra):
    import sys

    monkeypatch.setitem(sys.modules, blocked, None)  # import fails as if not installed
    if argv[0] == "mine":
        doc = tmp_path / ("spec.pdf" if blocked == "pypdf" else "spec.docx")
        doc.write_bytes((b"%PDF-1.4 " if blocked == "pypdf" else b"PK\x03\x04") + b"...")
        argv = [*argv, str(doc), "--out", str(tmp_path / "g.jsonl")]
    else:
        argv = [*argv, "--model", str(tmp_path), "--out", str(tmp_path / "out")]
    code, _, err = run(capsys, *argv)
    assert code == ExitCode.MODEL_OR_ENVIRONMENT
    assert f"pip install 'termfit[{extra}]'" in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "g.jsonl").exists()
