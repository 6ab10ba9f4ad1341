"""Errors that the CLI reports as clear messages instead of tracebacks."""

from __future__ import annotations

from dataclasses import dataclass


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
    """A user-facing error; the CLI prints it and exits with ``exit_code``."""

    exit_code = 1


class InputError(TermfitError):
    """Bad input: carries every problem found, reported at once (exit code 2)."""

    exit_code = 2

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


class ModelUnavailableError(TermfitError):
    """A model could not be found locally and the hub cannot be reached."""

    exit_code = 3
