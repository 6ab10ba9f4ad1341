"""Precision and recall of glossary mining on the fixture documents.

Compares what ``termfit.mining`` extracts from tests/fixtures/mining/* with the
hand-written expected glossary (tests/fixtures/mining/expected.jsonl), separately for
abbreviation clauses and inline definitions. A row counts as correct when document,
abbreviation and expansion (up to spelling variants) match.

    python benchmarks/mine_quality.py [--fixtures DIR] [--out benchmarks/results/mine_quality.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from termfit.fileio import write_json
from termfit.mining import extract_mentions, read_document, variant_key

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"clause": {"precision": 0.97, "recall": 0.95}, "inline": {"precision": 0.9}}


def key(doc: str, abbr: str, expansion: str, origin: str) -> tuple[str, str, str, str]:
    return (doc, *variant_key(abbr, expansion), origin)


def evaluate(fixtures: Path) -> dict:
    expected_rows = [json.loads(x) for x in (fixtures / "expected.jsonl").read_text().splitlines()
                     if x.strip()]
    expected = {key(r["document"], r["abbr"], r["expansion"], r["origin"]): r
                for r in expected_rows}
    docs = sorted({r["document"] for r in expected_rows})
    found: dict[tuple, str] = {}
    t0 = time.perf_counter()
    for doc in docs:
        for m in extract_mentions(doc, read_document(fixtures / doc)):
            found.setdefault(key(doc, m.abbr, m.expansion, m.kind),
                             f"{m.abbr} = {m.expansion} [{m.source}]")
    seconds = time.perf_counter() - t0
    result: dict = {"documents": len(docs), "seconds": round(seconds, 3)}
    for origin in ("clause", "inline"):
        exp = {k for k in expected if k[3] == origin}
        got = {k for k in found if k[3] == origin}
        tp = len(exp & got)
        p = tp / len(got) if got else 0.0
        r = tp / len(exp) if exp else 0.0
        result[origin] = {
            "expected": len(exp), "extracted": len(got), "correct": tp,
            "precision": round(p, 4), "recall": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "false_positives": sorted(found[k] for k in got - exp),
            "missed": sorted(f"{expected[k]['abbr']} = {expected[k]['expansion']} "
                             f"[{k[0]}]" for k in exp - got),
        }
    return result


def shared_layouts(glossary: Path) -> dict:
    """Clause parsing on the real abbreviation/expansion pairs of the shared glossary's
    clause rows, laid out as tab-separated, single-space and glued (separator lost) lines."""
    from termfit.clauses import parse_abbreviation_clause

    rows = [json.loads(x) for x in glossary.read_text().splitlines() if x.strip()]
    rows = [r for r in rows if "abbreviations_clause" in r.get("origin", [])]
    want = {(r["abbr"], r["expansion"]) for r in rows}
    out = {"rows": len(rows)}
    for layout, sep in (("tab", "\t"), ("single space", " "), ("glued", "")):
        text = "3.3 Abbreviations\n" + "\n".join(f"{a}{sep}{e}" for a, e in sorted(want))
        got = {(r.abbr, r.expansion) for r in parse_abbreviation_clause(text)}
        tp = len(want & got)
        out[layout] = {"precision": round(tp / max(len(got), 1), 4),
                       "recall": round(tp / len(want), 4)}
    return out


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3))
    kinds = ["clause", "inline"]
    for i, metric in enumerate(["precision", "recall"]):
        vals = [result[k][metric] for k in kinds]
        ax.bar([x + i * 0.35 for x in range(2)], vals, 0.35, label=metric)
    ax.set_xticks([0.175, 1.175], ["abbreviation clauses", "inline definitions"])
    ax.set_ylim(0, 1.05)
    ax.set_title("Glossary mining on the fixture documents")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixtures", type=Path, default=ROOT / "tests" / "fixtures" / "mining")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" /
                    "mine_quality.json")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data" /
                    "telecom_glossary.jsonl", help="shared glossary for the layout check")
    args = ap.parse_args()
    result = evaluate(args.fixtures)
    print(f"{'extraction':<20}{'expected':>9}{'found':>7}{'correct':>8}{'precision':>10}"
          f"{'recall':>8}  target")
    for origin, label in (("clause", "abbreviation clause"), ("inline", "inline definition")):
        r = result[origin]
        target = ", ".join(f"{k[0].upper()} >= {v}" for k, v in TARGETS[origin].items())
        ok = all(r[k] >= v for k, v in TARGETS[origin].items())
        print(f"{label:<20}{r['expected']:>9}{r['extracted']:>7}{r['correct']:>8}"
              f"{r['precision']:>10.3f}{r['recall']:>8.3f}  {target} {'ok' if ok else 'MISS'}")
    for origin in ("clause", "inline"):
        for kind in ("false_positives", "missed"):
            for item in result[origin][kind]:
                print(f"  {origin} {kind.replace('_', ' ')}: {item}")
    print(f"{result['documents']} documents in {result['seconds']:.2f} s")
    if args.shared.is_file():
        result["shared_layouts"] = shared = shared_layouts(args.shared)
        print(f"\nclause rows of the shared glossary ({shared['rows']}) re-laid out:")
        print(f"{'layout':<16}{'precision':>10}{'recall':>8}")
        for layout in ("tab", "single space", "glued"):
            r = shared[layout]
            print(f"{layout:<16}{r['precision']:>10.3f}{r['recall']:>8.3f}")
    write_json(args.out, result)
    plot(result, args.out.with_suffix(".png"))
    print(f"wrote {args.out} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
