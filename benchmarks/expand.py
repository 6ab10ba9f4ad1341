"""Abbreviations in context: detection and sense accuracy of ``termfit.expand`` on real
sentences of the 3GPP specifications in ../shared/specs, and time per sentence.

Each document's own Abbreviations clause gives the sense of every abbreviation it uses,
so each of its sentences is labelled without hand work (the usage sentences of
:func:`termfit.mining.usage_sentences`). The documents are split as the real-text data
splits them (:func:`termfit.realtext.split_documents`, default settings): settings
(temperature, weights, threshold) are chosen on its train and dev documents, figures
reported on its test documents, never seen while choosing. The glossary is
../shared/data/telecom_glossary.jsonl with the evaluated document's own specification
removed from every row's sources, so that the source prior and the topic feature cannot
read the answer off the document's own list.

Measured:
- detection precision/recall of the abbreviations the document defines (gold: every use
  that the usage sentences list, except parts of a longer known abbreviation such as NCR
  in NCR-MT; precision over the detections that name one of the document's
  abbreviations, detections of other abbreviations counted apart, and so are
  detections inside hyphen- or slash-joined tokens that the usage sentences do not list,
  such as PDCCH in "Type0-PDCCH": the gold leaves those uses out; a plural "PRBs" is the
  use of PRB listed at that place);
- sense accuracy over all labelled occurrences and over ambiguous ones (several distinct
  senses among the candidates; chance beside it), with ``uncertain`` abstentions counted
  separately;
- milliseconds per sentence with PyTorch and with the int8 ONNX export (2 threads).

    python benchmarks/expand.py [--model default] [--max-per-abbr 6] [--no-int8]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from _paths import shown

from termfit.expand import Resolver, Settings, expand, same_sense
from termfit.fileio import write_json
from termfit.glossary import Entry, load_glossary
from termfit.mining import usage_sentences
from termfit.realtext import ContextConfig, split_documents

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
TARGETS = {"accuracy": 0.97, "ambiguous_accuracy": 0.80, "detection_precision": 0.95,
           "detection_recall": 0.95, "int8_ms_per_sentence": 20.0}
GRID = {"temperature": (0.02, 0.05, 0.1), "prior_weight": (0.5, 1.0, 2.0),
        "topic_weight": (0.0, 2.0), "lexical_weight": (0.0, 2.0, 4.0), "window": (24,)}
THRESHOLDS = tuple(round(x, 2) for x in np.arange(0.34, 0.96, 0.02))


@dataclass(frozen=True)
class Gold:
    start: int
    end: int
    abbr: str
    expansion: str


@dataclass
class Sentence:
    text: str
    doc: str
    gold: list[Gold]  # every use of an abbreviation the document defines
    labelled: list[Gold]  # uses whose sense is evaluated (expansion not spelled out)
    defined: frozenset[str]  # normalised abbreviations the document defines


# ------------------------------------------------------------------------------ data

def spec_source(doc: str) -> str:
    return "3GPP TS " + doc.split("_", 1)[0]


def inside_longer(text: str, g: Gold, known: set[str]) -> bool:
    """Whether the occurrence is part of a longer known abbreviation joined by hyphens
    ("NCR" in "NCR-MT", "CP" in "CP-OFDM")."""
    pieces = [(m.start(), m.end()) for m in re.finditer(r"[0-9A-Za-z]+", text)]
    idx = [i for i, (s, e) in enumerate(pieces) if s >= g.start and e <= g.end]
    if not idx:
        return False
    lo, hi = idx[0], idx[-1]
    for i in range(max(0, lo - 3), lo + 1):
        for j in range(hi, min(len(pieces), hi + 4)):
            if (i, j) == (lo, hi) or any(text[pieces[k][1]:pieces[k + 1][0]] != "-"
                                         for k in range(i, j)):
                continue
            if _norm(text[pieces[i][0]:pieces[j][1]]) in known:
                return True
    return False


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[0-9a-z]+", text.casefold())) + " "


def document_sentences(path: Path, max_per_abbr: int, rng: random.Random,
                       known: set[str] = frozenset()) -> list[Sentence]:
    """The document's usage sentences (:func:`termfit.mining.usage_sentences`), grouped by
    sentence; uses inside a longer ``known`` abbreviation are left out, and a sense is
    evaluated only where the sentence does not spell the expansion out. At most
    ``max_per_abbr`` sentences per abbreviation (sentences kept whole)."""
    by_text: dict[str, list[Gold]] = defaultdict(list)
    for u in usage_sentences(path):
        g = Gold(u.start, u.end, u.abbr, u.expansion)
        if not inside_longer(u.text, g, known) and g not in by_text[u.text]:
            by_text[u.text].append(g)
    defined = frozenset(_norm(g.abbr) for gs in by_text.values() for g in gs)
    rows = [Sentence(t, path.name, gs, [g for g in gs if _words(g.expansion) not in _words(t)],
                     defined) for t, gs in by_text.items() if gs]
    rng.shuffle(rows)
    count: dict[str, int] = defaultdict(int)
    kept: list[Sentence] = []
    for s in rows:
        new = {g.abbr for g in s.labelled}
        if new and any(count[a] < max_per_abbr for a in new):
            kept.append(s)
            for a in new:
                count[a] += 1
    return kept


def held_out_glossary(entries: list[Entry], doc: str) -> list[Entry]:
    src = spec_source(doc)
    return [replace(e, sources=[s for s in e.sources if s != src]) for e in entries]


# ------------------------------------------------------------------------------ scoring

def evaluate(sentences: list[Sentence], resolvers: dict[str, Resolver],
             timing: bool = False) -> dict:
    """Detection and sense figures (and per-sentence times when ``timing``)."""
    det = {"tp": 0, "claimed": 0, "gold": 0, "other_detections": 0, "compound_parts": 0}
    rows: list[dict] = []
    times: list[float] = []
    times_model: list[float] = []
    for s in sentences:
        r = resolvers[s.doc]
        t0 = time.perf_counter()
        result = expand([s.text], r)[0]
        dt = time.perf_counter() - t0
        times.append(dt)
        if any(a.alternatives and 0 < a.score < 1 for a in result.abbreviations):
            times_model.append(dt)
        doc_keys = s.defined
        pred = {_gold_span(s.text, a.start, a.end): a for a in result.abbreviations}
        gold_pos = {(g.start, g.end) for g in s.gold}
        det["gold"] += len(gold_pos)
        for (st, en), a in pred.items():
            if (st, en) not in gold_pos and _compound_part(s.text, st, en):
                det["compound_parts"] += 1  # the usage sentences never list these
            elif _norm(a.abbr) in doc_keys or _norm(a.abbr.rstrip("s")) in doc_keys:
                det["claimed"] += 1
                det["tp"] += (st, en) in gold_pos
            else:
                det["other_detections"] += 1
        for g in s.labelled:
            rows.append(_sense_row(g, pred.get((g.start, g.end)), r))
    out = {"sentences": len(sentences), **_detection(det), **sense_figures(rows)}
    if timing:
        out["ms_per_sentence"] = _ms(times)
        out["ms_per_sentence_with_model"] = _ms(times_model)
    return out


def _compound_part(text: str, start: int, end: int) -> bool:
    """Whether a span is part of a hyphen- or slash-joined token ("PDCCH" in "Type0-PDCCH"):
    the usage sentences (the gold) leave such uses out, so they are counted apart."""
    return text[start - 1:start] in ("-", "/") or text[end:end + 1] in ("-", "/")


def _gold_span(text: str, start: int, end: int) -> tuple[int, int]:
    """A detected span as the usage sentences write it: without a plural "s" ("PRBs" is a
    use of PRB at the same place)."""
    if end - start > 2 and text[end - 1] == "s" and text[start:end - 1].isupper():
        return start, end - 1
    return start, end


def _norm(abbr: str) -> str:
    return re.sub(r"[\s\-]", "", abbr).upper()


def _detection(d: dict) -> dict:
    p = d["tp"] / d["claimed"] if d["claimed"] else 0.0
    rec = d["tp"] / d["gold"] if d["gold"] else 0.0
    return {"detection": {"precision": round(p, 4), "recall": round(rec, 4), **d}}


def _sense_row(g: Gold, a, r: Resolver) -> dict:
    senses = r.senses.get(re.sub(r"[\s\-\u2010-\u2015]", "", g.abbr), [])
    has_gold = any(same_sense(g.expansion, x) for s in senses for x in s.expansions)
    correct = a is not None and a.expansion is not None and same_sense(g.expansion, a.expansion)
    return {"abbr": g.abbr, "n_senses": len(senses), "has_gold": has_gold,
            "detected": a is not None, "correct": correct,
            "uncertain": bool(a is not None and a.uncertain),
            "score": a.score if a is not None else 0.0,
            "model": bool(a is not None and a.alternatives and 0 < a.score < 1)}


def sense_figures(rows: list[dict]) -> dict:
    def block(rs: list[dict]) -> dict:
        answered = [x for x in rs if not x["uncertain"]]
        n = len(rs)
        return {
            "n": n,
            "accuracy": round(sum(x["correct"] for x in rs) / n, 4) if n else None,
            "answered": len(answered),
            "abstained": n - len(answered),
            "accuracy_answered": (round(sum(x["correct"] for x in answered) / len(answered), 4)
                                  if answered else None),
            "chance": round(statistics.mean(1 / max(1, x["n_senses"]) for x in rs), 4)
            if n else None,
        }

    usable = [x for x in rows if x["has_gold"]]
    return {"labelled": len(rows), "gold_not_in_glossary": len(rows) - len(usable),
            "all": block(usable), "ambiguous": block([x for x in usable if x["n_senses"] > 1])}


def _ms(times: list[float]) -> dict:
    if not times:
        return {"n": 0}
    a = np.asarray(times) * 1000
    return {"n": len(a), "mean": round(float(a.mean()), 2),
            "p50": round(float(np.percentile(a, 50)), 2),
            "p95": round(float(np.percentile(a, 95)), 2)}


# ------------------------------------------------------------------------------ fitting

def _model_rows(sentences: list[Sentence], resolvers: dict[str, Resolver]) -> list[dict]:
    rows = []
    for s in sentences:
        r = resolvers[s.doc]
        pred = {_gold_span(s.text, a.start, a.end): a
                for a in expand([s.text], r)[0].abbreviations}
        rows += [_sense_row(g, pred.get((g.start, g.end)), r) for g in s.labelled]
    return [x for x in rows if x["has_gold"] and x["n_senses"] > 1]


def document_split() -> dict[str, str]:
    """Specification file name -> "train" | "dev" | "test", as the real-text data splits."""
    usage = [u for p in sorted((SHARED / "specs").glob("*.md")) if p.name != "README.md"
             for u in usage_sentences(p)]
    return split_documents(usage, ContextConfig())


def fit(dev: list[Sentence], resolvers: dict[str, Resolver]) -> tuple[Settings, dict]:
    """Grid search on the fitting documents' ambiguous occurrences: best accuracy, then
    the threshold that maximises correct - 2 x wrong among the answers that the model ranked."""
    ambiguous = [s for s in dev if any(len(resolvers[s.doc].senses.get(
        re.sub(r"[\s\-]", "", g.abbr), [])) > 1 for g in s.labelled)]
    best: tuple | None = None
    for t, pw, tw, lw, w in itertools.product(*GRID.values()):
        settings = Settings(temperature=t, prior_weight=pw, topic_weight=tw,
                            lexical_weight=lw, threshold=0.0, window=w)
        for r in resolvers.values():
            r.settings = settings
        rows = _model_rows(ambiguous, resolvers)
        acc = sum(x["correct"] for x in rows) / max(1, len(rows))
        nll = -statistics.mean(np.log(max(x["score"], 1e-6)) if x["correct"]
                               else np.log(max(1 - x["score"], 1e-6)) for x in rows)
        if best is None or (acc, -nll) > best[0]:
            best = ((acc, -nll), settings, rows)
    assert best is not None
    (acc, _), settings, rows = best
    model_rows = [x for x in rows if x["model"]]

    def utility(th: float) -> int:
        return sum((1 if x["correct"] else -2) for x in model_rows if x["score"] >= th)

    threshold = max(THRESHOLDS, key=lambda th: (utility(th), -th))
    settings = replace(settings, threshold=float(threshold))
    return settings, {"fit_ambiguous_occurrences": len(rows), "fit_ambiguous_accuracy":
                      round(acc, 4), "fit_model_ranked": len(model_rows),
                      "settings": asdict(settings)}


# ------------------------------------------------------------------------------ main

def export_int8(model: str, out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "termfit", "export", "--model", model, "--format",
                    "onnx-int8", "--out", str(out)], check=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="default")
    ap.add_argument("--max-per-abbr", type=int, default=6)
    ap.add_argument("--int8", default=None, help="an existing int8 export (else exported)")
    ap.add_argument("--no-int8", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/expand.json"))
    args = ap.parse_args()
    import torch

    from termfit.models import load_model

    torch.set_num_threads(2)
    rng = random.Random(0)
    entries = load_glossary([SHARED / "data/telecom_glossary.jsonl"])
    known = {_norm(e.abbr) for e in entries}
    split = document_split()
    fit_docs = sorted(d for d, v in split.items() if v != "test")
    test_docs = sorted(d for d, v in split.items() if v == "test")
    docs = {d: document_sentences(SHARED / "specs" / d, args.max_per_abbr, rng, known)
            for d in fit_docs + test_docs}
    model = load_model(args.model)
    cache: dict = {}

    def resolvers_for(m, settings: Settings | None = None) -> dict[str, Resolver]:
        return {d: Resolver(held_out_glossary(entries, d), m, settings,
                            vector_cache=cache) for d in docs}

    resolvers = resolvers_for(model)
    dev = [s for d in fit_docs for s in docs[d]]
    test = [s for d in test_docs for s in docs[d]]
    t0 = time.perf_counter()
    settings, fitted = fit(dev, resolvers)
    fitted["fit_seconds"] = round(time.perf_counter() - t0, 1)
    model_name = shown(args.model) if Path(args.model).exists() else args.model
    result: dict = {"model": model_name, "glossary": "../shared/data/telecom_glossary.jsonl",
                    "fit_documents": fit_docs, "test_documents": test_docs,
                    "fit": fitted, "targets": TARGETS}
    resolvers = resolvers_for(model, settings)
    next(iter(resolvers.values())).warm()  # passages embedded once, before timing
    expand([test[0].text], resolvers[test[0].doc])
    result["fit"] |= {"figures": evaluate(dev, resolvers)}
    result["test_pytorch"] = evaluate(test, resolvers, timing=True)
    if not args.no_int8:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(args.int8) if args.int8 else export_int8(args.model, Path(tmp) / "int8")
            cache = {}
            resolvers = resolvers_for(load_model(str(path)), settings)
            next(iter(resolvers.values())).warm()
            expand([test[0].text], resolvers[test[0].doc])
            result["test_int8"] = evaluate(test, resolvers, timing=True)
    write_json(args.out, result)
    print_table(result)


def print_table(r: dict) -> None:
    print(f"settings chosen on {', '.join(r['fit_documents'])}: {r['fit']['settings']}")
    print("| split | sentences | det. P | det. R | acc. all | acc. ambiguous (n, chance) "
          "| abstained (all/amb.) | acc. answered amb. | ms/sentence mean (p95) "
          "| ms with model |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, x in (("fit documents", r["fit"].get("figures")),
                    ("test_pytorch", r.get("test_pytorch")), ("test_int8", r.get("test_int8"))):
        if x is None:
            continue
        a, m = x["all"], x["ambiguous"]
        ms = x.get("ms_per_sentence", {})
        mm = x.get("ms_per_sentence_with_model", {})
        print(f"| {name} | {x['sentences']} | {x['detection']['precision']:.3f} | "
              f"{x['detection']['recall']:.3f} | {a['accuracy']:.3f} | {m['accuracy']:.3f} "
              f"({m['n']}, {m['chance']}) | {a['abstained']}/{m['abstained']} | "
              f"{m['accuracy_answered']} | {ms.get('mean', '-')} ({ms.get('p95', '-')}) | "
              f"{mm.get('mean', '-')} |")
    print(json.dumps(r["targets"]))


if __name__ == "__main__":
    main()
