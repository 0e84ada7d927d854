"""The fluid period bound: an LP whose optimum is a lower bound on the period of every pipelined mapping,
where each layer's work may be split in any proportion over its modes and PEs (HiGHS, matrix form).

Sets: layers ``l``; modes ``a`` of l; PEs ``k`` that mode a may use.
Parameters (ticks): ``w[l,a,k] = firings_a · d[l,a,k]``, the work of the whole layer in mode a on PE k;
``b[l,a] = firings_a · bus_a``, its bus occupancy (milliticks, :data:`~edgedse.models.periodic.
BUS_UNITS_PER_TICK` per tick).
Variables: ``y[l,a,k] ≥ 0``, the share of layer l run in mode a on PE k; the period ``P``.

* ``define_layer_cover``  ``Σ_{a,k} y[l,a,k] = 1`` for every layer
* ``define_pe_load``      ``Σ_{l,a} w[l,a,k] · y[l,a,k] ≤ P`` for every PE
* ``define_bus``          ``Σ_{l,a,k} b[l,a] · y[l,a,k] ≤ 1000 · P``
* objective ``min P``.

Why it is a bound: a mapping that runs ``n[l,k]`` of the ``firings_a`` firings of layer l (in its mode a) on PE k
gives ``y[l,a,k] = n[l,k] / firings_a``, with the PE loads and the bus occupancy of the mapping itself, so its
least period is at least the LP's optimum. This is the issue's resource bound ("work over capacity, per PE and
link") for heterogeneous PEs: dividing the total work at the fastest PE by the number of PEs, as
:meth:`~edgedse.models.periodic.PeriodicProblem.resource_bound` also does, ignores that a slow PE does less
work in the same time — 81.3 ms on VGG16/NEURAghe, where this LP gives the convolutions' fluid bound over the
engine and both ARM cores (the optimum is 173.2 ms).
"""
from __future__ import annotations

import math

import numpy as np

from edgedse.models.periodic import BUS_UNITS_PER_TICK, PeriodicProblem


def build_fluid_period_lp(problem: PeriodicProblem):
    """The LP of the module docstring as a :class:`~edgedse.formulations.matrix.MatrixModel`; returns
    ``(model, P)`` with ``P`` the period column."""
    from edgedse.formulations.matrix import INF, MatrixModel

    p = problem
    cols = [(l, a, k) for l, ly in enumerate(p.layers) for a, md in enumerate(ly.modes) for k in md.allowed()]
    mm = MatrixModel(name=f"fluid period {p.name}")
    y = mm.add_vars("y", len(cols), 0.0, 1.0, integer=False)
    period = mm.add_vars("P", 1, 0.0, INF, integer=False)
    layer = np.array([l for l, _, _ in cols], dtype=int)
    pe = np.array([k for _, _, k in cols], dtype=int)
    work = np.array([p.layers[l].modes[a].firings * float(p.layers[l].modes[a].time[k]) for l, a, k in cols])
    bus = np.array([p.layers[l].modes[a].firings * float(p.layers[l].modes[a].bus) for l, a, _ in cols])
    # define_layer_cover
    mm.add_rows("layer_cover", np.ones(p.n_layers), 1.0, (layer, y, np.ones(len(cols))))
    # define_pe_load: Σ w·y − P ≤ 0
    mm.add_rows("pe_load", np.full(p.m, -INF), 0.0, (pe, y, work), (np.arange(p.m), np.repeat(period, p.m), -1.0))
    # define_bus: Σ b·y − 1000·P ≤ 0
    mm.add_rows("bus", np.array([-INF]), 0.0, (np.zeros(len(cols), dtype=int), y, bus),
                (np.zeros(1, dtype=int), period, -float(BUS_UNITS_PER_TICK)))
    mm.set_objective(period, 1.0)
    return mm, period[0]


def fluid_period_bound(problem: PeriodicProblem, *, threads: int = 1) -> int:
    """The LP's optimum rounded up (ticks): no mapping of ``problem`` has a smaller period. A layer no PE can
    run leaves the LP infeasible; the bound is then 0 (``PeriodicProblem.validate`` names that layer)."""
    from edgedse.solvers.backends import run_highs_lp

    mm, _ = build_fluid_period_lp(problem)
    raw = run_highs_lp(mm.to_highs(), time_limit=60.0, threads=threads, seed=0)
    if not raw.proven_optimal or raw.objective is None:
        return 0
    return max(0, math.ceil(raw.objective - 1e-6))
