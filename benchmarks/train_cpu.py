"""Fine-tuning on 2 CPU cores: quality against training time, and what each choice buys.

Trains the CPU recipe (or reuses a model it trained, --reuse) and short ablation runs on the
same data and step budget, then evaluates every model and the baselines (BM25, acronym
scorer, the base model zero-shot) on the held-out splits. Prints a table, writes JSON and a
PNG of NDCG@10 against training minutes.

    termfit data build ../shared/data/telecom_glossary.jsonl --out /tmp/tf-data
    python benchmarks/train_cpu.py --data /tmp/tf-data [--reuse MODEL_DIR] \
        [--ablation-steps 150] [--ablations entity-echo,no_duplicates-echo,entity-none]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import yaml
from _paths import shown

from termfit.evaluate import EvalSettings, evaluate, load_corpus, load_queries
from termfit.fileio import write_json
from termfit.models import load_model
from termfit.recipe import load_recipe
from termfit.train import train

ABLATIONS = {
    "entity-echo": {"batch_sampler": "entity", "hard_negatives": "echo"},
    "no_duplicates-echo": {"batch_sampler": "no_duplicates", "hard_negatives": "echo"},
    "entity-none": {"batch_sampler": "entity", "hard_negatives": "none"},
    "entity-mined": {"batch_sampler": "entity", "hard_negatives": "mined"},
    "frozen-embeddings": {"trim_vocabulary": False, "freeze_embeddings": True,
                          "embedding_learning_rate": None},
}
SPLITS = ("heldout-phrasings", "heldout-terms")


def _eval(model, data: Path, systems: list[str], dev: list[dict]) -> dict:
    corpus = load_corpus(data / "corpus.jsonl")
    out = {}
    for split in SPLITS:
        queries = load_queries(data / f"queries-{split}.jsonl")
        rep = evaluate(systems, queries, corpus, model, dev_queries=dev,
                       settings=EvalSettings(show_progress=False))
        out[split] = {s: {"metrics": r["metrics"], "breakdowns": r.get("breakdowns", {})}
                      for s, r in rep.items()}
    return out


def _train(data: Path, recipe: str, work: Path, name: str, **overrides) -> tuple[Path, dict]:
    out = work / name
    if (out / "termfit_recipe.yaml").is_file():  # trained by an earlier run of this script
        resolved = yaml.safe_load((out / "termfit_recipe.yaml").read_text())
        if all(resolved.get(k) == v for k, v in overrides.items()):
            r = resolved["_resolved"]
            return out, {"steps": r["steps"], "train_seconds": r["train_seconds"],
                         "reused": True}
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(f"{out}.checkpoints", ignore_errors=True)
    rec = load_recipe(recipe, final_eval=False, **overrides)
    t0 = time.perf_counter()
    result = train(data, rec, out)
    wall = time.perf_counter() - t0
    shutil.rmtree(f"{out}.checkpoints", ignore_errors=True)
    return out, {"steps": result.steps, "train_seconds": result.train_seconds,
                 "wall_seconds": wall, "log": result.log}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--recipe", default="cpu-e5-small")
    ap.add_argument("--reuse", type=Path, help="a model trained with --recipe on --data")
    ap.add_argument("--ablation-steps", type=int, default=150)
    ap.add_argument("--ablations", default="entity-echo,no_duplicates-echo,entity-none")
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--out", default="benchmarks/results/train_cpu.json")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="termfit-train-bench-"))
    dev = load_queries(args.data / "queries-dev.jsonl")[:300]
    results: dict = {"data": shown(args.data), "recipe": args.recipe, "runs": {}}

    print("baselines: bm25, acronym, base model zero-shot, hybrid", flush=True)
    base = load_model("default")
    results["baselines"] = _eval(base, args.data, ["bm25", "acronym", "dense", "hybrid"], dev)
    del base

    if args.reuse:
        resolved = yaml.safe_load((args.reuse / "termfit_recipe.yaml").read_text())["_resolved"]
        main_dir, info = args.reuse, {"steps": resolved["steps"],
                                      "train_seconds": resolved["train_seconds"], "reused": True}
    else:
        print(f"training the {args.recipe} recipe", flush=True)
        main_dir, info = _train(args.data, args.recipe, work, "recipe")
    model = load_model(str(main_dir))
    info["eval"] = _eval(model, args.data, ["dense", "hybrid"], dev)
    results["runs"][args.recipe] = info
    del model

    for name in [a for a in args.ablations.split(",") if a]:
        print(f"ablation {name}: {args.ablation_steps} steps", flush=True)
        out, info = _train(args.data, args.recipe, work, name, max_steps=args.ablation_steps,
                           eval_steps=10 ** 6, **ABLATIONS[name])
        model = load_model(str(out))
        info["eval"] = _eval(model, args.data, ["dense"], dev)
        info["overrides"] = ABLATIONS[name]
        results["runs"][f"{name}@{args.ablation_steps}"] = info
        del model

    rows = []
    for split in SPLITS:
        for s in ("bm25", "acronym", "dense", "hybrid"):
            m = results["baselines"][split][s]["metrics"]
            rows.append((split, f"base {s}" if s in ("dense", "hybrid") else s, "-", "-", m))
        for run, info in results["runs"].items():
            for s, r in info["eval"][split].items():
                rows.append((split, f"{run} {s}", str(info["steps"]),
                             f"{info['train_seconds'] / 60:.1f}", r["metrics"]))
    print("\n| split | system | steps | train min | NDCG@10 | acc@1 | MRR@10 |")
    print("|:--|:--|--:|--:|--:|--:|--:|")
    for split, name, steps, mins, m in rows:
        print(f"| {split} | {name} | {steps} | {mins} | {m['ndcg@10']:.4f} | "
              f"{m['accuracy@1']:.4f} | {m['mrr@10']:.4f} |")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, results)
    _plot(results, Path(args.out).with_suffix(".png"))
    print(f"wrote {args.out}")


def _plot(results: dict, path: Path) -> None:
    """Horizontal bars: NDCG@10 of every system on both held-out splits, with its cost."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [(f"{s} (zero-shot)" if s == "dense" else s, None, None,
             {sp: results["baselines"][sp][s]["metrics"]["ndcg@10"] for sp in SPLITS})
            for s in ("bm25", "acronym", "dense")]
    for run, info in results["runs"].items():
        rows.append((run, info["steps"], info["train_seconds"] / 60,
                     {sp: info["eval"][sp]["dense"]["metrics"]["ndcg@10"] for sp in SPLITS}))
    rows.reverse()
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.5))
    height = 0.38
    for k, (split, color) in enumerate(zip(SPLITS, ("tab:blue", "tab:orange"), strict=True)):
        ys = [i + (k - 0.5) * height for i in range(len(rows))]
        vals = [r[3][split] for r in rows]
        ax.barh(ys, vals, height=height, color=color, label=split)
        for y, v in zip(ys, vals, strict=True):
            ax.text(v + 0.005, y, f"{v:.3f}", va="center", fontsize=7)
    labels = [name if steps is None else f"{name}\n{steps} steps, {mins:.1f} min"
              for name, steps, mins, _ in rows]
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    ax.set_xlim(0, 1.08)
    ax.set_xlabel("NDCG@10 (dense)")
    ax.set_title("termfit fine-tuning on 2 CPU cores")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
