"""The model being trained, and the model that is saved.

Training may run in a cheaper shape than the saved model: a shorter input limit
(``max_seq_length``) and a trimmed vocabulary (``trim_vocabulary``, so that the word
embeddings can train cheaply). Neither may leak into the saved model, which every user
(eval, index, serve, export, plain ``SentenceTransformer(path)``) loads as it is: before
saving, :func:`restore_saved_form` writes the trained rows back into the base model's full
embedding matrix (rows the data never used keep their base values), puts the base
tokenizer back, and restores the base model's input limit (or the recipe's
``saved_max_seq_length``). So the saved model tokenizes every text exactly as its base does.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from termfit.errors import TermfitError
from termfit.recipe import Recipe
from termfit.trainset import TrainData

logger = logging.getLogger(__name__)


@dataclass
class SavedForm:
    """What :func:`restore_saved_form` needs to turn the trained model into the saved one."""

    max_seq_length: int | None
    base_processor: Any = None  # the base tokenizer (or processor), when trimmed
    base_embeddings: Any = None  # the base word-embedding matrix (a tensor), when trimmed
    kept_ids: list[int] | None = None  # base ids of the trimmed vocabulary, in order


def prepare_model(recipe: Recipe, data: TrainData):
    """Load the base model and apply the training length, trimming and freezing.

    Returns ``(model, saved_form)``.
    """
    from termfit.models import load_model

    model = load_model(recipe.base_model)
    saved = SavedForm(max_seq_length=recipe.saved_max_seq_length or model.max_seq_length)
    if recipe.trim_vocabulary:
        model = _trim(model, recipe, data, saved)
    model.max_seq_length = recipe.max_seq_length
    freeze(model, recipe)
    return model, saved


def _trim(model, recipe: Recipe, data: TrainData, saved: SavedForm):
    from termfit.trim import kept_piece_ids, trim_vocabulary

    keep = [p["anchor"] for p in data.pairs] + [c["text"] for c in data.corpus]
    for qs in [data.dev, *data.heldout.values()]:
        keep += [q["text"] for q in qs]
    keep += [e.get("abbr", "") + " " + e.get("expansion", "") for e in data.entries.values()]
    kept = kept_piece_ids(model, keep, general_vocab=recipe.general_vocab_size > 0,
                          general_size=max(recipe.general_vocab_size, 1))
    emb = model[0].auto_model.get_input_embeddings()
    saved.base_processor = model[0].processor
    saved.base_embeddings = emb.weight.detach()  # the trimmed model is a copy
    saved.kept_ids = kept
    trimmed = trim_vocabulary(model, keep=kept, general_vocab=False)
    after = trimmed[0].auto_model.get_input_embeddings().num_embeddings
    if after != len(kept):
        raise TermfitError(f"vocabulary trimming kept {after} pieces, expected {len(kept)}")
    logger.info("vocabulary trimmed for training: %d -> %d pieces", emb.num_embeddings, after)
    return trimmed


def freeze(model, recipe: Recipe) -> None:
    """Freeze the word embeddings, or the embeddings and the lowest layers, as asked."""
    hf = model[0].auto_model
    if recipe.freeze_embeddings or recipe.freeze_layers:
        hf.get_input_embeddings().weight.requires_grad_(False)
    if not recipe.freeze_layers:
        return
    for p in hf.embeddings.parameters():
        p.requires_grad_(False)
    layers = getattr(getattr(hf, "encoder", None), "layer", None)
    if layers is None:
        raise TermfitError("freeze_layers needs an encoder with .encoder.layer")
    for layer in layers[: recipe.freeze_layers]:
        for p in layer.parameters():
            p.requires_grad_(False)


def restore_saved_form(model, saved: SavedForm) -> None:
    """Give the trained model the base model's vocabulary, tokenizer and input limit."""
    import torch

    module = model[0]
    if saved.kept_ids is not None:
        hf = module.auto_model
        trained = hf.get_input_embeddings().weight.detach()
        full = saved.base_embeddings.to(device=trained.device, dtype=trained.dtype).clone()
        full[torch.tensor(saved.kept_ids, device=trained.device)] = trained
        pad = getattr(saved.base_processor, "pad_token_id", None)
        tokenizer = getattr(saved.base_processor, "tokenizer", saved.base_processor)
        pad = getattr(tokenizer, "pad_token_id", pad)
        hf.set_input_embeddings(torch.nn.Embedding.from_pretrained(
            full, freeze=False, padding_idx=pad))
        hf.config.vocab_size = full.shape[0]
        module.processor = saved.base_processor
        saved.kept_ids = None
    if saved.max_seq_length:
        model.max_seq_length = saved.max_seq_length
        if module.tokenizer is not None:
            module.tokenizer.model_max_length = saved.max_seq_length


def bf16_supported() -> bool:
    """Whether this machine runs bf16 natively (CUDA, or CPUs with AVX512-BF16 or AMX)."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


_LICENCE_LINE = re.compile(r"^license:\s*['\"]?([^'\"\s#]+)", re.MULTILINE)
_LICENCE_TEXT = {"MIT": "mit", "Apache": "apache-2.0"}


def base_licence(model_path: str | os.PathLike) -> str:
    """The base model's licence: its card's front matter (``license:``), its config, or a
    LICENSE file that names it ("Licensed under the MIT License"); "unknown" otherwise."""
    import json

    d = Path(model_path)
    card = d / "README.md"
    if card.is_file():
        text = card.read_text(encoding="utf-8", errors="replace")
        if text.startswith("---"):
            front = text.split("---", 2)[1] if text.count("---") >= 2 else ""
            if m := _LICENCE_LINE.search(front):
                return m.group(1)
    for name in ("config.json", "config_sentence_transformers.json", "termfit_source.json"):
        try:
            value = json.loads((d / name).read_text(encoding="utf-8")).get("license")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(value, str) and value:
            return value
    licence = d / "LICENSE"
    if licence.is_file():
        head = licence.read_text(encoding="utf-8", errors="replace")[:2000]
        if m := re.search(r"Licensed under the (MIT|Apache) License", head):
            return _LICENCE_TEXT[m.group(1)]
    return "unknown"
