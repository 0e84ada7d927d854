"""Benchmark suites: a validated YAML file naming instance sets, problems, methods, limits, seeds and
repetitions, expanded into :class:`Run` records (one per instance × method × seed × repetition).

```yaml
name: smoke
time_limit_s: 5            # defaults for every run (a method may override them)
memory_limit_mb: 2048
threads: 1
seeds: [0]
repetitions: 1
instance_sets:
  - name: stg50
    problem: schedule        # schedule | period | precision | fuse
    paths: ["../../instances/stg/50/rand000[0-3].stg"]   # globs, relative to the suite file
    pes: [2, 4]              # processors, for .stg/.gxl
  - name: fusion
    problem: fuse
    paths: ["../../instances/models/resnet18.onnx"]
    architectures: ["../../instances/architectures/scalable_pe.yaml"]
    options: {buffer_kib: 256}
methods:
  - {name: heft, method: heft, problems: [schedule]}
  - {name: cpsat, method: cpsat, options: {objective: makespan}, time_limit_s: 10}
```
"""
from __future__ import annotations

import glob
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edgedse.errors import InputError, read_yaml, validated

PROBLEMS = ("schedule", "period", "precision", "fuse")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InstanceSet(_Strict):
    name: str
    problem: Literal["schedule", "period", "precision", "fuse"]
    paths: list[str] = Field(min_length=1)
    pes: list[int] = Field(default_factory=list)
    architectures: list[str] = Field(default_factory=list)
    options: dict = Field(default_factory=dict)

    @model_validator(mode="after")
    def _needs(self) -> "InstanceSet":
        if self.problem in ("precision", "fuse") and not self.architectures:
            raise ValueError(f"instance set {self.name!r}: problem {self.problem} needs architectures")
        return self


class MethodSpec(_Strict):
    name: str
    method: str
    problems: list[Literal["schedule", "period", "precision", "fuse"]] = Field(default_factory=lambda: list(PROBLEMS))
    options: dict = Field(default_factory=dict)
    time_limit_s: float | None = Field(None, gt=0)


class Suite(_Strict):
    name: str
    description: str = ""
    time_limit_s: float = Field(10.0, gt=0)
    memory_limit_mb: int = Field(4096, gt=0)
    grace_s: float = Field(30.0, ge=0)   # start-up and evaluation time allowed beyond a run's time limit
    threads: int = Field(1, ge=1)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    repetitions: int = Field(1, ge=1)
    instance_sets: list[InstanceSet] = Field(min_length=1)
    methods: list[MethodSpec] = Field(min_length=1)


@dataclass(frozen=True)
class Run:
    """One unit of work: solved in its own subprocess; ``key`` identifies it in the store."""

    suite: str
    instance_set: str
    problem: str
    instance: str            # path relative to the suite file's folder (as the store records it)
    pes: int | None
    architecture: str | None
    method_name: str
    method: str
    options: dict
    seed: int
    repetition: int
    time_limit_s: float
    memory_limit_mb: int
    threads: int
    base: str = "."          # the suite file's folder: where relative paths start (not part of the key)
    grace_s: float = 30.0    # the subprocess is killed at time_limit_s + grace_s (not part of the key)

    def path(self, rel: str | None) -> str | None:
        return None if rel is None else str(Path(self.base) / rel)

    @property
    def key(self) -> str:
        ident = {k: v for k, v in asdict(self).items() if k not in ("suite", "memory_limit_mb", "base", "grace_s")}
        return hashlib.sha1(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:20]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @staticmethod
    def from_json(text: str) -> "Run":
        return Run(**json.loads(text))


def load_suite(path: str | Path) -> tuple[Suite, list[Run]]:
    """Validate a suite file and expand it into runs; errors name the file, the element and the fix."""
    path = Path(path)
    suite = validated(Suite, read_yaml(path, "a suite YAML file"), path, "see the format in edgedse/bench/suite.py")
    runs = []
    for iset in suite.instance_sets:
        files = sorted({f for pattern in iset.paths for f in glob.glob(str(path.parent / pattern))})
        if not files:
            raise InputError(path, f"instance_sets.{iset.name}.paths", f"match no file ({iset.paths})",
                             "fix the globs (relative to the suite file)")
        base = path.parent.resolve()
        archs = [_rel(base / a, base) for a in iset.architectures] or [None]
        pes_list = iset.pes or [None]
        for f in files:
            for pes in pes_list:
                for arch in archs:
                    for m in suite.methods:
                        if iset.problem not in m.problems:
                            continue
                        for seed in suite.seeds:
                            for rep in range(suite.repetitions):
                                runs.append(Run(suite.name, iset.name, iset.problem, _rel(Path(f), base), pes, arch,
                                                m.name, m.method, {**iset.options, **m.options}, seed, rep,
                                                m.time_limit_s or suite.time_limit_s, suite.memory_limit_mb,
                                                suite.threads, str(base), suite.grace_s))
    return suite, runs


def _rel(p: Path, base: Path) -> str:
    import os

    return os.path.relpath(p.resolve(), base).replace(os.sep, "/")
