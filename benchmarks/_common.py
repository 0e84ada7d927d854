"""Helpers shared by the benchmark scripts: run one method on one problem, summarise a column."""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

from edgedse.models.solutions import Status
from edgedse.solvers.portfolio import solve


def run(problem, method: str, time_limit: float, threads: int = 2):
    r = solve(problem, method, "makespan", time_limit=time_limit, threads=threads)
    return {"status": r.status, "objective": r.objective, "bound": r.bound, "time": r.wall_time_s,
            "proven": r.status == Status.OPTIMAL}


def describe(values: list[float]) -> str:
    if not values:
        return "-"
    return f"median {statistics.median(values):.2f}  max {max(values):.2f}"


def percent(gap: float | None) -> str:
    """A relative gap as a percentage with two decimals, or ``-`` when there is none."""
    return "-" if gap is None else f"{gap:.2%}"


def ms_formatter(tick_s: float):
    """Ticks (of ``tick_s`` seconds each) → a 9-wide string in milliseconds ('-' for None)."""
    return lambda t: f"{t * tick_s * 1e3:9.2f}" if t is not None else f"{'-':>9}"


def line_buffered_stdout() -> None:
    """Print each table row as soon as it is measured, also when stdout is a file or a pipe (Python buffers
    those in blocks, so a long benchmark redirected to a file would show nothing for minutes)."""
    sys.stdout.reconfigure(line_buffering=True)


PERIODIC_INSTANCES = Path(__file__).resolve().parents[1] / "instances"


def add_prefix_arguments(ap, vgg: str, resnet: str) -> None:
    """``--vgg`` and ``--resnet``: comma-separated prefix sizes of the two pipelined instances (defaults given)."""
    ap.add_argument("--vgg", default=vgg, help="prefix sizes of VGG16 (22 layers), comma-separated; '' for none")
    ap.add_argument("--resnet", default=resnet,
                    help="prefix sizes of ResNet-18 (32 layers), comma-separated; '' for none")


PERIODIC_NAMES = ("vgg16_neuraghe", "resnet18_mpsoc4_periodic")   # the two pipelined instances (issue 4)


def periodic_instances():
    """``(name, problem, its milliseconds formatter)`` for VGG16 on NEURAghe, then ResNet-18 on mpsoc4."""
    from edgedse.formats.periodic_yaml import read_periodic_instance

    for name in PERIODIC_NAMES:
        p = read_periodic_instance(PERIODIC_INSTANCES / f"{name}.yaml")
        yield name, p, ms_formatter(p.tick_s)


def periodic_prefixes(args):
    """``(prefix problem, its milliseconds formatter)`` for each size of ``args.vgg`` (VGG16 on NEURAghe), then of
    ``args.resnet`` (ResNet-18 on mpsoc4): ``PeriodicProblem.prefix``, the first n layers in topological order."""
    for (_, whole, ms), sizes in zip(periodic_instances(), (args.vgg, args.resnet)):
        for n in (int(x) for x in sizes.split(",") if x.strip()):
            yield whole.prefix(n), ms
