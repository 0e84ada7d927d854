"""Objective shaving (backends.run_cpsat_shaving): a minimization stopped with a gap is finished by asking
"is there a solution with objective ≤ incumbent − 1?" until the answer is no."""
import itertools

from edgedse.solvers import backends

DURATIONS = (7, 5, 5, 4, 4, 3, 3, 2, 2, 1)   # ten jobs on three identical machines: the least makespan is 12


def _makespan_model():
    """min C s.t. every job on one machine, each machine's load ≤ C; hinted at everything on machine 0."""
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    x = {(j, k): m.NewBoolVar(f"x{j}{k}") for j in range(len(DURATIONS)) for k in range(3)}
    C = m.NewIntVar(0, sum(DURATIONS), "C")
    for j in range(len(DURATIONS)):
        m.AddExactlyOne(x[j, k] for k in range(3))
    for k in range(3):
        m.Add(sum(d * x[j, k] for j, d in enumerate(DURATIONS)) <= C)
    m.Minimize(C)
    for (j, k), v in x.items():
        m.AddHint(v, int(k == 0))
    m.AddHint(C, sum(DURATIONS))
    return m, C


def _brute_force_makespan() -> int:
    return min(max(sum(d for d, k in zip(DURATIONS, ks) if k == kk) for kk in range(3))
               for ks in itertools.product(range(3), repeat=len(DURATIONS)))


def test_shaving_proves_the_optimum_after_a_minimization_stopped_at_its_first_solution(monkeypatch):
    real, calls = backends.run_cpsat, []

    def first_solution_only(model, **kw):   # the minimization stops at its first (hinted, poor) solution
        calls.append(model.HasObjective())
        return real(model, params={"stop_after_first_solution": True} if len(calls) == 1 else None, **kw)

    monkeypatch.setattr(backends, "run_cpsat", first_solution_only)
    model, makespan = _makespan_model()
    out = backends.run_cpsat_shaving(model, makespan, time_limit=20, threads=2, seed=0)
    assert calls[0] and not any(calls[1:]) and len(calls) >= 2   # a minimization, then feasibility questions
    assert out.proven_optimal and out.objective == out.bound == _brute_force_makespan() == 12
    assert out.values.Value(makespan) == 12


def test_shaving_returns_a_proven_minimization_untouched():
    model, makespan = _makespan_model()
    out = backends.run_cpsat_shaving(model, makespan, time_limit=20, threads=2, seed=0)
    assert out.proven_optimal and out.objective == 12 and model.HasObjective()
