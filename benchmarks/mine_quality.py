"""Quality of glossary mining: on the real specifications and on the fixture documents.

Real documents (``../shared/specs/*.md``, skipped when absent): for each, the rows mined
from its Abbreviations clause against the reference extraction (rows of
``../shared/data/telecom_glossary.jsonl`` whose ``origin`` has ``abbreviations_clause`` and
whose ``sources`` name the spec), compared after normalising case, spaces and hyphens.
The reference merges several releases, so recall is given twice: against all of the spec's
reference rows, and against those actually present in this document's text (the target).
A mined row counts as correct when it matches one of the spec's reference rows or, for an
abbreviation the spec's reference does not list, any reference row. Also: definitions
found, unresolved rows, usage sentences, and the time to mine all documents.

Fixtures: what ``termfit.mining`` extracts from tests/fixtures/mining/* against the
hand-written expected glossary (tests/fixtures/mining/expected.jsonl).

    python benchmarks/mine_quality.py [--specs DIR] [--sample-usage 50 --sample-out FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from pathlib import Path

from termfit.fileio import write_json, write_jsonl
from termfit.mining import document_usage, extract_mentions, read_document, read_text, variant_key

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"clause": {"precision": 0.97, "recall": 0.95}, "inline": {"precision": 0.9}}
REAL_TARGETS = {"precision": 0.97, "recall_present": 0.95, "seconds": 60.0}
_SPACE_HYPHEN = re.compile(r"[\s\-\u2010-\u2015]+")


def norm(text: str) -> str:
    """Comparison form: case, spaces and hyphens ignored."""
    return _SPACE_HYPHEN.sub("", text.casefold())


def _present(row: dict, text: str, flat: str) -> bool:
    """Is the row in the document as "ABBR Expansion" (any spacing, glued included)?"""
    if norm(row["abbr"] + row["expansion"]) not in flat:
        return False
    chars = [c for c in row["abbr"] + row["expansion"] if not _SPACE_HYPHEN.fullmatch(c)]
    pattern = (r"(?<![A-Za-z0-9])" + r"[ \t\-\u2010-\u2015]*".join(map(re.escape, chars))
               + r"(?![A-Za-z0-9])")
    return re.search(pattern, text, re.I) is not None


def _same_sense(key: tuple[str, str], any_ref: dict[str, list[str]], own: dict[str, str]
                ) -> bool:
    """A reference expansion equal to the mined one once the abbreviations in it that this
    document defines are spelt out ("Discrete Fourier Transform-spread-OFDM")."""
    for expansion in any_ref.get(key[0], []):
        spelt = re.sub(r"[A-Za-z0-9]+", lambda m: own.get(m.group(), m.group()), expansion)
        if norm(spelt) == key[1]:
            return True
    return False


def _real_document(path: Path, reference: list[dict], any_ref: dict[str, list[str]]
                   ) -> tuple[dict, list]:
    spec = path.name.split("_")[0]
    ref = {(norm(r["abbr"]), norm(r["expansion"])): r for r in reference
           if f"3GPP TS {spec}" in r["sources"]}
    ref_abbrs = {a for a, _ in ref}
    t0 = time.perf_counter()
    doc = read_text(path.name, read_document(path))
    usage = document_usage(doc)
    seconds = time.perf_counter() - t0
    mined = {(norm(m.abbr), norm(m.expansion)): m for m in doc.mentions if m.kind == "clause"}
    text = path.read_text(encoding="utf-8")
    flat = norm(text)
    present = {k for k, r in ref.items() if _present(r, text, flat)}
    own = {m.abbr: m.expansion for m in doc.mentions if m.kind == "clause"}
    correct = {k for k in mined if k in ref or (k[0] not in ref_abbrs and (
        k[1] in map(norm, any_ref.get(k[0], [])) or _same_sense(k, any_ref, own)))}
    found = set(mined) & set(ref)
    out = {
        "document": path.name, "spec": f"TS {spec}", "reference_rows": len(ref),
        "present_in_text": len(present), "mined": len(mined), "correct": len(correct),
        "precision": round(len(correct) / len(mined), 4) if mined else None,
        "recall_all": round(len(found) / len(ref), 4) if ref else None,
        "recall_present": round(len(found & present) / len(present), 4) if present else None,
        "definitions": sum(m.kind == "definition" for m in doc.mentions),
        "unresolved": len(doc.unresolved),
        "usage_rows": len(usage), "usage_sentences": len({(u.line, u.text) for u in usage}),
        "seconds": round(seconds, 2),
        "wrong": sorted(f"{m.abbr} = {m.expansion} [{m.source}]"
                        for k, m in mined.items() if k not in correct),
        "missed": sorted(f"{ref[k]['abbr']} = {ref[k]['expansion']}" for k in present - found),
        "unresolved_rows": [f"{u['line']}: {u['text']}" for u in doc.unresolved],
    }
    return out, usage


def evaluate_specs(specs: Path, glossary: Path, sample: int = 0, seed: int = 0
                   ) -> tuple[dict, list[dict]]:
    """Per-document figures on the real specifications, and a random usage sample."""
    rows = [json.loads(x) for x in glossary.read_text(encoding="utf-8").splitlines() if x.strip()]
    reference = [r for r in rows if "abbreviations_clause" in r.get("origin", [])]
    any_ref: dict[str, list[str]] = {}
    for r in rows:
        any_ref.setdefault(norm(r["abbr"]), []).append(r["expansion"])
    docs, usage = [], []
    t0 = time.perf_counter()
    for path in sorted(specs.glob("*_*.md")):
        figures, rows_ = _real_document(path, reference, any_ref)
        docs.append(figures)
        usage.extend(rows_)
    seconds = time.perf_counter() - t0  # includes the reference look-ups
    picked = random.Random(seed).sample(usage, min(sample, len(usage))) if sample else []
    return ({"documents": docs, "seconds_mining": round(sum(d["seconds"] for d in docs), 2),
             "seconds_total": round(seconds, 2)},
            [u.to_dict() for u in picked])


def _ok(d: dict) -> str:
    if d["mined"] == 0 and d["present_in_text"] == 0:
        return "n/a (empty clause)"
    good = ((d["precision"] or 0) >= REAL_TARGETS["precision"]
            and (d["recall_present"] or 0) >= REAL_TARGETS["recall_present"])
    return "ok" if good else "MISS"


def print_specs(result: dict) -> None:
    def f(x):
        return "-" if x is None else f"{x:.3f}"

    print(f"{'document':<31}{'ref':>5}{'pres':>5}{'mined':>6}{'P':>7}{'R all':>7}{'R pres':>7}"
          f"{'defs':>6}{'unres':>6}{'usage':>7}{'sec':>6}  target")
    for d in result["documents"]:
        print(f"{d['document'][:30]:<31}{d['reference_rows']:>5}{d['present_in_text']:>5}"
              f"{d['mined']:>6}{f(d['precision']):>7}{f(d['recall_all']):>7}"
              f"{f(d['recall_present']):>7}{d['definitions']:>6}{d['unresolved']:>6}"
              f"{d['usage_rows']:>7}{d['seconds']:>6.1f}  {_ok(d)}")
        for kind in ("wrong", "missed", "unresolved_rows"):
            for item in d[kind]:
                print(f"    {kind.replace('_', ' ')}: {item}")
    print(f"mining all {len(result['documents'])} documents: {result['seconds_mining']:.1f} s "
          f"(target < {REAL_TARGETS['seconds']:.0f} s)")


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
                    "telecom_glossary.jsonl", help="reference glossary (layout check, specs)")
    ap.add_argument("--specs", type=Path, default=ROOT.parent / "shared" / "specs",
                    help="real specifications (skipped when absent)")
    ap.add_argument("--sample-usage", type=int, default=0, metavar="N",
                    help="write a random sample of N usage sentences for a hand check")
    ap.add_argument("--sample-out", type=Path, default=Path("usage_sample.jsonl"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    real = None
    if args.specs.is_dir() and args.shared.is_file():
        real, sample = evaluate_specs(args.specs, args.shared, args.sample_usage, args.seed)
        print_specs(real)
        if sample:
            write_jsonl(args.sample_out, sample)
            print(f"wrote {len(sample)} usage sentences to {args.sample_out}")
        print()
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
    if real is not None:
        result["real_documents"] = real
    write_json(args.out, result)
    plot(result, args.out.with_suffix(".png"))
    print(f"wrote {args.out} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
