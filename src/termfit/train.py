"""Fine-tune a sentence-transformers model on the pairs of ``termfit data build``.

Built on :class:`sentence_transformers.SentenceTransformerTrainer` with
MultipleNegativesRankingLoss. :func:`train` is a sequence of named steps; the parts live
in their own modules: the recipe (:mod:`termfit.recipe`), the training set
(:mod:`termfit.trainset`), the entity-aware batch sampler (:mod:`termfit.sampler`), the
trained and saved forms of the model (:mod:`termfit.trainmodel`), the clock and time
budget (:mod:`termfit.schedule`), crash-safe checkpoints and Ctrl-C
(:mod:`termfit.checkpoints`) and the training log (:mod:`termfit.trainlog`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from termfit.checkpoints import (
    Checkpoint,
    Interrupt,
    atomic_checkpoints_callback,
    checkpoint_folder,
    interrupted_error,
    is_main_process,
    newest_complete,
    partial_dir,
)
from termfit.errors import TermfitError
from termfit.fileio import atomic_directory, check_output, remove_stale_temps, write_json
from termfit.layout import DataLayout
from termfit.models import resolve_model_path
from termfit.passages import read_template, write_template
from termfit.recipe import Recipe
from termfit.schedule import (
    Clock,
    budget_spent,
    time_budget_callback,
    time_scheduler,
    warmup_steps,
)
from termfit.trainlog import format_training_log, plot_training_log, training_log
from termfit.trainmodel import (
    SavedForm,
    base_licence,
    bf16_supported,
    prepare_model,
    restore_saved_form,
)
from termfit.trainset import (
    TrainData,
    build_train_dataset,
    check_one_batch,
    mine_negatives,
    read_train_data,
    world_size,
)

logger = logging.getLogger(__name__)

@dataclass
class TrainResult:
    model_dir: Path
    steps: int
    train_seconds: float
    metrics: dict[str, float] = field(default_factory=dict)
    log: list[dict] = field(default_factory=list)


def train(
    data_dir: str | os.PathLike,
    recipe: Recipe,
    out_dir: str | os.PathLike,
    checkpoint_dir: str | os.PathLike | None = None,
    resume: bool = False,
) -> TrainResult:
    """Fine-tune as the recipe says and save the model (with its model card) to ``out_dir``.

    With ``resume``, continue from the newest complete checkpoint (a run that had already
    reached its end is only evaluated and saved). Ctrl-C saves a checkpoint and raises a
    :class:`TermfitError` that says how to continue.
    """
    out_dir = Path(out_dir)
    checkpoint_dir = Path(checkpoint_dir or f"{out_dir}.checkpoints")
    check_output(out_dir, folder=True)
    resolve_model_path(recipe.base_model)  # a missing or damaged model fails before any work
    if is_main_process():
        remove_stale_temps(out_dir)
    data = read_train_data(data_dir)
    train_ds = build_train_dataset(data, recipe, random.Random(recipe.seed))
    check_one_batch(train_ds, recipe, DataLayout(data_dir).train)
    start = starting_point(checkpoint_dir, resume)
    folder = checkpoint_folder(checkpoint_dir) if is_main_process() else contextlib.nullcontext()
    with folder:
        model, saved_form = load_model_for_training(recipe, data)
        if recipe.hard_negatives == "mined":
            train_ds = mine_negatives(train_ds, model, data, recipe)
            check_one_batch(train_ds, recipe, DataLayout(data_dir).train)
        describe_model(model, recipe)
        clock = Clock(start.elapsed_seconds if start else 0.0)
        trainer = build_trainer(model, recipe, data, train_ds, checkpoint_dir, clock)
        log_history, train_seconds = run_training(trainer, recipe, start, checkpoint_dir, clock)
        steps = trainer.state.global_step
        restore_saved_form(model, saved_form)
        metrics = final_evaluation(trainer, data, recipe)
        log = training_log(log_history, "ndcg@10")
        if is_main_process():
            facts = {"bf16": trainer.args.bf16, "steps": steps,
                     "train_seconds": round(train_seconds, 1), "train_pairs": len(train_ds),
                     "data_dir": str(data_dir)}
            save_trained_model(model, out_dir, recipe, facts, log, metrics,
                               read_template(data_dir))
    return TrainResult(out_dir, steps, train_seconds, metrics, log)


def starting_point(checkpoint_dir: Path, resume: bool) -> Checkpoint | None:
    """The checkpoint to continue from (``resume``), or ``None`` for a fresh run; refuses
    a fresh run over an earlier run's checkpoints."""
    last = newest_complete(checkpoint_dir)
    if not resume and last is not None:
        raise TermfitError(f"{checkpoint_dir} holds checkpoints of an earlier run: continue it "
                           "with --resume, or remove the folder")
    if resume and last is None:
        logger.warning("--resume: no complete checkpoint in %s; starting from the beginning",
                       checkpoint_dir)
    if last is not None:
        print(f"resuming from {last.path} (step {last.step})", flush=True)
    return last


def load_model_for_training(recipe: Recipe, data: TrainData) -> tuple[object, SavedForm]:
    """The base model in its training form (threads, length, trimming, freezing)."""
    import torch

    if recipe.num_threads:
        torch.set_num_threads(recipe.num_threads)
    model, saved = prepare_model(recipe, data)
    if saved.kept_ids is not None:
        print(f"vocabulary trimmed for training: {len(saved.base_embeddings):,} -> "
              f"{len(saved.kept_ids):,} pieces (the saved model keeps the full vocabulary)",
              flush=True)
    return model, saved


def build_loss(model, recipe: Recipe):
    """MultipleNegativesRankingLoss (or its cached variant) as the recipe says."""
    from sentence_transformers.sentence_transformer.losses import (
        CachedMultipleNegativesRankingLoss,
        MultipleNegativesRankingLoss,
    )

    directions: Any = ("query_to_doc", "doc_to_query") if recipe.symmetric else ("query_to_doc",)
    if recipe.loss == "cached_mnrl":
        return CachedMultipleNegativesRankingLoss(
            model, scale=recipe.scale, mini_batch_size=recipe.mini_batch_size,
            gather_across_devices=recipe.gather_across_devices, directions=directions)
    return MultipleNegativesRankingLoss(
        model, scale=recipe.scale, gather_across_devices=recipe.gather_across_devices,
        directions=directions)


def training_arguments(recipe: Recipe, checkpoint_dir: Path, n_pairs: int, evaluate: bool):
    """The trainer's arguments. Checkpoints are written into the partial folder and
    published whole (:mod:`termfit.checkpoints`), so the trainer's own rotation is off."""
    import torch
    from sentence_transformers import SentenceTransformerTrainingArguments
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers

    from termfit.sampler import EntityBatchSampler

    sampler: Any = {"entity": EntityBatchSampler, "no_duplicates": BatchSamplers.NO_DUPLICATES,
                    "batch": BatchSamplers.BATCH_SAMPLER}[recipe.batch_sampler]
    return SentenceTransformerTrainingArguments(
        output_dir=str(partial_dir(checkpoint_dir)),
        num_train_epochs=recipe.epochs,
        max_steps=recipe.max_steps,
        per_device_train_batch_size=recipe.batch_size,
        per_device_eval_batch_size=recipe.batch_size,
        learning_rate=recipe.learning_rate,
        weight_decay=recipe.weight_decay,
        lr_scheduler_type=recipe.lr_scheduler_type,
        warmup_steps=warmup_steps(recipe, n_pairs, world_size()),
        bf16=bf16_supported() if recipe.bf16 == "auto" else bool(recipe.bf16),
        seed=recipe.seed,
        data_seed=recipe.seed,
        batch_sampler=sampler,
        eval_strategy="steps" if evaluate else "no",
        eval_steps=recipe.eval_steps,
        save_strategy="steps",
        save_steps=recipe.save_steps,
        save_total_limit=None,
        logging_steps=recipe.logging_steps,
        logging_first_step=True,
        dataloader_drop_last=True,
        report_to="none",
        disable_tqdm=False,
        use_cpu=not torch.cuda.is_available(),
    )


def build_optimizer(model, recipe: Recipe):
    """AdamW with its own learning rate for the word embeddings when the recipe asks (and
    always under a time schedule, which needs the optimizer to build its scheduler);
    ``None`` lets the trainer build its default."""
    import torch

    if recipe.embedding_learning_rate is None and recipe.schedule_by == "steps":
        return None
    emb = model[0].auto_model.get_input_embeddings().weight
    others = [p for p in model.parameters() if p.requires_grad and p is not emb]
    decay = [p for p in others if p.ndim > 1]
    no_decay = [p for p in others if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": recipe.weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    if emb.requires_grad and recipe.embedding_learning_rate is None:
        (decay if emb.ndim > 1 else no_decay).append(emb)
    elif emb.requires_grad:
        groups.append({"params": [emb], "weight_decay": 0.0, "lr": recipe.embedding_learning_rate})
    return torch.optim.AdamW(groups, lr=recipe.learning_rate)


def build_trainer(model, recipe: Recipe, data: TrainData, train_ds, checkpoint_dir: Path,
                  clock: Clock):
    """The trainer, with the dev evaluator, the collator and termfit's callbacks."""
    from sentence_transformers import SentenceTransformerTrainer

    from termfit.evaluate import ir_evaluator, sample
    from termfit.sampler import GroupDroppingCollator, bucketed

    dev = sample(data.dev, recipe.eval_queries, seed=recipe.seed) if data.dev else []
    evaluator = ir_evaluator(dev, data.corpus, name="dev") if dev else None
    optimizer = build_optimizer(model, recipe)
    scheduler = time_scheduler(optimizer, recipe, clock) if recipe.schedule_by == "time" \
        else None
    preprocess = getattr(model, "preprocess", None) or model.tokenize
    optimizers: Any = (optimizer, scheduler) if optimizer is not None else (None, None)
    trainer = SentenceTransformerTrainer(
        model=model, args=training_arguments(recipe, checkpoint_dir, len(train_ds),
                                             evaluator is not None),
        train_dataset=train_ds, loss=build_loss(model, recipe), evaluator=evaluator,
        data_collator=GroupDroppingCollator(preprocess_fn=bucketed(
            preprocess, recipe.pad_to_multiple_of, model.tokenizer.pad_token_id or 0)),
        optimizers=optimizers,
    )
    trainer.add_callback(time_budget_callback(recipe, clock, trainer))
    trainer.add_callback(atomic_checkpoints_callback(
        checkpoint_dir, recipe.save_total_limit,
        lambda: {"elapsed_seconds": clock.elapsed()}))
    return trainer


def is_finished(recipe: Recipe, checkpoint: Checkpoint) -> bool:
    """Whether a checkpoint is the end of its run (step or time budget reached)."""
    planned = recipe.max_steps if recipe.max_steps > 0 else checkpoint.max_steps
    return checkpoint.step >= planned or budget_spent(recipe, checkpoint.elapsed_seconds)


def run_training(trainer, recipe: Recipe, start: Checkpoint | None, checkpoint_dir: Path,
                 clock: Clock) -> tuple[list[dict], float]:
    """Train (from ``start`` when resuming); return the log history and training seconds.

    A checkpoint that already ends its run is only loaded: the trainer would take one
    step more. Ctrl-C saves a checkpoint at the end of the step and raises.
    """
    if start is not None and is_finished(recipe, start):
        load_checkpoint_weights(trainer.model, start.path)
        trainer.state.global_step = start.step
        return start.log_history, start.elapsed_seconds
    with Interrupt() as interrupt:
        trainer.add_callback(interrupt.callback())
        trainer.train(resume_from_checkpoint=str(start.path) if start else None)
    if interrupt.stopped_at is not None:
        done = Checkpoint(checkpoint_dir, trainer.state.global_step, trainer.state.max_steps,
                          clock.elapsed())
        if not is_finished(recipe, done):
            raise interrupted_error(interrupt.stopped_at, checkpoint_dir)
    return trainer.state.log_history, clock.elapsed()


def load_checkpoint_weights(model, path: Path) -> None:
    """Load the model weights of a checkpoint (a sentence-transformers folder) into
    ``model``, which has the checkpoint's shape."""
    from sentence_transformers import SentenceTransformer

    saved = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    model.load_state_dict(saved.state_dict())


def final_evaluation(trainer, data: TrainData, recipe: Recipe) -> dict[str, float]:
    """The held-out splits' metrics of the model as saved."""
    from termfit.evaluate import ir_evaluator

    metrics: dict[str, float] = {}
    if not (recipe.final_eval and data.heldout):
        return metrics
    for name, queries in data.heldout.items():
        trainer.evaluator = ir_evaluator(queries, data.corpus, name=name)
        res = trainer.evaluate()
        metrics.update({k.removeprefix("eval_"): v for k, v in res.items()
                        if name.replace("-", "_") in k or name in k})
    return metrics


def describe_model(model, recipe: Recipe) -> None:
    """Fill the sentence-transformers model card: languages, licence (the base model's),
    name and training data (before the trainer, which adds the data's statistics)."""
    from termfit.models import resolve_model_path

    card = model.model_card_data
    card.language = ["ko", "en"]
    card.license = base_licence(resolve_model_path(recipe.base_model))
    card.model_name = f"termfit fine-tune of {recipe.base_model}"
    card.train_datasets = [{"name": "termfit glossary pairs"}]
    card.local_files_only = True


def save_trained_model(model, out_dir: Path, recipe: Recipe, facts: dict, log: list[dict],
                       metrics: dict[str, float], template=None) -> None:
    """Save the model, the resolved recipe, the training log and the data's passage
    template (which ``termfit index`` reads), atomically."""
    with atomic_directory(out_dir) as tmp:
        model.save(str(tmp))
        resolved = {**recipe.model_dump(), "_resolved": facts}
        (tmp / "termfit_recipe.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False,
                                                                allow_unicode=True))
        write_json(tmp / "training_log.json", {"log": log, "metrics": metrics})
        (tmp / "training_log.md").write_text(format_training_log(log) + "\n")
        plot_training_log(log, tmp / "training_curve.png")
        if template is not None:
            write_template(tmp, template)
