"""Sinnen's task graphs with communication delays (GXL): P|prec,c_ij|Cmax on identical PEs.

``<node id>`` with attribute ``Weight`` = computation time; ``<edge from to>`` with ``Weight`` =
communication time, paid only when the two tasks run on different processors.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from edgedse.errors import InputError
from edgedse.formats.common import homogeneous_problem
from edgedse.models.problems import ScheduleProblem


def _weight(el, path: Path, what: str) -> int:
    for attr in el.findall("attr"):
        if attr.get("name") == "Weight":
            child = next(iter(attr), None)
            try:
                return int(float(child.text))
            except (TypeError, ValueError, AttributeError):
                break
    raise InputError(path, what, "has no integer Weight attribute", "add <attr name=\"Weight\"><int>…</int></attr>")


def read_gxl(path: str | Path, pes: int, known_optimum: int | None = None) -> ScheduleProblem:
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise InputError(path, f"line {exc.position[0]}", "is not well-formed XML", "fix the GXL file") from None
    graph = root.find("graph")
    if graph is None:
        raise InputError(path, "<graph>", "is missing", "a GXL file holds one <graph>")
    ids, times, index = [], [], {}
    for node in graph.findall("node"):
        nid = node.get("id")
        index[nid] = len(ids)
        ids.append(nid)
        t = _weight(node, path, f"node {nid}")
        if t < 0:
            raise InputError(path, f"node {nid}", f"negative weight {t}", "weights must be ≥ 0")
        times.append(t)
    edges = []
    for edge in graph.findall("edge"):
        a, b = edge.get("from"), edge.get("to")
        if a not in index or b not in index:
            raise InputError(path, f"edge {a}->{b}", "refers to an unknown node", "declare both nodes")
        edges.append((index[a], index[b], _weight(edge, path, f"edge {a}->{b}")))
    if known_optimum is None:
        from edgedse.formats.references import sinnen_reference
        known_optimum = sinnen_reference(path, pes)
    return homogeneous_problem(f"{path.stem}_m{pes}", ids, times, edges, pes, str(path),
                               known_optimum=known_optimum,
                               known_bounds=(known_optimum, known_optimum) if known_optimum else None)
