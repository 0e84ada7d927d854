"""Run a suite: skip finished runs, execute the rest on an executor, store each as it finishes.

Executors: ``local`` — a pool of threads, each supervising one run's subprocess (the subprocess is the
isolation; ``workers`` runs at a time); ``dask`` — Dask distributed: ``scheduler`` ``tcp://HOST:PORT`` of a
running cluster, or a ``LocalCluster`` of ``workers`` processes. Either way the runs execute
:func:`edgedse.bench.runner.execute_run` and only this process writes the store.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from edgedse.bench.runner import classify, execute_run
from edgedse.bench.store import DEFAULT_STORE, Store
from edgedse.bench.suite import load_suite
from edgedse.errors import InputError

EXECUTORS = ("local", "dask")


def _local(runs, workers: int):
    from concurrent.futures import ThreadPoolExecutor, as_completed

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(execute_run, r) for r in runs]
        for f in as_completed(futures):
            yield f.result()


def _dask(runs, workers: int, scheduler: str | None):
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError("--executor", "dask", "needs dask.distributed", 'pip install "dask[distributed]"') from None
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        futures = [client.submit(execute_run, r, pure=False, key=f"run-{r.key}") for r in runs]
        for f in as_completed(futures):
            yield f.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_suite(suite_path: str | Path, *, store: str | Path = DEFAULT_STORE, executor: str = "local",
              scheduler: str | None = None, workers: int = 2, quiet: bool = False) -> dict:
    """Execute the unfinished runs of a suite; returns ``{"runs", "skipped", "executed", "by_outcome"}``."""
    if executor not in EXECUTORS:
        raise InputError("--executor", executor, "is not an executor", "use local or dask")
    suite, runs = load_suite(suite_path)
    db = Store(store)
    done = db.finished()
    todo = [r for r in runs if r.key not in done]
    counts: Counter = Counter()
    stream = _local(todo, workers) if executor == "local" else _dask(todo, workers, scheduler)
    progress = None
    if not quiet:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeRemainingColumn(), TextColumn("{task.fields[counts]}"))
        progress.start()
        task = progress.add_task(f"{suite.name}", total=len(todo), counts=f"({len(runs) - len(todo)} done before)")
    try:
        for row in stream:
            row["outcome"] = classify(row)
            db.insert(row)
            counts[row["outcome"]] += 1
            if progress is not None:
                progress.update(task, advance=1, counts=" ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    finally:
        if progress is not None:
            progress.stop()
        db.close()
    return {"runs": len(runs), "skipped": len(runs) - len(todo), "executed": sum(counts.values()),
            "by_outcome": dict(counts)}
