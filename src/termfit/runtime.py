"""Load and run an exported model with ONNX Runtime or OpenVINO, without optimum.

An export (see :mod:`termfit.export`) is laid out as sentence-transformers' own ONNX and
OpenVINO backends expect: the usual ``modules.json`` (Transformer, Pooling, Normalize),
model config and tokenizer, with the graph in ``onnx/model.onnx`` or
``openvino/openvino_model.xml`` instead of PyTorch weights. So
``SentenceTransformer(path, backend="onnx")`` loads it wherever optimum is installed, and
:func:`load_exported` loads the same folder everywhere: :class:`RuntimeEncoder` (tokenizer
+ runtime session) replaces the Transformer, and the other modules load as saved.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.base.modules import InputModule

from termfit.errors import ModelError, TermfitError, require
from termfit.export_layout import CONFIG_ST, MODULES_JSON, ONNX_FILE, read_manifest

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

# First-module types that an export may name: the standard Transformer, or the
# termfit module that exports of termfit 0.1 named (loaded the same way).
_ENCODER_TYPES = ("termfit.export.RuntimeEncoder", "termfit.runtime.RuntimeEncoder")


class RuntimeEncoder(InputModule):
    """First module of an exported model: tokenizes and runs an ONNX/OpenVINO graph.

    Produces ``token_embeddings`` like the ``Transformer`` module it replaces, so the
    Pooling and Normalize modules that follow are unchanged.
    """

    tokenizer: PreTrainedTokenizerBase  # always a transformers tokenizer (AutoTokenizer)

    def __init__(
        self,
        model_dir: str,
        runtime: str = "onnx",
        file_name: str = ONNX_FILE,
        max_seq_length: int = 512,
        num_threads: int | None = None,
    ):
        super().__init__()
        from transformers import AutoConfig, AutoTokenizer

        if runtime not in ("onnx", "openvino"):
            raise ModelError(f"unknown runtime {runtime!r}: expected 'onnx' or 'openvino'")
        self.model_dir = str(model_dir)
        self.runtime = runtime
        self.file_name = file_name
        self.max_seq_length = max_seq_length
        self.num_threads = num_threads
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_dir)
        self.hidden_size = int(AutoConfig.from_pretrained(self.model_dir).hidden_size)
        path = Path(self.model_dir) / file_name
        if not path.is_file():
            raise ModelError(f"exported model file {path} is missing")
        self._run = _onnx_runner(path, num_threads) if runtime == "onnx" else _ov_runner(
            path, num_threads
        )
        # The graph has no torch parameters; a digest buffer lets state_dict-based
        # fingerprints (e.g. evaluation caches) tell exported models apart.
        self.register_buffer("graph_digest", _file_digest(path))

    # A text-only module: it takes strings, not the multimodal inputs InputModule allows.
    def preprocess(  # type: ignore[override]
        self, inputs: Sequence[str], prompt: str | None = None, **kwargs
    ):
        texts = [prompt + t for t in inputs] if prompt else list(inputs)
        return dict(self.tokenizer(
            texts, padding=True, truncation="longest_first", max_length=self.max_seq_length,
            return_tensors="pt",
        ))

    def forward(self, features: dict[str, Any], **kwargs) -> dict[str, Any]:
        ids = features["input_ids"].numpy().astype(np.int64, copy=False)
        mask = features["attention_mask"].numpy().astype(np.int64, copy=False)
        features["token_embeddings"] = torch.from_numpy(np.asarray(self._run(ids, mask)))
        return features

    def get_embedding_dimension(self) -> int:
        return self.hidden_size

    get_sentence_embedding_dimension = get_embedding_dimension

    def save(self, output_path: str, *args, **kwargs) -> None:
        raise TermfitError(
            "an exported model is not saved again: copy its folder, or export the PyTorch "
            "model once more (termfit export)")


def _file_digest(path: Path) -> torch.Tensor:
    """8 bytes of sha256 over the size and the first and last MiB of the graph (+ weights)."""
    import hashlib

    h = hashlib.sha256()
    for f in (path, path.with_suffix(".bin"), path.with_name(path.name + "_data")):
        if f.is_file():
            size = f.stat().st_size
            h.update(str(size).encode())
            with open(f, "rb") as fh:
                h.update(fh.read(1 << 20))
                fh.seek(max(0, size - (1 << 20)))
                h.update(fh.read())
    return torch.tensor(list(h.digest()[:8]), dtype=torch.float64)


def _onnx_runner(path: Path, num_threads: int | None):
    ort = require("onnxruntime", "running an ONNX export", "onnx")

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = num_threads or 0  # 0: one per physical core
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    names = {i.name for i in sess.get_inputs()}

    def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in names:
            feed["token_type_ids"] = np.zeros_like(ids)
        return sess.run(None, feed)[0]

    return run


def _ov_runner(path: Path, num_threads: int | None):
    ov = require("openvino", "running an OpenVINO export", "openvino")

    config: dict[str, str | int] = {"PERFORMANCE_HINT": "LATENCY"}
    if num_threads:
        config["INFERENCE_NUM_THREADS"] = int(num_threads)
    compiled = ov.Core().compile_model(str(path), "CPU", config)
    request = compiled.create_infer_request()
    names = {p.get_any_name() for p in compiled.inputs}

    def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in names:
            feed["token_type_ids"] = np.zeros_like(ids)
        return request.infer(feed)[compiled.outputs[0]].copy()

    return run


def is_exported(path: str | os.PathLike) -> bool:
    """True when ``path`` is a folder written by :func:`termfit.export.export_model`."""
    return Path(path).is_dir() and read_manifest(path) is not None


def load_exported(
    path: str | os.PathLike, device: str | None = "cpu", num_threads: int | None = None,
) -> SentenceTransformer:
    """Load an exported folder as a ``SentenceTransformer`` running on ONNX Runtime/OpenVINO.

    Needs neither optimum nor ``trust_remote_code``: the first module becomes a
    :class:`RuntimeEncoder`; the others must be sentence-transformers' own modules.
    """
    folder = Path(path)
    manifest = read_manifest(folder)
    if manifest is None:
        raise ModelError(f"{folder} is not an exported model (no export manifest)")
    entries = _module_entries(folder)
    encoder = RuntimeEncoder(
        str(folder), str(manifest.get("runtime", "onnx")),
        str(manifest.get("file_name", ONNX_FILE)), int(manifest.get("max_seq_length") or 512),
        num_threads or manifest.get("num_threads"),
    )
    modules = [encoder] + [_load_module(folder, e) for e in entries[1:]]
    settings = _read_json(folder / CONFIG_ST) if (folder / CONFIG_ST).is_file() else {}
    return SentenceTransformer(
        modules=modules, device=device or "cpu", prompts=settings.get("prompts") or None,
        default_prompt_name=settings.get("default_prompt_name"),
        similarity_fn_name=settings.get("similarity_fn_name"),
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: unreadable ({exc})") from None


def _module_entries(folder: Path) -> list[dict]:
    """The modules.json entries of an export, checked: an encoder first, then ST modules."""
    where = folder / MODULES_JSON
    entries = _read_json(where)
    if not isinstance(entries, list) or not entries or not all(
        isinstance(e, dict) and isinstance(e.get("type"), str) for e in entries
    ):
        raise ModelError(f"{where}: expected a list of modules with a 'type' each")
    first = entries[0]["type"]
    if not (first in _ENCODER_TYPES or (first.startswith("sentence_transformers.")
                                        and first.endswith(".Transformer"))):
        raise ModelError(f"{where}: the first module of an export must be a Transformer, "
                           f"not {first!r}")
    for e in entries[1:]:
        if not e["type"].startswith("sentence_transformers."):
            raise ModelError(f"{where}: unexpected module type {e['type']!r} in an export "
                               "(only sentence-transformers' own modules are loaded)")
        sub = Path(str(e.get("path", "")))
        if sub.is_absolute() or ".." in sub.parts:
            raise ModelError(f"{where}: module path {str(sub)!r} leaves the model folder")
    return entries


def _load_module(folder: Path, entry: dict) -> torch.nn.Module:
    module_name, _, class_name = entry["type"].rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        raise ModelError(
            f"{folder / MODULES_JSON}: module type {entry['type']!r} is not in this "
            "sentence-transformers version") from None
    return cls.load(str(folder), subfolder=str(entry.get("path", "")), local_files_only=True)
