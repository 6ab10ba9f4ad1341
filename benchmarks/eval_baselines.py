"""Baselines on the shared glossary: BM25 (two tokenisers), acronym alignment, the base model
zero-shot, and the hybrid, on both held-out splits. Prints a table and writes JSON.

    python benchmarks/eval_baselines.py [--data DIR] [--model M] [--limit-queries N]

Without --data, builds the data from ../shared/data/telecom_glossary.jsonl with
`termfit data build` into /tmp/tf-data (once).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from _paths import shown

from termfit import evaluate as ev
from termfit.fileio import write_json

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT.parent / "shared" / "data" / "telecom_glossary.jsonl"
SPLITS = ("heldout-terms", "heldout-phrasings")
COLUMNS = ("ndcg@10", "mrr@10", "accuracy@1", "recall@10", "map@100")


def ensure_data(data: Path | None) -> Path:
    if data is not None:
        return data
    data = Path("/tmp/tf-data")
    if not (data / "corpus.jsonl").is_file():
        subprocess.run([sys.executable, "-m", "termfit", "data", "build", str(GLOSSARY),
                        "--out", str(data)], check=True)
    return data


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path)
    p.add_argument("--model", default=None, help="default: the offline e5-small")
    p.add_argument("--limit-queries", type=int, default=None)
    p.add_argument("--limit-dev", type=int, default=300)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" /
                   "eval_baselines.json")
    args = p.parse_args()
    data = ensure_data(args.data)
    from termfit.models import load_model

    model = load_model(args.model)
    fingerprint = ev.weights_fingerprint(model)
    corpus = ev.load_corpus(data / "corpus.jsonl")
    ids = {c["id"] for c in corpus}
    dev = ev.sample(ev.load_queries(data / "queries-dev.jsonl", ids), args.limit_dev)
    quiet = ev.EvalSettings(show_progress=False)
    fusion = ev.tune_fusion(dev, corpus, model, settings=quiet)
    print(f"hybrid fusion tuned on {len(dev)} dev queries: {fusion.method} "
          f"weights(dense,bm25,acronym)={fusion.weights} rrf_k={fusion.rrf_k} "
          f"dev ndcg@10={fusion.dev_score:.4f}", file=sys.stderr)
    rows, report = [], {"data": shown(data), "model": args.model or "default",
                        "model_fingerprint": fingerprint, "fusion": fusion.to_dict(),
                        "n_corpus": len(corpus), "splits": {}}
    for split in SPLITS:
        qpath, _ = ev.split_paths(data, split)
        queries = ev.sample(ev.load_queries(qpath, ids), args.limit_queries)
        t0 = time.perf_counter()
        res = ev.evaluate(list(ev.SYSTEMS), queries, corpus, model, fusion=fusion,
                          settings=quiet)
        res["bm25-kiwi"] = ev.evaluate(["bm25"], queries, corpus, settings=ev.EvalSettings(
            tokenizer="kiwi", show_progress=False))["bm25"]
        print(f"{split}: {len(queries)} queries in {time.perf_counter() - t0:.0f} s",
              file=sys.stderr)
        report["splits"][split] = {"n_queries": len(queries), "systems": res}
        for name in ("bm25", "bm25-kiwi", "acronym", "dense", "hybrid"):
            m = res[name]["metrics"]
            by = res[name]["breakdowns"]
            rows.append([split, name, *(m[c] for c in COLUMNS),
                         by["direction"]["abbr2exp"]["ndcg@10"],
                         by["direction"]["exp2abbr"]["ndcg@10"],
                         *(by["lang"].get(g, {}).get("ndcg@10", float("nan"))
                           for g in ("ko", "en", "mixed")),
                         by["ambiguous"].get("true", {}).get("ndcg@10", float("nan")),
                         res[name]["seconds"]])
    head = ["split", "system", *COLUMNS, "a2e", "e2a", "ko", "en", "mixed", "ambig", "s"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join([":--", ":--"] + ["--:"] * (len(head) - 2)) + "|")
    for r in rows:
        print("| " + " | ".join([r[0], r[1], *(f"{v:.4f}" for v in r[2:-1]), f"{r[-1]:.1f}"])
              + " |")
    write_json(args.out, report)
    print(f"\nwrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
