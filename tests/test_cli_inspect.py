"""`edgedse inspect` and friends: JSON contract, readable table, one-line errors with exit code 2."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from conftest import ARCHS, MODELS
from edgedse.cli import app

runner = CliRunner()


def test_inspect_json_contract():
    res = runner.invoke(app, ["inspect", str(MODELS / "vgg16.onnx"), "--json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["totals"]["params"] == 138_357_544
    assert {"name", "op", "params", "macs", "input_shape", "output_shape"} <= set(data["layers"][0])
    assert data["layers"][0]["input_shape"] == [1, 3, 224, 224]


def test_inspect_table_and_pisdf_summary():
    res = runner.invoke(app, ["inspect", str(MODELS / "lenet.onnx"), "--pisdf"])
    assert res.exit_code == 0
    assert "145,578" in res.stdout and "PiSDF: 25 actors" in res.stdout


def test_inspect_architecture():
    res = runner.invoke(app, ["inspect", str(ARCHS / "neuraghe.yaml")])
    assert res.exit_code == 0 and "ddr (shared)" in res.stdout


@pytest.mark.parametrize("content, pattern", [
    (None, "does not exist"),
    (b"not an onnx file", "not a readable ONNX model"),
])
def test_bad_model_one_line_exit_2(tmp_path, content, pattern):
    path = tmp_path / "m.onnx"
    if content is not None:
        path.write_bytes(content)
    proc = subprocess.run([sys.executable, "-m", "edgedse.cli", "inspect", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert pattern in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and str(path) in proc.stderr


def test_bad_architecture_one_line_exit_2(tmp_path):
    bad = tmp_path / "board.yaml"
    bad.write_text((ARCHS / "neuraghe.yaml").read_text().replace("bandwidth_bytes_per_s: 4.264e9  # 32",
                                                                 "bandwidth_bytes_per_s: -4.264e9  # 32"))
    proc = subprocess.run([sys.executable, "-m", "edgedse.cli", "inspect", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "board.yaml: memories.2.bandwidth_bytes_per_s" in proc.stderr
    debug = subprocess.run([sys.executable, "-m", "edgedse.cli", "--debug", "inspect", str(bad)],
                           capture_output=True, text=True)
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_zoo_rebuild_reproduces_committed_structure(tmp_path):
    pytest.importorskip("torch")
    from edgedse import load_onnx
    from edgedse.models.zoo import export

    for name in ("lenet", "resnet18"):
        fresh = load_onnx(export(name, tmp_path))
        committed = load_onnx(MODELS / f"{name}.onnx")
        assert fresh.to_dict()["totals"] == committed.to_dict()["totals"]
        assert [l.name for l in fresh.layers()] == [l.name for l in committed.layers()]
