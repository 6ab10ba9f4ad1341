"""Real text: sentences of unseen specifications and hand-written Korean questions.

Mines the eleven specifications in ../shared/specs with their usage sentences, builds the
data from ../shared/data/telecom_glossary.jsonl with the split by document, and evaluates
BM25, the acronym scorer, dense models and the hybrid (fusion tuned on realtext-dev) on
realtext-test (sentence + question: NDCG@10, acc@1, sense accuracy among candidates with
chance), the hand-written Korean questions and the template held-out phrasings. Prints a
table and writes JSON.

    python benchmarks/real_text.py [--work DIR] [--contexts FILE] [--model M ...]
        [--train [--max-minutes 15] [--ablation SOURCE ...]] [--questions FILE]

``--model`` evaluates given models (default: the offline base e5-small, zero-shot);
``--train`` also trains the CPU recipe on the built data and evaluates it;
``--ablation SOURCE`` (repeatable: context, names, descriptions, templates) also trains, at
the same budget, on the same data without that source's rows.
Dense models are evaluated with max_seq_length 512 (``--max-seq-length``): real sentences
are longer than training lengths.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from termfit import evaluate as ev
from termfit import realtext
from termfit.fileio import read_jsonl, write_json, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
GLOSSARY = SHARED / "data" / "telecom_glossary.jsonl"
LEXICAL = ("bm25", "acronym")
QUIET = ev.EvalSettings(show_progress=False)


def termfit(*args: str, check: bool = True) -> None:
    cmd = [sys.executable, "-m", "termfit", *args]
    print("$ termfit " + " ".join(args), file=sys.stderr)
    subprocess.run(cmd, check=check)


def build(work: Path, contexts: Path | None, seed: int) -> Path:
    """Mine the specifications (unless --contexts is given) and build the data once."""
    data = work / "data"
    if (data / "queries-realtext-test.jsonl").is_file():
        return data
    if contexts is None:
        contexts = work / "contexts.jsonl"
        specs = sorted(str(p) for p in (SHARED / "specs").glob("*.md") if p.name != "README.md")
        # exit code 2 when a document is skipped (e.g. no Abbreviations rows): the others
        # are still written
        termfit("mine", *specs, "--out", str(work / "mined.jsonl"), "--contexts",
                str(contexts), "--quiet", check=False)
        if not contexts.is_file():
            raise SystemExit("termfit mine wrote no usage sentences")
    # Definitions (description rows) come from the training documents only.
    from termfit.usage import read_contexts

    split = realtext.split_documents(read_contexts(contexts), realtext.ContextConfig())
    train_docs = [str(SHARED / "specs" / d) for d, v in sorted(split.items()) if v == "train"]
    termfit("data", "build", str(GLOSSARY), "--contexts", str(contexts), "--out", str(data),
            "--seed", str(seed), *(["--definitions", *train_docs] if train_docs else []))
    return data


#: Training-row sources by template id prefix (context rows: termfit.realtext; Korean
#: names and descriptions: termfit.namerows); every other row is a template row.
ROW_SOURCES = {"context": ("ctx-",), "names": ("kn-",), "descriptions": ("desc-",)}


def row_source(row: dict) -> str:
    return next((name for name, prefixes in ROW_SOURCES.items()
                 if row["template"].startswith(prefixes)), "templates")


def without_rows(data: Path, out: Path, source: str) -> Path:
    """A copy of ``data`` whose train.jsonl lacks the rows of ``source`` (ablation)."""
    if (out / "train.jsonl").is_file():
        return out
    out.mkdir(parents=True, exist_ok=True)
    for p in data.iterdir():
        if p.name != "train.jsonl" and p.is_file():
            (out / p.name).write_bytes(p.read_bytes())
    rows = read_jsonl(data / "train.jsonl")
    write_jsonl(out / "train.jsonl", [r for r in rows if row_source(r) != source])
    return out


def train(data: Path, out: Path, minutes: float, max_seq_length: int) -> Path:
    """The CPU recipe with a training length that fits a sentence and its question."""
    if (out / "modules.json").is_file():
        return out
    import yaml

    from termfit.recipe import recipe_path

    recipe = yaml.safe_load(recipe_path("cpu-e5-small").read_text(encoding="utf-8"))
    recipe["max_seq_length"] = max(recipe.get("max_seq_length", 0), max_seq_length)
    path = out.with_suffix(".recipe.yaml")
    path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    termfit("train", "--data", str(data), "--recipe", str(path), "--out", str(out),
            "--max-minutes", str(minutes))
    return out


def load(model: str | None, max_seq_length: int):
    from termfit.models import load_model

    st = load_model(model)
    st.max_seq_length = max(st.max_seq_length or 0, max_seq_length)
    tok = getattr(st, "tokenizer", None)
    if tok is not None and getattr(tok, "model_max_length", 0) < max_seq_length:
        tok.model_max_length = max_seq_length
    return st


def query_sets(data: Path, questions: str | None, limit_template: int) -> dict[str, list]:
    corpus = ev.load_corpus(data / "corpus.jsonl")
    ids = {c["id"] for c in corpus}
    sets = {"realtext-test": ev.load_queries(data / "queries-realtext-test.jsonl", ids)}
    path = Path(questions) if questions else realtext.korean_questions_path()
    if path.is_file():
        entries = _entries(data)
        ko, missing = realtext.korean_queries(realtext.load_korean_questions(path), entries,
                                              corpus)
        if missing:
            print(f"{len(missing)} Korean questions without a gold entry (skipped)",
                  file=sys.stderr)
        sets["korean"] = ko
    else:
        print(f"no Korean questions at {path}: skipping that split", file=sys.stderr)
    sets["heldout-phrasings"] = ev.sample(
        ev.load_queries(data / "queries-heldout-phrasings.jsonl", ids), limit_template)
    return sets


def row(split: str, system: str, res: dict) -> dict:
    m, senses = res["metrics"], res.get("senses") or {}
    amb = senses.get("ambiguous", {})
    return {"split": split, "system": system, "n": res["n_queries"],
            "ndcg@10": m["ndcg@10"], "acc@1": m["accuracy@1"],
            "sense_acc": senses.get("all", {}).get("accuracy"),
            "sense_acc_ambiguous": amb.get("accuracy"), "chance_ambiguous": amb.get("chance"),
            "n_ambiguous": amb.get("n"), "seconds": res["seconds"],
            "by_kind": {k: v["ndcg@10"] for k, v in res["breakdowns"].get("kind", {}).items()},
            "acc1_by_kind": {k: v["accuracy@1"] for k, v in res["breakdowns"].get(
                "kind", {}).items()},
            "by_lang": {k: v["ndcg@10"] for k, v in res["breakdowns"].get("lang", {}).items()}}


def evaluate_all(data: Path, models: dict[str, str | None], sets: dict[str, list],
                 max_seq_length: int, limit_dev: int) -> list[dict]:
    corpus = ev.load_corpus(data / "corpus.jsonl")
    ids = {c["id"] for c in corpus}
    dev = ev.sample(ev.load_queries(data / "queries-realtext-dev.jsonl", ids), limit_dev)
    rows = []
    for split, queries in sets.items():
        res = ev.evaluate(list(LEXICAL), queries, corpus, settings=QUIET)
        rows += [row(split, s, res[s]) for s in LEXICAL]
    for label, model in models.items():
        st = load(model, max_seq_length)
        t0 = time.perf_counter()
        fusion = ev.tune_fusion(dev, corpus, st, QUIET)
        print(f"{label}: fusion tuned on {len(dev)} realtext-dev queries: {fusion.method} "
              f"{fusion.weights} (dev NDCG@10 {fusion.dev_score:.3f})", file=sys.stderr)
        for split, queries in sets.items():
            res = ev.evaluate(["dense", "hybrid"], queries, corpus, st, fusion=fusion,
                              settings=QUIET)
            rows += [row(split, f"{s}:{label}", res[s]) for s in ("dense", "hybrid")]
        print(f"{label}: evaluated in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return rows


def _entries(data: Path) -> list:
    from dataclasses import fields

    from termfit.glossary import Entry

    names = {f.name for f in fields(Entry)}
    return [Entry(**{k: v for k, v in r.items() if k in names})
            for r in read_jsonl(data / "entries.jsonl")]


def expand_senses(queries: list[dict], entries: list, st) -> dict | None:
    """Sense accuracy of :func:`termfit.expand.expand` (model + specification prior + topic
    + words of the text) on the queries that list candidate senses. A query from a
    document is resolved with that document's specification removed from every entry's
    sources (the prior must not read the answer off the evaluated document's own list)."""
    from dataclasses import replace

    from termfit.expand import Resolver, expand

    cache: dict = {}
    resolvers: dict[str, Resolver] = {}
    scores, gold = [], []
    for q in queries:
        if not q.get("candidates") or not q.get("abbr"):
            continue
        doc = q.get("source") or ""
        if doc not in resolvers:
            spec = "3GPP TS " + doc.split("_", 1)[0] if doc else None
            held = [replace(e, sources=[s for s in e.sources if s != spec]) for e in entries]
            resolvers[doc] = Resolver(held, st, vector_cache=cache)
        found = [a for a in expand([q["text"]], resolvers[doc])[0].abbreviations
                 if realtext.abbr_key(a.abbr) == realtext.abbr_key(q["abbr"])]
        probs: dict[str, float] = {}
        if found:
            a = found[-1]  # the question names the abbreviation last
            probs = {a.entry_id or "": a.score} | {x.entry_id: x.score for x in a.alternatives}
        scores.append([max((probs.get(c.split("/")[0], 0.0) for c in ids), default=0.0)
                       for ids in q["candidates"]])
        gold.append(realtext.gold_index(q))
    return realtext.sense_accuracy(scores, gold) if scores else None


def expand_rows(data: Path, models: dict[str, str | None], sets: dict[str, list],
                max_seq_length: int) -> list[dict]:
    entries = _entries(data)
    rows = []
    for label, model in models.items():
        st = load(model, max_seq_length)
        for split, queries in sets.items():
            t0 = time.perf_counter()
            res = expand_senses(queries, entries, st)
            if res is None:
                continue
            amb = res["ambiguous"]
            rows.append({"split": split, "system": f"expand:{label}", "n": res["all"]["n"],
                         "ndcg@10": None, "acc@1": None,
                         "sense_acc": res["all"]["accuracy"],
                         "sense_acc_ambiguous": amb["accuracy"],
                         "chance_ambiguous": amb["chance"], "n_ambiguous": amb["n"],
                         "seconds": round(time.perf_counter() - t0, 3), "by_kind": {},
                         "acc1_by_kind": {}, "by_lang": {}})
    return rows


def fmt(v) -> str:
    return "" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def table(rows: list[dict]) -> str:
    head = ["split", "system", "n", "NDCG@10", "acc@1", "sense acc", "sense acc (ambiguous)",
            "chance (ambiguous)"]
    out = ["| " + " | ".join(head) + " |", "|:--|:--|" + "--:|" * (len(head) - 2)]
    for r in rows:
        out.append("| " + " | ".join(fmt(x) for x in (
            r["split"], r["system"], r["n"], r["ndcg@10"], r["acc@1"], r["sense_acc"],
            r["sense_acc_ambiguous"], r["chance_ambiguous"])) + " |")
    return "\n".join(out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", type=Path, default=Path("/tmp/tf-realtext"))
    p.add_argument("--contexts", type=Path, help="usage sentences (default: mine the specs)")
    p.add_argument("--model", action="append", default=None,
                   help="model to evaluate (repeatable; default: the base model)")
    p.add_argument("--no-base", action="store_true",
                   help="do not evaluate the base model when no --model is given")
    p.add_argument("--train", action="store_true", help="also train the CPU recipe")
    p.add_argument("--max-minutes", type=float, default=15.0)
    p.add_argument("--train-max-seq-length", type=int, default=96)
    p.add_argument("--ablation", action="append", default=[],
                   choices=[*ROW_SOURCES, "templates"],
                   help="with --train: also train without this source's rows (repeatable)")
    p.add_argument("--max-seq-length", type=int, default=512)
    p.add_argument("--questions", help="Korean questions (default: the shipped set)")
    p.add_argument("--limit-template", type=int, default=500,
                   help="template held-out phrasing queries to evaluate")
    p.add_argument("--limit-dev", type=int, default=300)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" /
                   "real_text.json")
    args = p.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    data = build(args.work, args.contexts, args.seed)
    models: dict[str, str | None] = {}
    for m in args.model or ([] if args.no_base else [None]):
        models["base" if m is None else Path(m).name] = m
    if args.train:
        for source in args.ablation:
            plain = without_rows(data, args.work / f"data-no-{source}", source)
            models[f"trained-no-{source}"] = str(train(plain, args.work / f"model-no-{source}",
                                                       args.max_minutes,
                                                       args.train_max_seq_length))
        models["trained-context"] = str(train(data, args.work / "model-context",
                                              args.max_minutes, args.train_max_seq_length))
    sets = query_sets(data, args.questions, args.limit_template)
    rows = evaluate_all(data, models, sets, args.max_seq_length, args.limit_dev)
    rows += expand_rows(data, models, sets, args.max_seq_length)
    print(table(rows))
    card = json.loads((data / "data_card.json").read_text(encoding="utf-8"))["realtext"]
    report = {"glossary": str(GLOSSARY.relative_to(ROOT.parent)),
              "documents": card["documents"], "realtext_data": {
                  k: card[k] for k in ("usage_sentences", "labelled", "train_rows",
                                       "spelled_out_sentences", "queries",
                                       "ambiguous_queries")},
              "models": {k: (v if v is None or not Path(v).is_absolute() else Path(v).name)
                         for k, v in models.items()},
              "train_minutes": args.max_minutes if args.train else None,
              "eval_max_seq_length": args.max_seq_length, "rows": rows}
    write_json(args.out, report)
    print(f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
