"""A small bilingual glossary and index shared by the search, serve and web tests."""

from __future__ import annotations

import json
from pathlib import Path

ROWS = [
    {"id": "amf", "abbr": "AMF", "expansion": "Access and Mobility Management Function",
     "ko": ["접근 및 이동성 관리 기능"], "category": "technical"},
    {"id": "smf", "abbr": "SMF", "expansion": "Session Management Function",
     "ko": ["세션 관리 기능"], "category": "technical"},
    {"id": "upf", "abbr": "UPF", "expansion": "User Plane Function",
     "ko": ["사용자 평면 기능"], "category": "technical"},
    {"id": "cp-control", "abbr": "CP", "expansion": "Control Plane", "ko": ["제어 평면"],
     "category": "conceptual"},
    {"id": "cp-prefix", "abbr": "CP", "expansion": "Cyclic Prefix", "ko": ["순환 전치"],
     "category": "technical"},
    {"id": "5g", "abbr": "5G", "expansion": "5th Generation", "ko": ["5세대 이동 통신"],
     "category": "conceptual"},
    {"id": "rlf", "abbr": "RLF", "expansion": "Radio Link Failure", "ko": [],
     "category": None},
    {"id": "iot", "abbr": "IoT", "expansion": "Internet of Things", "ko": ["사물 인터넷"],
     "category": "application"},
]


def write_glossary(path: Path, rows: list[dict] | None = None) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows or ROWS),
                    encoding="utf-8")
    return path
