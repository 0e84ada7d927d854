"""Readers for public instance formats and our YAML instances; each returns a ScheduleProblem.

:func:`load_schedule_problem` picks the reader from the path: ``.stg``, ``.gxl``, a directory holding
the Topcuoglu pair of CSV files, or a ``.yaml`` instance (model + architecture).
"""
from __future__ import annotations

from pathlib import Path

from edgedse.errors import InputError
from edgedse.models.problems import ScheduleProblem


def load_schedule_problem(path: str | Path, pes: int | None = None) -> ScheduleProblem:
    """Read a scheduling instance; ``pes`` (M identical processors) is required for .stg and .gxl."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file", "does not exist", "give an .stg, .gxl, .yaml file or a Topcuoglu directory")
    if path.is_dir():
        from edgedse.formats.topcuoglu import read_topcuoglu
        return read_topcuoglu(path)
    suffix = path.suffix.lower()
    if suffix in (".stg", ".gxl"):
        if pes is None or pes < 1:
            raise InputError(path, "--pes", "the number of identical processors is required for this format",
                             "pass --pes M with M ≥ 1")
        if suffix == ".stg":
            from edgedse.formats.stg import read_stg
            return read_stg(path, pes)
        from edgedse.formats.gxl import read_gxl
        return read_gxl(path, pes)
    if suffix in (".yaml", ".yml"):
        from edgedse.formats.instance_yaml import read_instance
        return read_instance(path)
    raise InputError(path, "file type", f"unknown extension {suffix!r}", "use .stg, .gxl, .yaml or a directory")
