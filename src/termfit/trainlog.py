"""The training log: the seed card's table (epoch, step, training loss, dev NDCG@10), its
curve, and a summary of the held-out metrics."""

from __future__ import annotations

import math
import os
from pathlib import Path


def training_log(log_history: list[dict], metric: str) -> list[dict]:
    """Rows of the seed card's training-log table: epoch, step, training loss, eval metric."""
    rows: dict[int, dict] = {}
    for item in log_history:
        step = item.get("step")
        if step is None:
            continue
        row = rows.setdefault(step, {"epoch": item.get("epoch"), "step": step,
                                     "training_loss": None, "ndcg@10": None})
        if "loss" in item:
            row["training_loss"] = item["loss"]
        for k, v in item.items():
            if k.startswith("eval_dev_") and k.endswith(metric):
                row["ndcg@10"] = v
    return [rows[s] for s in sorted(rows)]


def format_training_log(rows: list[dict]) -> str:
    """The training log as the seed card's markdown table."""
    out = ["| Epoch | Step | Training Loss | dev NDCG@10 |", "|:--:|:--:|:--:|:--:|"]
    for r in rows:
        loss = "-" if r["training_loss"] is None else f"{r['training_loss']:.4f}"
        ndcg = "-" if r["ndcg@10"] is None else f"{r['ndcg@10']:.4f}"
        out.append(f"| {r['epoch'] or 0:.4f} | {r['step']} | {loss} | {ndcg} |")
    return "\n".join(out)


def plot_training_log(rows: list[dict], path: str | os.PathLike) -> None:
    """Training loss and dev NDCG@10 against step, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax1 = plt.subplots(figsize=(7, 4))
    loss = [(r["step"], r["training_loss"]) for r in rows if r["training_loss"] is not None]
    ndcg = [(r["step"], r["ndcg@10"]) for r in rows if r["ndcg@10"] is not None]
    if loss:
        ax1.plot(*zip(*loss, strict=True), color="tab:blue", label="training loss")
    ax1.set_xlabel("step")
    ax1.set_ylabel("training loss", color="tab:blue")
    ax2 = ax1.twinx()
    if ndcg:
        ax2.plot(*zip(*ndcg, strict=True), "o-", color="tab:red", label="dev NDCG@10")
    ax2.set_ylabel("dev NDCG@10", color="tab:red")
    ax2.set_ylim(0, 1)
    ax1.set_title("termfit training")
    fig.tight_layout()
    tmp = Path(path).with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    os.replace(tmp, path)


def summarize_metrics(metrics: dict[str, float]) -> str:
    """A short table of the main held-out metrics."""
    rows = []
    for split in ("heldout-phrasings", "heldout-terms"):
        key = split.replace("-", "_")
        vals = {k.split("_cosine_")[-1]: v for k, v in metrics.items()
                if (k.startswith(split) or k.startswith(key)) and "_cosine_" in k}
        if vals:
            rows.append(f"| {split} | {vals.get('ndcg@10', math.nan):.4f} | "
                        f"{vals.get('accuracy@1', math.nan):.4f} | "
                        f"{vals.get('mrr@10', math.nan):.4f} |")
    if not rows:
        return ""
    return "\n".join(["| split | NDCG@10 | accuracy@1 | MRR@10 |", "|:--|--:|--:|--:|", *rows])
