"""The embedded SQLite result store: one row per finished run, written in one transaction each, so a
sweep killed at any moment (even by SIGKILL) loses no finished run; a rerun skips the finished keys."""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

DEFAULT_STORE = "edgedse-results.sqlite"

COLUMNS = {
    "key": "TEXT PRIMARY KEY", "suite": "TEXT", "instance_set": "TEXT", "problem": "TEXT", "instance": "TEXT",
    "pes": "INTEGER", "architecture": "TEXT", "method_name": "TEXT", "method": "TEXT", "options": "TEXT",
    "seed": "INTEGER", "repetition": "INTEGER", "time_limit_s": "REAL", "outcome": "TEXT", "status": "TEXT",
    "termination": "TEXT", "objective": "REAL", "bound": "REAL", "gap": "REAL", "wall_time_s": "REAL",
    "solve_time_s": "REAL", "verdict": "TEXT", "reference": "TEXT", "error": "TEXT", "versions": "TEXT",
    "host": "TEXT", "finished_at": "REAL",
}


class Store:
    def __init__(self, path: str | Path = DEFAULT_STORE) -> None:
        self.path = Path(path)
        self.db = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        cols = ", ".join(f"{k} {v}" for k, v in COLUMNS.items())
        self.db.execute(f"CREATE TABLE IF NOT EXISTS runs ({cols})")

    def finished(self) -> set[str]:
        return {k for (k,) in self.db.execute("SELECT key FROM runs")}

    def insert(self, row: dict) -> None:
        """Store one finished run in its own transaction."""
        from edgedse.bench.suite import Run

        run = Run.from_json(row["run"])
        rec = {"suite": run.suite, "instance_set": run.instance_set, "problem": run.problem, "instance": run.instance,
               "pes": run.pes, "architecture": run.architecture, "method_name": run.method_name, "method": run.method,
               "options": json.dumps(run.options, sort_keys=True), "seed": run.seed, "repetition": run.repetition,
               "time_limit_s": run.time_limit_s, "finished_at": time.time()}
        rec.update({k: row.get(k) for k in COLUMNS if k not in rec})
        keys = list(COLUMNS)
        with self.db:  # BEGIN … COMMIT
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(f"INSERT OR REPLACE INTO runs ({', '.join(keys)}) VALUES ({', '.join('?' * len(keys))})",
                            [rec.get(k) for k in keys])

    def rows(self) -> list[dict]:
        cur = self.db.execute("SELECT * FROM runs ORDER BY suite, instance, method_name, seed, repetition")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def close(self) -> None:
        self.db.close()
