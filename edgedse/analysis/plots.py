"""Plots: Gantt chart per PE, utilization, Pareto fronts (matplotlib, headless)."""
from __future__ import annotations

from pathlib import Path


def _plt():
    import sys

    import matplotlib

    if "ipykernel" not in sys.modules:  # headless outside notebooks; inline inside them
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _finish(ax, path: str | Path | None):
    """Save the figure to ``path`` (PNG, 120 dpi) and close it; without a path leave it open to show."""
    if path is not None:
        ax.figure.tight_layout()
        ax.figure.savefig(path, dpi=120)
        _plt().close(ax.figure)
    return ax


def gantt(problem, schedule, path: str | Path | None = None, title: str = "", ax=None):
    """Draw one row per PE with a bar per task (ticks, or seconds when the problem has ``tick_s``)."""
    plt = _plt()
    scale = problem.tick_s or 1.0
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 0.5 + 0.45 * problem.m))
    cmap = plt.get_cmap("tab20")
    for i in range(problem.n):
        k, s = schedule.pe[i], schedule.start[i]
        d = int(problem.exec_time[i, k])
        if d == 0:
            continue
        ax.barh(k, d * scale, left=s * scale, color=cmap(i % 20), edgecolor="black", linewidth=0.3)
        if problem.n <= 40:
            ax.text((s + d / 2) * scale, k, problem.task_ids[i], ha="center", va="center", fontsize=6)
    ax.set_yticks(range(problem.m), problem.pe_names)
    ax.invert_yaxis()
    ax.set_xlabel("time (s)" if problem.tick_s else "time")
    ax.set_title(title or problem.name)
    return _finish(ax, path)


def pareto(points: dict[str, list[tuple[float, float]]], path: str | Path | None = None,
           xlabel: str = "makespan", ylabel: str = "energy (J)", ax=None):
    """Scatter/step plot of one or more fronts: ``{label: [(x, y), …]}``."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for label, pts in points.items():
        pts = sorted(pts)
        ax.step([p[0] for p in pts], [p[1] for p in pts], where="post", marker="o", label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    return _finish(ax, path)


def pipeline_gantt(problem, sch, path: str | Path | None = None, title: str = "", ax=None):
    """Steady-state Gantt of a periodic schedule: one period window per PE, each firing at its residue
    ``start mod P`` (a firing crossing the window edge is drawn in two parts), coloured by layer."""
    plt = _plt()
    P, tick = sch.period, problem.tick_s
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 0.6 + 0.5 * problem.m))
    cmap = plt.get_cmap("tab20")
    for f in sch.firings:
        d = int(problem.layers[f.layer].modes[sch.modes[f.layer]].time[f.pe])
        if d == 0:
            continue
        r = f.start % P
        for left, width in ((r, min(d, P - r)), (0, max(0, r + d - P))):
            if width:
                ax.barh(f.pe, width * tick, left=left * tick, color=cmap(f.layer % 20), edgecolor="black",
                        linewidth=0.3)
    ax.set_yticks(range(problem.m), problem.pe_names)
    ax.invert_yaxis()
    ax.set_xlim(0, P * tick)
    ax.set_xlabel("time within one period (s)")
    ax.set_title(title or f"{problem.name}: period {P * tick * 1e3:.1f} ms")
    return _finish(ax, path)


def fusion_groups(problem, groups, path: str | Path | None = None, title: str = "", ax=None):
    """The network as a row of nodes in topological order (conv, dw, fc, pool, add), each coloured by its
    fused group, with skip connections drawn as arcs above the row."""
    import networkx as nx
    from matplotlib.patches import FancyArrowPatch, Rectangle

    plt = _plt()
    order = list(nx.topological_sort(problem.graph))
    x = {v: i for i, v in enumerate(order)}
    group_of = {v: gi for gi, (members, _) in enumerate(groups) for v in members}
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, 0.28 * problem.n), 2.2))
    cmap = plt.get_cmap("tab20")
    for v in order:
        ax.add_patch(Rectangle((x[v] - 0.4, 0), 0.8, 1, color=cmap(group_of[v] % 20), ec="black", lw=0.4))
        ax.text(x[v], -0.15, problem.nodes[v].kind[:2], ha="center", va="top", fontsize=6, rotation=90)
    for u, v in problem.edges:
        if x[v] - x[u] > 1:
            ax.add_patch(FancyArrowPatch((x[u], 1), (x[v], 1), connectionstyle="arc3,rad=-0.4", arrowstyle="-",
                                         lw=0.6, color="gray"))
    ax.set_xlim(-1, problem.n)
    ax.set_ylim(-0.9, 2.2)
    ax.axis("off")
    ax.set_title(title or f"{problem.name}: {len(groups)} fused groups")
    return _finish(ax, path)
