"""Benchmarking (issue 7): suites, isolated runs, the resumable store (SIGKILL-safe), classification against
reference values, reports and profiles, the Dask executor."""
from __future__ import annotations

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import yaml

from conftest import ROOT
from edgedse.bench.report import performance_profile, shifted_geometric_mean, summarize
from edgedse.bench.runner import classify
from edgedse.bench.store import Store
from edgedse.bench.suite import load_suite
from edgedse.bench.sweep import run_suite
from edgedse.errors import InputError

STG = (ROOT / "instances" / "stg" / "50").as_posix()


def write_suite(tmp_path, **over) -> str:
    suite = {"name": "t", "time_limit_s": 5, "threads": 1, "grace_s": 60,
             "instance_sets": [{"name": "stg", "problem": "schedule", "paths": [f"{STG}/rand000[0-1].stg"],
                                "pes": [2]}],
             "methods": [{"name": "heft", "method": "heft"}, {"name": "cpsat", "method": "cpsat"}]}
    suite.update(over)
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    return str(path)


def test_suite_expands_and_validates(tmp_path):
    _, runs = load_suite(write_suite(tmp_path, seeds=[0, 1], repetitions=2))
    assert len(runs) == 2 * 2 * 2 * 2 and len({r.key for r in runs}) == len(runs)
    _, smoke = load_suite(ROOT / "benchmarks" / "suites" / "smoke.yaml")
    assert {r.problem for r in smoke} == {"schedule", "fuse"}
    assert {r.instance_set for r in smoke} == {"stg50", "sinnen", "fusion"}
    with pytest.raises(InputError, match="colour.*Extra inputs"):
        load_suite(write_suite(tmp_path, colour="red"))
    with pytest.raises(InputError, match="instance_sets.stg.paths.*match no file"):
        load_suite(write_suite(tmp_path, instance_sets=[{"name": "stg", "problem": "schedule",
                                                         "paths": ["nothing/*.stg"]}]))
    with pytest.raises(InputError, match="problem"):
        load_suite(write_suite(tmp_path, instance_sets=[{"name": "x", "problem": "routing", "paths": ["*"]}]))


def test_sweep_stores_classifies_and_resumes(tmp_path):
    suite = write_suite(tmp_path)
    store = tmp_path / "r.sqlite"
    out = run_suite(suite, store=store, workers=2, quiet=True)
    assert out["executed"] == 4 and out["by_outcome"] == {"ok": 4}
    rows = Store(store).rows()
    assert len(rows) == 4
    for r in rows:
        assert r["verdict"] == "valid" and json.loads(r["reference"]) and json.loads(r["versions"])["ortools"]
        lo, hi = json.loads(r["reference"])
        assert lo <= r["objective"] and (r["method_name"] == "heft" or r["objective"] == hi)
    again = run_suite(suite, store=store, workers=2, quiet=True)
    assert again["executed"] == 0 and again["skipped"] == 4


def test_classification():
    ref = json.dumps([100, 100])
    base = {"outcome": None, "verdict": "valid", "status": "optimal", "objective": 100, "bound": 100, "reference": ref}
    assert classify(base) == "ok"
    assert classify({**base, "objective": 99}) == "wrong"                       # below the known optimum
    assert classify({**base, "objective": 101}) == "wrong"                      # claims optimal, is worse
    assert classify({**base, "status": "feasible", "objective": 101, "bound": 90}) == "ok"
    assert classify({**base, "status": "feasible", "objective": 101, "bound": 102}) == "wrong"  # bound too high
    assert classify({**base, "reference": json.dumps([90, 100]), "status": "feasible", "objective": 95}) \
        == "improved-reference"
    assert classify({**base, "verdict": "invalid: overlap"}) == "invalid"
    assert classify({**base, "objective": None, "verdict": "none"}) == "timeout"
    assert classify({"outcome": "crash"}) == "crash"


def test_timeout_and_crash_are_recorded_not_raised(tmp_path):
    big = (ROOT / "instances" / "stg" / "300").as_posix()
    suite = write_suite(tmp_path, time_limit_s=0.5, grace_s=0.0, memory_limit_mb=4096,
                        instance_sets=[{"name": "big", "problem": "schedule", "paths": [f"{big}/rand0000.stg"],
                                        "pes": [4]}], methods=[{"name": "cpsat", "method": "cpsat"}])
    out = run_suite(suite, store=tmp_path / "a.sqlite", quiet=True)
    assert out["by_outcome"] == {"timeout": 1}
    crash = write_suite(tmp_path, memory_limit_mb=40)  # too little address space to import the package
    out = run_suite(crash, store=tmp_path / "b.sqlite", quiet=True)
    assert out["by_outcome"] == {"crash": 4}
    assert all("exit" in r["error"] for r in Store(tmp_path / "b.sqlite").rows())


def test_sigkill_loses_no_finished_run(tmp_path):
    suite = write_suite(tmp_path, seeds=[0, 1, 2])  # 12 runs, one at a time
    store = tmp_path / "k.sqlite"
    cmd = [sys.executable, "-m", "edgedse.cli", "bench", suite, "--store", str(store), "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    done = 0
    while time.time() < deadline and done < 2:
        time.sleep(0.2)
        if store.exists():
            try:
                done = sqlite3.connect(str(store)).execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            except sqlite3.OperationalError:
                done = 0
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert done >= 2
    db = sqlite3.connect(str(store))
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    before = {k: t for k, t in db.execute("SELECT key, finished_at FROM runs")}
    db.close()
    assert len(before) >= 2
    out = run_suite(suite, store=store, quiet=True)
    assert out["skipped"] == len(before) and out["executed"] == 12 - len(before)
    after = {r["key"]: r["finished_at"] for r in Store(store).rows()}
    assert len(after) == 12 and all(after[k] == t for k, t in before.items())  # finished runs were kept, not redone


def test_dask_local_cluster_gives_the_same_rows(tmp_path):
    pytest.importorskip("distributed")
    suite = write_suite(tmp_path)
    run_suite(suite, store=tmp_path / "local.sqlite", quiet=True)
    run_suite(suite, store=tmp_path / "dask.sqlite", executor="dask", workers=2, quiet=True)
    key = lambda r: (r["key"], r["outcome"], r["status"], r["objective"], r["verdict"])  # noqa: E731
    local, dask = (sorted(map(key, Store(tmp_path / name).rows())) for name in ("local.sqlite", "dask.sqlite"))
    assert local == dask


def test_report_json_profile_and_exports(tmp_path):
    from typer.testing import CliRunner

    from edgedse.cli import app

    suite = write_suite(tmp_path)
    store = tmp_path / "r.sqlite"
    run_suite(suite, store=store, quiet=True)
    png, csv_path = tmp_path / "p.png", tmp_path / "rows.csv"
    out = CliRunner().invoke(app, ["bench", "report", "--store", str(store), "--json", "--profile", str(png),
                                   "--export", str(csv_path)])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["runs"] == 4 and doc["invalid"] == 0 and set(doc["by_method"]) == {"heft", "cpsat"}
    assert doc["by_method"]["cpsat"]["solved"] == 2
    assert png.stat().st_size > 1000 and len(csv_path.read_text().splitlines()) == 5
    if pytest.importorskip("pyarrow"):
        import pandas as pd

        pq = tmp_path / "rows.parquet"
        CliRunner().invoke(app, ["bench", "report", "--store", str(store), "--export", str(pq)])
        assert len(pd.read_parquet(pq)) == 4


def test_shifted_geometric_mean_and_profile_by_hand():
    assert shifted_geometric_mean([0, 0]) == pytest.approx(0)
    assert shifted_geometric_mean([10, 30]) == pytest.approx(math.sqrt(20 * 40) - 10)
    rows = [{"method_name": m, "problem": "schedule", "instance": i, "pes": 2, "architecture": None, "seed": 0,
             "repetition": 0, "status": "optimal" if t else "feasible", "outcome": "ok", "wall_time_s": t or 5,
             "solve_time_s": t or 5, "time_limit_s": 5, "gap": 0.0}
            for m, i, t in [("a", "x", 1.0), ("b", "x", 2.0), ("a", "y", 4.0), ("b", "y", None)]]
    prof = performance_profile(rows)
    assert prof["a"] == [(1.0, 1.0)] and prof["b"] == [(2.0, 0.5)]
    s = summarize(rows)
    assert s["by_method"]["b"]["solved"] == 1 and s["by_method"]["a"]["sgm_time_s"] == pytest.approx(
        math.sqrt(11 * 14) - 10)
