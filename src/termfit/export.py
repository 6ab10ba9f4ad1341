"""Export a model for fast CPU inference: ONNX fp32, ONNX int8, OpenVINO int8.

An exported folder is a normal sentence-transformers folder whose first module is
:class:`RuntimeEncoder` (tokenizer + an ONNX Runtime or OpenVINO session) followed by the
original Pooling and Normalize modules, so ``SentenceTransformer(path)`` and
:func:`termfit.models.load_model` load it and ``encode`` computes the same pipeline.

Why not sentence-transformers' ``export_*`` helpers: they drive ``optimum-onnx`` and
``optimum-intel``, whose released versions require transformers < 4.58 (optimum-onnx
0.1.0) or < 5.6 (optimum-intel 2.2) and fail to import with the transformers 5.x that
termfit needs. The same steps are done here with the libraries those helpers wrap:
``torch.onnx.export``, ONNX Runtime's transformer graph optimizer and dynamic
quantization, and OpenVINO's converter with NNCF post-training quantization.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sentence_transformers.base.modules import InputModule

from termfit.errors import TermfitError
from termfit.fileio import atomic_directory, write_json

logger = logging.getLogger(__name__)

FORMATS = ("onnx", "onnx-int8", "openvino-int8")
MANIFEST = "termfit_export.json"
ONNX_FILE = "onnx/model.onnx"
OPENVINO_FILE = "openvino/openvino_model.xml"

# A few Korean/English telecom phrases to calibrate OpenVINO's int8 activations when no
# glossary texts are given.
_CALIBRATION_FALLBACK = [
    "query: LTE 기지국 간 핸드오버 절차", "passage: Radio Resource Control (RRC) 무선 자원 제어",
    "query: what is carrier aggregation", "passage: 5G NR 주파수 대역과 채널 대역폭",
    "query: 패킷 코어 네트워크의 역할", "passage: Mobility Management Entity handles signalling",
    "query: QoS class identifier", "passage: 서비스 품질 등급 식별자 QCI",
    "query: 광대역 부호분할 다중접속", "passage: Orthogonal frequency-division multiplexing",
]


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

    model_type = "bert" if config.model_type in ("bert", "xlm-roberta", "roberta") else "bert"
    opt = optimize_model(
        str(src), model_type=model_type, num_heads=int(config.num_attention_heads),
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
    from sentence_transformers import SentenceTransformer

    from termfit.models import load_model

    if format not in FORMATS:
        raise TermfitError(
            f"unknown export format {format!r}: expected one of {', '.join(FORMATS)}")
    _check_runtime(format)
    keep = list(keep)
    st = load_model(model_spec) if model_spec is None or isinstance(
        model_spec, str | os.PathLike) else model_spec
    if not hasattr(st[0], "auto_model"):
        raise TermfitError("the model to export must be a PyTorch sentence-transformers model")
    if trim:
        from termfit.trim import trim_vocabulary

        st = trim_vocabulary(st, keep, general_vocab=general_vocab)
    target = quantization_target or cpu_quantization_target()
    hf_config = st[0].auto_model.config
    seq = int(max_seq_length or st.max_seq_length or 512)
    out = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="termfit-export-") as work_dir:
        work = Path(work_dir)
        raw = work / "raw.onnx"
        _export_onnx_graph(st, raw)
        with atomic_directory(out) as tmp:
            st[0].auto_model.config.save_pretrained(str(tmp))
            st[0].tokenizer.save_pretrained(str(tmp))
            if format == "openvino-int8":
                texts = [t for t in list(calibration) or keep if isinstance(t, str)]
                texts = texts[:512] or _CALIBRATION_FALLBACK
                _openvino_int8(raw, tmp / OPENVINO_FILE, st, texts)
                runtime, file_name = "openvino", OPENVINO_FILE
            else:
                (tmp / "onnx").mkdir()
                opt = work / "optimized.onnx"
                _optimize_onnx(raw, opt, hf_config)
                if format == "onnx":
                    shutil.move(str(opt), str(tmp / ONNX_FILE))
                else:
                    _quantize_onnx(opt, tmp / ONNX_FILE, target)
                runtime, file_name = "onnx", ONNX_FILE
            encoder = RuntimeEncoder(str(tmp), runtime, file_name, seq, num_threads)
            exported = SentenceTransformer(
                modules=[encoder, *list(st)[1:]], prompts=dict(st.prompts or {}), device="cpu",
                default_prompt_name=st.default_prompt_name,
            )
            exported.save(str(tmp))
            write_json(tmp / MANIFEST, {
                "format": format, "runtime": runtime, "file_name": file_name,
                "trimmed": bool(trim), "vocab_size": int(hf_config.vocab_size),
                "quantization_target": target if format == "onnx-int8" else None,
                "max_seq_length": seq,
            })
    return out


def _check_runtime(format: str) -> None:
    missing = []
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        missing.append("onnxruntime")
    try:
        import onnx  # noqa: F401
    except ImportError:
        missing.append("onnx")
    if format.startswith("openvino"):
        for name in ("openvino", "nncf"):
            try:
                __import__(name)
            except ImportError:
                missing.append(name)
    if missing:
        raise TermfitError(
            f"exporting to {format} needs {', '.join(missing)}: pip install {' '.join(missing)}"
        )


def read_manifest(path: str | os.PathLike) -> dict | None:
    """The export manifest of a folder, or None when it is not an exported model."""
    p = Path(path) / MANIFEST
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TermfitError(f"{p}: unreadable export manifest ({exc})") from None


def folder_size(path: str | os.PathLike) -> int:
    """Bytes on disk of every file under ``path``."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


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
