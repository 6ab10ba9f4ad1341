"""What an exported model folder holds: the formats, their graph files and the manifest.

Kept free of heavy imports so that commands can list the formats and read a manifest
without loading torch or a runtime.
"""

from __future__ import annotations

import os
from pathlib import Path

from termfit.errors import InputError, ModelError, TermfitError
from termfit.fileio import read_json_object

FORMATS = ("onnx", "onnx-int8", "openvino-int8")
MANIFEST = "termfit_export.json"
ONNX_FILE = "onnx/model.onnx"
OPENVINO_FILE = "openvino/openvino_model.xml"
MODULES_JSON = "modules.json"
CONFIG_ST = "config_sentence_transformers.json"
#: PyTorch weight files that an export leaves out (the graph replaces them).
WEIGHT_FILES = ("*.safetensors", "model.safetensors.index.json", "pytorch_model*.bin")


def runtime_of(format: str) -> str:
    """The runtime that runs an export ``format``: ``"onnx"`` or ``"openvino"``."""
    if format not in FORMATS:
        raise TermfitError(
            f"unknown export format {format!r}: expected one of {', '.join(FORMATS)}")
    return "openvino" if format.startswith("openvino") else "onnx"


def graph_file(format: str) -> str:
    """The graph file of an export ``format``, relative to the model folder."""
    return OPENVINO_FILE if runtime_of(format) == "openvino" else ONNX_FILE


def read_manifest(path: str | os.PathLike) -> dict | None:
    """The export manifest of a folder, or None when it is not an exported model."""
    p = Path(path) / MANIFEST
    if not p.is_file():
        return None
    try:
        return read_json_object(p, what="export manifest")
    except InputError as exc:  # a damaged model folder, not bad user input
        raise ModelError(str(exc)) from None


def folder_size(path: str | os.PathLike) -> int:
    """Bytes on disk of every file under ``path``."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
