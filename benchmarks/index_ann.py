"""Exact cosine vs usearch HNSW: per-query time, recall@10 and build time by index size.

Used to choose termfit.index.ANN_THRESHOLD. Vectors are synthetic but clustered like
passage embeddings (many near neighbours); one thread, as `termfit serve` runs.

    python benchmarks/index_ann.py --sizes 5000,20000,50000,100000,200000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np


def clustered(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    centres = rng.standard_normal((max(1, n // 50), dim)).astype(np.float32)
    x = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal(
        (n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5000,20000,50000,100000,200000")
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--out", default="benchmarks/results/index_ann.json")
    args = ap.parse_args(argv)

    import torch
    from threadpoolctl import threadpool_limits
    from tqdm import tqdm
    from usearch.index import Index

    torch.set_num_threads(1)
    threadpool_limits(1)
    rng = np.random.default_rng(0)
    rows = []
    for n in tqdm([int(s) for s in args.sizes.split(",")], desc="sizes"):
        data = clustered(n, args.dim, rng)
        q = data[rng.integers(0, n, args.queries)] + 0.3 * rng.standard_normal(
            (args.queries, args.dim)).astype(np.float32)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        t0 = time.perf_counter()
        truth = []
        for v in q:  # one query at a time, as a server answers them
            s = data @ v
            top = np.argpartition(-s, args.k)[: args.k]
            truth.append(set(top[np.argsort(-s[top])].tolist()))
        exact_ms = (time.perf_counter() - t0) / len(q) * 1000
        t0 = time.perf_counter()
        ix = Index(ndim=args.dim, metric="cos", dtype="f32", connectivity=16,
                   expansion_add=128, expansion_search=64)
        ix.add(np.arange(n, dtype=np.uint64), data, threads=1)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        found = [set(ix.search(v, args.k).keys.tolist()) for v in q]
        ann_ms = (time.perf_counter() - t0) / len(q) * 1000
        recall = float(np.mean([len(a & b) / args.k for a, b in zip(found, truth, strict=True)]))
        rows.append({"passages": n, "exact_ms": round(exact_ms, 3), "ann_ms": round(ann_ms, 3),
                     "ann_recall@10": round(recall, 4), "ann_build_s": round(build_s, 1)})
    print(f"{'passages':>9}{'exact ms':>10}{'HNSW ms':>9}{'recall@10':>11}{'build s':>9}")
    for r in rows:
        print(f"{r['passages']:>9}{r['exact_ms']:>10}{r['ann_ms']:>9}{r['ann_recall@10']:>11}"
              f"{r['ann_build_s']:>9}")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from termfit.fileio import write_json

    write_json(args.out, {"rows": rows, "dim": args.dim, "cpus": os.cpu_count(),
                          "load_average": os.getloadavg()})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
