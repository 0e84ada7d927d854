"""Writes the notebooks of this folder (run: python notebooks/make_notebooks.py); CI executes them."""
from pathlib import Path

import nbformat as nbf

md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
NOTEBOOKS = {}
NOTEBOOKS["scheduling_analysis"] = [
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
# no GA point dominates a certified exact point (certified: both ε-constraint solves proven optimal)
certified = [(p.makespan * problem.tick_s * 1e3, p.energy_j) for p in front if p.certified]
assert certified
for gm, ge in ga:
    assert not any(gm < em - 1e-9 and ge < ee - 1e-12 for em, ee in certified)"""),
]

NOTEBOOKS["aow_vgg16_neuraghe"] = [
md("""# Pipelined VGG16 on NEURAghe — the ALOHA AOW case, solved exactly

ALOHA D3 §6.4 reports IBM's Architecture Optimization Workbench improving the pipeline cycle of VGG16 on
NEURAghe (two Cortex-A9 cores + a 169 GOPS convolution engine, shared DDR3) from a baseline of **181 ms** to
**145 ms** and then **136 ms**, choosing an aggregationFactor per layer (PiSDF) and balancing actors between
the ARM cores and the engine. `instances/vgg16_neuraghe.yaml` rebuilds the setting from public figures only
(each cited in the file). Here: the baseline mapping, the proven-optimal period, the steady-state pipeline,
utilization per PE and of the DDR bus, the period × energy and period × latency fronts, and why our ratio is
0.95 where AOW reports 0.75. Every schedule passes the independent periodic evaluator."""),
code("""from pathlib import Path
import matplotlib.pyplot as plt
from edgedse import api
from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.analysis.plots import pipeline_gantt, pareto
from edgedse.analysis.pareto import period_energy_front, period_latency_front
from edgedse.solvers.periodic import solve_periodic
from edgedse.solvers.periodic_heuristics import pack

ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
p = api.load_periodic_problem(ROOT / "instances" / "vgg16_neuraghe.yaml")
ms = lambda ticks: ticks * p.tick_s * 1e3
print(p.n_layers, "CalculateLayer actors on", p.pe_names, "; tick", p.tick_s, "s")
print(f"lower bounds: resource {ms(p.resource_bound()):.2f} ms, cycle {ms(p.cycle_bound()):.2f} ms")"""),
md("""## Baseline: every convolution on the engine, fully connected layers on the ARM cores"""),
code("""base = pack(p, p.baseline)
bm = evaluate_periodic(p, base)
print(f"baseline period {ms(bm.period):.2f} ms (D3: 181 ms), latency {ms(bm.latency):.1f} ms, "
      f"energy {bm.energy_j:.3f} J/frame")
assert abs(ms(bm.period) - 181.6) / 181.6 < 0.03"""),
md("""## Optimal period (MILP, proven), then the least latency at that period"""),
code("""opt = solve_periodic(p, "milp", "period", time_limit=30, threads=2, seed=0)
om = opt.metrics
print(f"{opt.status}: period {ms(om.period):.2f} ms (bound {ms(opt.bound):.2f} ms, gap {opt.gap:.2%}), "
      f"latency {ms(om.latency):.1f} ms, ratio to baseline {om.period / bm.period:.3f}, wall {opt.wall_time_s:.1f} s")
# a proven lower bound on the latency of every schedule at this period (layer-span relaxation or CP-SAT)
print(f"latency bound at this period {ms(opt.details['latency_bound']):.1f} ms")
assert 0 < opt.details["latency_bound"] <= om.latency
moved = [(ly.layer, p.pe_names[p.baseline.pes[l][0]], sorted({p.pe_names[f.pe] for f in opt.solution.firings if f.layer == l}),
          ly.modes[opt.solution.modes[l]].aggregation) for l, ly in enumerate(p.layers)]
print(f"{'layer':<12} {'baseline':>8}  optimized (aggregationFactor)")
for name, was, now, a in moved:
    print(f"{name:<12} {was:>8}  {', '.join(now)} (a={a})")
assert str(opt.status) == "optimal" and om.period <= bm.period"""),
code("""fig, axes = plt.subplots(2, 1, figsize=(11, 4.5), sharex=False)
pipeline_gantt(p, base, ax=axes[0], title=f"baseline: period {ms(bm.period):.1f} ms")
pipeline_gantt(p, opt.solution, ax=axes[1], title=f"optimal: period {ms(om.period):.1f} ms")
fig.tight_layout(); plt.show()
names = list(p.pe_names) + ["DDR bus"]
u_base = list(bm.utilization()) + [bm.bus_load / bm.period]
u_opt = list(om.utilization()) + [om.bus_load / om.period]
fig, ax = plt.subplots(figsize=(7, 3))
xs = range(len(names))
ax.bar([x - 0.2 for x in xs], u_base, 0.4, label="baseline"); ax.bar([x + 0.2 for x in xs], u_opt, 0.4, label="optimal")
ax.set_xticks(list(xs), names); ax.set_ylabel("utilization per period"); ax.set_ylim(0, 1.05); ax.legend(); plt.show()
for n, a, b in zip(names, u_base, u_opt):
    print(f"{n:>8}: baseline {a:6.1%}  optimal {b:6.1%}")"""),
md("""## Pareto fronts (ε-constraint)

Period × energy: minimize energy under a period cap, then the period under that energy (MILP, each point
certified when both solves are proven). Period × latency: for period caps growing from the optimum, the
least latency (CP-SAT model with modes, mapping and wrap-around free), then the least period at that
latency. The proven bounds come from the layer-span relaxation (`edgedse.formulations.latency_bound_milp`:
stage 1's modes and counts, one interval per layer holding its firings, transfers per PE pair), whose
mapping, packed, also starts CP-SAT. With 10 % slack on the period the relaxation's 213.77 ms is reached, so
that latency is proven; at the minimum period the PEs are full, the folded schedule must tile each PE's
circle exactly, and the bound (≈ 2 periods) stays far below what is found. While the iteration wraps
(latency > period), a third of each cap's time first goes to a search over where each firing sits on its PE's
circle (`edgedse.solvers.periodic_circle`: the earliest start at each residue, simulated annealing on the
circle orders), which CP-SAT then starts from. At P_min the period is fixed (P_min is proven), and the CP-SAT
model gives each firing one integer window (`s = P·w + r`) instead of window literals, which finds far
shorter latencies in the same time; half of the time left then goes to a neighbourhood search
(`edgedse.solvers.periodic_lns`: the first or last layers of the iteration freed, the rest kept in place),
which shortens those latencies further. Between the two, 5 % more period (1.05 · P_min) already buys a far
shorter latency: this is the front's steep part. Its start is the previous cap's relaxed mapping packed at the
new cap, which leaves slack on every PE. When the proven bound is at most the cap, an iteration may fit within
one period: the stage first schedules one iteration on the line (the CP-SAT model without residues and windows,
`wrap=False`), a relaxation that is exact there, and stops once one fits — at 1.5 · P_min the least latency
is such a schedule. `certified` means both solves of a point were proven."""),
code("""pe_front = period_energy_front(p, "milp", time_limit=30, max_points=4)
for q in pe_front:
    print(f"period {ms(q.period):7.2f} ms  energy {q.energy_j:.4f} J  certified {q.certified}")
pl_front = period_latency_front(p, time_limit=15, factors=(1.0, 1.05, 1.5, 3.0))
for q in pl_front:
    lb = "-" if q.latency_bound is None else f"{ms(q.latency_bound):.2f}"
    pb = "-" if q.period_bound is None else f"{ms(q.period_bound):.2f}"
    gap = "-" if q.latency_gap is None else f"{q.latency_gap:.1%}"
    print(f"period {ms(q.period):7.2f} ms (bound {pb})  latency {ms(q.latency):7.2f} ms (bound {lb}, gap {gap})  "
          f"certified {q.certified}")
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
pareto({"exact (MILP)": [(ms(q.period), q.energy_j) for q in pe_front], "baseline": [(ms(bm.period), bm.energy_j)]},
       xlabel="period (ms)", ylabel="energy (J/frame)", ax=axes[0])
pareto({"CP-SAT": [(ms(q.period), ms(q.latency)) for q in pl_front], "baseline": [(ms(bm.period), ms(bm.latency))]},
       xlabel="period (ms)", ylabel="latency (ms)", ax=axes[1])
fig.tight_layout(); plt.show()
assert pe_front and pe_front[0].period == om.period and all(q.certified for q in pe_front)
assert pl_front and pl_front[0].period == om.period
assert min(q.latency for q in pl_front) == min(q.latency_bound for q in pl_front)  # least latency proven"""),
md("""## Why 0.95 here and 0.75 in the deliverable

The period cannot go below the *fluid* bound: the convolutions' 30.69 GOP spread over every PE's peak rate
at once. With the cited figures (engine 169 GOPS, each A9 with NEON 5.34 GOPS) that is
30.69 / (169 + 2 · 5.34) = **170.8 ms**, a ratio of 0.94 to the 181.6 ms baseline; the fully connected layers
(58 ms, DDR-bound) already run on the ARM cores beside the engine in the baseline pipeline. The resource
bound printed at the top is the same argument made exact: an LP that splits every layer (pooling and fully
connected ones too) over its modes and PEs in the best proportions, 172.8 ms. The proven optimum (173.2 ms)
sits 0.2 % above it because firings are indivisible (aggregationFactor granularity) and share the DDR bus.
AOW's 136 ms (ratio 0.75) would need the two A9 cores to deliver
30.69 / 0.136 − 169 ≈ 57 GOPS, more than five times their NEON peak — so AOW's cost model must have differed
from these public figures (e.g. a baseline cycle that serialised the ARM and engine work, or per-actor
times measured on a different configuration); D3 does not publish its per-actor table, so the gap cannot
be closed honestly from public data."""),
code("""conv_gop = 30.69
fluid_ms = conv_gop / (169 + 2 * 5.34) * 1e3
print(f"fluid bound {fluid_ms:.1f} ms -> ratio {fluid_ms / ms(bm.period):.3f}; optimum ratio {om.period / bm.period:.3f}; "
      f"AOW 136/181 = {136 / 181:.3f}")
print(f"A9 rate AOW's 136 ms would need: {conv_gop / 0.136 - 169:.1f} GOPS for two cores (cited peak {2 * 5.34:.2f})")
assert ms(om.period) >= fluid_ms - 1e-6"""),
]


NOTEBOOKS["precision_analysis"] = [
md("""# Per-layer precision: exact fronts vs NSGA-II* and the greedy heuristic

`digits-cnn` — a small CNN trained in-process on scikit-learn's digits (no download) — on the thesis'
scalable-precision PE (`instances/architectures/scalable_pe.yaml`, 8×8 / 4×4 / 2×2 MACs). Per layer and
bit-width we measure the KL divergence of the softmax output under fake quantization (Eq. 3.2), then solve
the multiple-choice knapsack exactly (MILP) for the memory × loss front (PaQ memory model, Eq. 2.1), and
compare it with NSGA-II* (pymoo) and the thesis' greedy Algorithm 4 by hypervolume. Finally every chosen
configuration is *measured*: the proxy is additive, the network is not."""),
code("""from pathlib import Path
import time
import numpy as np
import matplotlib.pyplot as plt
from edgedse import api
from edgedse.solvers.precision import precision_front, solve_precision, hypervolume
from edgedse.solvers.precision_heuristics import greedy, nsga2_star

ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
study = api.load_precision_study("digits-cnn", ROOT / "instances" / "architectures" / "scalable_pe.yaml", pe="spe")
p = study.problem
int8 = [p.bits.index(8)] * p.n
base = study.measure(int8)
print(f"{p.n} layers, options {p.bits} on {p.pe}; INT8 test accuracy {base['test_accuracy']:.4f}, "
      f"INT8 memory {p.metrics(int8)['memory']:,.0f} B")
for ly in p.layers:
    print(f"{ly.module:>6}: {ly.weights:>6} weights, {ly.macs:>7} MACs")"""),
code("""s = study.sensitivity
heat = np.array([[s.kl[ly.module, b] for b in p.bits] for ly in p.layers])
fig, ax = plt.subplots(figsize=(5, 3))
im = ax.imshow(np.log10(heat + 1e-9), cmap="viridis", aspect="auto")
ax.set_xticks(range(len(p.bits)), [f"{b} bit" for b in p.bits]); ax.set_yticks(range(p.n), [ly.module for ly in p.layers])
fig.colorbar(im, label="log10 KL (nats)"); ax.set_title("sensitivity: one layer quantized at a time"); plt.show()
assert (heat[:, -1] >= heat[:, 0]).all()"""),
md("""## Memory × loss fronts

Exact: ε-constraint on memory (MILP; each point certified). NSGA-II*: integer genes, loss and memory as
objectives, ε-non-dominated final sort; run for the exact front's time and for 10× it. Greedy: Algorithm 4 at
several KL thresholds (one point each)."""),
code("""t0 = time.perf_counter()
exact = precision_front(p, "milp", "memory", "loss")
t_exact = time.perf_counter() - t0
E = [(r.metrics["memory"], r.metrics["loss"]) for r in exact]
ref = (max(m for m, _ in E) * 1.01, max(l for _, l in E) * 1.01)
ga = {f: nsga2_star(p, "memory", {}, seed=0, time_limit=max(1.0, f * t_exact), generations=10**6) for f in (1, 10)}
G = {f: [(p.metrics(c)["memory"], p.metrics(c)["loss"]) for c in cs] for f, cs in ga.items()}
caps = [0.002, 0.01, 0.05, 0.2]
gr = [greedy(p, "memory", {"loss": c}) for c in caps]
R = [(p.metrics(c)["memory"], p.metrics(c)["loss"]) for c in gr]
hv = {"exact": hypervolume(E, ref), "nsga2 1x": hypervolume(G[1], ref), "nsga2 10x": hypervolume(G[10], ref),
      "greedy": hypervolume(R, ref)}
print(f"exact front: {len(E)} points in {t_exact:.2f} s, all certified: {all(r.details['certified'] for r in exact)}")
for k, v in hv.items():
    print(f"hypervolume {k:<10} {v:10.4g}  ({v / hv['exact']:.3f} of exact)")
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.step(*zip(*sorted(E)), where="post", marker="o", ms=3, label="exact (MILP)")
ax.scatter(*zip(*G[10]), marker="x", label="NSGA-II* (10x time)")
ax.scatter(*zip(*R), marker="s", label="greedy (Alg. 4)")
ax.set_xlabel("memory (bytes, PaQ)"); ax.set_ylabel("proxy loss (sum of per-layer KL, nats)"); ax.set_yscale("symlog", linthresh=1e-3)
ax.legend(); plt.show()
assert hv["exact"] >= max(hv["nsga2 1x"], hv["nsga2 10x"], hv["greedy"]) - 1e-12"""),
md("""## Measured accuracy of the chosen configurations

The proxy (a sum of one-layer-at-a-time KL values) orders configurations well but is not the network's KL.
Each exact front point is measured on the 600 held-out test images."""),
code("""meas = [(r.metrics["memory"], study.measure(r.solution)) for r in exact]
fig, ax = plt.subplots(figsize=(6.5, 3.5))
ax.plot([m for m, _ in meas], [x["test_accuracy"] for _, x in meas], "o-", label="exact front, measured")
ax.axhline(base["test_accuracy"], ls="--", color="gray", label="INT8")
ax.axvline(0.5 * p.metrics(int8)["memory"], ls=":", color="gray", label="50 % of INT8 memory")
ax.set_xlabel("memory (bytes)"); ax.set_ylabel("test accuracy"); ax.legend(); plt.show()
half = [x["test_accuracy"] for m, x in meas if m <= 0.5 * p.metrics(int8)["memory"]]
print(f"best test accuracy at <= 50 % of INT8 memory: {max(half):.4f} (INT8 {base['test_accuracy']:.4f})")
assert base["test_accuracy"] - max(half) <= 0.01"""),
]


NOTEBOOKS["fusion_analysis"] = [
md("""# Layer fusion: off-chip traffic vs on-chip buffer

Each network is partitioned into fused groups (connected, convex, one output) that run tile by tile with
every intermediate tile on chip (`instances/architectures/scalable_pe.yaml`, 16-bit data, weights counted,
overlaps cached). For buffers from 64 KiB to 2 MiB we compare layer-by-layer execution, the greedy baseline
(grow a group while it fits) and the exact partition (DP on the VGG16 chain; MILP and CP-SAT set partitioning
on the ResNet-18 and MobileNetV2 DAGs, which must agree), then draw the chosen groups. First, the validation
against Alwani et al. (MICRO 2016)."""),
code("""from pathlib import Path
import matplotlib.pyplot as plt
from edgedse import api
from edgedse.analysis.plots import fusion_groups
from edgedse.solvers.fusion import solve_fusion

ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
MODELS, ARCH = ROOT / "instances" / "models", ROOT / "instances" / "architectures" / "scalable_pe.yaml"
p = api.load_fusion_problem(MODELS / "vgg16.onnx", ARCH, buffer_kib=362.5, bits=32, count_weights=False, layers=7)
lw, fused = solve_fusion(p, "layerwise"), solve_fusion(p, "dp")
print(f"Alwani: layer-by-layer {lw.objective / 2**20:.2f} MiB (paper ≈77 MB), fused {fused.objective / 2**20:.2f} MiB "
      f"(paper ≈3.6 MB) with a {fused.metrics['groups'][0].buffer_bytes / 1024:.1f} KiB pyramid (paper 362 KB): "
      f"−{1 - fused.objective / lw.objective:.1%}")
assert abs(lw.objective / 2**20 - 77) / 77 < 0.05 and abs(fused.objective / 2**20 - 3.6) / 3.6 < 0.05"""),
code("""buffers = [64, 128, 256, 512, 1024, 2048]
results = {}
for model in ("vgg16", "resnet18", "mobilenetv2"):
    for kib in buffers:
        q = api.load_fusion_problem(MODELS / f"{model}.onnx", ARCH, buffer_kib=kib)
        exact = "dp" if q.is_chain else "milp"
        runs = {m: solve_fusion(q, m) for m in ("layerwise", "greedy", exact, "cpsat")}
        assert abs(runs[exact].objective - runs["cpsat"].objective) <= 1e-6 * runs["cpsat"].objective
        results[model, kib] = (q, runs, exact)
fig, axes = plt.subplots(1, 3, figsize=(13, 3.5))
for ax, model in zip(axes, ("vgg16", "resnet18", "mobilenetv2")):
    for m, label in (("layerwise", "layer-by-layer"), ("greedy", "greedy"), (None, "exact")):
        ys = [results[model, k][1][m or results[model, k][2]].objective / 1e6 for k in buffers]
        ax.plot(buffers, ys, "o-", label=label)
    ax.set_xscale("log", base=2); ax.set_yscale("log"); ax.set_title(model)
    ax.set_xlabel("on-chip buffer (KiB)"); ax.set_ylabel("off-chip MB per inference")
axes[0].legend(); fig.tight_layout(); plt.show()
for (model, kib), (q, runs, exact) in results.items():
    assert runs[exact].objective <= runs["greedy"].objective and runs[exact].objective <= runs["layerwise"].objective
    print(f"{model:<12} {kib:>5} KiB: layer-by-layer {runs['layerwise'].objective / 1e6:8.2f} MB, greedy "
          f"{runs['greedy'].objective / 1e6:8.2f}, exact {runs[exact].objective / 1e6:8.2f} "
          f"(−{1 - runs[exact].objective / runs['layerwise'].objective:.1%}, {len(runs[exact].solution)} groups)")"""),
code("""fig, axes = plt.subplots(3, 1, figsize=(14, 6.5))
for ax, model in zip(axes, ("vgg16", "resnet18", "mobilenetv2")):
    q, runs, exact = results[model, 256]
    fusion_groups(q, runs[exact].solution, ax=ax, title=f"{model}, 256 KiB: {len(runs[exact].solution)} groups ({exact})")
fig.tight_layout(); plt.show()"""),
]


NOTEBOOKS["benchmark_report"] = [
md("""# Benchmark report: the smoke suite

`benchmarks/suites/smoke.yaml` runs STG-50 instances with known optima (CP-SAT, MILP, HEFT) and a
ResNet-18 fusion case (MILP, greedy), each run in its own subprocess with time and memory limits, into a
resumable SQLite store. Below: the store's rows, the per-method summary (solved, shifted geometric mean time,
mean gap, wrong/invalid), the classification against the reference optima, and the Dolan–Moré performance
profile. The same calls work on any store: `edgedse bench report --store PATH`."""),
code("""import tempfile
from pathlib import Path
import matplotlib.pyplot as plt
from edgedse.bench.sweep import run_suite
from edgedse.bench.store import Store
from edgedse.bench.report import summarize, plot_profile

ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
store = Path(tempfile.mkdtemp()) / "smoke.sqlite"
out = run_suite(ROOT / "benchmarks" / "suites" / "smoke.yaml", store=store, workers=2, quiet=True)
print(out)
rows = Store(store).rows()
for r in rows:
    print(f"{r['instance']:<42} {str(r['pes'] or ''):>2} {r['method_name']:<6} {r['outcome']:<18} {r['status']:<9} "
          f"obj {r['objective']:>12.6g}  bound {r['bound'] if r['bound'] is not None else float('nan'):>12.6g}  "
          f"ref {r['reference']}  {r['solve_time_s']:.2f} s")
assert out["runs"] == len(rows) and not any(r["outcome"] in ("wrong", "invalid", "crash") for r in rows)"""),
code("""summary = summarize(rows)
print(f"{'method':<7} {'runs':>4} {'solved':>6} {'SGM s':>7} {'mean gap':>9} {'wrong':>5} {'invalid':>7}")
for m, d in summary["by_method"].items():
    gap = "-" if d["mean_gap"] is None else f"{d['mean_gap']:.2%}"
    print(f"{m:<7} {d['runs']:>4} {d['solved']:>6} {d['sgm_time_s']:>7.2f} {gap:>9} {d['wrong']:>5} {d['invalid']:>7}")
ax = plot_profile([r for r in rows if r["problem"] == "schedule"])
ax.set_title("performance profile, STG-50 and Sinnen (schedule)"); plt.show()"""),
]


def write_all() -> None:
    here = Path(__file__).resolve().parent
    for name, cells in NOTEBOOKS.items():
        nb = nbf.v4.new_notebook()
        for i, cell in enumerate(cells):
            cell["id"] = f"{name[:40]}-{i}"  # stable ids: regenerating rewrites only what changed
        nb.cells = cells
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbf.write(nb, str(here / f"{name}.ipynb"))


if __name__ == "__main__":
    write_all()
