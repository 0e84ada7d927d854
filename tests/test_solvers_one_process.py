"""highspy (through Pyomo) and OR-Tools must load and solve in one process (see DEVELOPERS.md pins)."""


def test_pyomo_highs_and_cpsat_in_one_process():
    import pyomo.environ as pyo
    from ortools.sat.python import cp_model

    # MILP: max 3x + 2y, x + y <= 4, x + 3y <= 6, x,y integer >= 0  → x=4, y=0, objective 12
    m = pyo.ConcreteModel()
    m.x = pyo.Var(domain=pyo.NonNegativeIntegers)
    m.y = pyo.Var(domain=pyo.NonNegativeIntegers)
    m.c1 = pyo.Constraint(expr=m.x + m.y <= 4)
    m.c2 = pyo.Constraint(expr=m.x + 3 * m.y <= 6)
    m.obj = pyo.Objective(expr=3 * m.x + 2 * m.y, sense=pyo.maximize)
    solver = pyo.SolverFactory("appsi_highs")
    solver.config.load_solution = True
    res = solver.solve(m)
    assert str(res.solver.termination_condition) == "optimal"
    assert pyo.value(m.obj) == 12

    # CP-SAT: same problem
    cp = cp_model.CpModel()
    x, y = cp.NewIntVar(0, 10, "x"), cp.NewIntVar(0, 10, "y")
    cp.Add(x + y <= 4)
    cp.Add(x + 3 * y <= 6)
    cp.Maximize(3 * x + 2 * y)
    s = cp_model.CpSolver()
    s.parameters.num_workers = 1
    assert s.Solve(cp) == cp_model.OPTIMAL
    assert s.ObjectiveValue() == 12


def test_pinned_versions():
    from importlib.metadata import version

    hv = tuple(int(p) for p in version("highspy").split(".")[:2])
    ov = tuple(int(p) for p in version("ortools").split(".")[:2])
    assert (1, 13) <= hv < (1, 14), "highspy must be >=1.13.1,<1.14 (1.14.0 gives wrong MIP optima)"
    assert (9, 12) <= ov < (9, 16)


def test_highs_runs_with_changing_thread_counts():
    """HiGHS sizes one global scheduler by its first run; a later run with another thread count used to
    return "not set" with no solution. The runner resets the scheduler when the count changes."""
    from edgedse.formulations.matrix import MatrixModel
    from edgedse.solvers.backends import run_highs_lp

    mm = MatrixModel()
    x = mm.add_vars("x", 2, 0, 10, True)
    mm.add_rows("c", [-float("inf")] * 2, [4, 6], ([0, 0, 1, 1], [x[0], x[1], x[0], x[1]], [1, 1, 1, 3]))
    mm.set_objective(x, [-3, -2])  # max 3x + 2y → x=4, y=0
    for threads in (1, 2, 1):
        out = run_highs_lp(mm.to_highs(), time_limit=5, threads=threads, seed=0)
        assert out.proven_optimal and out.objective == -12
