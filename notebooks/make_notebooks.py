"""Writes the notebooks of this folder (run: python notebooks/make_notebooks.py); CI executes them."""
import nbformat as nbf
nb = nbf.v4.new_notebook()
md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
nb.cells = [
md("""# Scheduling analysis: ResNet-18 on `mpsoc4`

ResNet-18 (224×224, 16-bit) compiled through its AOW PiSDF model (two CalculateLayer firings per layer)
onto two big and two little cores sharing one bus (`instances/resnet18_mpsoc4.yaml`). We compare HEFT,
the GA and the exact CP-SAT/MILP schedules, draw the Gantt chart per PE and the utilization, and put
the exact makespan × energy Pareto front (ε-constraint, each point certified) beside the GA's front.
Every schedule shown has passed the independent evaluator."""),
code("""import os
from pathlib import Path
import matplotlib.pyplot as plt
from edgedse import api
from edgedse.analysis.plots import gantt, pareto
from edgedse.analysis.pareto import makespan_energy_front
from edgedse.analysis.evaluator import evaluate_schedule
from edgedse.solvers.ga import nsga2

ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
problem = api.load_problem(ROOT / "instances" / "resnet18_mpsoc4.yaml")
print(problem.n, "tasks,", len(problem.edges), "edges on", problem.pe_names, "; tick =", problem.tick_s, "s")"""),
code("""rows = []
results = {}
for method in ["heft", "list", "ga", "cpsat", "milp"]:  # 20 s limit each
    r = api.solve(problem, method, "makespan", time_limit=20, threads=2, seed=0)
    results[method] = r
    rows.append((method, str(r.status), r.objective * problem.tick_s * 1e3, (r.bound or 0) * problem.tick_s * 1e3,
                 r.gap, r.wall_time_s))
print(f"{'method':<7} {'status':<9} {'makespan ms':>12} {'bound ms':>10} {'gap':>8} {'time s':>7}")
for m, st, obj, b, gap, t in rows:
    print(f"{m:<7} {st:<9} {obj:>12.2f} {b:>10.2f} {gap:>8.2%} {t:>7.2f}")"""),
code("""best = results["cpsat"]
fig, ax = plt.subplots(figsize=(11, 3))
gantt(problem, best.solution, ax=ax, title=f"ResNet-18 on mpsoc4 — CP-SAT ({best.status}), makespan {best.objective * problem.tick_s * 1e3:.2f} ms")
plt.show()
met = evaluate_schedule(problem, best.solution)
for k, name in enumerate(problem.pe_names):
    print(f"{name:>8}: busy {met.busy[k] * problem.tick_s * 1e3:7.2f} ms, utilization {met.busy[k] / met.makespan:.1%}")
assert best.objective <= results["heft"].objective"""),
md("""## Makespan × energy

The exact front comes from the ε-constraint method (minimize energy under a makespan cap, then the
makespan under that energy, then tighten the cap by one tick). The GA's front is NSGA-II's final
non-dominated set. Energies include transfer energy over the bus."""),
code("""front = makespan_energy_front(problem, "cpsat", time_limit=5, max_points=8)
ga_front = nsga2(problem, seed=0, generations=40, population=40, time_limit=60)
exact = [(p.makespan * problem.tick_s * 1e3, p.energy_j) for p in front]
ga = [(ms * problem.tick_s * 1e3, e) for _, ms, e in ga_front]
print(len(front), "exact points;", sum(p.certified for p in front), "certified optimal for their ε within 5 s each")
pareto({"exact (CP-SAT, ε-constraint)": exact, "GA (NSGA-II)": ga}, xlabel="makespan (ms)", ylabel="energy (J)")
plt.show()
# no GA point dominates an exact point
for gm, ge in ga:
    assert not any(gm < em - 1e-9 and ge < ee - 1e-12 for em, ee in exact)"""),
]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
from pathlib import Path
nbf.write(nb, str(Path(__file__).resolve().parent / "scheduling_analysis.ipynb"))
