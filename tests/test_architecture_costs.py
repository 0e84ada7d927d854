"""Architecture YAML validation, JSON Schema export, and roofline cost tables (hand-computed)."""
from __future__ import annotations

import json

import pytest
import yaml

from conftest import ARCHS, MODELS, ROOT
from edgedse import InputError, load_architecture, load_onnx
from edgedse.models.aow import dnn_to_pisdf
from edgedse.models.architecture import architecture_json_schema, parse_architecture
from edgedse.models.costs import FiringWork, cost_table, roofline
from edgedse.models.dnn import OpClass


@pytest.fixture
def neuraghe():
    return load_architecture(ARCHS / "neuraghe.yaml")


def test_bundled_architectures(neuraghe):
    assert [n for n, _ in neuraghe.pe_instances()] == ["arm0", "arm1", "ce"]
    ce = neuraghe.processing_elements[1]
    assert ce.peak_ops_per_s(OpClass.CONV, 16) == 169e9
    assert ce.peak_ops_per_s(OpClass.CONV, 8) == 169e9       # narrower data runs at the 16-bit rate
    assert ce.peak_ops_per_s(OpClass.FC, 16) is None         # the CE only convolves
    arm = neuraghe.processing_elements[0]
    assert arm.peak_ops_per_s(OpClass.CONV, 16) == pytest.approx(8 * 667e6)
    mp = load_architecture(ARCHS / "mpsoc4.yaml")
    assert [n for n, _ in mp.pe_instances()] == ["big0", "big1", "little0", "little1"]


def test_every_number_has_a_source_comment():
    import re

    number = re.compile(r"(:\s*-?\d)|([{,]\s*\d+\s*:)")
    for path in ARCHS.glob("*.yaml"):
        for i, line in enumerate(path.read_text().splitlines(), 1):
            body = line.split("#")[0]
            if number.search(body) and not body.strip().startswith("schema_version"):
                assert "#" in line, f"{path.name}:{i} has a number without a source comment"


def _arch_dict():
    return yaml.safe_load((ARCHS / "neuraghe.yaml").read_text())


@pytest.mark.parametrize("mutate, pattern", [
    (lambda d: d.update(colour="red"), r"colour: Extra inputs are not permitted.*remove this key"),
    (lambda d: d["memories"][2].update(bandwidth_bytes_per_s=-1.0),
     r"memories\.2\.bandwidth_bytes_per_s.*greater than 0"),
    (lambda d: d["processing_elements"][0].update(count="two"), r"processing_elements\.0\.count"),
    (lambda d: d["processing_elements"][0].update(local_memory="l9"), r"local_memory 'l9' is not a declared memory"),
    (lambda d: d["interconnect"][0]["connects"].append("gpu"), r"connects unknown element 'gpu'"),
    (lambda d: d.update(schema_version=7), r"schema_version"),
])
def test_invalid_architecture_errors_name_the_element(mutate, pattern):
    d = _arch_dict()
    mutate(d)
    with pytest.raises(InputError, match=pattern):
        parse_architecture(d, source="board.yaml")


def test_yaml_syntax_error_names_line(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("name: x\nprocessing_elements: [\n")
    with pytest.raises(InputError, match=r"broken.yaml: line \d+: is not valid YAML"):
        load_architecture(p)


def test_json_schema_is_exported_and_current():
    committed = (ROOT / "docs" / "architecture.schema.json").read_text()
    assert committed == architecture_json_schema()
    assert "processing_elements" in json.loads(committed)["properties"]


def test_roofline_by_hand(neuraghe):
    arm, ce = neuraghe.processing_elements
    ddr = neuraghe.shared_memory()
    work = FiringWork(OpClass.CONV, ops=2 * 169e6, bytes_moved=4.264e6, memory_bytes=10)
    s = roofline(work, ce, neuraghe, 16)
    assert s.time_s == pytest.approx(2e-3)  # compute 2 ms vs transfer 1 ms: compute-bound
    assert s.energy_j == pytest.approx(2 * 169e6 * 5.9e-11 + 4.264e6 * ddr.energy_per_byte_j)
    mem_bound = FiringWork(OpClass.CONV, ops=169e6, bytes_moved=4.264e7, memory_bytes=10)
    assert roofline(mem_bound, ce, neuraghe, 16).time_s == pytest.approx(10e-3)
    assert roofline(FiringWork(OpClass.FC, 1e6, 0, 0), ce, neuraghe, 16) is None
    t_arm = roofline(work, arm, neuraghe, 16).time_s
    assert t_arm == pytest.approx(2 * 169e6 / (8 * 667e6))


def test_cost_table_and_overrides(neuraghe):
    lg = load_onnx(MODELS / "lenet.onnx")
    sdf = dnn_to_pisdf(lg, 16).resolve()
    table = cost_table(sdf, lg, neuraghe, 16)
    calcs = {a.layer: n for n, a in sdf.actors.items() if a.kind == "CalculateLayer"}
    assert set(table[calcs["/3/Conv"]]) == {"arm", "ce"}
    assert set(table[calcs["/12/Gemm"]]) == {"arm"}            # fc is not a CE op class
    conv2 = lg.layer("/3/Conv")
    assert table[calcs["/3/Conv"]]["ce"].time_s == pytest.approx(max(
        conv2.ops / 169e9, (32 * 16 * 16 * 2 * 2 + conv2.weight_bytes(16)) / 4.264e9))
    over = cost_table(sdf, lg, neuraghe, 16, overrides={"/3/Conv": {"ce": {"time_s": 9.4e-3}, "arm": None}})
    assert over[calcs["/3/Conv"]]["ce"].time_s == 9.4e-3     # CF'19 Table 4 measured conv2 on NEURAghe
    assert "arm" not in over[calcs["/3/Conv"]]
    with pytest.raises(InputError, match="no processing element supports it"):
        cost_table(sdf, lg, neuraghe, 16, overrides={"/12/Gemm": {"arm": None}})
    with pytest.raises(InputError, match="names no actor or layer"):
        cost_table(sdf, lg, neuraghe, 16, overrides={"nope": {"arm": None}})
