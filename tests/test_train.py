"""Training end to end on the tiny model: the saved model, Ctrl-C and --resume, crash
safety, small data, DDP."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from train_fixtures import tiny_recipe, write_data

import termfit.train as tr
from termfit.errors import TermfitError
from termfit.train import train
from termfit.trainset import read_train_data

SPECS = Path(__file__).resolve().parents[2] / "shared" / "specs"
TELECOM_SENTENCES = [
    "The AMF shall send the REGISTRATION ACCEPT message to the UE when the registration "
    "procedure is completed successfully.",
    "If the timer T3512 expires, the UE shall initiate the periodic tracking area updating "
    "procedure unless it is in the state EMM-REGISTERED.NO-CELL-AVAILABLE.",
    "The SDAP entity maps each QoS flow to a data radio bearer; the mapping is equal for "
    "uplink and downlink unless configured otherwise.",
    "세션 관리 기능(SMF)은 PDU 세션의 수립, 수정 및 해제를 담당한다.",
]


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return write_data(tmp_path / "data")


def _weights(path: Path) -> dict:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu").state_dict()


def _assert_same_weights(a: Path, b: Path, atol: float = 1e-5) -> None:
    import torch

    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        torch.testing.assert_close(wa[k], wb[k], atol=atol, rtol=1e-4, msg=k)


def _spec_sentences(n: int = 40) -> list[str]:
    """Real sentences from the shared specifications, or a few telecom sentences."""
    found = []
    for doc in sorted(SPECS.glob("*.md"))[:4]:
        for line in doc.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if 60 < len(line) < 400 and not line.startswith(("|", "#")) and line.count(" ") > 8:
                found.append(line)
                if len(found) % (n // 4) == 0:
                    break
    return found[:n] or TELECOM_SENTENCES


def test_train_tiny_end_to_end(data_dir, tiny_model_path, tmp_path):
    from sentence_transformers import SentenceTransformer

    out = tmp_path / "model"
    recipe = tiny_recipe(tiny_model_path, hard_negatives="echo", trim_vocabulary=True,
                         general_vocab_size=500, embedding_learning_rate=1e-2, eval_steps=2,
                         final_eval=True)
    result = train(data_dir, recipe, out)
    assert result.steps == 4
    assert [r["step"] for r in result.log if r["ndcg@10"] is not None] == [2, 4]
    model = SentenceTransformer(str(out), device="cpu")
    assert model.encode(["query: AMF"]).shape == (1, 32)
    resolved = yaml.safe_load((out / "termfit_recipe.yaml").read_text())
    assert resolved["hard_negatives"] == "echo" and resolved["_resolved"]["steps"] == 4
    card = (out / "README.md").read_text()
    assert "- ko" in card and "- en" in card and "MultipleNegativesRankingLoss" in card
    assert "license: unknown" in card  # the tiny base model names no licence
    assert (out / "training_curve.png").stat().st_size > 1000
    assert any(k.startswith("heldout-phrasings") for k in result.metrics)
    ckpts = tmp_path / "model.checkpoints"
    assert sorted(p.name for p in ckpts.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
    assert not (ckpts / ".partial").exists()
    with pytest.raises(TermfitError, match="--resume"):
        train(data_dir, recipe, tmp_path / "model")  # checkpoints of that run are still there


def test_model_card_licence_is_the_base_models(data_dir, tiny_model_path, tmp_path):
    base = tmp_path / "base"
    shutil.copytree(tiny_model_path, base)
    text = (base / "README.md").read_text()
    (base / "README.md").write_text(text.replace("---\n", "---\nlicense: apache-2.0\n", 1))
    train(data_dir, tiny_recipe(base, max_steps=2), tmp_path / "m")
    card = (tmp_path / "m" / "README.md").read_text()
    assert "license: apache-2.0" in card and "license: mit" not in card


def test_training_length_is_not_saved_into_the_model(data_dir, tiny_model_path, tmp_path):
    from sentence_transformers import SentenceTransformer

    base = SentenceTransformer(str(tiny_model_path), device="cpu")
    base_limit = base.max_seq_length
    out = tmp_path / "m"
    train(data_dir, tiny_recipe(tiny_model_path, max_steps=2, max_seq_length=16), out)
    model = SentenceTransformer(str(out), device="cpu")
    assert model.max_seq_length == base_limit > 100
    assert model.tokenizer.model_max_length == base_limit
    saved_cfg = json.loads((out / "tokenizer_config.json").read_text())
    assert saved_cfg.get("model_max_length") == base_limit
    st_cfg = out / "sentence_bert_config.json"
    assert json.loads(st_cfg.read_text()).get("max_seq_length", base_limit) == base_limit
    words = ("the user equipment shall send a registration request to the network "
             "after the timer expires and ").split() * 6
    a = " ".join(words + ["accept"])
    b = " ".join(words + ["reject"])
    assert 60 < len(model.tokenizer(a)["input_ids"]) < base_limit
    ea, eb = model.encode([a, b])
    assert abs(float(ea @ eb) - 1.0) > 1e-6  # the last word still counts
    train(data_dir, tiny_recipe(tiny_model_path, max_steps=2, max_seq_length=16,
                                saved_max_seq_length=64), tmp_path / "m64")
    assert SentenceTransformer(str(tmp_path / "m64"), device="cpu").max_seq_length == 64


def test_trimmed_training_saves_the_full_vocabulary(data_dir, tiny_model_path, tmp_path):
    import torch
    from sentence_transformers import SentenceTransformer

    from termfit.trim import trim_vocabulary

    out = tmp_path / "m"
    recipe = tiny_recipe(tiny_model_path, trim_vocabulary=True, general_vocab_size=500,
                         embedding_learning_rate=1e-2, max_steps=3)
    train(data_dir, recipe, out)
    base = SentenceTransformer(str(tiny_model_path), device="cpu")
    model = SentenceTransformer(str(out), device="cpu")
    texts = _spec_sentences()
    trimmed = trim_vocabulary(base, keep=["AMF Session Management Function"],
                              general_size=500)
    assert trimmed.tokenizer(texts)["input_ids"] != base.tokenizer(texts)["input_ids"]
    assert model.tokenizer(texts)["input_ids"] == base.tokenizer(texts)["input_ids"]
    before = base[0].auto_model.get_input_embeddings().weight.detach()
    after = model[0].auto_model.get_input_embeddings().weight.detach()
    assert after.shape == before.shape
    used = sorted({i for t in ["AMF", "Session Management Function"]
                   for i in base.tokenizer(t, add_special_tokens=False)["input_ids"]})
    assert not torch.allclose(after[used], before[used])  # trained rows
    cjk = [i for i in base.tokenizer("的是不了人我在有", add_special_tokens=False)["input_ids"]
           if base.tokenizer.convert_ids_to_tokens(i) != "\u2581"]
    assert cjk
    assert torch.equal(after[cjk], before[cjk])  # rows the trimmed model did not hold
    changed = (after != before).any(dim=1).nonzero().flatten().tolist()
    assert 0 < len(changed) < 5000


class _CtrlCAt:
    """Sends SIGINT during the given step."""

    def __init__(self, step: int):
        from transformers import TrainerCallback

        target = step

        class Send(TrainerCallback):
            def on_step_begin(self, args, state, control, **kw):
                if state.global_step == target - 1:
                    os.kill(os.getpid(), signal.SIGINT)

        self.callback = Send()


def _with_callback(monkeypatch, callback) -> None:
    original = tr.build_trainer

    def build(*args, **kwargs):
        trainer = original(*args, **kwargs)
        trainer.add_callback(callback)
        return trainer

    monkeypatch.setattr(tr, "build_trainer", build)


def test_ctrl_c_saves_and_resume_continues_exactly(data_dir, tiny_model_path, tmp_path,
                                                   monkeypatch):
    recipe = tiny_recipe(tiny_model_path, save_steps=100)
    train(data_dir, recipe, tmp_path / "straight")
    _with_callback(monkeypatch, _CtrlCAt(2).callback)
    with pytest.raises(TermfitError, match="interrupted at step 2"):
        train(data_dir, recipe, tmp_path / "resumed")
    assert not (tmp_path / "resumed").exists()
    assert (tmp_path / "resumed.checkpoints" / "checkpoint-2" / "termfit_clock.json").is_file()
    monkeypatch.undo()
    result = train(data_dir, recipe, tmp_path / "resumed", resume=True)
    assert result.steps == 4
    _assert_same_weights(tmp_path / "straight", tmp_path / "resumed")


def test_checkpoints_appear_only_when_complete(data_dir, tiny_model_path, tmp_path,
                                               monkeypatch):
    import termfit.checkpoints as ck

    seen = []
    original = ck.publish

    def publish(checkpoint_dir, step, marker, keep):
        written = ck.partial_dir(checkpoint_dir) / f"checkpoint-{step}"
        assert (written / "optimizer.pt").is_file() and (written / "trainer_state.json").is_file()
        assert not (checkpoint_dir / f"checkpoint-{step}").exists()
        seen.append(step)
        return original(checkpoint_dir, step, marker, keep)

    monkeypatch.setattr(ck, "publish", publish)
    train(data_dir, tiny_recipe(tiny_model_path), tmp_path / "m")
    assert seen == [2, 4]


def test_resume_uses_the_newest_complete_checkpoint(data_dir, tiny_model_path, tmp_path,
                                                    capsys):
    recipe = tiny_recipe(tiny_model_path, max_steps=6, save_steps=2, save_total_limit=3)
    train(data_dir, recipe, tmp_path / "straight")
    train(data_dir, recipe, tmp_path / "m")
    ckpts = tmp_path / "m.checkpoints"
    shutil.rmtree(tmp_path / "m")
    shutil.rmtree(ckpts / "checkpoint-6")
    (ckpts / "checkpoint-6").mkdir()  # as a kill -9 in an older version's save left it
    (ckpts / "checkpoint-6" / "config.json").write_text("{}")
    (ckpts / "checkpoint-6" / "model.safetensors.tmp").write_bytes(b"\0" * 1000)
    capsys.readouterr()
    result = train(data_dir, recipe, tmp_path / "m", resume=True)
    assert f"resuming from {ckpts / 'checkpoint-4'} (step 4)" in capsys.readouterr().out
    assert result.steps == 6
    _assert_same_weights(tmp_path / "straight", tmp_path / "m")


def test_resume_from_the_final_checkpoint_takes_no_extra_step(data_dir, tiny_model_path,
                                                             tmp_path):
    recipe = tiny_recipe(tiny_model_path, trim_vocabulary=True, general_vocab_size=500,
                         embedding_learning_rate=1e-2)
    first = train(data_dir, recipe, tmp_path / "m")
    shutil.copytree(tmp_path / "m", tmp_path / "straight")
    shutil.rmtree(tmp_path / "m")  # as if killed during the final save
    result = train(data_dir, recipe, tmp_path / "m", resume=True)
    assert result.steps == 4 and max(r["step"] for r in result.log) == 4
    assert [r["step"] for r in result.log] == [r["step"] for r in first.log]
    assert not (tmp_path / "m.checkpoints" / "checkpoint-5").exists()
    _assert_same_weights(tmp_path / "straight", tmp_path / "m")


def test_stale_temp_folders_of_the_model_are_removed(data_dir, tiny_model_path, tmp_path,
                                                     caplog):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    stale = tmp_path / f".m.{proc.pid}-x1y2z3.tmp"
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"\0" * 1000)
    other = tmp_path / f".idx.{proc.pid}-x1y2z3.tmp"
    other.mkdir()
    train(data_dir, tiny_recipe(tiny_model_path, max_steps=2), tmp_path / "m")
    assert not stale.exists() and other.exists()
    assert "left by an interrupted run" in caplog.text


def test_too_few_pairs_for_one_batch_is_refused(data_dir, tiny_model_path, tmp_path, capsys):
    from termfit.cli import main

    lines = (data_dir / "train.jsonl").read_text().splitlines()
    (data_dir / "train.jsonl").write_text("\n".join(lines[:5]) + "\n")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"base_model: {tiny_model_path}\nbatch_size: 8\n")
    out = tmp_path / "m"
    assert main(["train", "--data", str(data_dir), "--recipe", str(recipe),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "5 training pairs" in err and "batch size 8" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "r.yaml"]


def test_entity_batches_that_cannot_be_filled_are_refused(data_dir, tiny_model_path,
                                                          tmp_path):
    from termfit.errors import InputError

    recipe = tiny_recipe(tiny_model_path, batch_size=16)  # 12 entries, 10 abbreviations
    with pytest.raises(InputError, match="cannot fill one batch"):
        train(data_dir, recipe, tmp_path / "m")
    assert not (tmp_path / "m").exists() and not (tmp_path / "m.checkpoints").exists()


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
    recipe.write_text(yaml.safe_dump(tiny_recipe(tiny_model_path, gather_across_devices=True,
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
    ckpt = tmp_path / "m.checkpoints" / "checkpoint-2"
    assert {"rng_state_0.pth", "rng_state_1.pth", "termfit_clock.json"} <= {
        p.name for p in ckpt.iterdir()}


def test_mined_negatives_skip_the_positives_own_entry(data_dir, tiny_model_path):
    import random

    from sentence_transformers import SentenceTransformer

    from termfit.recipe import Recipe
    from termfit.trainset import build_train_dataset, mine_negatives, passage_prefix

    data = read_train_data(data_dir)
    assert passage_prefix(data) == "passage: "
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


def test_time_schedule_ends_on_time_with_the_schedule_done(data_dir, tiny_model_path, tmp_path):
    out = tmp_path / "model"
    recipe = tiny_recipe(tiny_model_path, max_steps=100_000, max_minutes=0.2,
                         schedule_by="time", save_steps=20, save_total_limit=1,
                         logging_steps=1, eval_steps=10_000, final_eval=False)
    result = train(data_dir, recipe, out)
    assert 0 < result.steps < 100_000 and result.train_seconds >= 12.0
    ckpts = sorted((tmp_path / "model.checkpoints").glob("checkpoint-*"),
                   key=lambda c: int(c.name.split("-")[1]))
    assert len(ckpts) == 1 and (ckpts[0] / "termfit_clock.json").is_file()
    state = json.loads((ckpts[-1] / "trainer_state.json").read_text())
    assert state["global_step"] == result.steps
    lrs = [r["learning_rate"] for r in state["log_history"] if "learning_rate" in r]
    # decayed by time, not steps (100,000 planned steps would leave it near its peak)
    assert lrs[0] > 0.5 * 1e-3 and lrs[-1] < 0.5 * max(lrs)
    assert lrs == sorted(lrs, reverse=True)
    again = train(data_dir, recipe, out, resume=True)  # the budget is spent: no more steps
    assert again.steps == result.steps


def _train_cli(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "termfit", "train", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 300.0) -> bool:
    """kill -9 ``proc`` as soon as ``ready()`` holds; False when it ended first."""
    import time

    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if ready():
            proc.kill()
            proc.wait()
            return True
        time.sleep(0.005)
    proc.wait()
    return False


@pytest.mark.slow
def test_kill_9_at_any_moment_then_resume_matches_an_unbroken_run(data_dir, tiny_model_path,
                                                                 tmp_path):
    """kill -9 inside checkpoint saves, inside the final save and at random moments;
    ``--resume`` always ends exactly at max_steps with the unbroken run's weights."""
    import random
    import time

    recipe = tmp_path / "r.yaml"
    recipe.write_text(yaml.safe_dump(tiny_recipe(tiny_model_path, max_steps=8, save_steps=2,
                                                 save_total_limit=2).model_dump()))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OMP_NUM_THREADS": "1"}
    straight = _train_cli(["--data", str(data_dir), "--recipe", str(recipe),
                           "--out", str(tmp_path / "straight")], env)
    assert straight.wait(timeout=600) == 0, straight.stderr.read().decode()[-3000:]

    out, ckpts = tmp_path / "m", tmp_path / "m.checkpoints"
    args = ["--data", str(data_dir), "--recipe", str(recipe), "--out", str(out), "--resume"]
    partial = ckpts / ".partial"
    moments = {
        "checkpoint save": lambda: any(partial.glob("checkpoint-*/*")),
        "final save": lambda: any(tmp_path.glob(".m.*.tmp/*")),
    }
    rng = random.Random(int(os.environ.get("TERMFIT_KILL_SEED", "7")))
    plan = ["checkpoint save", "random", "checkpoint save", "random", "final save",
            "final save"]
    killed = []
    for what in plan:
        proc = _train_cli(args, env)
        if what == "random":
            start, delay = time.monotonic(), rng.uniform(2.0, 20.0)
            hit = _kill_when(proc, lambda s=start, d=delay: time.monotonic() - s > d)
        else:
            hit = _kill_when(proc, moments[what])
        killed.append((what, hit))
        if not hit:
            assert proc.returncode == 0, proc.stderr.read().decode()[-3000:]
    assert ("checkpoint save", True) in killed and ("final save", True) in killed, killed
    if out.exists():
        shutil.rmtree(out)  # the last run may have finished: make the next one resume too
    proc = _train_cli(args, env)
    assert proc.wait(timeout=600) == 0, proc.stderr.read().decode()[-3000:]
    resolved = yaml.safe_load((out / "termfit_recipe.yaml").read_text())["_resolved"]
    assert resolved["steps"] == 8
    assert max(r["step"] for r in json.loads((out / "training_log.json").read_text())["log"]) == 8
    assert sorted(p.name for p in ckpts.glob("checkpoint-*")) == ["checkpoint-6", "checkpoint-8"]
    assert not partial.exists() and not list(tmp_path.glob(".m.*"))
    _assert_same_weights(tmp_path / "straight", out)
