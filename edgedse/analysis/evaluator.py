"""The independent evaluator: recomputes every metric from the decisions alone and rejects invalid ones.

It shares no code with any formulation or heuristic: it reads a :class:`ScheduleProblem` and a
:class:`Schedule` (PE and start time per task) and checks, in order:

1. *shape*: one PE and one start per task, PE indices in range, integer starts ≥ 0;
2. *assignment*: every task on a PE allowed to run it;
3. *precedence*: ``start[j] ≥ start[i] + p[i,k] + c[(i,j)][k,l]`` for every edge, ``k = pe[i]``,
   ``l = pe[j]`` (transfers cost nothing on the same PE);
4. *overlap*: tasks of positive duration on one PE never overlap (zero-duration tasks occupy nothing);
5. *memory*: ``Σ mem[i,k]`` over tasks on PE ``k`` ≤ ``capacity[k]``;
6. *energy budget*: ``Σ e[i,pe[i]] + Σ ce[(i,j)][pe[i],pe[j]]`` ≤ budget.

The first violation raises :class:`InvalidSolution` naming its kind, the tasks and the numbers.
"""
from __future__ import annotations

from edgedse.models.problems import NOT_ALLOWED, ScheduleProblem
from edgedse.models.solutions import Schedule, ScheduleMetrics


class InvalidSolution(Exception):
    """A solution violates a constraint; ``kind`` is one of shape, assignment, precedence, overlap,
    memory, energy_budget, latency_budget."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(f"invalid solution [{kind}]: {message}")


def evaluate_schedule(problem: ScheduleProblem, schedule: Schedule) -> ScheduleMetrics:
    """Check ``schedule`` against ``problem`` and return its recomputed metrics."""
    p, ids = problem, problem.task_ids
    n, m = p.n, p.m
    if len(schedule.pe) != n or len(schedule.start) != n:
        raise InvalidSolution("shape", f"expected {n} tasks, got {len(schedule.pe)} PEs and "
                                       f"{len(schedule.start)} starts")
    pe, start = list(schedule.pe), list(schedule.start)
    for i in range(n):
        if not isinstance(pe[i], int) or not 0 <= pe[i] < m:
            raise InvalidSolution("shape", f"task {ids[i]}: PE index {pe[i]!r} not in 0..{m - 1}")
        if not isinstance(start[i], int) or start[i] < 0:
            raise InvalidSolution("shape", f"task {ids[i]}: start {start[i]!r} is not an integer ≥ 0")
    dur = []
    for i in range(n):
        d = int(p.exec_time[i, pe[i]])
        if d == NOT_ALLOWED:
            raise InvalidSolution("assignment", f"task {ids[i]} cannot run on PE {p.pe_names[pe[i]]}")
        dur.append(d)
    end = [start[i] + dur[i] for i in range(n)]
    for (i, j, _), c in zip(p.edges, p.comm_time):
        ready = end[i] + int(c[pe[i], pe[j]])
        if start[j] < ready:
            raise InvalidSolution("precedence", f"task {ids[j]} starts at {start[j]} but its input from "
                                                f"task {ids[i]} (ends {end[i]} on {p.pe_names[pe[i]]}, transfer "
                                                f"{int(c[pe[i], pe[j]])} to {p.pe_names[pe[j]]}) arrives at {ready}")
    for k in range(m):
        on_k = sorted((start[i], end[i], i) for i in range(n) if pe[i] == k and dur[i] > 0)
        for (s1, e1, a), (s2, e2, b) in zip(on_k, on_k[1:]):
            if s2 < e1:
                raise InvalidSolution("overlap", f"tasks {ids[a]} [{s1},{e1}) and {ids[b]} [{s2},{e2}) overlap "
                                                 f"on PE {p.pe_names[k]}")
    memory = [0] * m
    if p.memory is not None:
        for i in range(n):
            memory[pe[i]] += int(p.memory[i, pe[i]])
        if p.capacity is not None:
            for k in range(m):
                if p.capacity[k] and memory[k] > p.capacity[k]:
                    raise InvalidSolution("memory", f"PE {p.pe_names[k]} holds {memory[k]} bytes > capacity "
                                                    f"{int(p.capacity[k])}")
    energy = sum(float(p.energy[i, pe[i]]) for i in range(n))
    if p.comm_energy is not None:
        energy += sum(float(ce[pe[i], pe[j]]) for (i, j, _), ce in zip(p.edges, p.comm_energy))
    if p.energy_budget is not None and energy > p.energy_budget * (1 + 1e-9):
        raise InvalidSolution("energy_budget", f"energy {energy:.6g} J exceeds the budget {p.energy_budget:.6g} J")
    makespan = max(end, default=0)
    if p.latency_budget is not None and makespan > p.latency_budget:
        raise InvalidSolution("latency_budget", f"makespan {makespan} exceeds the latency budget "
                                                f"{p.latency_budget} ticks")
    busy = [sum(dur[i] for i in range(n) if pe[i] == k) for k in range(m)]
    return ScheduleMetrics(makespan=makespan, energy_j=energy, memory_bytes=tuple(memory),
                           busy=tuple(busy))
