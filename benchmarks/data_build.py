"""Data build speed and size: `termfit data build` on the shared and the starter glossary.

Target: from the shared glossary (2,713 rows) at least 70,000 training pairs in under 60 s
on 2 cores, Korean (ko + mixed) and English roughly balanced, both directions present.

    python benchmarks/data_build.py [--glossary PATH ...] [--out benchmarks/results/data_build.json]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from termfit.dataset import read_stats
from termfit.fileio import write_json
from termfit.glossary import default_glossary_path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "telecom_glossary.jsonl"


def run(glossary: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "data"
        # a fresh process, as a user runs it: imports and tokenizer loading included
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "termfit", "data", "build", str(glossary),
                               "--out", str(out)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        if proc.returncode:
            raise SystemExit(f"termfit data build failed:\n{proc.stderr[-3000:]}")
        seconds = time.perf_counter() - start
        stats = read_stats(out)
    c = stats["counts"]
    train = c["train"]
    return {
        "glossary": glossary.name, "entries": c["entries"]["total"], "seconds": round(seconds, 1),
        "train_pairs": train["total"], "train_en": train["by_lang"].get("en", 0),
        "train_ko_mixed": train["by_lang"].get("ko", 0) + train["by_lang"].get("mixed", 0),
        "abbr2exp": train["by_direction"].get("abbr2exp", 0),
        "exp2abbr": train["by_direction"].get("exp2abbr", 0),
        "heldout_terms": c["heldout-terms"]["total"],
        "heldout_phrasings": c["heldout-phrasings"]["total"], "dev": c["dev"]["total"],
        "corpus": c["corpus"]["total"], "target_met": None,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--glossary", nargs="*", type=Path,
                    default=[p for p in (SHARED, default_glossary_path()) if p.is_file()])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/data_build.json"))
    args = ap.parse_args()
    rows = [run(g) for g in args.glossary]
    for r in rows:
        if r["glossary"] == SHARED.name:
            r["target_met"] = r["train_pairs"] >= 70_000 and r["seconds"] < 60
    cols = ["glossary", "entries", "seconds", "train_pairs", "train_en", "train_ko_mixed",
            "abbr2exp", "exp2abbr", "heldout_terms", "heldout_phrasings", "dev", "corpus",
            "target_met"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "|".join("--" for _ in cols) + "|")
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    write_json(args.out, {"results": rows, "cpu_count": __import__("os").cpu_count()})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
