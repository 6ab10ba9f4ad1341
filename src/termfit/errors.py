"""Errors that the CLI reports as clear messages instead of tracebacks, and its exit codes.

Every ``termfit`` command exits with one of these codes (``termfit.cli.main`` maps each
exception type to its code):

====  ==========================================================================
code  meaning
====  ==========================================================================
0     success
1     interrupted (Ctrl-C / SIGINT)
2     bad input: a file, option or value that is wrong (the message says where)
3     model or environment: a model that is missing, damaged, not a model or not
      the one an index was built with; a package or runtime that is missing
4     file system: a file that cannot be read or written (permissions, disk full)
5     unexpected error (a bug): the message says what happened; ``-v`` shows details
====  ==========================================================================
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import IntEnum
from types import ModuleType


class ExitCode(IntEnum):
    """Exit codes of the ``termfit`` command (see the table above)."""

    OK = 0
    INTERRUPTED = 1
    BAD_INPUT = 2
    MODEL_OR_ENVIRONMENT = 3
    FILE_SYSTEM = 4
    UNEXPECTED = 5


@dataclass(frozen=True)
class Problem:
    """One problem in an input file: where it is and what was expected."""

    source: str
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        field = f" [{self.field}]" if self.field else ""
        return f"{where}{field}: {self.message}"


class TermfitError(Exception):
    """A user-facing error; the CLI prints it and exits with ``exit_code`` (bad input)."""

    exit_code: int = ExitCode.BAD_INPUT


class InputError(TermfitError):
    """Bad input: carries every problem found, reported at once (exit code 2)."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("input", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} found:" if n > 1 else ""
        lines = [str(p) for p in self.problems[:200]]
        if n > 200:
            lines.append(f"... and {n - 200} more")
        return "\n".join([head, *lines] if head else lines)


class Interrupted(TermfitError):
    """The user interrupted the command (Ctrl-C); the message says what was kept."""

    exit_code = ExitCode.INTERRUPTED


class EnvironmentProblem(TermfitError):
    """A model or package the command needs is missing, damaged or unusable (exit code 3)."""

    exit_code = ExitCode.MODEL_OR_ENVIRONMENT


class ModelError(EnvironmentProblem):
    """A model folder that is not a model, is damaged, or does not fit (e.g. an index)."""


class ModelUnavailableError(ModelError):
    """A model could not be found locally and the hub cannot be reached."""


class MissingDependencyError(EnvironmentProblem):
    """An optional package is not installed; the message says which extra provides it."""


def missing_dependency(feature: str, packages: str, extra: str) -> MissingDependencyError:
    """The error for ``feature`` needing ``packages``, installed by ``termfit[extra]``."""
    return MissingDependencyError(
        f"{feature} needs {packages}, which is not installed: "
        f"pip install 'termfit[{extra}]' (or pip install {packages})"
    )


def require(module: str, feature: str, extra: str, package: str | None = None) -> ModuleType:
    """Import ``module`` for ``feature``, or raise the error naming ``termfit[extra]``."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise missing_dependency(feature, package or module, extra) from None
