"""Check a schedule made anywhere — by edgedse, by another tool, by hand — with the independent evaluators.

:func:`check_schedule` (one inference) and :func:`check_periodic` (pipelined) read a solution document
(:mod:`edgedse.formats.solution_json`), recompute every metric from its decisions alone
(:func:`~edgedse.analysis.evaluator.evaluate_schedule`, :func:`~edgedse.analysis.periodic_evaluator.evaluate_periodic`)
and return a JSON-ready report:

* ``valid`` and, when not, the violated constraint family (``violation``) and the evaluator's message;
* the recomputed metrics, in seconds for YAML instances (the file's units otherwise), energy in joules;
* the instance's cheap proven lower bounds and the solution's gap to them (makespan: critical path, load and
  fluid LP; period: resource and cycle bounds; latency: the critical path of the layers' least spans), the
  published optimum where the instance carries one, and for a pipelined instance its baseline mapping's period;
* ``claims``: each metric the document states (``makespan``, ``period``, ``latency``, ``energy_j``, and each
  task's ``end``) beside the recomputed value; ``claims_agree`` is false when any differs by more than half a
  tick (times) or a relative 1e-6 (energy). Only the disagreeing task ends are listed.
"""
from __future__ import annotations

from edgedse.analysis.evaluator import InvalidSolution, evaluate_schedule
from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.formats.solution_json import (claimed_values, is_number, periodic_schedule_from_document,
                                           schedule_from_document)
from edgedse.models.periodic import PeriodicProblem
from edgedse.models.problems import ScheduleProblem, seconds_converter
from edgedse.models.solutions import relative_gap

ENERGY_RTOL = 1e-6


def check_schedule(problem: ScheduleProblem, doc: dict, source: str) -> dict:
    """The report of the module docstring for a one-inference schedule."""
    sch = schedule_from_document(problem, doc, source)
    report, met = _evaluated(evaluate_schedule, problem, sch, source, "schedule")
    if met is None:
        return report
    sec = seconds_converter(problem.tick_s)
    bound = problem.makespan_lower_bound()
    optimum = problem.known_optimum
    report.update(makespan=sec(met.makespan), energy_j=met.energy_j, makespan_bound=sec(bound),
                  gap=relative_gap(met.makespan, bound), known_optimum=sec(optimum),
                  ratio_to_optimum=None if not optimum else met.makespan / optimum,
                  pes=[{"name": problem.pe_names[k], "tasks": sch.pe.count(k), "busy": sec(met.busy[k]),
                        "utilization": met.busy[k] / (met.makespan or 1)} for k in range(problem.m)])
    ends = [(problem.task_ids[i], sch.start[i] + int(problem.exec_time[i, sch.pe[i]])) for i in range(problem.n)]
    return _with_claims(report, doc, {"makespan": met.makespan, "energy_j": met.energy_j}, ends, problem.tick_s)


def check_periodic(problem: PeriodicProblem, doc: dict, source: str) -> dict:
    """The report of the module docstring for a periodic schedule (one iteration repeated every period)."""
    from edgedse.solvers.periodic_heuristics import pack

    sch = periodic_schedule_from_document(problem, doc, source)
    report, met = _evaluated(evaluate_periodic, problem, sch, source, "periodic")
    if met is None:
        return report
    sec = seconds_converter(problem.tick_s)
    period_bound, latency_bound = problem.lower_bound(), problem.critical_path_bound()
    baseline = None if problem.baseline is None else evaluate_periodic(problem, pack(problem, problem.baseline)).period
    report.update(period=sec(met.period), latency=sec(met.latency), energy_j=met.energy_j,
                  iterations_in_flight=met.iterations_in_flight, mapping_min_period=sec(met.min_period),
                  period_bound=sec(period_bound), period_gap=relative_gap(met.period, period_bound),
                  latency_bound=sec(latency_bound), latency_gap=relative_gap(met.latency, latency_bound),
                  baseline_period=sec(baseline), ratio_to_baseline=None if not baseline else met.period / baseline,
                  period_budget_met=None if problem.period_budget is None else met.period <= problem.period_budget,
                  latency_budget_met=None if problem.latency_budget is None else met.latency <= problem.latency_budget,
                  pes=[{"name": problem.pe_names[k], "busy": sec(met.busy[k]), "utilization": met.busy[k] / met.period}
                       for k in range(problem.m)],
                  bus_utilization=met.bus_load / met.period)
    ends = [(problem.firing_id(f.layer, f.index, sch.modes[f.layer]),
             f.start + int(problem.layers[f.layer].modes[sch.modes[f.layer]].time[f.pe])) for f in sch.firings]
    recomputed = {"period": met.period, "latency": met.latency, "energy_j": met.energy_j}
    return _with_claims(report, doc, recomputed, ends, problem.tick_s)


def _evaluated(evaluate, problem, sch, source: str, kind: str):
    """``(report, metrics)``: the keys every report starts with (``time_unit`` "s", or None for an instance in
    its own units) and ``evaluate(problem, sch)``'s metrics; for an invalid schedule, its final report and
    None — the evaluator's message counts time in ticks, which the report then names."""
    tick_s = problem.tick_s
    report = {"instance": problem.name, "solution": source, "kind": kind, "time_unit": "s" if tick_s else None,
              "valid": True, "violation": None, "message": None}
    try:
        return report, evaluate(problem, sch)
    except InvalidSolution as exc:
        unit = f" (times in ticks of {tick_s:g} s)" if tick_s else ""
        return {**report, "valid": False, "violation": exc.kind, "message": f"{exc}{unit}", "claims": [],
                "claims_agree": None}, None


def _with_claims(report: dict, doc: dict, recomputed: dict, ends: list[tuple[str, int]],
                 tick_s: float | None) -> dict:
    """``report`` with ``claims`` (:func:`_claims`) and ``claims_agree``."""
    report["claims"] = _claims(doc, recomputed, ends, tick_s)
    report["claims_agree"] = all(c["agrees"] for c in report["claims"])
    return report


def _claims(doc: dict, recomputed: dict, ends: list[tuple[str, int]], tick_s: float | None) -> list[dict]:
    """Each claimed metric beside its recomputed value (times in ticks converted to the document's units),
    then each task ``end`` the document states that disagrees with the recomputed one."""
    sec = seconds_converter(tick_s)
    half_tick = 0.5 * (tick_s or 1)
    out = []
    for key, claimed in claimed_values(doc).items():
        if key not in recomputed:
            continue
        if key == "energy_j":
            value = recomputed[key]
            agrees = abs(claimed - value) <= ENERGY_RTOL * max(abs(value), 1e-12)
        else:
            value = sec(recomputed[key])
            agrees = abs(claimed - value) <= half_tick
        out.append({"element": key, "claimed": claimed, "recomputed": value, "agrees": agrees})
    stated = {str(t["id"]): t["end"] for t in doc["tasks"] if is_number(t.get("end"))}
    for tid, end in ends:
        tid = str(tid)
        if tid in stated and abs(stated[tid] - sec(end)) > half_tick:
            out.append({"element": f"task {tid}: end", "claimed": stated[tid], "recomputed": sec(end),
                        "agrees": False})
    return out
