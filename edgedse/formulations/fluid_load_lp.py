"""Fluid load bounds: LPs whose optimum bounds the period of every pipelined mapping, or the makespan of every
schedule, from below, by letting each item's work be split over its options (PEs, modes) in any proportion
(HiGHS, matrix form). This is "work over capacity, per PE and bus" made exact for heterogeneous PEs: dividing
the total work at each item's fastest PE by the number of PEs, as the simple bounds do, ignores that a slow PE
does less work in the same time.

Sets: items ``i`` (layers of a pipelined mapping, tasks of one inference); options ``o`` of item i, each on one
PE ``k_o``; PEs ``k``.
Parameters: ``w_o`` (ticks), the whole item's work if it all ran as option o; ``b_o`` (bus units), its bus
occupancy; ``β`` bus units per tick.
Variables: ``y_o ≥ 0``, the share of item i run as option o; the bound ``C`` (a period or a makespan, ticks).

* ``define_item_cover``  ``Σ_{o of i} y_o = 1`` for every item
* ``define_pe_load``     ``Σ_{o on k} w_o · y_o ≤ C`` for every PE
* ``define_bus``         ``Σ_o b_o · y_o ≤ β · C`` (when there is a bus)
* objective ``min C``.

Why it is a bound. Pipelined mapping (:func:`fluid_period_bound`; options = (mode a, PE k) of a layer,
``w = firings_a · d[l,a,k]``, ``b = firings_a · bus_a``, ``β = 1000`` milliticks per tick): a mapping that
runs ``n[l,k]`` of the mode's firings on PE k gives ``y = n[l,k] / firings_a``, with the mapping's own PE
loads and bus occupancy, each at most its period. One inference (:func:`fluid_makespan_bound`; options = PEs
a task may use, ``w = p[i,k]``, no bus): a schedule that runs task i on PE k gives ``y = 1`` there, and each
PE's busy time is at most the makespan.

Measured: VGG16/NEURAghe's period 81.3 ms by the simple bound, 172.8 ms by the LP (the optimum is 173.2 ms);
ResNet-18/mpsoc4 28.5 → 42.2 ms (optimum 42.2 ms); LeNet/NEURAghe's makespan 123 → 146 µs.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from edgedse.models.periodic import BUS_UNITS_PER_TICK, PeriodicProblem
from edgedse.models.problems import ScheduleProblem

Option = tuple[int, float, float]  # (PE, work in ticks, bus units)


def build_fluid_load_lp(options: Sequence[Sequence[Option]], n_pes: int, bus_units_per_tick: float | None = None):
    """The LP of the module docstring as a :class:`~edgedse.formulations.matrix.MatrixModel`; ``options[i]``
    are item i's options. Returns ``(model, C)`` with ``C`` the bound's column."""
    from edgedse.formulations.matrix import INF, MatrixModel

    flat = [(i, k, w, b) for i, opts in enumerate(options) for k, w, b in opts]
    mm = MatrixModel(name="fluid load")
    y = mm.add_vars("y", len(flat), 0.0, 1.0, integer=False)
    bound = mm.add_vars("C", 1, 0.0, INF, integer=False)
    item = np.array([i for i, _, _, _ in flat], dtype=int)
    pe = np.array([k for _, k, _, _ in flat], dtype=int)
    work = np.array([w for _, _, w, _ in flat], dtype=float)
    bus = np.array([b for _, _, _, b in flat], dtype=float)
    # define_item_cover
    mm.add_rows("item_cover", np.ones(len(options)), 1.0, (item, y, np.ones(len(flat))))
    # define_pe_load: Σ w·y − C ≤ 0
    mm.add_rows("pe_load", np.full(n_pes, -INF), 0.0, (pe, y, work),
                (np.arange(n_pes), np.repeat(bound, n_pes), -1.0))
    if bus_units_per_tick is not None:  # define_bus: Σ b·y − β·C ≤ 0
        mm.add_rows("bus", np.array([-INF]), 0.0, (np.zeros(len(flat), dtype=int), y, bus),
                    (np.zeros(1, dtype=int), bound, -float(bus_units_per_tick)))
    mm.set_objective(bound, 1.0)
    return mm, bound[0]


def fluid_load_bound(options: Sequence[Sequence[Option]], n_pes: int, bus_units_per_tick: float | None = None) -> int:
    """The LP's optimum rounded up (ticks). An item without options leaves the LP infeasible; the bound is then
    0 (the problems' ``validate`` names that item)."""
    from edgedse.solvers.backends import run_highs_lp

    if any(not opts for opts in options):
        return 0
    mm, _ = build_fluid_load_lp(options, n_pes, bus_units_per_tick)
    raw = run_highs_lp(mm.to_highs(), time_limit=60.0, threads=1, seed=0)
    if not raw.proven_optimal or raw.objective is None:
        return 0
    return max(0, math.ceil(raw.objective - 1e-6))


def fluid_period_bound(problem: PeriodicProblem) -> int:
    """No mapping of ``problem`` has a period below this (ticks): items are layers, options their (mode, PE)."""
    options = [[(k, md.firings * float(md.time[k]), md.firings * float(md.bus)) for md in ly.modes
                for k in md.allowed()] for ly in problem.layers]
    return fluid_load_bound(options, problem.m, BUS_UNITS_PER_TICK)


def fluid_makespan_bound(problem: ScheduleProblem) -> int:
    """No schedule of ``problem`` (one inference) is shorter than this (ticks): items are tasks, options the PEs
    each may use, transfers free."""
    options = [[(k, float(problem.exec_time[i, k]), 0.0) for k in problem.allowed(i)] for i in range(problem.n)]
    return fluid_load_bound(options, problem.m)
