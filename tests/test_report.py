"""Reports: the markdown table, the plots and the NDCG@10 curve of a training log."""

from __future__ import annotations

import json

import pytest

from termfit import report
from termfit.cli import main
from termfit.errors import InputError
from termfit.metrics import METRIC_NAMES, PRIMARY_METRIC


def _report() -> dict:
    def result(v: float) -> dict:
        return {"metrics": {m: v for m in METRIC_NAMES}, "n_queries": 4, "n_corpus": 9,
                "breakdowns": {"lang": {"en": {"n": 2, **{m: v for m in METRIC_NAMES}},
                                        "ko": {"n": 2, **{m: v / 2 for m in METRIC_NAMES}}}}}
    return {"name": "t", "systems": {"bm25": result(0.25), "dense": result(0.5)}}


def test_markdown_table():
    md = report.markdown_table(_report())
    lines = md.splitlines()
    assert lines[0] == "| Metric | bm25 | dense |"
    assert f"| **{PRIMARY_METRIC}** | **0.25** | **0.5** |" in lines
    assert "| accuracy@1 | 0.25 | 0.5 |" in lines
    assert "| lang=ko | 2 | 0.125 | 0.25 |" in lines


def test_plot_report(tmp_path):
    png = tmp_path / "r.png"
    report.plot_report(_report(), png)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_training_log_plots(tmp_path):
    state = {"log_history": [{"step": 1, "loss": 3.1},
                             {"step": 200, "eval_dev_cosine_ndcg@10": 0.84},
                             {"step": 400, "eval_dev_cosine_ndcg@10": 0.88}]}
    js = tmp_path / "trainer_state.json"
    js.write_text(json.dumps(state))
    assert report.read_ndcg_curve(js) == [(200, 0.84), (400, 0.88)]
    csv = tmp_path / "log.csv"
    csv.write_text("step,ndcg@10\n100,-\n200,0.5\n300,0.6\n")
    assert report.read_ndcg_curve(csv) == [(200, 0.5), (300, 0.6)]
    png = tmp_path / "curve.png"
    assert main(["eval", "--training-log", str(js), "--plot", str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    bad = tmp_path / "bad.csv"
    bad.write_text("step,ndcg@10\n100,abc\n")
    with pytest.raises(InputError, match=r"bad.csv:2"):
        report.read_ndcg_curve(bad)
