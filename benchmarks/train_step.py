"""Seconds per MNRL training step of the default e5-small on this CPU, by speed option.

One step = forward and backward of 64 queries, 64 positives and 64 echo negatives at the
lengths of the shared glossary's data (padded to multiples of 8), then an AdamW update.
Every variant runs the same shapes in the same order in this one process; the first pass
over the shapes (kernel preparation, compilation) is timed separately.

    python benchmarks/train_step.py [--variants fp32,bf16,bf16-freeze6,bf16-compile]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from termfit.fileio import write_json
from termfit.models import load_model

# (query, positive, negative) lengths in tokens, as the CPU recipe's padded batches have them
SHAPES = [(24, 16, 16), (32, 16, 8), (24, 8, 16), (16, 8, 8)]
VOCAB = 35_000  # a trimmed vocabulary's size
VARIANTS = {
    "fp32": {"bf16": False},
    "bf16": {"bf16": True},
    "bf16-freeze6": {"bf16": True, "freeze_layers": 6},
    "bf16-compile": {"bf16": True, "compile": True},
}


def _batch(length: int, gen: torch.Generator) -> dict:
    ids = torch.randint(5, VOCAB, (64, length), generator=gen)
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}


def run(variant: dict, repeats: int) -> dict:
    torch.manual_seed(0)
    model = load_model("default")
    hf = model[0].auto_model
    hf.resize_token_embeddings(VOCAB)
    if variant.get("freeze_layers"):
        for p in hf.embeddings.parameters():
            p.requires_grad_(False)
        for layer in hf.encoder.layer[: variant["freeze_layers"]]:
            for p in layer.parameters():
                p.requires_grad_(False)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    fwd = torch.compile(model, dynamic=False) if variant.get("compile") else model
    gen = torch.Generator().manual_seed(0)

    def step(shape):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=variant["bf16"]):
            a, p, n = (fwd(_batch(n_tok, gen))["sentence_embedding"] for n_tok in shape)
            scores = a @ torch.cat([p, n]).T * 20.0
            loss = torch.nn.functional.cross_entropy(scores.float(), torch.arange(64))
        loss.backward()
        opt.step()
        opt.zero_grad()

    t0 = time.perf_counter()
    for shape in SHAPES:
        step(shape)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(repeats):
        for shape in SHAPES:
            step(shape)
    per_step = (time.perf_counter() - t0) / (repeats * len(SHAPES))
    return {"first_pass_seconds": round(first, 2), "seconds_per_step": round(per_step, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="benchmarks/results/train_step.json")
    args = ap.parse_args()
    results = {"threads": torch.get_num_threads(), "shapes": SHAPES, "variants": {}}
    for name in args.variants.split(","):
        print(f"{name} ...", flush=True)
        results["variants"][name] = run(VARIANTS[name], args.repeats)
    base = results["variants"].get("fp32", {}).get("seconds_per_step")
    print(f"\n{results['threads']} threads; batch 64 x (query, positive, negative)")
    print("| variant | s/step | vs fp32 | first pass s |")
    print("|:--|--:|--:|--:|")
    for name, r in results["variants"].items():
        ratio = f"{base / r['seconds_per_step']:.2f}x" if base else "-"
        print(f"| {name} | {r['seconds_per_step']:.3f} | {ratio} | {r['first_pass_seconds']} |")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, results)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
