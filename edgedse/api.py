"""The public Python API that the CLI, scripts and notebooks share.

>>> from edgedse import api
>>> report = api.inspect_model("instances/models/lenet.onnx")
>>> report["totals"]["params"]
145578
"""
from __future__ import annotations

from pathlib import Path

from edgedse.models.architecture import Architecture, load_architecture
from edgedse.models.dnn import LayerGraph
from edgedse.models.onnx_import import load_onnx
from edgedse.models.problems import seconds_converter
from edgedse.solvers.backends import deterministic_solvers, reproducibility_record, use_deterministic_solvers

__all__ = ["load_onnx", "load_architecture", "inspect_model", "load_problem", "schedule", "schedule_report",
           "solve", "load_periodic_problem", "schedule_periodic", "periodic_report", "Architecture", "LayerGraph",
           "use_deterministic_solvers", "deterministic_solvers", "evaluate_solution"]


def inspect_model(path: str | Path, *, bits: int = 16, with_pisdf: bool = False) -> dict:
    """Layers, shapes, parameters and MACs of an ONNX model as a JSON-ready dict.

    ``{"model", "layers": [{"name", "op", "op_class", "params", "macs", "ops", "input_shape",
    "output_shape", ...}], "edges", "totals": {"params", "macs", "ops", "layers"}}``; with
    ``with_pisdf`` also a summary of its AOW PiSDF model (actors, FIFOs, firings of one iteration).
    """
    lg = load_onnx(path)
    report = lg.to_dict()
    report["bits"] = bits
    for layer, entry in zip(lg.layers(), report["layers"]):
        entry["weight_bytes"] = layer.weight_bytes(bits)
        entry["output_bytes"] = layer.output_bytes(bits)
    if with_pisdf:
        from edgedse.models.aow import dnn_to_pisdf

        g = dnn_to_pisdf(lg, bits)
        dag = g.resolve().expand()
        report["pisdf"] = {"actors": len(g.actors), "edges": len(g.edges), "parameters": len(g.parameters),
                           "dag_tasks": dag.number_of_nodes(), "dag_edges": dag.number_of_edges()}
    return report


def load_problem(path: str | Path, pes: int | None = None):
    """A :class:`~edgedse.models.problems.ScheduleProblem` from .stg/.gxl (with ``pes``), a YAML instance
    or a Topcuoglu directory."""
    from edgedse.formats import load_schedule_problem

    return load_schedule_problem(path, pes)


def solve(problem, method: str = "cpsat", objective: str = "makespan", **options):
    """Solve a problem with one method; see :func:`edgedse.solvers.portfolio.solve`."""
    from edgedse.errors import check_limits
    from edgedse.solvers.portfolio import solve_or_explain

    check_limits(time_limit=options.get("time_limit"), threads=options.get("threads"))
    with reproducibility_record() as rec:
        result = solve_or_explain(problem, method=method, objective=objective, **options)
    result.details.update(rec)
    return result


def schedule(path: str | Path, *, pes: int | None = None, method: str = "cpsat", objective: str = "makespan",
             **options):
    """Load an instance and solve it: returns ``(problem, SolveResult)``."""
    problem = load_problem(path, pes)
    return problem, solve(problem, method, objective, **options)


def schedule_report(problem, result) -> dict:
    """The JSON document of ``edgedse schedule --json``.

    Task ids are exactly those of the input file; PEs are integers 0..M-1. Times are in seconds for YAML
    instances (``tick_s`` set) and in the file's time units otherwise; ``latency_budget`` is the instance's
    deadline on the makespan (every method meets it), or None.
    """
    conv = seconds_converter(problem.tick_s)
    tasks = schedule_tasks(problem, result.solution) if result.solution is not None else []
    obj, bound = result.objective, result.bound
    objective = result.details.get("objective", "makespan")
    if objective == "makespan":
        obj, bound = conv(obj), conv(bound)
    report = {"status": str(result.status), "termination": str(result.termination), "objective": obj,
              "bound": bound, "gap": result.gap, "wall_time_s": result.wall_time_s, "method": result.method,
              "objective_kind": objective, "instance": problem.name, "tasks": tasks,
              "known_optimum": problem.known_optimum, "details": dict(result.details),
              "latency_budget": conv(problem.latency_budget)}
    if result.metrics is not None:
        span = result.metrics.makespan or 1
        report["makespan"] = conv(result.metrics.makespan)
        report["energy_j"] = result.metrics.energy_j
        report["pes"] = [{"name": problem.pe_names[k], "tasks": sum(1 for i in range(problem.n)
                                                                    if result.solution.pe[i] == k),
                          "busy": conv(result.metrics.busy[k]), "utilization": result.metrics.busy[k] / span}
                         for k in range(problem.m)]
    return report


def schedule_tasks(problem, solution) -> list[dict]:
    """The tasks of one inference's schedule: ``{"id", "pe", "start", "end"}`` per task, ids as in the input file,
    times in seconds (YAML instances) or in the file's units."""
    conv = seconds_converter(problem.tick_s)
    return [{"id": problem.task_ids[i], "pe": int(solution.pe[i]), "start": conv(solution.start[i]),
             "end": conv(solution.start[i] + int(problem.exec_time[i, solution.pe[i]]))} for i in range(problem.n)]


def evaluate_solution(instance: str | Path, solution, *, pes: int | None = None) -> dict:
    """Check a schedule made anywhere against an instance with the independent evaluators: ``solution`` is a
    JSON file or a dict (the output of ``edgedse schedule --json``, a front point, another tool's or a
    hand-written schedule; format in :mod:`edgedse.formats.solution_json`). A document with a ``"period"`` is
    a pipelined schedule of a YAML instance, else one inference (``pes`` for .stg/.gxl). Returns the report of
    :mod:`edgedse.analysis.solution_check`: ``valid`` (else ``violation`` and ``message``), the recomputed
    metrics with the instance's proven lower bounds and gaps, and ``claims`` / ``claims_agree``."""
    from edgedse.analysis.solution_check import check_periodic, check_schedule
    from edgedse.formats.solution_json import read_solution_document

    doc, source = read_solution_document(solution)
    if "period" in doc:
        return check_periodic(load_periodic_problem(instance), doc, source)
    return check_schedule(load_problem(instance, pes), doc, source)


def load_periodic_problem(path: str | Path):
    """A :class:`~edgedse.models.periodic.PeriodicProblem` from a YAML instance (pipelined mapping)."""
    from edgedse.errors import InputError
    from edgedse.formats.periodic_yaml import read_periodic_instance

    path = Path(path)
    if path.suffix.lower() not in (".yaml", ".yml") or not path.is_file():
        raise InputError(path, "instance", "the period objective needs a YAML instance (model + architecture)",
                         "give an instance .yaml such as instances/vgg16_neuraghe.yaml")
    return read_periodic_instance(path)


def schedule_periodic(path: str | Path, *, method: str = "cpsat", objective: str = "period",
                      period_cap_s: float | None = None, latency_cap_s: float | None = None, **options):
    """Load a YAML instance and solve its pipelined mapping: returns ``(problem, SolveResult)``.
    ``period_cap_s`` (seconds) is the ε-constraint on the period; ``latency_cap_s`` (seconds) a deadline on
    the latency, with the period objective: the least period of a schedule meeting it
    (:mod:`edgedse.solvers.periodic_deadline`). Both are rounded down to whole ticks; other options go to
    :func:`~edgedse.solvers.periodic.solve_periodic`. The instance's ``latency_budget_s`` is the deadline of
    the period objective when no period cap is given (the tighter of the two with ``latency_cap_s``); elsewhere
    ``details["latency_budget_met"]`` says whether the schedule found meets it."""
    from edgedse.errors import check_limits
    from edgedse.models.problems import ticks_at_most

    check_limits(time_limit=options.get("time_limit"), threads=options.get("threads"))
    problem = load_periodic_problem(path)
    if period_cap_s is not None:
        options["period_cap"] = ticks_at_most(period_cap_s, problem.tick_s)
    if latency_cap_s is not None:
        options["latency_cap"] = ticks_at_most(latency_cap_s, problem.tick_s)
    with reproducibility_record() as rec:
        result = solve_periodic_within_budget(problem, method, objective, **options)
    result.details.update(rec)
    return problem, result


def solve_periodic_within_budget(problem, method: str = "cpsat", objective: str = "period", **options):
    """:func:`~edgedse.solvers.periodic.solve_periodic` with the instance's latency budget (ticks,
    ``problem.latency_budget``) as the deadline of the period objective when no ``period_cap`` is given — the
    tighter of it and ``latency_cap`` — and ``details["latency_budget"]`` / ``["latency_budget_met"]``."""
    from edgedse.solvers.periodic import solve_periodic

    budget = problem.latency_budget
    if budget is not None and objective == "period" and options.get("period_cap") is None \
            and options.get("latency", True):
        cap = options.get("latency_cap")
        options["latency_cap"] = budget if cap is None else min(budget, cap)
    result = solve_periodic(problem, method, objective, **options)
    if budget is not None:
        result.details["latency_budget"] = budget
        result.details["latency_budget_met"] = None if result.metrics is None else result.metrics.latency <= budget
    return result


def periodic_report(problem, result) -> dict:
    """The JSON document of ``edgedse schedule --objective period --json`` (times in seconds).

    Issue-3 keys (status, objective, bound, gap, wall_time_s, method, tasks) plus ``period``,
    ``latency``, ``baseline_period``, ``period_bound``, ``latency_bound`` (a proven lower bound on the
    latency of every schedule whose period is at most the one found) and per task ``aggregation``; under a
    deadline also ``latency_cap`` and ``least_latency_bound`` (every schedule's latency is at least this);
    with the instance's ``latency_budget_s``, ``latency_budget`` and ``latency_budget_met``.
    """
    sec = seconds_converter(problem.tick_s)
    d = result.details
    objective = d.get("objective", "period")
    tasks = periodic_tasks(problem, result.solution) if result.solution is not None else []
    met = result.metrics
    period_bound = result.bound if objective == "period" else None
    report = {"status": str(result.status), "termination": str(result.termination),
              "objective": sec(result.objective) if objective == "period" else result.objective,
              "bound": (sec(result.bound) if objective == "period" else result.bound), "gap": result.gap,
              "wall_time_s": result.wall_time_s, "method": result.method, "objective_kind": objective,
              "instance": problem.name, "period": sec(met.period) if met else None,
              "latency": sec(met.latency) if met else None, "energy_j": met.energy_j if met else None,
              "baseline_period": sec(d.get("baseline_period")), "period_bound": sec(period_bound),
              "resource_bound": sec(d.get("resource_bound")), "cycle_bound": sec(d.get("cycle_bound")),
              "latency_bound": sec(d.get("latency_bound")), "latency_cap": sec(d.get("latency_cap")),
              "least_latency_bound": sec(d.get("least_latency_bound")), "tasks": tasks,
              "latency_budget": sec(d.get("latency_budget")), "latency_budget_met": d.get("latency_budget_met"),
              "details": {k: v for k, v in d.items() if isinstance(v, (int, float, str, bool, type(None)))}}
    if met is not None:
        report["pes"] = [{"name": problem.pe_names[k], "busy": sec(met.busy[k]),
                          "utilization": met.busy[k] / met.period} for k in range(problem.m)]
        report["bus_utilization"] = met.bus_load / met.period
    return report


def periodic_tasks(problem, schedule) -> list[dict]:
    """The firings of one iteration of a periodic schedule, by start: ``{"id", "pe", "pe_name", "start", "end",
    "aggregation", "layer"}`` (seconds; the schedule repeats every period)."""
    sec = seconds_converter(problem.tick_s)
    tasks = []
    for f in sorted(schedule.firings, key=lambda f: (f.start, f.layer, f.index)):
        md = problem.layers[f.layer].modes[schedule.modes[f.layer]]
        tasks.append({"id": problem.firing_id(f.layer, f.index, schedule.modes[f.layer]), "pe": int(f.pe),
                      "pe_name": problem.pe_names[f.pe], "start": sec(f.start),
                      "end": sec(f.start + int(md.time[f.pe])), "aggregation": md.aggregation,
                      "layer": problem.layers[f.layer].layer})
    return tasks


PARETO_AXES = ("makespan-energy", "period-energy", "period-latency")


def pareto_front(path: str | Path, axes: str = "period-energy", *, pes: int | None = None, method: str = "milp",
                 time_limit: float = 30.0, seed: int = 0, threads: int = 2, max_points: int = 12,
                 cleanup_time_limit: float | None = None) -> list[dict]:
    """An exact bi-objective front by ε-constraint (:mod:`edgedse.analysis.pareto`) as JSON-ready points
    (times in seconds, energy in joules per iteration, ``certified`` and ``wall_time_s`` — the seconds its
    solves took — per point), each with the ``tasks`` of its schedule (as :func:`schedule_report` /
    :func:`periodic_report`), so any trade-off can be deployed.

    ``makespan-energy``: one inference of a schedule instance (any format; unit-less benchmarks stay in
    their time units); ``period-energy`` and
    ``period-latency``: the pipelined mapping of a YAML instance (``method`` solves the period stage;
    the latency model is CP-SAT, bounded by the layer-span relaxation; ``cleanup_time_limit`` seconds,
    default ``time_limit``, for the relaxation that proves each point's period — VGG16's point at
    1.1·P_min needs about 75 s on 2 threads). Every point also carries ``deterministic`` and
    ``reproducible``, the front's :func:`reproducibility_record`, and the periodic fronts' points
    ``latency_budget_met`` when the instance has a ``latency_budget_s``."""
    from edgedse.errors import InputError, check_limits

    check_limits(time_limit=time_limit, cleanup_time_limit=cleanup_time_limit, threads=threads,
                 max_points=max_points)
    if axes not in PARETO_AXES:
        raise InputError("--axes", axes, "is not a front", f"use one of {', '.join(PARETO_AXES)}")
    if cleanup_time_limit is not None and axes != "period-latency":
        raise InputError("--cleanup-time-limit", str(cleanup_time_limit), f"does not apply to the {axes} front",
                         "use it with --axes period-latency, or drop it")
    with reproducibility_record() as rec:
        points = _front_points(path, axes, pes=pes, method=method, time_limit=time_limit, seed=seed, threads=threads,
                               max_points=max_points, cleanup_time_limit=cleanup_time_limit)
    return [q | rec for q in points]


def _front_points(path, axes: str, *, pes, method, time_limit, seed, threads, max_points,
                  cleanup_time_limit) -> list[dict]:
    """The points of :func:`pareto_front`, before its reproducibility keys."""
    from edgedse.analysis import pareto

    if axes == "makespan-energy":
        problem = load_problem(path, pes)
        pts = pareto.makespan_energy_front(problem, "cpsat" if method == "cpsat" else "milp", time_limit=time_limit,
                                           seed=seed, threads=threads, max_points=max_points)
        return [{"makespan": seconds_converter(problem.tick_s)(q.makespan), "energy_j": q.energy_j,
                 "certified": q.certified, "wall_time_s": q.wall_time_s,
                 "tasks": schedule_tasks(problem, q.schedule)} for q in pts]
    problem = load_periodic_problem(path)
    sec = seconds_converter(problem.tick_s)
    if axes == "period-energy":
        pts = pareto.period_energy_front(problem, method, time_limit=time_limit, seed=seed, threads=threads,
                                         max_points=max_points)
    else:
        factors = pareto.PERIOD_FACTORS[:max_points]
        pts = pareto.period_latency_front(problem, time_limit=time_limit, seed=seed, threads=threads,
                                          factors=factors, period_method=method,
                                          cleanup_time_limit=cleanup_time_limit)
    budget = problem.latency_budget
    return [{"period": sec(q.period), "latency": sec(q.latency), "energy_j": q.energy_j,
             "latency_bound": sec(q.latency_bound), "period_bound": sec(q.period_bound),
             "latency_gap": q.latency_gap, "period_gap": q.period_gap, "certified": q.certified,
             "wall_time_s": q.wall_time_s, "tasks": periodic_tasks(problem, q.schedule)}
            | ({} if budget is None else {"latency_budget_met": q.latency <= budget}) for q in pts]


def load_precision_study(model: str, arch: str | Path, **options):
    """A :class:`~edgedse.analysis.precision_study.PrecisionStudy` (problem, quantizer, data, sensitivities);
    ``model``: ``digits-cnn``, a model-zoo name or an ONNX path; options: pe, bits, loss, ties, seed."""
    from edgedse.analysis.precision_study import precision_study

    return precision_study(model, arch, **options)


def precision_report(study, result) -> dict:
    """The JSON document of ``edgedse precision --json`` for one solution."""
    p = study.problem
    table = {ly.module: {str(b): {"loss": float(p.loss[i, j]), "energy": float(p.energy[i, j]),
                                  "memory": float(p.weight[i, j]), "latency": float(p.latency[i, j])}
                         for j, b in enumerate(p.bits)} for i, ly in enumerate(p.layers)}
    measured = result.details.get("measured")
    if measured is None and result.solution is not None and study.quantizer is not None:
        measured = study.measure(result.solution)
    return {"status": str(result.status), "termination": str(result.termination), "method": result.method,
            "minimize": result.details.get("minimize"), "objective": result.objective, "bound": result.bound,
            "gap": result.gap, "wall_time_s": result.wall_time_s, "rounds": result.details.get("rounds"),
            "bits": None if result.solution is None else p.bits_of(result.solution),
            "predicted": result.metrics, "measured": measured, "loss_kind": p.loss_kind, "pe": p.pe,
            "budgets": result.details.get("budgets"), "table": table,
            "certified": result.details.get("certified")}


def precision(model: str, arch: str | Path, *, minimize: str = "energy", budgets: dict | None = None,
              method: str = "milp", pareto: bool = False, study=None, **options):
    """Solve (or, with ``pareto``, trace the front of ``minimize`` × loss; ``minimize=loss`` gives memory ×
    loss) and return the JSON document(s). Fronts: exact by ε-constraint for milp/cpsat, the final
    ε-non-dominated set for nsga2; greedy has none."""
    from edgedse.errors import InputError, check_limits
    from edgedse.models.solutions import SolveResult, Status, Termination
    from edgedse.solvers.precision import evaluate_precision, precision_front, solve_precision

    solve_keys = {k: options.pop(k) for k in ("time_limit", "threads", "seed") if k in options}
    check_limits(time_limit=solve_keys.get("time_limit"), threads=solve_keys.get("threads"))
    study = study or load_precision_study(model, arch, seed=solve_keys.get("seed", 0), **options)
    p = study.problem
    budgets = {k: v for k, v in (budgets or {}).items() if v is not None}
    if ("loss" in budgets or minimize == "loss") and study.quantizer is None:
        raise InputError(p.source, "loss", "a cost-only ONNX model has no measured loss",
                         "use digits-cnn or a model-zoo name, or drop --max-loss / --minimize loss")
    if not pareto:
        measure = study.measure if study.quantizer is not None else None
        with reproducibility_record() as rec:
            result = solve_precision(p, method, minimize, budgets, measure=measure, **solve_keys)
        return precision_report(study, result) | rec
    x = "memory" if minimize == "loss" else minimize
    others = {k: v for k, v in budgets.items() if k not in (x, "loss")}
    if method not in ("milp", "cpsat", "nsga2"):
        raise InputError("--method", method, "has no Pareto front", "use milp, cpsat or nsga2 with --pareto")
    with reproducibility_record() as rec:
        if method == "nsga2":
            import time

            from edgedse.solvers.precision_heuristics import nsga2_star

            t0 = time.perf_counter()
            front = nsga2_star(p, x, others, seed=solve_keys.get("seed", 0),
                               time_limit=solve_keys.get("time_limit", 60))
            dt = time.perf_counter() - t0
            points = [SolveResult(Status.FEASIBLE, Termination.HEURISTIC, "nsga2", evaluate_precision(p, c, others)[x],
                                  None, dt, c, p.metrics(c), {"minimize": x}) for c in front]
        else:
            points = precision_front(p, method, x, "loss", others, **solve_keys)
    return [precision_report(study, r) | rec for r in sorted(points, key=lambda r: r.metrics[x])]


def load_fusion_problem(model: str | Path, arch: str | Path, *, buffer_kib: float | None = None, bits: int = 16,
                        mode: str = "cache", count_weights: bool = True, layers: int | None = None,
                        pe: str | None = None, max_group: int = 12):
    """A :class:`~edgedse.models.fusion.FusionProblem`: ``model`` an ONNX path (or a model-zoo name,
    exported in memory), ``arch`` the architecture whose accelerator (``pe``; default: the first
    accelerator with a local memory) runs the groups; ``buffer_kib`` overrides its on-chip memory;
    ``layers`` keeps the first N fusion nodes (e.g. Alwani's five convolutions with two pools = 7)."""
    from edgedse.errors import InputError
    from edgedse.models.fusion import Accelerator, FusionProblem, fusion_graph
    from edgedse.models.dnn import OpClass

    if mode not in ("cache", "recompute"):
        raise InputError("--mode", mode, "is not an overlap mode", "use cache or recompute")
    archi = arch if isinstance(arch, Architecture) else load_architecture(arch)
    pes = [q for q in archi.processing_elements if pe is None or q.name == pe]
    if not pes:
        raise InputError(archi.name, pe, "is not a processing element", "name one from the architecture file")
    chosen = next((q for q in pes if q.type == "accelerator" and q.local_memory), None) or \
        next((q for q in pes if q.local_memory), None) or pes[0]
    capacity = None if chosen.local_memory is None else archi.memory(chosen.local_memory).capacity_bytes
    if buffer_kib is not None:
        capacity = int(buffer_kib * 1024)
    if not capacity:
        raise InputError(archi.name, chosen.name, "has no local memory to hold fused tiles",
                         "give --buffer-kib or a local_memory with capacity_bytes")
    table = chosen.ops_per_cycle or chosen.ops_per_s
    peak = chosen.peak_ops_per_s(OpClass.CONV, bits) or max(
        chosen.peak_ops_per_s(OpClass.CONV, b) or 0.0 for b in table.get(OpClass.CONV, {bits: 0})) or 1.0
    onchip = archi.memory(chosen.local_memory) if chosen.local_memory else None
    off = archi.shared_memory()
    accel = Accelerator(chosen.name, int(capacity), float(peak), chosen.energy_per_op(bits),
                        off.bandwidth_bytes_per_s, off.energy_per_byte_j, onchip.energy_per_byte_j if onchip else 0.0)
    path = Path(str(model))
    if path.suffix.lower() == ".onnx":
        lg = load_onnx(path)
        name = path.stem
    else:
        from edgedse.analysis.precision_study import layer_graph_of_module
        from edgedse.models import zoo

        if str(model) not in zoo.ZOO:
            raise InputError("MODEL", str(model), "is neither an .onnx file nor a model-zoo name",
                             f"use an ONNX path or one of {', '.join(sorted(zoo.ZOO))}")
        import torch

        module, shape = zoo.build(str(model))
        lg = layer_graph_of_module(module, torch.zeros(shape))
        name = str(model)
    nodes, edges = fusion_graph(lg)
    if layers is not None:
        nodes = nodes[:layers]
        edges = [(u, v) for u, v in edges if u < layers and v < layers]
    return FusionProblem(name, tuple(nodes), tuple(edges), accel, bits=bits, mode=mode, count_weights=count_weights,
                         max_group=max_group, source=str(model))


def fusion_report(problem, result, layerwise=None) -> dict:
    """The JSON document of ``edgedse fuse --json``."""
    groups = []
    for (members, tile), c in zip(result.solution or [], (result.metrics or {}).get("groups", [])):
        groups.append({"layers": [problem.nodes[v].name for v in members], "tile": list(tile),
                       "buffer_bytes": c.buffer_bytes, "offchip_bytes": c.offchip_bytes,
                       "weights_resident": c.weights_resident})
    met = result.metrics or {}
    return {"status": str(result.status), "termination": str(result.termination), "method": result.method,
            "objective_kind": result.details.get("objective"), "objective": result.objective, "bound": result.bound,
            "gap": result.gap, "groups": groups, "offchip_bytes": met.get("offchip_bytes"),
            "featuremap_bytes": met.get("featuremap_bytes"), "energy_j": met.get("energy_j"),
            "latency_s": met.get("latency_s"),
            "layerwise_offchip_bytes": None if layerwise is None else layerwise.metrics["offchip_bytes"],
            "buffer_bytes": problem.accel.capacity, "candidates": result.details.get("candidates"),
            "wall_time_s": result.wall_time_s}


def fuse(model: str | Path, arch: str | Path, *, method: str = "milp", objective: str = "traffic",
         time_limit: float = 30.0, threads: int = 2, seed: int = 0, **options) -> dict:
    """Load, solve and report (with the layer-by-layer baseline beside it): ``edgedse fuse`` as a function."""
    from edgedse.errors import check_limits
    from edgedse.solvers.fusion import solve_fusion

    check_limits(time_limit=time_limit, threads=threads)
    problem = load_fusion_problem(model, arch, **options)
    with reproducibility_record() as rec:
        result = solve_fusion(problem, method, objective, time_limit=time_limit, threads=threads, seed=seed)
    layerwise = solve_fusion(problem, "layerwise", objective)
    return fusion_report(problem, result, layerwise) | rec
