"""The training log table, its curve and the metrics summary."""

from __future__ import annotations

from termfit.trainlog import (
    format_training_log,
    plot_training_log,
    summarize_metrics,
    training_log,
)


def test_training_log_table_and_curve(tmp_path):
    history = [{"loss": 2.0, "epoch": 0.1, "step": 1}, {"loss": 1.5, "epoch": 0.2, "step": 2},
               {"eval_dev_cosine_ndcg@10": 0.4, "epoch": 0.2, "step": 2},
               {"train_runtime": 3.0, "step": 2}, {"something": 1}]
    rows = training_log(history, "ndcg@10")
    assert [(r["step"], r["training_loss"], r["ndcg@10"]) for r in rows] == [
        (1, 2.0, None), (2, 1.5, 0.4)]
    table = format_training_log(rows)
    assert "| 0.2000 | 2 | 1.5000 | 0.4000 |" in table and "| 0.1000 | 1 | 2.0000 | - |" in table
    plot_training_log(rows, tmp_path / "curve.png")
    assert (tmp_path / "curve.png").stat().st_size > 1000
    assert not list(tmp_path.glob("*.tmp*"))


def test_summarize_metrics():
    text = summarize_metrics({"heldout-phrasings_cosine_ndcg@10": 0.9,
                              "heldout-phrasings_cosine_accuracy@1": 0.8,
                              "heldout-phrasings_cosine_mrr@10": 0.85})
    assert "| heldout-phrasings | 0.9000 | 0.8000 | 0.8500 |" in text
    assert summarize_metrics({}) == ""
