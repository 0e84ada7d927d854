"""Errors a user can act on.

Every error raised for bad input names the file, the element inside it and the fix, so the CLI can print
one line and exit with code 2 instead of a traceback from deep inside a library.
"""
from __future__ import annotations

import numbers


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


def check_limits(**values) -> None:
    """Time limits (``*time_limit``, seconds) must be positive and counts (``threads``, ``max_points``,
    ``workers``) at least 1; None means the default. Otherwise :class:`InputError` names the argument."""
    for name, value in values.items():
        if value is None:
            continue
        if name.endswith("time_limit") and not value > 0:
            raise InputError(name, str(value), "must be a positive number of seconds", f"pass {name} > 0")
        if not name.endswith("time_limit") and not (isinstance(value, numbers.Integral) and value >= 1):
            raise InputError(name, str(value), "must be a whole number at least 1", f"pass {name} ≥ 1")


def read_yaml(path, what: str):
    """Parse a YAML file: a missing file or bad syntax → :class:`InputError` naming the file (and line).
    ``what`` says what the file should be, for the fix (e.g. "an architecture .yaml")."""
    from pathlib import Path

    import yaml

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file", "does not exist", f"give the path of {what}")
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "YAML"
        raise InputError(path, where, f"is not valid YAML ({getattr(exc, 'problem', exc)})",
                         "fix the YAML syntax") from None


def validation_error(exc, source, fallback_fix: str) -> InputError:
    """Turn pydantic's first error into a one-line :class:`InputError` naming the element."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "top level"
    fixes = {"extra_forbidden": "remove this key or check its spelling",
             "greater_than": "use a positive value", "greater_than_equal": "use a non-negative value",
             "missing": "add this key"}
    return InputError(source, loc, err["msg"], fixes.get(err["type"], fallback_fix))


def validated(model_cls, data, source, fallback_fix: str):
    """``model_cls.model_validate(data)``, with a validation failure as a one-line :class:`InputError`."""
    from pydantic import ValidationError

    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, str(source), fallback_fix) from None
