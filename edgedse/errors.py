"""Errors a user can act on.

Every error raised for bad input names the file, the element inside it and the fix, so the CLI can print
one line and exit with code 2 instead of a traceback from deep inside a library.
"""
from __future__ import annotations


class InputError(Exception):
    """Bad input: the message names ``source`` (a file or object), the ``element`` and a ``fix``."""

    def __init__(self, source: str, element: str, problem: str, fix: str = "") -> None:
        self.source = str(source)
        self.element = element
        self.problem = problem
        self.fix = fix
        text = f"{self.source}: {element}: {problem}"
        if fix:
            text += f" (fix: {fix})"
        super().__init__(text)


class InfeasibleError(Exception):
    """A problem has no solution; ``family`` names the constraint family that makes it so."""

    def __init__(self, family: str, detail: str) -> None:
        self.family = family
        self.detail = detail
        super().__init__(f"infeasible [{family}]: {detail}")
