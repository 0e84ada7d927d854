"""How the CLI prints its reports as tables (rich): one function per report of :mod:`edgedse.api`; the JSON
documents (``--json``) are the reports themselves."""
from __future__ import annotations

import typer


def model_table(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{report['model']} — {report['totals']['layers']} layers")
    for col in ("layer", "op", "class", "input", "output", "params", "MACs"):
        t.add_column(col, justify="right" if col in ("params", "MACs") else "left")
    for layer in report["layers"]:
        shape_in = layer["input_shape"]
        t.add_row(layer["name"], layer["op"], layer["op_class"], "x".join(map(str, shape_in))
                  if shape_in and isinstance(shape_in[0], int) else str(shape_in),
                  "x".join(map(str, layer["output_shape"])), f"{layer['params']:,}", f"{layer['macs']:,}")
    tot = report["totals"]
    t.add_row("total", "", "", "", "", f"{tot['params']:,}", f"{tot['macs']:,}", style="bold")
    console = Console()
    console.print(t)
    if "pisdf" in report:
        p = report["pisdf"]
        console.print(f"PiSDF: {p['actors']} actors, {p['edges']} FIFOs, {p['parameters']} parameters; "
                      f"one iteration = {p['dag_tasks']} firings, {p['dag_edges']} precedences")


def arch_table(arch) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"architecture {arch.name}")
    for col in ("PE", "type", "count", "op classes"):
        t.add_column(col)
    for pe in arch.processing_elements:
        classes = sorted(pe.ops_per_cycle or pe.ops_per_s)
        t.add_row(pe.name, str(pe.type), str(pe.count), ", ".join(classes))
    Console().print(t)
    for m in arch.memories:
        typer.echo(f"memory {m.name} ({m.kind}): {m.capacity_bytes:,} B, {m.bandwidth_bytes_per_s / 1e9:.3f} GB/s")


def periodic_table(problem, report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{problem.name}[/]: {problem.n_layers} layers, {problem.m} PEs — method {report['method']}")
    budget_is_deadline = report.get("latency_budget") is not None and report.get("latency_cap") == \
        report["latency_budget"]
    if report.get("latency_cap") is not None:
        least = report.get("least_latency_bound")
        console.print(f"deadline: latency ≤ {report['latency_cap']} s"
                      + (" (the instance's latency_budget_s)" if budget_is_deadline else "")
                      + (f" (every schedule's latency ≥ {least} s)" if least is not None else ""))
    if report["period"] is None:
        fix = "try --method cpsat" if report["termination"] == "heuristic" else "try a longer --time-limit"
        console.print(f"status {report['status']} ({report['termination']}): no schedule found "
                      f"(period bound {report['period_bound']} s); {fix}")
        return
    gap = "-" if report["gap"] is None else f"{report['gap']:.2%}"
    console.print(f"status {report['status']} ({report['termination']}): period {report['period']} s "
                  f"(bound {report['period_bound']} s, gap {gap}; resource bound {report['resource_bound']} s, "
                  f"cycle bound {report['cycle_bound']} s)")
    console.print(f"latency {report['latency']} s ({latency_bound_text(report)}), "
                  f"energy {report['energy_j']:.4g} J/frame, wall time {report['wall_time_s']:.2f} s")
    if report.get("latency_budget") is not None and not budget_is_deadline:
        met = "met" if report.get("latency_budget_met") else "[bold red]NOT met[/]"
        console.print(f"instance latency budget {report['latency_budget']} s: {met}")
    if report["baseline_period"]:
        console.print(f"baseline period {report['baseline_period']} s → ratio "
                      f"{report['period'] / report['baseline_period']:.3f}")
    t = Table(title="utilization per PE (per period)")
    for col in ("PE", "busy (s)", "utilization"):
        t.add_column(col)
    for pe in report.get("pes", []):
        t.add_row(pe["name"], f"{pe['busy']:g}", f"{pe['utilization']:.1%}")
    t.add_row("bus", "", f"{report.get('bus_utilization', 0):.1%}")
    console.print(t)


def latency_bound_text(report: dict) -> str:
    """The latency's proven lower bound as text: ``bound X s, proven``, ``bound X s, gap Y`` or ``method M gives
    no latency bound``."""
    bound, latency = report.get("latency_bound"), report.get("latency")
    if bound is None or latency is None:
        return f"method {report['method']} gives no latency bound"
    from edgedse.models.solutions import relative_gap

    if latency <= bound:
        return f"bound {bound} s, proven"
    return f"bound {bound} s, gap {relative_gap(latency, bound):.2%}"


def schedule_table(problem, report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    unit = "s" if problem.tick_s else "time units"
    console.print(f"[bold]{problem.name}[/]: {problem.n} tasks, {problem.m} PEs — method {report['method']}")
    gap = "-" if report["gap"] is None else f"{report['gap']:.2%}"
    console.print(f"status {report['status']} ({report['termination']}), objective {report['objective']}, "
                  f"bound {report['bound']}, gap {gap}, wall time {report['wall_time_s']:.2f} s "
                  f"(times in {unit})")
    if report.get("known_optimum") is not None:
        console.print(f"known optimum: {report['known_optimum']}")
    t = Table(title="utilization per PE")
    for col in ("PE", "tasks", "busy", "utilization"):
        t.add_column(col)
    for pe in report.get("pes", []):
        t.add_row(pe["name"], str(pe["tasks"]), f"{pe['busy']:g}", f"{pe['utilization']:.1%}")
    console.print(t)
    if report["tasks"]:
        ascii_gantt(console, problem, report)


def ascii_gantt(console, problem, report: dict, width: int = 56) -> None:
    span = max((t["end"] for t in report["tasks"]), default=0) or 1
    rows = {k: [" "] * width for k in range(problem.m)}
    for i, t in enumerate(report["tasks"]):
        a, b = int(t["start"] / span * (width - 1)), int(t["end"] / span * (width - 1))
        if t["end"] > t["start"]:
            for x in range(a, max(b, a + 1)):
                rows[t["pe"]][x] = "█▓"[i % 2]
    for k in range(problem.m):
        console.print(f"{problem.pe_names[k]:>8} |{''.join(rows[k])}|")


def evaluation_table(report: dict) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{report['instance']}[/]: {report['kind']} from {escape(report['solution'])}")
    if not report["valid"]:
        console.print(f"[bold red]INVALID[/] {escape(report['message'])}")
        return

    def gap(key: str) -> str:
        return "-" if report[key] is None else f"{report[key]:.2%}"

    if report["kind"] == "periodic":
        console.print(f"valid: period {report['period']} s (proven bound {report['period_bound']} s, gap "
                      f"{gap('period_gap')}; this mapping allows {report['mapping_min_period']} s), latency "
                      f"{report['latency']} s (bound {report['latency_bound']} s), energy {report['energy_j']:.4g} J")
        if report["baseline_period"]:
            console.print(f"baseline period {report['baseline_period']} s → ratio {report['ratio_to_baseline']:.3f}")
    else:
        optimum = "" if report["known_optimum"] is None else \
            f", known optimum {report['known_optimum']} (ratio {report['ratio_to_optimum']:.3f})"
        unit = " s" if report["time_unit"] else ""
        console.print(f"valid: makespan {report['makespan']}{unit} (proven bound {report['makespan_bound']}{unit}, "
                      f"gap {gap('gap')}{optimum}), energy {report['energy_j']:.4g} J")
    wrong = [c for c in report["claims"] if not c["agrees"]]
    console.print(f"claims: {len(report['claims'])} checked, " +
                  ("all agree" if not wrong else f"[bold red]{len(wrong)} disagree[/]"))
    if wrong:
        t = Table()
        for col in ("element", "claimed", "recomputed"):
            t.add_column(col)
        for c in wrong:
            t.add_row(c["element"], str(c["claimed"]), str(c["recomputed"]))
        console.print(t)


FRONT_COLUMNS = {"makespan": "makespan", "period": "period s", "latency": "latency s", "energy_j": "energy J",
                 "latency_bound": "L bound s", "latency_gap": "L gap", "period_bound": "P bound s",
                 "period_gap": "P gap", "certified": "certified", "latency_budget_met": "L budget met",
                 "wall_time_s": "time s"}


def front_table(title: str, points: list[dict]):
    """A front's points as a rich table: its numbers to 6 significant digits, gaps in percent, one row per
    point; the schedules (``tasks``) stay in ``--json``; ``deterministic``/``reproducible``, the same for
    every point, form the caption."""
    from rich.table import Table

    record = ("deterministic", "reproducible")
    caption = ", ".join(f"{k}: {points[0][k]}" for k in record) if points else None
    t = Table(title=title, caption=caption)
    columns = [k for k in FRONT_COLUMNS if points and k in points[0]]
    for key in columns:
        t.add_column(FRONT_COLUMNS[key], justify="right", no_wrap=True)

    def cell(key, value) -> str:
        if value is None:
            return "—"
        if key.endswith("_gap"):
            return f"{100 * value:.2f}%"
        if key == "wall_time_s":
            return f"{value:.1f}"
        return f"{value:.6g}" if isinstance(value, float) else str(value)

    for q in points:
        t.add_row(*(cell(k, q[k]) for k in columns))
    return t
