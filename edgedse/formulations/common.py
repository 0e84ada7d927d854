"""Helpers every schedule formulation shares: integer energy scaling and canonical PE labels.

Energies (J) are real numbers; exact solvers work on integers (CP-SAT) or prefer well-scaled
coefficients (HiGHS), so they are multiplied by a power of ten (:func:`energy_scale`) and the rounding
is accounted for in caps and bounds.
"""
from __future__ import annotations

from edgedse.models.problems import NOT_ALLOWED, ScheduleProblem

ENERGY_SCALE_TARGET = 1e9  # energies are scaled to integers with a total of about this size


def energy_scale(problem: ScheduleProblem) -> float:
    """1 if all energies are integers (benchmarks); else a power of ten making the total ≈ 1e9."""
    e = problem.energy[problem.exec_time != NOT_ALLOWED]
    extra = [] if problem.comm_energy is None else [c.max() for c in problem.comm_energy]
    total = float(e.sum() + sum(extra))
    integral = all(float(x).is_integer() for x in e.ravel()) and all(float(x).is_integer() for x in extra)
    if integral and total < 2 ** 40:
        return 1.0
    import math
    return 10.0 ** math.floor(math.log10(ENERGY_SCALE_TARGET / max(total, 1e-30)))


def energy_rounding_units(p: ScheduleProblem) -> float:
    """Worst-case rounding of the scaled energy: ½ unit per rounded term (tasks, and edges with transfer energy)."""
    return 0.5 * (p.n + (len(p.edges) if p.comm_energy is not None else 0))


def energy_cap_ticks(p: ScheduleProblem, cap: float, scale: float) -> int:
    """An ε-constraint E ≤ cap in scaled integers, widened by the rounding of the terms so a solution whose
    true energy is ``cap`` stays feasible; caps hold to about 1e-7 relative."""
    return int(cap * scale + energy_rounding_units(p) + 1e-6) if scale != 1.0 else int(cap + 1e-9)


def canonical_labels(p: ScheduleProblem, schedule):
    """Relabel identical PEs so each group is used in order of first use (as symmetry breaking demands)."""
    from edgedse.models.solutions import Schedule

    relabel = {}
    for grp in p.identical_pe_groups:
        first_use = []
        for t in p.topological_order:
            k = schedule.pe[t]
            if k in grp and k not in first_use:
                first_use.append(k)
        first_use += [k for k in grp if k not in first_use]
        relabel.update(dict(zip(first_use, grp)))
    return Schedule(pe=tuple(relabel[k] for k in schedule.pe), start=schedule.start)
