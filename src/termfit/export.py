"""Export a model for fast CPU inference: ONNX fp32, ONNX int8, OpenVINO int8.

An exported folder is laid out as sentence-transformers' own ONNX/OpenVINO backends
read it: the saved model (``modules.json`` with the standard Transformer, Pooling and
Normalize modules, model config, tokenizer, prompts) without its PyTorch weights, plus
``onnx/model.onnx`` (fp32 or int8) or ``openvino/openvino_model.xml``, and the manifest
``termfit_export.json``. ``SentenceTransformer(path, backend="onnx"|"openvino")`` loads it
where optimum is installed; :func:`termfit.models.load_model` loads it everywhere with
:mod:`termfit.runtime` (no optimum, no remote code).

Why not sentence-transformers' ``export_*`` helpers: they drive ``optimum-onnx`` and
``optimum-intel``, whose released versions require transformers < 4.58 (optimum-onnx
0.1.0) or < 5.6 (optimum-intel 2.2) and fail to import with the transformers 5.x that
termfit needs. The same steps are done here with the libraries those helpers wrap:
``torch.onnx.export``, ONNX Runtime's transformer graph optimizer and dynamic
quantization, and OpenVINO's converter with NNCF post-training quantization.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch

from termfit.errors import TermfitError, missing_dependency
from termfit.export_layout import (
    FORMATS,
    MANIFEST,
    WEIGHT_FILES,
    folder_size,
    graph_file,
    read_manifest,
    runtime_of,
)
from termfit.fileio import atomic_directory, write_json
from termfit.models import load_model
from termfit.passages import read_template, write_template
from termfit.trim import trim_vocabulary

__all__ = ["FORMATS", "export_model", "folder_size", "read_manifest", "cpu_quantization_target"]

logger = logging.getLogger(__name__)

# A few Korean/English telecom phrases to calibrate OpenVINO's int8 activations when no
# glossary texts are given.
_CALIBRATION_FALLBACK = [
    "query: LTE 기지국 간 핸드오버 절차", "passage: Radio Resource Control (RRC) 무선 자원 제어",
    "query: what is carrier aggregation", "passage: 5G NR 주파수 대역과 채널 대역폭",
    "query: 패킷 코어 네트워크의 역할", "passage: Mobility Management Entity handles signalling",
    "query: QoS class identifier", "passage: 서비스 품질 등급 식별자 QCI",
    "query: 광대역 부호분할 다중접속", "passage: Orthogonal frequency-division multiplexing",
]


def cpu_quantization_target() -> str:
    """The int8 kernel family this CPU supports best: avx512_vnni, avx512, avx2 or arm64."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        flags = ""
    if "avx512_vnni" in flags or "avx_vnni" in flags:
        return "avx512_vnni" if "avx512f" in flags else "avx2"
    if "avx512f" in flags:
        return "avx512"
    if "avx2" in flags:
        return "avx2"
    import platform

    return "arm64" if platform.machine() in ("arm64", "aarch64") else "avx2"


def _export_onnx_graph(st, path: Path) -> None:
    """Trace the transformer of ``st`` to ONNX: (input_ids, attention_mask) -> token states."""
    hf = st[0].auto_model
    try:  # eager attention exports the MatMul/Softmax pattern ONNX Runtime fuses
        hf.set_attn_implementation("eager")
    except (AttributeError, ValueError):
        pass

    class _Graph(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.tensor([[0, 3, 3, 3, 2], [0, 3, 2, 1, 1]])  # ids every vocabulary has
    mask = (ids != 1).long()
    axes = {0: "batch", 1: "sequence"}
    path.parent.mkdir(parents=True, exist_ok=True)
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Graph(hf).eval(), (ids, mask), str(path),
            input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=17, dynamo=False,
        )


def _optimize_onnx(src: Path, dst: Path, config) -> None:
    """Fuse attention/LayerNorm/GELU with ONNX Runtime's transformer optimizer (fp32)."""
    from onnxruntime.transformers.optimizer import optimize_model

    # "bert" covers the BERT-like encoders (BERT, RoBERTa, XLM-R): the fusions match their
    # attention/LayerNorm/GELU subgraphs; other models keep the unfused subgraphs.
    opt = optimize_model(
        str(src), model_type="bert", num_heads=int(config.num_attention_heads),
        hidden_size=int(config.hidden_size), opt_level=1,
    )
    opt.save_model_to_file(str(dst))


def _quantize_onnx(src: Path, dst: Path, target: str) -> None:
    """Dynamic int8 quantization (weights int8 per channel, activations quantized on the fly)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(src), str(dst), weight_type=QuantType.QInt8, per_channel=target != "arm64",
        reduce_range=target in ("avx2", "avx512"),
        op_types_to_quantize=["MatMul", "Attention", "Gather", "EmbedLayerNormalization"],
        # fused com.microsoft ops defeat ONNX shape inference; their outputs are fp32
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def _openvino_int8(onnx_path: Path, xml_path: Path, st, calibration: list[str]) -> None:
    """Convert to OpenVINO IR and apply NNCF static int8 quantization on calibration texts."""
    import nncf
    import openvino as ov

    model = ov.convert_model(str(onnx_path))
    tok = st[0].tokenizer
    items = []
    for i in range(0, len(calibration), 8):
        enc = tok(calibration[i:i + 8], padding=True, truncation=True, max_length=128,
                  return_tensors="np")
        items.append({"input_ids": enc["input_ids"].astype(np.int64),
                      "attention_mask": enc["attention_mask"].astype(np.int64)})
    quantized = nncf.quantize(
        model, nncf.Dataset(items), model_type=nncf.ModelType.TRANSFORMER,
        subset_size=len(items),
    )
    xml_path.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(quantized, str(xml_path))


def export_model(
    model_spec=None,
    format: str = "onnx-int8",
    out_dir: str | os.PathLike = "exported",
    *,
    trim: bool = False,
    keep: Iterable[str | int] = (),
    general_vocab: bool = True,
    calibration: Iterable[str] = (),
    quantization_target: str | None = None,
    max_seq_length: int | None = None,
    num_threads: int | None = None,
) -> Path:
    """Export ``model_spec`` (a loaded model or a spec for ``load_model``) to ``out_dir``.

    ``format`` is one of :data:`FORMATS`. With ``trim`` the vocabulary is first cut to the
    pieces of ``keep`` plus a general Korean/English vocabulary (see :mod:`termfit.trim`).
    ``calibration`` texts calibrate OpenVINO int8 (default: ``keep`` texts, else a
    built-in set). The folder is written atomically and loads with
    :func:`termfit.models.load_model`.
    """
    runtime_of(format)  # a clear error for an unknown format
    _check_runtime(format)
    keep = list(keep)
    st = load_model(model_spec) if model_spec is None or isinstance(
        model_spec, str | os.PathLike) else model_spec
    if not hasattr(st[0], "auto_model"):
        raise TermfitError("the model to export must be a PyTorch sentence-transformers model")
    if trim:
        st = trim_vocabulary(st, keep, general_vocab=general_vocab)
    target = quantization_target or cpu_quantization_target()
    seq = int(max_seq_length or st.max_seq_length or 512)
    out = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="termfit-export-") as work_dir:
        raw = Path(work_dir) / "raw.onnx"
        _export_onnx_graph(st, raw)
        with atomic_directory(out) as tmp:
            _save_without_weights(st, tmp, seq)
            texts = [t for t in list(calibration) or keep if isinstance(t, str)]
            _write_graph(format, raw, tmp, st, texts[:512] or _CALIBRATION_FALLBACK, target)
            (tmp / "README.md").write_text(_readme(format), encoding="utf-8")
            _copy_passage_template(model_spec, tmp)
            write_json(tmp / MANIFEST, {
                "format": format, "runtime": runtime_of(format), "file_name": graph_file(format),
                "trimmed": bool(trim), "vocab_size": int(st[0].auto_model.config.vocab_size),
                "quantization_target": target if format == "onnx-int8" else None,
                "max_seq_length": seq, "num_threads": num_threads,
            })
    return out


def _save_without_weights(st, folder: Path, max_seq_length: int) -> None:
    """Save ``st`` the standard way (config, tokenizer, modules), minus its PyTorch weights."""
    before = st.max_seq_length
    st.max_seq_length = max_seq_length  # stored in the tokenizer config
    try:
        st.save(str(folder))
    finally:
        st.max_seq_length = before
    for pattern in WEIGHT_FILES:
        for f in folder.glob(pattern):
            f.unlink()


def _write_graph(format: str, raw: Path, folder: Path, st, calibration: list[str],
                 target: str) -> None:
    """Write the graph of ``format`` from the traced ``raw`` ONNX file into ``folder``."""
    dest = folder / graph_file(format)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if format == "openvino-int8":
        _openvino_int8(raw, dest, st, calibration)
        return
    optimized = raw.with_name("optimized.onnx")
    _optimize_onnx(raw, optimized, st[0].auto_model.config)
    if format == "onnx":
        shutil.move(str(optimized), str(dest))
    else:
        _quantize_onnx(optimized, dest, target)


def _readme(format: str) -> str:
    backend = runtime_of(format)
    return f"""# Exported model ({format})

Written by `termfit export`. The graph is `{graph_file(format)}`; there are no PyTorch weights.

- termfit (no optimum needed): `termfit.models.load_model("PATH")`, or `--model PATH`.
- sentence-transformers with optimum installed:
  `SentenceTransformer("PATH", backend="{backend}")`.

`termfit_export.json` records the format, vocabulary size and maximum sequence length.
"""


def _copy_passage_template(model_spec: object, folder: Path) -> None:
    """Carry the passage template of a trained model folder (for ``termfit index``)."""
    if isinstance(model_spec, str | os.PathLike) and Path(model_spec).is_dir():
        template = read_template(model_spec)
        if template is not None:
            write_template(folder, template)


def _check_runtime(format: str) -> None:
    """Refuse at once, naming the extra to install, when a package ``format`` needs is missing."""
    extra = runtime_of(format)  # "onnx" or "openvino": the extra of the same name
    needed = ["onnx", "onnxruntime"] if extra == "onnx" else ["onnx", "openvino", "nncf"]
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise missing_dependency(f"exporting to {format}", " ".join(missing), extra)
