"""Vocabulary trimming: keep only the pieces a glossary and everyday Korean/English need.

The XLM-R vocabulary of multilingual-e5 has 250,002 pieces; its embedding matrix holds
96M of e5-small's 118M parameters. Most pieces belong to scripts a Korean/English
telecom glossary never sees. :func:`trim_vocabulary` keeps

- the special tokens (``<s> <pad> </s> <unk>`` stay at ids 0-3, ``<mask>`` follows the rest);
- every piece that the tokenizer produces for the ``keep`` texts (and any ``keep`` ids);
- with ``general_vocab``: the general vocabulary described by :func:`general_piece_ids`.

The Unigram tokenizer keeps its normalizer, pre-tokenizer and post-processor and each
kept piece keeps its original score, so the best segmentation of a text whose pieces are
all kept is unchanged (it was the best over a larger set that contains it): such texts
get exactly the same ids (remapped) and the same embeddings. Other words fall back to
the best segmentation into kept pieces, and characters no kept piece covers become
``<unk>``, one per character.
"""

from __future__ import annotations

import json
import logging
import os
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from termfit.base_model import pre_tokenizer_with_unknown_split
from termfit.errors import TermfitError
from termfit.fileio import atomic_directory

logger = logging.getLogger(__name__)

SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>")
MASK_TOKEN = "<mask>"
DEFAULT_GENERAL_SIZE = 30_000
_SPIECE_SPACE = "\u2581"


def _is_kept_char(ch: str) -> bool:
    """Hangul, ASCII (Latin letters, digits, punctuation) and common punctuation/symbols."""
    cp = ord(ch)
    if 0x21 <= cp <= 0x7E:  # ASCII letters, digits and punctuation
        return True
    if 0xAC00 <= cp <= 0xD7A3 or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F:
        return True  # Hangul syllables and jamo
    if 0xA1 <= cp <= 0xFF:  # Latin-1 letters (é, ü...) and signs (°, ·, ×)
        return True
    return unicodedata.category(ch)[0] in "PS" and cp < 0x3000  # punctuation, symbols


def _piece_chars(piece: str) -> str:
    return piece.replace(_SPIECE_SPACE, "")


def general_piece_ids(
    vocab: list[tuple[str, float]] | list[list], size: int = DEFAULT_GENERAL_SIZE
) -> set[int]:
    """Ids of a general Korean/English vocabulary, chosen from the vocabulary itself.

    XLM-R piece scores are unigram log-probabilities estimated on CC-100, so the
    highest-scoring pieces are the most frequent ones in that corpus. We take the ``size``
    best-scoring pieces made only of Hangul, ASCII and common punctuation/symbol
    characters, plus every single character (with or without the word-start marker) of
    those scripts, so that any Korean/English text still segments without ``<unk>``.
    No corpus is downloaded: the corpus statistics are the scores themselves.
    """
    candidates: list[tuple[float, int]] = []
    singles: set[int] = set()
    for i, (piece, score) in enumerate(vocab):
        if piece in SPECIAL_TOKENS or piece == MASK_TOKEN:
            continue
        chars = _piece_chars(piece)
        if not chars:
            singles.add(i)  # the bare word-start marker
            continue
        if not all(_is_kept_char(c) for c in chars):
            continue
        if len(chars) == 1:
            singles.add(i)
        else:
            candidates.append((float(score), i))
    candidates.sort(reverse=True)
    return singles | {i for _, i in candidates[:size]}


def _tokenizer_json(st) -> dict:
    return json.loads(st[0].tokenizer.backend_tokenizer.to_str())


def _rebuild_tokenizer_json(tok: dict, kept: list[int]) -> dict:
    """A copy of ``tok`` whose Unigram model holds only the ``kept`` ids, in that order."""
    vocab = tok["model"]["vocab"]
    new_id = {old: new for new, old in enumerate(kept)}
    out = json.loads(json.dumps(tok))
    out["model"]["vocab"] = [list(vocab[i]) for i in kept]
    out["model"]["unk_id"] = new_id[tok["model"]["unk_id"]]
    out["model"]["byte_fallback"] = tok["model"].get("byte_fallback", False)
    for added in out.get("added_tokens", []):
        added["id"] = new_id[added["id"]]
    post = out.get("post_processor") or {}
    for spec in (post.get("special_tokens") or {}).values():
        spec["ids"] = [new_id[i] for i in spec["ids"]]
    # Characters outside every kept piece become one <unk> each, as in the full model.
    pre = out.get("pre_tokenizer")
    if pre and pre.get("type") == "Sequence":
        steps = pre["pretokenizers"]
        if steps and steps[-1].get("type") == "Split" and steps[-1].get("behavior") == "Isolated":
            pre = {"type": "Sequence", "pretokenizers": steps[:-1]}
            out["pre_tokenizer"] = pre
            out["pre_tokenizer"] = pre_tokenizer_with_unknown_split(out)
    return out


def kept_piece_ids(
    st, keep: Iterable[str | int] = (), general_vocab: bool = True,
    general_size: int = DEFAULT_GENERAL_SIZE,
) -> list[int]:
    """The sorted ids that :func:`trim_vocabulary` keeps (specials first, ``<mask>`` last)."""
    tok = _tokenizer_json(st)
    if tok["model"].get("type") != "Unigram":
        raise TermfitError(
            f"vocabulary trimming needs a Unigram (SentencePiece) tokenizer, "
            f"this model has {tok['model'].get('type')!r}"
        )
    vocab = tok["model"]["vocab"]
    n = len(vocab)
    texts: list[str] = []
    ids: set[int] = set()
    for item in keep:
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, int) and not isinstance(item, bool) and 0 <= item < n:
            ids.add(item)
        else:
            raise TermfitError(f"cannot keep {item!r}: expected a text or a token id below {n}")
    prompts = [p for p in (getattr(st, "prompts", None) or {}).values() if p]
    backend = st[0].tokenizer.backend_tokenizer
    batch = 4096
    all_texts = prompts + texts
    for start in range(0, len(all_texts), batch):
        for enc in backend.encode_batch(all_texts[start:start + batch], add_special_tokens=False):
            ids.update(enc.ids)
    if general_vocab:
        ids |= general_piece_ids(vocab, general_size)
    special = [i for i, (p, _) in enumerate(vocab) if p in SPECIAL_TOKENS]
    if [vocab[i][0] for i in special] != list(SPECIAL_TOKENS) or special != [0, 1, 2, 3]:
        raise TermfitError("expected the XLM-R special tokens <s> <pad> </s> <unk> at ids 0-3")
    added = {a["id"] for a in tok.get("added_tokens", [])}
    body = sorted((ids | added) - set(special))
    return special + body


def trim_vocabulary(
    model,
    keep: Iterable[str | int] = (),
    out_dir: str | os.PathLike | None = None,
    general_vocab: bool = True,
    general_size: int = DEFAULT_GENERAL_SIZE,
):
    """Return a copy of a sentence-transformers model whose vocabulary is trimmed.

    ``model`` is a loaded PyTorch ``SentenceTransformer``; it is left unchanged. ``keep``
    holds texts (their pieces are kept) and token ids. With ``out_dir`` the trimmed model is
    also saved there, atomically.
    """
    import copy

    import torch
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    if isinstance(model, str | os.PathLike) or not hasattr(_first_module(model), "auto_model"):
        raise TermfitError("trim_vocabulary needs a loaded PyTorch sentence-transformers model "
                           "(see termfit.models.load_model)")
    st = copy.deepcopy(model)
    kept = kept_piece_ids(st, keep, general_vocab=general_vocab, general_size=general_size)
    module = st[0]
    hf = module.auto_model
    old_tok = module.tokenizer
    new_json = _rebuild_tokenizer_json(_tokenizer_json(st), kept)

    emb = hf.get_input_embeddings()
    index = torch.tensor(kept, dtype=torch.long)
    pad_id = kept.index(old_tok.pad_token_id) if old_tok.pad_token_id is not None else None
    new_emb = torch.nn.Embedding(len(kept), emb.embedding_dim, padding_idx=pad_id)
    with torch.no_grad():
        new_emb.weight.copy_(emb.weight[index])
    hf.set_input_embeddings(new_emb)
    hf.config.vocab_size = len(kept)

    new_tok = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(json.dumps(new_json)),
        bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        cls_token="<s>", sep_token="</s>", mask_token="<mask>",
        model_max_length=old_tok.model_max_length,
    )
    new_tok.padding_side = old_tok.padding_side
    if module.processor is old_tok:
        module.processor = new_tok
    else:  # a multimodal processor that wraps the tokenizer
        module.processor.tokenizer = new_tok
    logger.info("trimmed vocabulary from %d to %d pieces", len(_tokenizer_json_vocab(old_tok)),
                len(kept))
    if out_dir is not None:
        save_model(st, out_dir)
    return st


def _first_module(model):
    try:
        return model[0]
    except (TypeError, IndexError, KeyError):
        return None


def _tokenizer_json_vocab(tok) -> list:
    return json.loads(tok.backend_tokenizer.to_str())["model"]["vocab"]


def save_model(st, out_dir: str | os.PathLike) -> Path:
    """Save a sentence-transformers model atomically (a crash leaves no half-written folder)."""
    out = Path(out_dir)
    with atomic_directory(out) as tmp:
        st.save(str(tmp))
    return out
