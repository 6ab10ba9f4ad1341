"""Run an exported model: ONNX Runtime or OpenVINO behind a sentence-transformers module.

:class:`RuntimeEncoder` tokenizes and runs an exported graph; it produces the same
``token_embeddings`` as the ``Transformer`` module it replaces, so the Pooling and
Normalize modules that follow are unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sentence_transformers.base.modules import InputModule

from termfit.errors import TermfitError
from termfit.export_layout import ONNX_FILE, read_manifest


class RuntimeEncoder(InputModule):
    """First module of an exported model: tokenizes and runs an ONNX/OpenVINO graph.

    Produces ``token_embeddings`` like the ``Transformer`` module it replaces, so the
    Pooling and Normalize modules that follow are unchanged.
    """

    config_file_name = "termfit_runtime.json"
    config_keys = ["runtime", "file_name", "max_seq_length", "num_threads"]
    save_in_root = True

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
            raise TermfitError(f"unknown runtime {runtime!r}: expected 'onnx' or 'openvino'")
        self.model_dir = str(model_dir)
        self.runtime = runtime
        self.file_name = file_name
        self.max_seq_length = max_seq_length
        self.num_threads = num_threads
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_dir)
        self.hidden_size = int(AutoConfig.from_pretrained(self.model_dir).hidden_size)
        path = Path(self.model_dir) / file_name
        if not path.is_file():
            raise TermfitError(f"exported model file {path} is missing")
        self._run = _onnx_runner(path, num_threads) if runtime == "onnx" else _ov_runner(
            path, num_threads
        )
        # The graph has no torch parameters; a digest buffer lets state_dict-based
        # fingerprints (e.g. evaluation caches) tell exported models apart.
        self.register_buffer("graph_digest", _file_digest(path))

    def preprocess(self, inputs: Sequence[str], prompt: str | None = None, **kwargs):
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
        out = Path(output_path)
        if out.resolve() != Path(self.model_dir).resolve():
            src = Path(self.model_dir)
            for name in _model_files(src / self.file_name) + ["config.json"]:
                (out / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src / name, out / name)
        self.save_tokenizer(output_path)
        self.save_config(output_path)

    @classmethod
    def load(cls, model_name_or_path: str, subfolder: str = "", **kwargs) -> RuntimeEncoder:
        config = cls.load_config(model_name_or_path, subfolder=subfolder,
                                 local_files_only=kwargs.get("local_files_only", False))
        return cls(str(Path(model_name_or_path) / subfolder), **config)


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


def _model_files(path: Path) -> list[str]:
    """The file(s) of an exported graph, relative to the model folder."""
    rel = Path(path.parent.name) / path.name
    files = [rel.as_posix()]
    if path.suffix == ".xml":
        files.append(rel.with_suffix(".bin").as_posix())
    elif path.with_name(path.name + "_data").is_file():
        files.append((rel.parent / (path.name + "_data")).as_posix())
    return files


def _onnx_runner(path: Path, num_threads: int | None):
    import onnxruntime as ort

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
    import openvino as ov

    config = {"PERFORMANCE_HINT": "LATENCY"}
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


def exported_model_kwargs(path: str | os.PathLike) -> dict:
    """Extra ``SentenceTransformer`` arguments to load an exported folder (else ``{}``).

    sentence-transformers asks for ``trust_remote_code`` before importing a module class
    from outside its package; we allow it only when every module is its own or
    :class:`RuntimeEncoder`.
    """
    if read_manifest(path) is None:
        return {}
    modules_json = Path(path) / "modules.json"
    try:
        modules = json.loads(modules_json.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TermfitError(f"{modules_json}: unreadable ({exc})") from None
    allowed = f"{RuntimeEncoder.__module__}.{RuntimeEncoder.__name__}"
    for m in modules:
        kind = str(m.get("type", ""))
        if kind != allowed and not kind.startswith("sentence_transformers."):
            raise TermfitError(f"{modules_json}: unexpected module type {kind!r} in an export")
    return {"trust_remote_code": True}
