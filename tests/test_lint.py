"""The code style the repository keeps (pyproject.toml's [tool.ruff]): no unused imports or undefined names,
lines of at most 120 characters, in the package, the tests, the benchmarks and the notebook generator."""
import subprocess
import sys

from conftest import ROOT


def test_ruff_finds_nothing():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "edgedse", "tests", "benchmarks", "notebooks"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All checks passed" in proc.stdout
