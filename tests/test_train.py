"""Training: recipe validation, the entity-aware sampler, a tiny end-to-end run, resume, DDP."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from termfit.errors import InputError, TermfitError
from termfit.train import (
    BUILTIN_RECIPES,
    EntityBatchSampler,
    Recipe,
    load_recipe,
    read_train_data,
    train,
)


def _write_data(d: Path) -> Path:
    """A small data folder in the shape of 'termfit data build'."""
    entries = [
        ("aal2", "AAL2", "ATM Adaptation Layer 2"), ("aal5", "AAL5", "ATM Adaptation Layer 5"),
        ("cp-control", "CP", "Control Plane"), ("cp-prefix", "CP", "Cyclic Prefix"),
        ("amf", "AMF", "Access and Mobility Management Function"),
        ("smf", "SMF", "Session Management Function"), ("upf", "UPF", "User Plane Function"),
        ("ofdm", "OFDM", "Orthogonal Frequency Division Multiplexing"),
        ("harq", "HARQ", "Hybrid Automatic Repeat Request"),
        ("mme", "MME", "Mobility Management Entity"),
        ("pdu", "PDU", "Protocol Data Unit"), ("qos", "QoS", "Quality of Service"),
    ]
    d.mkdir(parents=True, exist_ok=True)
    corpus, train_rows, queries = [], [], []
    for eid, abbr, exp in entries:
        for kind, text in (("abbr", abbr), ("expansion", exp)):
            for lang, label in (("ko", "기술"), ("en", "Technical")):
                corpus.append({"id": f"{eid}-{kind}-{lang}", "text": f"{text} ({label})",
                               "entry_id": eid, "kind": kind, "label_lang": lang})
        for i, (q, pos, neg) in enumerate([
            (f"What does {abbr} stand for?", f"{exp} (Technical)", f"{abbr} (Technical)"),
            (f"{abbr}는 무엇의 약어인가요?", f"{exp} (기술)", f"{abbr} (기술)"),
            (f"What is the abbreviation for {exp}?", f"{abbr} (Technical)", f"{exp} (Technical)"),
            (f"{exp}의 약어는?", f"{abbr} (기술)", f"{exp} (기술)"),
            (f"{abbr} meaning", f"{exp} (Technical)", f"{abbr} (Technical)"),
        ]):
            train_rows.append({"anchor": "query: " + q, "positive": "passage: " + pos,
                               "negative_echo": "passage: " + neg, "entry_id": eid,
                               "lang": "en", "direction": "abbr2exp", "template": f"t{i}"})
        if eid == "amf":  # a comparison query: one row per compared term
            for target, other, answer in (("amf", "smf", "Access and Mobility Management "
                                           "Function"),
                                          ("smf", "amf", "Session Management Function")):
                train_rows.append({
                    "anchor": "query: What is the difference between AMF and SMF?",
                    "positive": f"passage: {answer} (Technical)",
                    "negative_echo": f"passage: {target.upper()} (Technical)",
                    "entry_id": target, "other_entry_id": other, "lang": "en",
                    "direction": "abbr2exp", "template": "t-cmp"})
        queries.append({"id": f"q-{eid}", "text": f"Explain {abbr} in one line",
                        "relevant": [f"{eid}-expansion-en", f"{eid}-expansion-ko"],
                        "entry_id": eid, "lang": "en", "direction": "abbr2exp"})
    def dump(name, rows):
        (d / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    dump("corpus.jsonl", corpus)
    dump("train.jsonl", train_rows)
    dump("queries-dev.jsonl", queries)
    dump("queries-heldout-phrasings.jsonl", queries)
    dump("entries.jsonl", [{"id": e, "abbr": a, "expansion": x} for e, a, x in entries])
    return d


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return _write_data(tmp_path / "data")


def _recipe(model: Path, **kw) -> Recipe:
    base = dict(base_model=str(model), learning_rate=1e-3, batch_size=8, max_steps=4,
                eval_steps=1000, eval_queries=5, save_steps=2, logging_steps=1,
                final_eval=False, bf16=False, warmup_ratio=0.0, lr_scheduler_type="linear")
    base.update(kw)
    return Recipe(**base)


def test_builtin_recipes_load():
    for name in BUILTIN_RECIPES:
        r = load_recipe(name)
        assert r.loss in ("mnrl", "cached_mnrl") and r.scale == 20.0
    seed = load_recipe("seed-e5-large")
    assert (seed.base_model, seed.learning_rate, seed.batch_size, seed.epochs) == (
        "intfloat/multilingual-e5-large", 1e-5, 64, 3)
    assert (seed.weight_decay, seed.warmup_ratio, seed.lr_scheduler_type) == (0.01, 0.1, "cosine")


def test_recipe_errors_name_the_key_and_line(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("learning_rate: 1e-4\nbatchsize: 64\nbatch_sampler: random\nscale: -2\n")
    with pytest.raises(InputError) as err:
        load_recipe(p)
    text = str(err.value)
    assert f"{p}:2 [batchsize]: unknown key" in text
    assert f"{p}:3 [batch_sampler]" in text and "'random'" in text
    assert f"{p}:4 [scale]" in text
    p.write_text("- not\n- a mapping\n")
    with pytest.raises(InputError, match="mapping"):
        load_recipe(p)
    p.write_text("")
    with pytest.raises(InputError, match="empty recipe"):
        load_recipe(p)
    p.write_text("schedule_by: time\n")
    with pytest.raises(InputError, match="schedule_by: time needs max_minutes"):
        load_recipe(p)
    with pytest.raises(InputError, match="recipe file not found"):
        load_recipe(tmp_path / "missing.yaml")


def test_entity_sampler_keeps_one_pair_per_entry_and_abbreviation(data_dir):
    import random

    from termfit.train import build_train_dataset

    data = read_train_data(data_dir)
    ds = build_train_dataset(data, Recipe(batch_sampler="entity"), random.Random(0))
    assert {"group_entry", "group_abbr"} <= set(ds.column_names)
    sampler = EntityBatchSampler(ds, batch_size=8, drop_last=True, seed=3)
    batches = list(sampler)
    assert len(batches) == len(sampler) > 0
    cmp_rows = [i for i, g in enumerate(ds["group_entry"]) if len(g) == 2]
    assert len(cmp_rows) == 2 and sorted(ds[cmp_rows[0]]["group_entry"]) == ["amf", "smf"]
    for batch in batches:
        rows = [ds[i] for i in batch]
        entries = [e for r in rows for e in r["group_entry"]]
        assert len(set(entries)) == len(entries)  # a comparison also claims its other term
        abbrs = [a for r in rows for a in r["group_abbr"]]
        assert len(set(abbrs)) == len(abbrs)  # CP senses never together
    assert batches == list(EntityBatchSampler(ds, batch_size=8, drop_last=True, seed=3))
    sampler.set_epoch(1)
    assert list(sampler) != batches


def test_train_tiny_end_to_end(data_dir, tiny_model_path, tmp_path):
    from sentence_transformers import SentenceTransformer

    out = tmp_path / "model"
    recipe = _recipe(tiny_model_path, hard_negatives="echo", trim_vocabulary=True,
                     general_vocab_size=500, embedding_learning_rate=1e-2, eval_steps=2,
                     final_eval=True)
    result = train(data_dir, recipe, out)
    assert result.steps == 4
    assert [r["step"] for r in result.log if r["ndcg@10"] is not None] == [2, 4]
    model = SentenceTransformer(str(out), device="cpu")
    assert model[0].auto_model.get_input_embeddings().num_embeddings < 5000
    assert model.encode(["query: AMF"]).shape == (1, 32)
    resolved = yaml.safe_load((out / "termfit_recipe.yaml").read_text())
    assert resolved["hard_negatives"] == "echo" and resolved["_resolved"]["steps"] == 4
    card = (out / "README.md").read_text()
    assert "- ko" in card and "- en" in card and "license: mit" in card
    assert "MultipleNegativesRankingLoss" in card
    assert (out / "training_curve.png").stat().st_size > 1000
    assert any(k.startswith("heldout-phrasings") for k in result.metrics)
    with pytest.raises(TermfitError, match="--resume"):
        train(data_dir, recipe, tmp_path / "model")  # checkpoints of that run are still there


@pytest.mark.slow  # three training runs
def test_resume_continues_exactly(data_dir, tiny_model_path, tmp_path, monkeypatch):
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import TrainerCallback

    import termfit.train as tr

    recipe = _recipe(tiny_model_path)
    train(data_dir, recipe, tmp_path / "straight")

    class Interrupt(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if state.global_step == 2:
                raise KeyboardInterrupt

    original = tr._callbacks
    monkeypatch.setattr(tr, "_callbacks", lambda *a: [*original(*a), Interrupt()])
    with pytest.raises(TermfitError, match="interrupted at step 2"):
        train(data_dir, recipe, tmp_path / "resumed")
    assert not (tmp_path / "resumed").exists()
    monkeypatch.setattr(tr, "_callbacks", original)
    train(data_dir, recipe, tmp_path / "resumed", resume=True)
    a = SentenceTransformer(str(tmp_path / "straight"), device="cpu").state_dict()
    b = SentenceTransformer(str(tmp_path / "resumed"), device="cpu").state_dict()
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=1e-5, rtol=1e-4, msg=k)


def test_cli_train_reports_bad_data(tmp_path, capsys):
    from termfit.cli import main

    assert main(["train", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "m")]) == 2
    assert "data folder not found" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("torchrun") is None and not (
    Path(sys.executable).parent / "torchrun").exists(), reason="torchrun not installed")
def test_ddp_two_cpu_processes(data_dir, tiny_model_path, tmp_path):
    recipe = tmp_path / "r.yaml"
    # the time schedule exchanges the clock between processes at every step
    recipe.write_text(yaml.safe_dump(_recipe(tiny_model_path, gather_across_devices=True,
                                             max_steps=2, schedule_by="time",
                                             max_minutes=10).model_dump()))
    torchrun = shutil.which("torchrun") or str(Path(sys.executable).parent / "torchrun")
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [torchrun, "--nproc_per_node=2", "--master_addr=127.0.0.1", f"--master_port={port}",
         "-m", "termfit", "train",
         "--data", str(data_dir), "--recipe", str(recipe), "--out", str(tmp_path / "m")],
        capture_output=True, text=True, timeout=600, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "m" / "model.safetensors").is_file()
    log = json.loads((tmp_path / "m" / "training_log.json").read_text())["log"]
    assert log[-1]["step"] == 2


def test_mined_negatives_skip_the_positives_own_entry(data_dir, tiny_model_path):
    import random

    from sentence_transformers import SentenceTransformer

    from termfit.train import build_train_dataset, mine_negatives

    data = read_train_data(data_dir)
    recipe = Recipe(hard_negatives="mined", max_steps=2, batch_size=8)
    ds = build_train_dataset(data, recipe, random.Random(0))
    assert len(ds) == 16  # only the pairs two steps can consume are mined
    model = SentenceTransformer(str(tiny_model_path), device="cpu")
    mined = mine_negatives(ds, model, data, recipe)
    assert mined.column_names[:3] == ["anchor", "positive", "negative"]
    text_entry = {"passage: " + c["text"]: c["entry_id"] for c in data.corpus}
    for row in mined:
        assert row["negative"] != row["positive"]
        assert text_entry[row["negative"]] not in row["group_entry"]


@pytest.mark.parametrize("kind", ["cosine", "linear", "constant_with_warmup"])
def test_step_schedule_matches_transformers(kind):
    import torch
    from transformers import get_scheduler

    from termfit.train import lr_factor, progress

    recipe = Recipe(max_steps=50, warmup_ratio=0.1, lr_scheduler_type=kind)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    ref = get_scheduler(kind, opt, num_warmup_steps=5, num_training_steps=50)
    for step in range(50):
        assert lr_factor(recipe, progress(recipe, step, 0.0)) == pytest.approx(
            ref.get_last_lr()[0], abs=1e-9)
        opt.step()
        ref.step()


def test_time_schedule_follows_the_clock():
    from termfit.train import Clock, lr_factor, progress

    recipe = Recipe(max_steps=1000, max_minutes=10, schedule_by="time", warmup_ratio=0.1)
    clock = Clock(offset=300.0)  # half the budget spent (e.g. before a --resume)
    assert progress(recipe, 10, clock.synced()) == pytest.approx(0.5, abs=1e-3)
    assert lr_factor(recipe, progress(recipe, 10, 300.0)) == pytest.approx(
        0.5 * (1 + math.cos(math.pi * (0.5 - 0.1) / 0.9)))
    assert progress(recipe, 1000, 300.0) == 1.0  # max_steps stays an upper bound
    assert lr_factor(recipe, progress(recipe, 1, 600.0)) == 0.0
    with pytest.raises(ValueError, match="max_minutes"):
        Recipe(schedule_by="time")


def test_time_schedule_ends_on_time_with_the_schedule_done(data_dir, tiny_model_path, tmp_path):
    out = tmp_path / "model"
    recipe = _recipe(tiny_model_path, max_steps=100_000, max_minutes=0.05, schedule_by="time",
                     save_steps=20, save_total_limit=1, logging_steps=1, eval_steps=10_000,
                     final_eval=False)
    result = train(data_dir, recipe, out)
    assert 0 < result.steps < 100_000 and result.train_seconds >= 3.0
    ckpts = sorted((tmp_path / "model.checkpoints").glob("checkpoint-*"),
                   key=lambda c: int(c.name.split("-")[1]))
    assert ckpts and all((c / "termfit_clock.json").is_file() for c in ckpts)
    state = json.loads((ckpts[-1] / "trainer_state.json").read_text())
    assert state["global_step"] == result.steps
    lrs = [r["learning_rate"] for r in state["log_history"] if "learning_rate" in r]
    assert lrs[0] > 0.5 * 1e-3 and lrs[-1] < 0.1 * max(lrs)  # decayed by time, not steps
