"""Training rows per data source: `termfit data build` with each source switched on or off.

No training: builds the data folder once per configuration and counts ``train.jsonl`` rows
by source (``template`` for the query templates of :mod:`termfit.pairs`; ``ko_name``,
``ko_generated_name``, ``ko_loanword_name``, ``glossary_definition``, ``mined_definition``
for the rows of :mod:`termfit.namerows`), the Korean-name / description queries added to
the evaluation splits, and the build time (in-process, token statistics off).

Configurations: ``all`` (generated names, definitions mined from the specifications),
``no-generated-names``, ``no-name-rows``, ``no-definitions`` (no documents mined) and
``templates-only``.

    python benchmarks/data_sources.py [--glossary PATH] [--specs DIR]
        [--out benchmarks/results/data_sources.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

from _paths import shown

from termfit.dataset import BuildConfig, build_dataset
from termfit.fileio import write_json
from termfit.glossary import default_glossary_path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SOURCES = ("template", "ko_name", "ko_generated_name", "ko_loanword_name", "glossary_definition",
           "mined_definition")


def configurations(specs: list[str]) -> dict[str, BuildConfig]:
    """The compared builds (same seed, same template settings)."""
    base = {"token_stats": False}
    return {
        "all": BuildConfig(definitions_from=specs, **base),
        "no-generated-names": BuildConfig(definitions_from=specs, generated_ko_names=False,
                                          **base),
        "no-name-rows": BuildConfig(definitions_from=specs, name_rows_per_entry=0, **base),
        "no-definitions": BuildConfig(**base),
        "templates-only": BuildConfig(generated_ko_names=False, name_rows_per_entry=0,
                                      description_rows_per_entry=0, **base),
    }


def run(glossary: Path, name: str, config: BuildConfig) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = build_dataset(glossary, Path(tmp) / "data", seed=42, config=config,
                               progress=False)
        seconds = time.perf_counter() - start
        with open(result.files["train"], encoding="utf-8") as fh:
            by_source = Counter(json.loads(line).get("source", "template") for line in fh)
        card = json.loads((Path(tmp) / "data" / "data_card.json").read_text(encoding="utf-8"))
    names = card["names"]
    return {
        "config": name, "seconds": round(seconds, 1), "train": result.counts["train"],
        "by_source": {s: by_source.get(s, 0) for s in SOURCES},
        "entries_with_name": names["entries_with_name"],
        "generated_names": names["generated_names"],
        "loanword_names": names["loanword_names"],
        "entries_with_definition": names["entries_with_definition"],
        "queries_added": names["queries_added"],
        "heldout_phrasings": result.counts["heldout-phrasings"],
        "heldout_terms": result.counts["heldout-terms"],
    }


def table(rows: list[dict]) -> str:
    head = "| config | train | " + " | ".join(SOURCES) + " | names (generated) | definitions | " \
        "held-out queries added (terms / phrasings) | seconds |"
    lines = [head, "|" + "|".join([":--"] + ["--:"] * (len(SOURCES) + 5)) + "|"]
    for r in rows:
        q = r["queries_added"]
        lines.append(
            f"| {r['config']} | {r['train']:,} | "
            + " | ".join(f"{r['by_source'][s]:,}" for s in SOURCES)
            + f" | {r['entries_with_name']:,} ({r['generated_names']:,}) | "
            f"{r['entries_with_definition']:,} | {q.get('heldout-terms', 0):,} / "
            f"{q.get('heldout-phrasings', 0):,} | {r['seconds']} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--glossary", type=Path, default=SHARED / "data" / "telecom_glossary.jsonl")
    ap.add_argument("--specs", type=Path, default=SHARED / "specs",
                    help="folder of documents whose Definitions clauses are mined")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/data_sources.json")
    args = ap.parse_args()
    if not args.glossary.is_file():
        raise SystemExit(f"{args.glossary}: glossary not found")
    specs = sorted(str(p) for p in args.specs.glob("*.md") if p.name != "README.md") \
        if args.specs.is_dir() else []
    # warm-up (imports, lexicons) so that the first configuration's time is comparable
    run(default_glossary_path(), "warm-up", BuildConfig(token_stats=False, pairs_per_entry=1))
    rows = [run(args.glossary, name, cfg) for name, cfg in configurations(specs).items()]
    print(table(rows))
    write_json(args.out, {"glossary": shown(args.glossary), "specs": [shown(s) for s in specs],
                          "seed": 42, "results": rows})
    print(f"wrote {shown(args.out)}")


if __name__ == "__main__":
    main()
