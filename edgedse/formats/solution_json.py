"""Solution documents (JSON) read back into decisions, so that the independent evaluator can check a schedule
made anywhere: by edgedse (``edgedse schedule --json``, a point of ``edgedse pareto --json``), by another tool,
or by hand.

One inference (a :class:`~edgedse.models.solutions.Schedule`)::

    {"tasks": [{"id": "conv1", "pe": "ce", "start": 0.0, "end": 0.000153}, ...]}

Pipelined, one iteration repeated every period (a :class:`~edgedse.models.periodic.PeriodicSchedule`); the
``"period"`` key is what marks it::

    {"period": 0.00015, "tasks": [{"id": "CalculateLayer_2#0", "pe": 2, "start": 0.0, "aggregation": 3}, ...]}

* ``id``: a task id exactly as in the instance file; for a periodic schedule a firing id, ``ACTOR#i`` (``i`` =
  0..q−1) or ``ACTOR`` alone for a layer fired once, as ``edgedse schedule --objective period --json`` writes it.
* ``pe``: a PE index (0..M−1) or a PE name.
* ``start`` (and ``period``): seconds for YAML instances, the file's own time units for .stg/.gxl/Topcuoglu
  instances; each must be a whole number of the instance's ticks.
* ``aggregation`` (periodic, optional): the layer's aggregationFactor; without it the mode is the one whose
  firing count equals the number of firings given.
* ``end`` and the document's ``makespan`` / ``period`` / ``latency`` / ``energy_j`` are *claims*: they are
  not read as decisions, only compared with what the evaluator recomputes (:func:`claimed_values`).

Malformed documents raise :class:`~edgedse.errors.InputError` naming the file, the task and the fix.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from edgedse.errors import InputError
from edgedse.models.periodic import Firing, PeriodicProblem, PeriodicSchedule
from edgedse.models.problems import ScheduleProblem
from edgedse.models.solutions import Schedule

TICK_TOLERANCE = 1e-6  # of a tick: how far a time given in seconds may lie from a whole tick (float rounding)


def read_solution_document(solution: str | Path | dict) -> tuple[dict, str]:
    """``(document, source)``: a JSON file parsed (``source`` its path), or a dict as given (``source``
    "solution"). The document must be an object with a ``tasks`` list."""
    if isinstance(solution, dict):
        doc, source = solution, "solution"
    else:
        path = Path(solution)
        source = str(path)
        if not path.is_file():
            raise InputError(path, "file", "does not exist",
                             "give the path of a solution JSON, e.g. the output of edgedse schedule --json")
        try:
            doc = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise InputError(path, f"line {exc.lineno}", f"is not valid JSON ({exc.msg})",
                             "fix the JSON syntax") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("tasks"), list):
        raise InputError(source, "tasks", "a solution document is a JSON object with a \"tasks\" list",
                         "give {\"tasks\": [{\"id\", \"pe\", \"start\"}, ...]} (and \"period\" when pipelined)")
    return doc, source


def schedule_from_document(problem: ScheduleProblem, doc: dict, source: str) -> Schedule:
    """The one-inference schedule a document gives: every task of ``problem`` exactly once."""
    index = {str(t): i for i, t in enumerate(problem.task_ids)}
    pe: list[int | None] = [None] * problem.n
    start: list[int | None] = [None] * problem.n
    for n, task in enumerate(doc["tasks"]):
        tid = _task_id(task, n, source)
        if tid not in index:
            raise InputError(source, f"task {tid!r}", f"is not a task of {problem.name}",
                             "use the task ids of the instance file")
        i = index[tid]
        if pe[i] is not None:
            raise InputError(source, f"task {tid!r}", "is given twice", "give each task once")
        pe[i] = _pe_index(task.get("pe"), problem.pe_names, source, tid)
        start[i] = to_ticks(task.get("start"), problem.tick_s, source, f"task {tid!r}: start")
    missing = [str(problem.task_ids[i]) for i in range(problem.n) if pe[i] is None]
    if missing:
        listed = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise InputError(source, "tasks", f"{len(missing)} of {problem.n} tasks are missing: {listed}",
                         "give every task a pe and start")
    return Schedule(tuple(pe), tuple(start))


def periodic_schedule_from_document(problem: PeriodicProblem, doc: dict, source: str) -> PeriodicSchedule:
    """The periodic schedule a document gives: its period, each layer's mode and every firing's PE and start."""
    actors = {ly.actor: l for l, ly in enumerate(problem.layers)}
    period = to_ticks(doc.get("period"), problem.tick_s, source, "period")
    given: dict[int, list[tuple[int, int, int, str]]] = {l: [] for l in range(problem.n_layers)}
    aggregation: dict[int, int] = {}
    for n, task in enumerate(doc["tasks"]):
        tid = _task_id(task, n, source)
        actor, _, number = tid.partition("#")
        if actor not in actors:
            raise InputError(source, f"task {tid!r}", f"names no layer actor of {problem.name}",
                             "use firing ids ACTOR#i as edgedse schedule --objective period --json writes them")
        if number and not number.isdigit():
            raise InputError(source, f"task {tid!r}", "the firing number after '#' must be a whole number ≥ 0",
                             "write ACTOR#0, ACTOR#1, …")
        l = actors[actor]
        if task.get("aggregation") is not None:
            a = _whole(task["aggregation"], source, f"task {tid!r}: aggregation")
            if aggregation.setdefault(l, a) != a:
                raise InputError(source, f"task {tid!r}: aggregation", f"{a} differs from {aggregation[l]} given "
                                 f"for another firing of {actor}", "give every firing of a layer one aggregationFactor")
        pe = _pe_index(task.get("pe"), problem.pe_names, source, tid)
        start = to_ticks(task.get("start"), problem.tick_s, source, f"task {tid!r}: start")
        given[l].append((int(number) if number else 0, pe, start, tid))
    modes, firings = [], []
    for l, ly in enumerate(problem.layers):
        a = _mode_of(problem, l, aggregation.get(l), len(given[l]), source)
        modes.append(a)
        seen = set()
        for index, pe, start, tid in given[l]:
            if index in seen:
                raise InputError(source, f"task {tid!r}", "is given twice", "give each firing once")
            seen.add(index)
            firings.append(Firing(l, index, pe, start))
    return PeriodicSchedule(tuple(modes), tuple(firings), period)


def _mode_of(problem: PeriodicProblem, l: int, aggregation: int | None, count: int, source: str) -> int:
    """The mode index of layer ``l``: by its aggregationFactor when given, else by its number of firings."""
    ly = problem.layers[l]
    allowed = ", ".join(f"{md.aggregation} ({md.firings} firings)" for md in ly.modes)
    if count == 0:
        raise InputError(source, ly.actor, "has no firings in the solution",
                         f"give its firings; its aggregationFactors: {allowed}")
    for a, md in enumerate(ly.modes):
        if (md.aggregation == aggregation) if aggregation is not None else (md.firings == count):
            return a
    what = f"aggregation {aggregation}" if aggregation is not None else f"{count} firings"
    raise InputError(source, ly.actor, f"{what} is not an aggregationFactor of this layer",
                     f"use one of {allowed}")


def to_ticks(value, tick_s: float | None, source: str, element: str) -> int:
    """A time of the document (seconds when ``tick_s`` is set, else the instance's units) as whole ticks ≥ 0."""
    if not is_number(value) or not math.isfinite(value) or value < 0:
        raise InputError(source, element, f"{value!r} is not a time ≥ 0",
                         "give a number of seconds" if tick_s else "give a number in the instance's time units")
    ticks = value / tick_s if tick_s else float(value)
    whole = round(ticks)
    if abs(ticks - whole) > TICK_TOLERANCE * max(1.0, abs(ticks)):
        unit = f"ticks of {tick_s:g} s" if tick_s else "time units"
        raise InputError(source, element, f"{value!r} is not a whole number of {unit}",
                         "round the time to the instance's tick")
    return int(whole)


def is_number(value) -> bool:
    """A JSON number (``true``/``false`` are not numbers)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def claimed_values(doc: dict) -> dict[str, float]:
    """The metrics a document claims (``makespan``, ``period``, ``latency``, ``energy_j``; numbers only)."""
    return {key: doc[key] for key in ("makespan", "period", "latency", "energy_j") if is_number(doc.get(key))}


def _task_id(task, n: int, source: str) -> str:
    if not isinstance(task, dict) or task.get("id") is None:
        raise InputError(source, f"tasks[{n}]", "a task is an object with an \"id\"",
                         "give {\"id\", \"pe\", \"start\"} for every task")
    return str(task["id"])


def _pe_index(value, names: tuple[str, ...], source: str, tid: str) -> int:
    """A PE given by index or by name."""
    if isinstance(value, str) and value in names:
        return names.index(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
        return value
    raise InputError(source, f"task {tid!r}: pe", f"{value!r} is not a PE of the instance",
                     f"give an index 0..{len(names) - 1} or a name: {', '.join(names)}")


def _whole(value, source: str, element: str) -> int:
    if not is_number(value) or not math.isfinite(value) or value != int(value) or value < 1:
        raise InputError(source, element, f"{value!r} is not a whole number ≥ 1", "give a whole number")
    return int(value)
