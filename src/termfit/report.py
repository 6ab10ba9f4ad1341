"""Evaluation reports: the seed card's markdown table and PNG plots of a report, and the
NDCG@10 curve of a training log (``termfit eval --training-log``)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from termfit.errors import InputError, Problem
from termfit.fileio import atomic_write_bytes, read_json_object
from termfit.metrics import METRIC_NAMES, PRIMARY_METRIC
from termfit.realtext import sense_lines


def _fmt(v: float) -> str:
    return "nan" if v != v else f"{round(v, 4):g}" if abs(v) >= 1e-4 or v == 0 else f"{v:.2e}"


def markdown_table(report: dict) -> str:
    """The seed card's metric table, one column per system, NDCG@10 in bold; then NDCG@10
    per breakdown group."""
    systems = list(report["systems"])
    head = "| Metric | " + " | ".join(systems) + " |"
    rule = "|:--------------------|" + "|".join(":-----------" for _ in systems) + "|"
    lines = [head, rule]
    for name in METRIC_NAMES:
        vals = [_fmt(report["systems"][s]["metrics"][name]) for s in systems]
        if name == PRIMARY_METRIC:
            lines.append(f"| **{name}** | " + " | ".join(f"**{v}**" for v in vals) + " |")
        else:
            lines.append(f"| {name} | " + " | ".join(vals) + " |")
    first = report["systems"][systems[0]]
    if first.get("breakdowns"):
        lines += ["", f"{PRIMARY_METRIC} by group:", "",
                  "| Group | n | " + " | ".join(systems) + " |",
                  "|:------|--:|" + "|".join("-----------:" for _ in systems) + "|"]
        for field_name, groups in first["breakdowns"].items():
            for g, vals in groups.items():
                row = [_fmt(report["systems"][s]["breakdowns"][field_name][g][PRIMARY_METRIC])
                       for s in systems]
                lines.append(f"| {field_name}={g} | {vals['n']} | " + " | ".join(row) + " |")
    lines += sense_lines(report)
    return "\n".join(lines) + "\n"


def save_figure(fig: Any, path: str | os.PathLike) -> None:
    """Write a matplotlib figure as a PNG, atomically, and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def plot_report(report: dict, path: str | os.PathLike) -> None:
    """Grouped bars: headline metrics per system, and NDCG@10 per breakdown group."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = list(report["systems"])
    metrics = ["accuracy@1", "recall@10", "ndcg@10", "mrr@10", "map@100"]
    first = report["systems"][systems[0]]
    groups = [(f, g) for f, gs in first.get("breakdowns", {}).items() for g in gs]
    ncols = 2 if groups else 1
    fig, axes = plt.subplots(1, ncols, figsize=(6 + 5 * (ncols - 1) + 0.4 * len(groups), 4.2),
                             squeeze=False)
    width = 0.8 / len(systems)

    def bars(ax, labels, value_of):
        x = np.arange(len(labels))
        for i, s in enumerate(systems):
            vals = [value_of(s, lab) for lab in labels]
            b = ax.bar(x + (i - (len(systems) - 1) / 2) * width, vals, width, label=s)
            ax.bar_label(b, fmt="%.2f", fontsize=6, padding=1)
        ax.set_xticks(x)
        ax.set_ylim(0, 1.08)
        ax.grid(axis="y", alpha=0.3)
        return x

    bars(axes[0][0], metrics, lambda s, m: report["systems"][s]["metrics"][m])
    axes[0][0].set_xticklabels(metrics)
    axes[0][0].set_title(f"{report.get('name', 'evaluation')}: "
                         f"{first['n_queries']} queries, {first['n_corpus']} passages")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=len(systems), fontsize=8,
               bbox_to_anchor=(0.5, 1.08))
    if groups:
        bars(axes[0][1], groups,
             lambda s, fg: report["systems"][s]["breakdowns"][fg[0]][fg[1]][PRIMARY_METRIC])
        axes[0][1].set_xticklabels([f"{f}={g}" for f, g in groups], rotation=30, ha="right",
                                   fontsize=8)
        axes[0][1].set_title(f"{PRIMARY_METRIC} by group")
    save_figure(fig, path)


def read_ndcg_curve(path: str | os.PathLike) -> list[tuple[int, float]]:
    """(step, NDCG@10) points from a trainer_state.json (its ``log_history``; any key
    ending in "ndcg@10") or a CSV with a ``step`` column and an NDCG@10 column."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(str(path), "file not found"))
    points = _trainer_state_points(path) if path.suffix == ".json" else _csv_points(path)
    if not points:
        raise InputError(Problem(str(path), "no NDCG@10 evaluations found"))
    return sorted(points)


def _trainer_state_points(path: Path) -> list[tuple[int, float]]:
    state = read_json_object(path, what="training log")
    history = state.get("log_history", [])
    if not isinstance(history, list):
        raise InputError(Problem(str(path), "expected a list of records", field="log_history"))
    points: list[tuple[int, float]] = []
    for i, rec in enumerate(history):
        key = next((k for k in rec if k.endswith("ndcg@10")), None) if isinstance(
            rec, dict) else None
        if key is not None and "step" in rec:
            try:
                points.append((int(rec["step"]), float(rec[key])))
            except (TypeError, ValueError):
                raise InputError(Problem(str(path), f"expected numbers, got step "
                                         f"{rec['step']!r} and {rec[key]!r}",
                                         field=f"log_history[{i}].{key}")) from None
    return points


def _csv_points(path: Path) -> list[tuple[int, float]]:
    import csv

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(Problem(str(path), f"undecodable bytes ({exc.reason}); expected "
                                 "UTF-8 CSV text")) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    cols = reader.fieldnames or []
    ncol = next((c for c in cols if c.strip().lower().endswith("ndcg@10")), None)
    scol = next((c for c in cols if c.strip().lower() == "step"), None)
    if ncol is None or scol is None:
        raise InputError(Problem(str(path), "expected a header with columns 'step' "
                                 f"and one ending in 'ndcg@10', got {cols}", 1))
    points: list[tuple[int, float]] = []
    for lineno, row in enumerate(reader, start=2):
        try:
            points.append((int(float(row[scol])), float(row[ncol])))
        except (TypeError, ValueError):
            if (row.get(ncol) or "").strip() in ("", "-"):
                continue  # steps without an evaluation
            raise InputError(Problem(str(path), f"not a number: {row[ncol]!r}",
                                     lineno, ncol)) from None
    return points


def plot_ndcg_curve(log: str | os.PathLike, path: str | os.PathLike) -> None:
    """NDCG@10 against training step (from :func:`read_ndcg_curve`), as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = read_ndcg_curve(log)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o")
    ax.set_xlabel("step")
    ax.set_ylabel(PRIMARY_METRIC)
    ax.set_title(f"{PRIMARY_METRIC} during training ({Path(log).name})")
    ax.grid(alpha=0.3)
    save_figure(fig, path)
