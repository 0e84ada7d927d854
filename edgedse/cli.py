"""Command-line interface: a thin layer over the Python API (``edgedse.api``).

Every command turns bad input into one line on stderr and exit code 2 (``--debug`` shows the traceback).
"""
from __future__ import annotations

import json
import sys
from functools import wraps
from pathlib import Path
from typing import Optional

import typer

from edgedse import cli_tables as tables
from edgedse.errors import InfeasibleError, InputError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="edgedse: exact mapping, scheduling, precision and fusion for DNNs on edge hardware.")
_state = {"debug": False}


@app.callback()
def _main(debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
          deterministic: bool = typer.Option(
              False, "--deterministic",
              help="Reproducible answers: every --time-limit becomes a work limit (one CP-SAT worker with a "
                   "deterministic-time limit, a HiGHS node limit). Slower and often weaker for the same limit.")
          ) -> None:
    _state["debug"] = debug
    if deterministic:
        from edgedse.api import use_deterministic_solvers

        use_deterministic_solvers(True)


def _friendly(fn):
    """Print InputError / InfeasibleError as one line and exit 2 (unless --debug)."""

    @wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (InputError, InfeasibleError) as exc:
            if _state["debug"]:
                raise
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)

    return run


def _print_json(data: dict) -> None:
    typer.echo(json.dumps(data, indent=2))


@app.command()
@_friendly
def inspect(path: Path = typer.Argument(..., help="An ONNX model or an architecture YAML."),
            as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
            bits: int = typer.Option(16, help="Bits per element for byte sizes."),
            pisdf: bool = typer.Option(False, "--pisdf", help="Also summarise the AOW PiSDF model.")) -> None:
    """Show a model's layers (shapes, params, MACs) or validate an architecture description."""
    from edgedse import api

    if path.suffix.lower() in (".yaml", ".yml"):
        arch = api.load_architecture(path)
        if as_json:
            _print_json(arch.model_dump(mode="json"))
            return
        tables.arch_table(arch)
        return
    report = api.inspect_model(path, bits=bits, with_pisdf=pisdf)
    if as_json:
        _print_json(report)
        return
    tables.model_table(report)


@app.command()
@_friendly
def schedule(instance: Path = typer.Argument(..., help=".stg, .gxl, instance .yaml, or a Topcuoglu directory."),
             pes: Optional[int] = typer.Option(None, "--pes", help="Identical processors (for .stg/.gxl)."),
             method: str = typer.Option("cpsat", help="cpsat | milp | heft | list | ga"),
             objective: str = typer.Option("makespan", help="makespan | energy | period (pipelined, YAML instances)"),
             period_energy: bool = typer.Option(False, "--period-energy",
                                                help="With --objective period: minimize energy instead, "
                                                     "under --period-cap."),
             period_cap: Optional[float] = typer.Option(None, "--period-cap", help="Seconds (ε-constraint)."),
             latency_cap: Optional[float] = typer.Option(None, "--latency-cap",
                                                         help="Seconds: with --objective period, a deadline on "
                                                              "the latency (the least period meeting it)."),
             time_limit: float = typer.Option(10.0, "--time-limit", min=0.01, help="Seconds."),
             seed: int = typer.Option(0, help="Random seed."),
             threads: int = typer.Option(2, min=1, help="Solver threads."),
             builder: str = typer.Option("highspy", help="MILP builder: highspy (direct matrices) | pyomo."),
             as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
             gantt: Optional[Path] = typer.Option(None, "--gantt", help="Write the Gantt chart (PNG).")) -> None:
    """Map and schedule a task graph on PEs, minimizing makespan or energy, with a proven bound;
    ``--objective period``: pipelined mapping (period, then latency) of a YAML instance."""
    from edgedse import api

    if objective == "period":
        _schedule_periodic(instance, method, period_energy, period_cap, latency_cap, time_limit, seed, threads,
                           as_json, gantt)
        return
    if latency_cap is not None:
        raise InputError("--latency-cap", str(latency_cap), "is a deadline of pipelined mapping",
                         "add --objective period (a YAML instance)")
    problem, result = api.schedule(instance, pes=pes, method=method, objective=objective, time_limit=time_limit,
                                   seed=seed, threads=threads, builder=builder)

    def draw(path):
        from edgedse.analysis.plots import gantt as draw_gantt

        draw_gantt(problem, result.solution, path, title=f"{problem.name} — {method}")

    _emit(problem, api.schedule_report(problem, result), result.solution, as_json, gantt, draw, tables.schedule_table)


def _schedule_periodic(instance, method, period_energy, period_cap, latency_cap, time_limit, seed, threads, as_json,
                       gantt):
    from edgedse import api

    problem, result = api.schedule_periodic(instance, method=method, objective="energy" if period_energy else "period",
                                            time_limit=time_limit, seed=seed, threads=threads,
                                            period_cap_s=period_cap, latency_cap_s=latency_cap)

    def draw(path):
        from edgedse.analysis.plots import pipeline_gantt

        pipeline_gantt(problem, result.solution, path, title=f"{problem.name} — {method}")

    _emit(problem, api.periodic_report(problem, result), result.solution, as_json, gantt, draw, tables.periodic_table)


def _emit(problem, report: dict, solution, as_json: bool, gantt: Optional[Path], draw, table) -> None:
    """The tail both schedule commands share: the Gantt chart if asked (``draw(path)``), then the JSON
    document or the tables (``table(problem, report)``)."""
    if gantt is not None and solution is not None:
        draw(gantt)
    if as_json:
        _print_json(report)
        return
    table(problem, report)
    if gantt is not None:
        typer.echo(f"Gantt chart written to {gantt}")


@app.command()
@_friendly
def evaluate(instance: Path = typer.Argument(..., help="The instance the schedule is for (.stg, .gxl, .yaml, "
                                                      "Topcuoglu directory)."),
             solution: Path = typer.Argument(..., help="A schedule as JSON: edgedse's --json output, a front point, "
                                                      "or {\"tasks\": [{\"id\", \"pe\", \"start\"}]} "
                                                      "(+ \"period\" when pipelined)."),
             pes: Optional[int] = typer.Option(None, "--pes", help="Identical processors (for .stg/.gxl)."),
             as_json: bool = typer.Option(False, "--json", help="Print the report as JSON.")) -> None:
    """Check a schedule made anywhere with the independent evaluator: valid or the violated constraint, the
    recomputed metrics beside the instance's proven bounds, and whether the file's own claims agree.
    Exit code 1 when the schedule is invalid or a claim disagrees."""
    from edgedse import api

    report = api.evaluate_solution(instance, solution, pes=pes)
    if as_json:
        _print_json(report)
    else:
        tables.evaluation_table(report)
    if not report["valid"] or not report["claims_agree"]:
        raise typer.Exit(1)


@app.command()
@_friendly
def precision(model: str = typer.Argument(..., help="digits-cnn, a model-zoo name (resnet18, ...) or an ONNX path."),
              arch: Path = typer.Option(..., "--arch", help="Architecture YAML (its PE lists the bit-widths)."),
              minimize: str = typer.Option("energy", help="energy | memory | latency | loss"),
              method: str = typer.Option("milp", help="milp | cpsat | greedy | nsga2"),
              max_loss: Optional[float] = typer.Option(None, "--max-loss",
                                                       help="Budget on the loss proxy (nats of KL)."),
              max_memory: Optional[float] = typer.Option(None, "--max-memory", help="Bytes (PaQ model)."),
              max_energy: Optional[float] = typer.Option(None, "--max-energy", help="Joules per inference."),
              max_latency: Optional[float] = typer.Option(None, "--max-latency", help="Seconds per inference."),
              pe: Optional[str] = typer.Option(None, "--pe", help="PE kind (default: the one with most widths)."),
              bits: Optional[str] = typer.Option(None, "--bits", help="Comma-separated subset of the PE's widths."),
              loss: str = typer.Option("kl", "--loss", help="kl | mse | acc | hessian (the per-layer proxy)."),
              tie: Optional[list[str]] = typer.Option(None, "--tie",
                                                      help="Comma-separated layers forced to equal bits."),
              pareto_front: bool = typer.Option(False, "--pareto", help="Print the front (minimize × loss)."),
              time_limit: float = typer.Option(30.0, "--time-limit", min=0.01, help="Seconds."),
              seed: int = typer.Option(0, help="Random seed."),
              threads: int = typer.Option(2, min=1, help="Solver threads."),
              as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Per-layer bit-widths minimizing energy, memory, latency or the loss proxy under budgets on the others."""
    from edgedse import api

    budgets = {"loss": max_loss, "memory": max_memory, "energy": max_energy, "latency": max_latency}
    doc = api.precision(model, arch, minimize=minimize, budgets=budgets, method=method, pareto=pareto_front,
                        pe=pe, bits=[int(b) for b in bits.split(",")] if bits else None, loss=loss,
                        ties=[t.split(",") for t in tie] if tie else None, time_limit=time_limit, seed=seed,
                        threads=threads)
    if as_json:
        _print_json(doc)
        return
    from rich.console import Console
    from rich.table import Table

    rows = doc if isinstance(doc, list) else [doc]
    t = Table(title=f"{model} on {arch.name}: minimize {minimize} ({method})")
    for col in ("status", "bits", "loss", "memory B", "energy J", "latency s", "measured KL", "accuracy"):
        t.add_column(col)
    for d in rows:
        pr, ms = d["predicted"] or {}, d["measured"] or {}
        t.add_row(d["status"], " ".join(f"{b}" for b in (d["bits"] or {}).values()), f"{pr.get('loss', 0):.4g}",
                  f"{pr.get('memory', 0):,.0f}", f"{pr.get('energy', 0):.4g}", f"{pr.get('latency', 0):.4g}",
                  f"{ms.get('kl', float('nan')):.4g}",
                  f"{ms.get('test_accuracy', ms.get('accuracy')) or float('nan'):.4f}")
    Console().print(t)


@app.command()
@_friendly
def fuse(model: str = typer.Argument(..., help="An ONNX model (or a model-zoo name)."),
         arch: Path = typer.Option(..., "--arch", help="Architecture YAML (its accelerator and on-chip memory)."),
         buffer_kib: Optional[float] = typer.Option(None, "--buffer-kib", help="Override the on-chip buffer (KiB)."),
         objective: str = typer.Option("traffic", help="traffic | energy | latency"),
         method: str = typer.Option("milp", help="dp (chains) | milp | cpsat | greedy | layerwise"),
         bits: int = typer.Option(16, help="Bit-width of feature maps and weights."),
         mode: str = typer.Option("cache", help="cache (keep overlaps) | recompute (recompute overlaps)"),
         no_weights: bool = typer.Option(False, "--no-weights", help="Count feature maps only (as Alwani et al.)."),
         layers: Optional[int] = typer.Option(None, "--layers", help="Keep the first N fusion nodes."),
         time_limit: float = typer.Option(30.0, "--time-limit", min=0.01, help="Seconds."),
         threads: int = typer.Option(2, min=1, help="Solver threads."),
         as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Partition the network into fused layer groups so intermediate feature maps stay on chip."""
    from rich.console import Console
    from rich.table import Table

    from edgedse import api

    doc = api.fuse(model, arch, method=method, objective=objective, time_limit=time_limit, threads=threads,
                   buffer_kib=buffer_kib, bits=bits, mode=mode, count_weights=not no_weights, layers=layers)
    if as_json:
        _print_json(doc)
        return
    t = Table(title=f"{model}: {len(doc['groups'])} groups ({method}, {doc['status']}), buffer "
                    f"{doc['buffer_bytes'] / 1024:.0f} KiB")
    for col in ("layers", "tile", "buffer B", "off-chip B"):
        t.add_column(col)
    for g in doc["groups"]:
        span = f"{g['layers'][0]} … {g['layers'][-1]} ({len(g['layers'])})" if len(g["layers"]) > 1 else g["layers"][0]
        t.add_row(span,
                  "x".join(map(str, g["tile"])), f"{g['buffer_bytes']:,}", f"{g['offchip_bytes']:,}")
    Console().print(t)
    red = 1 - doc["offchip_bytes"] / doc["layerwise_offchip_bytes"]
    Console().print(f"off-chip {doc['offchip_bytes']:,} B vs layer-by-layer {doc['layerwise_offchip_bytes']:,} B "
                    f"(−{red:.1%})")


@app.command()
@_friendly
def bench(target: str = typer.Argument(..., help="A suite YAML to run, or `report`."),
          store: Path = typer.Option(Path("edgedse-results.sqlite"), "--store", help="SQLite result store."),
          executor: str = typer.Option("local", "--executor", help="local | dask"),
          scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler tcp://HOST:PORT."),
          workers: int = typer.Option(2, "--workers", min=1,
                                      help="Runs at a time (local) or LocalCluster workers (dask)."),
          quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
          as_json: bool = typer.Option(False, "--json", help="report: print JSON."),
          profile: Optional[Path] = typer.Option(None, "--profile", help="report: performance profile PNG."),
          export_to: Optional[Path] = typer.Option(None, "--export", help="report: rows to .csv or .parquet.")) -> None:
    """Run a benchmark suite into a resumable SQLite store (`edgedse bench SUITE.yaml`), or summarize a store
    (`edgedse bench report`)."""
    from rich.console import Console
    from rich.table import Table

    if target == "report":
        from edgedse.bench.report import report

        doc = report(store, profile=profile, export_to=export_to)
        if as_json:
            _print_json(doc)
            return
        t = Table(title=f"{store}: {doc['runs']} runs, {doc['wrong']} wrong, {doc['invalid']} invalid")
        for col in ("method", "runs", "solved", "SGM time s", "mean gap", "wrong", "invalid", "timeout", "crash"):
            t.add_column(col)
        for m, d in doc["by_method"].items():
            gap = "-" if d["mean_gap"] is None else f"{d['mean_gap']:.2%}"
            t.add_row(m, str(d["runs"]), str(d["solved"]), f"{d['sgm_time_s']:.2f}", gap, str(d["wrong"]),
                      str(d["invalid"]), str(d["timeout"]), str(d["crash"]))
        Console().print(t)
        return
    from edgedse.bench.sweep import run_suite

    out = run_suite(target, store=store, executor=executor, scheduler=scheduler, workers=workers, quiet=quiet)
    if as_json:
        _print_json(out)
    elif not quiet:
        Console().print(f"{out['executed']} runs executed, {out['skipped']} already in {store}: {out['by_outcome']}")


@app.command()
@_friendly
def pareto(instance: Path = typer.Argument(..., help="A schedule instance (makespan-energy) or a YAML instance."),
           axes: str = typer.Option("period-energy", help="makespan-energy | period-energy | period-latency"),
           method: str = typer.Option("milp", help="milp | cpsat (the period/makespan stage)"),
           pes: Optional[int] = typer.Option(None, "--pes", help="Identical processors (for .stg/.gxl)."),
           time_limit: float = typer.Option(30.0, "--time-limit", min=0.01, help="Seconds per solve."),
           cleanup_time_limit: Optional[float] = typer.Option(
               None, "--cleanup-time-limit", min=0.01,
               help="period-latency: seconds for the relaxation that proves each point's period "
                    "(default: --time-limit)."),
           max_points: int = typer.Option(12, "--max-points", min=1, help="At most this many points."),
           seed: int = typer.Option(0, help="Random seed."),
           threads: int = typer.Option(2, min=1, help="Solver threads."),
           as_json: bool = typer.Option(False, "--json",
                                        help="Print the points as JSON, each with its schedule.")) -> None:
    """An exact bi-objective Pareto front by the ε-constraint method; each point says whether it is certified."""
    from rich.console import Console

    from edgedse import api

    points = api.pareto_front(instance, axes, pes=pes, method=method, time_limit=time_limit, seed=seed,
                              threads=threads, max_points=max_points, cleanup_time_limit=cleanup_time_limit)
    if as_json:
        _print_json(points)
        return
    console = Console()
    console.width = max(console.width, 110)  # a front's 9 columns, uncut when piped (rich's default is 80)
    console.print(tables.front_table(f"{instance.name}: {axes} front", points))


@app.command()
@_friendly
def zoo(out_dir: Path = typer.Argument(Path("instances/models"), help="Where to write the ONNX files."),
        name: Optional[list[str]] = typer.Option(None, "--name", help="Only these models.")) -> None:
    """(Re)build the model zoo ONNX files from the PyTorch definitions (needs torch)."""
    from edgedse.models import zoo as zoo_module

    for p in zoo_module.export_all(out_dir, name or None):
        typer.echo(f"{p}  {p.stat().st_size:,} bytes")


@app.command()
def schema(out: Path = typer.Argument(Path("docs/architecture.schema.json"))) -> None:
    """Export the JSON Schema of the architecture format."""
    from edgedse.models.architecture import architecture_json_schema

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(architecture_json_schema())
    typer.echo(str(out))


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
