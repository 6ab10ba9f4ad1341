"""The main job: prepare the offline model and show it working on the seed card's examples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The five "widget" examples of the seed model card (query, three candidate passages).
SEED_WIDGET: list[tuple[str, list[str]]] = [
    ("ATM Adaptation Layer 2의 약어는 무엇인가요?",
     ["2 Transmit 2 Receive (기술)", "Alternating Current (개념)", "AAL2 (기술)"]),
    ("AC의 접근 클래스 C0부터 C15까지의 기능은 무엇인가요?",
     ["Access Class (C0 to C15) (개념)", "3 Dimension-Through Silicon Via (기술)",
      "ACAP (Conceptual)"]),
    ("What is the abbreviation for Alarm Agent Handling Block?",
     ["ATM Connection establishment/release Control Block (기술)", "AAGHB (Technical)",
      "Account Card Calling (활용)"]),
    ("ABPL의 ATM 기본 속도 물리 계층 장치는 어떻게 구성되어 있나요?",
     ["ATM Base Rate Physical Layer Unit (기술)", "3A (개념)", "5GTF (Conceptual)"]),
    ("How does the triple encryption process of 3-DES enhance security?",
     ["5th Generation Technical Forum (Conceptual)", "Triple Data Encryption Standard (Technical)",
      "ABCDEF (활용)"]),
]


@dataclass
class WidgetRow:
    query: str
    passages: list[str]
    scores: np.ndarray


def widget_scores(model, examples: list[tuple[str, list[str]]] | None = None) -> list[WidgetRow]:
    """Cosine similarity of each example query to its candidate passages."""
    examples = examples or SEED_WIDGET
    queries = [q for q, _ in examples]
    passages = [p for _, ps in examples for p in ps]
    q = model.encode(queries, prompt_name="query", normalize_embeddings=True)
    p = model.encode(passages, prompt_name="passage", normalize_embeddings=True)
    rows, i = [], 0
    for (query, cands), qv in zip(examples, q, strict=True):
        pv = p[i : i + len(cands)]
        i += len(cands)
        rows.append(WidgetRow(query, list(cands), pv @ qv))
    return rows


def format_widget(rows: list[WidgetRow]) -> str:
    """Render widget scores as text, marking each query's best passage with '*'."""
    out = []
    for row in rows:
        out.append(f"query: {row.query}")
        best = int(np.argmax(row.scores))
        for j, (passage, score) in enumerate(zip(row.passages, row.scores, strict=True)):
            mark = "*" if j == best else " "
            out.append(f"  {mark} {score:.4f}  passage: {passage}")
    return "\n".join(out)


def run_pipeline(
    out_dir: str = "termfit-quickstart",
    glossary: list[str] | None = None,
    base_model: str = "default",
    recipe: str = "cpu-e5-small",
    max_steps: int | None = 150,
    eval_queries: int = 400,
    seed: int = 42,
) -> dict:
    """The whole pipeline on a glossary (default: the starter glossary).

    data -> zero-shot evaluation -> short fine-tune -> evaluation after -> index. Returns the
    paths and the before/after report; prints progress throughout.
    """
    import shutil
    from pathlib import Path

    from termfit.dataset import build_dataset
    from termfit.evaluate import evaluate, load_corpus, load_queries
    from termfit.fileio import atomic_write_text, write_json
    from termfit.glossary import default_glossary_path
    from termfit.index import build_index
    from termfit.layout import DataLayout
    from termfit.models import load_model
    from termfit.recipe import load_recipe
    from termfit.report import markdown_table, plot_report
    from termfit.train import train
    from termfit.trainlog import summarize_metrics

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    glossary = glossary or [str(default_glossary_path())]
    steps = 6

    print(f"[1/{steps}] base model", flush=True)
    base = load_model(base_model)
    print(format_widget(widget_scores(base)), flush=True)

    print(f"\n[2/{steps}] data from {', '.join(glossary)}", flush=True)
    data_dir = out / "data"
    build_dataset(glossary, data_dir, seed=seed)
    lay = DataLayout(data_dir)
    corpus = load_corpus(lay.corpus)
    import random

    queries = load_queries(lay.queries("heldout-phrasings"))
    if len(queries) > eval_queries:
        queries = random.Random(seed).sample(queries, eval_queries)
    dev = load_queries(lay.queries("dev"))[:300]

    print(f"\n[3/{steps}] zero-shot evaluation on {len(queries)} held-out phrasings", flush=True)
    before = evaluate(["bm25", "acronym", "dense", "hybrid"], queries, corpus, base,
                      dev_queries=dev)
    del base

    print(f"\n[4/{steps}] fine-tuning ({recipe}, {max_steps or 'recipe'} steps)", flush=True)
    model_dir = out / "model"
    ckpt = out / "checkpoints"
    shutil.rmtree(ckpt, ignore_errors=True)
    rec = load_recipe(recipe, base_model=base_model, max_steps=max_steps, final_eval=False,
                      eval_steps=max(1, (max_steps or 1000) // 2))
    result = train(data_dir, rec, model_dir, checkpoint_dir=ckpt)
    shutil.rmtree(ckpt, ignore_errors=True)

    print(f"\n[5/{steps}] evaluation after fine-tuning", flush=True)
    tuned = load_model(str(model_dir))
    after = evaluate(["dense", "hybrid"], queries, corpus, tuned, dev_queries=dev)
    report = {"systems": {
        "bm25": before["bm25"], "acronym": before["acronym"],
        "base dense": before["dense"], "base hybrid": before["hybrid"],
        "tuned dense": after["dense"], "tuned hybrid": after["hybrid"],
    }, "queries": len(queries), "split": "heldout-phrasings", "train_steps": result.steps,
        "train_seconds": result.train_seconds}
    table = markdown_table(report)
    write_json(out / "report.json", report)
    atomic_write_text(out / "report.md", table)
    plot_report(report, out / "report.png")
    print(table, flush=True)
    if result.metrics:
        print(summarize_metrics(result.metrics))

    print(f"\n[6/{steps}] search index", flush=True)
    index_dir = out / "index"
    build_index(index_dir, model=str(model_dir), data=data_dir)
    print(f"\nDone. Serve it with:\n  termfit serve --index {index_dir}\n"
          f"and open http://127.0.0.1:8000/", flush=True)
    return {"data": data_dir, "model": model_dir, "index": index_dir, "report": report}
