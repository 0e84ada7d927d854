"""``solve_fusion(problem, method=…)``: the whole network's partition into fused groups.

Methods: ``dp`` (exact, chains only: best[j] = min_i best[i] + cost(i+1..j)), ``milp`` / ``cpsat`` (exact set
partitioning over candidate groups, any DAG), ``greedy`` (grow a group along the topological order while it
fits), ``layerwise`` (every layer alone). Every answer goes through :func:`evaluate_fusion`.
"""
from __future__ import annotations

import time

import networkx as nx

from edgedse.errors import InputError
from edgedse.models.fusion import FUSION_OBJECTIVES, FusionProblem, GroupCost, candidate_groups
from edgedse.models.solutions import SolveResult, Status, Termination

FUSION_METHODS = ("dp", "milp", "cpsat", "greedy", "layerwise")


class InvalidFusion(Exception):
    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(f"invalid fusion [{kind}]: {message}")


def evaluate_fusion(p: FusionProblem, groups: list[tuple[tuple[int, ...], tuple[int, int]]]) -> dict:
    """The independent check of a partition ``[(members, tile), …]``: every node in exactly one group, each
    group connected, convex, single-output, fitting the buffer at its tile; the groups executable in some
    order (no cycle between groups). Returns totals recomputed from the decisions."""
    seen = [0] * p.n
    costs: list[GroupCost] = []
    for members, tile in groups:
        for v in members:
            seen[v] += 1
        sub = p.graph.subgraph(members)
        if not nx.is_weakly_connected(sub):
            raise InvalidFusion("connected", f"group {[p.nodes[v].name for v in members]} is not connected")
        if p.output_node(members) is None:
            raise InvalidFusion("output", f"group {[p.nodes[v].name for v in members]} has several outputs")
        outside = set().union(*(nx.descendants(p.graph, v) for v in members)) - set(members)
        if any(nx.descendants(p.graph, u) & set(members) for u in outside):
            raise InvalidFusion("convex", f"group {[p.nodes[v].name for v in members]} is not convex")
        c = p.group_cost(members, tile)
        if c.buffer_bytes > p.accel.capacity:
            raise InvalidFusion("buffer", f"group {[p.nodes[v].name for v in members]} needs {c.buffer_bytes:,} B "
                                f"> {p.accel.capacity:,} B")
        costs.append(c)
    if any(k != 1 for k in seen):
        bad = [p.nodes[v].name for v, k in enumerate(seen) if k != 1]
        raise InvalidFusion("partition", f"nodes in {'no' if 0 in seen else 'several'} group(s): {bad[:5]}")
    if _group_cycle(p, [m for m, _ in groups]):
        raise InvalidFusion("order", "the groups depend on each other cyclically")
    return {"offchip_bytes": sum(c.offchip_bytes for c in costs),
            "featuremap_bytes": sum(c.featuremap_bytes for c in costs),
            "weight_bytes": sum(c.weight_bytes for c in costs), "energy_j": sum(c.energy_j for c in costs),
            "latency_s": sum(c.latency_s for c in costs), "macs": sum(c.macs for c in costs), "groups": costs}


def _group_cycle(p: FusionProblem, groups) -> list[int] | None:
    """Indices of groups on a dependency cycle, or None."""
    of = {v: i for i, m in enumerate(groups) for v in m}
    q = nx.DiGraph()
    q.add_nodes_from(range(len(groups)))
    q.add_edges_from((of[u], of[v]) for u, v in p.edges if of[u] != of[v])
    try:
        return [u for u, _ in nx.find_cycle(q)]
    except nx.NetworkXNoCycle:
        return None


def _columns(p: FusionProblem, objective: str):
    cols, costs = [], []
    for members in candidate_groups(p):
        c = p.best_tile(members, objective)
        if c is not None:
            cols.append(c)
            costs.append(c.value(objective))
    return cols, costs


def _dp(p: FusionProblem, objective: str) -> list[GroupCost]:
    order = list(nx.topological_sort(p.graph))
    best = [0.0] + [float("inf")] * p.n
    choice: list[GroupCost | None] = [None] * (p.n + 1)
    for j in range(1, p.n + 1):
        for i in range(max(0, j - p.max_group), j):
            c = p.best_tile(tuple(order[i:j]), objective)
            if c is not None and best[i] + c.value(objective) < best[j]:
                best[j], choice[j] = best[i] + c.value(objective), c
    out, j = [], p.n
    while j > 0:
        out.append(choice[j])
        j -= len(choice[j].members)
    return out[::-1]


def _greedy(p: FusionProblem, objective: str) -> list[GroupCost]:
    """Walk the topological order; add the next node to the current group while the group stays a valid
    group (connected, single output) with a tile that fits the buffer together with the group's weights
    (a fused group holds its weights; streaming them per tile is left to the exact methods); otherwise
    close it."""
    out, cur = [], []
    for v in nx.topological_sort(p.graph):
        trial = cur + [v]
        c = None
        if cur and len(trial) <= p.max_group and nx.is_weakly_connected(p.graph.subgraph(trial)) \
                and p.output_node(trial) is not None:
            c = p.best_tile(tuple(trial), objective)
            if c is not None and p.count_weights and not c.weights_resident:
                c = None
        if c is not None:
            cur = trial
        else:
            if cur:
                out.append(p.best_tile(tuple(cur), objective))
            cur = [v]
    out.append(p.best_tile(tuple(cur), objective))
    return out


def solve_fusion(p: FusionProblem, method: str = "milp", objective: str = "traffic", *, time_limit: float = 30.0,
                 threads: int = 2, seed: int = 0, max_rounds: int = 50) -> SolveResult:
    """Partition the network into fused groups minimizing off-chip ``traffic`` (bytes), ``energy`` (J) or
    ``latency`` (s) under the on-chip buffer; see the module docstring."""
    if method not in FUSION_METHODS:
        raise InputError("--method", method, "is not a fusion method", f"use one of {', '.join(FUSION_METHODS)}")
    if objective not in FUSION_OBJECTIVES:
        raise InputError("--objective", objective, "is not a fusion objective",
                         f"use one of {', '.join(FUSION_OBJECTIVES)}")
    if method == "dp" and not p.is_chain:
        raise InputError(p.source or p.name, "--method dp", "applies to chains only; this network branches "
                         "(skip connections)", "use --method milp or cpsat")
    p.check_every_layer_fits()
    t0 = time.perf_counter()
    details: dict = {"objective": objective, "rounds": 0}
    proven, bound = False, None
    if method == "layerwise":
        chosen = [p.best_tile(g, objective) for g in p.layerwise_groups()]
    elif method == "greedy":
        chosen = _greedy(p, objective)
    elif method == "dp":
        chosen, proven = _dp(p, objective), True
    else:
        chosen, proven, bound = _solve_setpart(p, method, objective, details, time_limit=time_limit,
                                               threads=threads, seed=seed, max_rounds=max_rounds)
        if chosen is None:
            return SolveResult(Status.UNKNOWN, Termination.TIME_LIMIT, method, None, bound,
                               time.perf_counter() - t0, None, None, details)
    groups = [(c.members, c.tile) for c in chosen]
    met = evaluate_fusion(p, groups)
    obj = {"traffic": met["offchip_bytes"], "energy": met["energy_j"], "latency": met["latency_s"]}[objective]
    if proven:
        bound = obj
    return SolveResult(Status.OPTIMAL if proven else Status.FEASIBLE,
                       Termination.OPTIMAL if proven else Termination.HEURISTIC if method in ("greedy", "layerwise")
                       else Termination.TIME_LIMIT, method, float(obj), None if bound is None else float(bound),
                       time.perf_counter() - t0, groups, met, details)


def _solve_setpart(p, method, objective, details, *, time_limit, threads, seed, max_rounds):
    from edgedse.formulations import fusion_setpart as f

    cols, costs = _columns(p, objective)
    details["candidates"] = len(cols)
    members = [c.members for c in cols]
    excluded: list[list[int]] = []
    bound = None
    for _ in range(max_rounds):
        details["rounds"] += 1
        if method == "milp":
            from edgedse.solvers.backends import run_highs_lp

            mm, y, scale = f.build_milp(p.n, members, costs, excluded)
            raw = run_highs_lp(mm.to_highs(), time_limit=time_limit, threads=threads, seed=seed)
            picked = [j for j in range(len(cols)) if raw.found and raw.values[y[j]] > 0.5]
        else:
            from edgedse.solvers.backends import run_cpsat

            m, y, scale = f.build_cpsat(p.n, members, costs, excluded)
            raw = run_cpsat(m, time_limit=time_limit, threads=threads, seed=seed)
            picked = [j for j in range(len(cols)) if raw.found and raw.values.Value(y[j])]
        details["solver"] = raw.solver
        bound = None if raw.bound is None else raw.bound / scale
        if not raw.found:
            return None, False, bound
        cycle = _group_cycle(p, [members[j] for j in picked])
        if cycle is None:
            return [cols[j] for j in picked], bool(raw.proven_optimal), bound
        excluded.append([picked[i] for i in cycle])  # no-good: these groups together cannot run
    return None, False, bound
