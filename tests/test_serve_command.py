"""``termfit serve`` options: environment-variable twins and the exposure check."""

from __future__ import annotations

import pytest

from termfit.cli import build_parser, main
from termfit.commands import serve as serve_cmd


def parse(*argv: str):
    return build_parser().parse_args(["serve", *argv])


def test_every_flag_has_an_env_twin_in_help(capsys):
    with pytest.raises(SystemExit):
        parse("--help")
    out = " ".join(capsys.readouterr().out.split())
    for f in serve_cmd.flags():
        assert f.name in out and f"env {f.env})" in out
    assert "TERMFIT_API_KEY" in out and "TERMFIT_DEFAULT_INPUT_TYPE" in out


def test_flags_win_over_env_and_env_over_defaults():
    env = {"TERMFIT_INDEX": "idx", "TERMFIT_PORT": "9001", "TERMFIT_API_KEY": "k",
           "TERMFIT_CORS_ORIGIN": "http://a.example, http://b.example",
           "TERMFIT_NO_ADMIN": "true", "TERMFIT_DEFAULT_INPUT_TYPE": "passage"}
    v = serve_cmd.resolve(parse("--port", "9002"), env)
    assert v["index"] == "idx" and v["port"] == 9002 and v["api_key"] == "k"
    assert v["cors_origin"] == ["http://a.example", "http://b.example"]
    assert v["no_admin"] is True and v["default_input_type"] == "passage"
    v = serve_cmd.resolve(parse("--index", "i", "--cors-origin", "http://c.example",
                                "--cors-origin", "http://d.example"), {})
    assert v["cors_origin"] == ["http://c.example", "http://d.example"]
    assert v["host"] == "127.0.0.1" and v["default_input_type"] == "query"
    assert v["no_admin"] is False and v["api_key"] is None


def test_bad_env_values_are_named(capsys, monkeypatch):
    monkeypatch.setenv("TERMFIT_PORT", "eighty")
    monkeypatch.setenv("TERMFIT_DEFAULT_INPUT_TYPE", "document")
    assert main(["serve", "--index", "x"]) == 2
    err = capsys.readouterr().err
    assert "TERMFIT_PORT" in err and "TERMFIT_DEFAULT_INPUT_TYPE" in err
    assert "Traceback" not in err


def test_missing_index(capsys, monkeypatch):
    monkeypatch.delenv("TERMFIT_INDEX", raising=False)
    assert main(["serve"]) == 2
    assert "--index" in capsys.readouterr().err


def test_refuses_admin_on_reachable_host_without_key(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("TERMFIT_API_KEY", raising=False)
    assert main(["serve", "--index", str(tmp_path), "--host", "0.0.0.0"]) == 2
    assert "--api-key" in capsys.readouterr().err


def test_bad_flag_value():
    with pytest.raises(SystemExit):
        parse("--default-input-type", "document")
