"""Layer fusion — the problem as plain data and its cost model.

**Graph.** The ONNX layer graph with activations, batch-norm and data movement (Flatten) merged into their
producer (exact: they are element-wise or free). Nodes are convolutions (dense or depthwise), fully connected
layers, pooling and element-wise Adds, with their tensor shapes (channels ``C``, rows ``H``, columns ``W``).

**Groups.** A fused group is a connected, convex set of nodes with one *output node* (the only node whose
result leaves the group). It runs tile by tile: an output tile ``(t_h, t_w)`` of the output node is
propagated backwards — a node with kernel ``k`` and stride ``s`` needs an input tile of
``(t − 1)·s + k`` rows (clipped to the tensor; fewer when overlaps are cached, below), element-wise nodes the
same tile, fully connected layers the whole input; global pooling is a running per-channel sum, so its tiles
range over its input — so every intermediate tile stays on chip. ``n_tiles = ⌈H/t_h⌉·⌈W/t_w⌉`` of the
output node. A pooling node at the start of a group pools its (unpooled) input as it is read; at the end
it pools the output before it is written: pooling fuses into either neighbour at no buffer cost.

**Per group and tile** (elements × ``bits/8`` = bytes):

* *recompute* mode (overlaps recomputed): on-chip buffer = Σ_nodes out-tile·C_out + Σ_external inputs
  in-tile·C_in; MACs = Σ_nodes n_tiles · out-tile pixels · MACs per output pixel (≥ the layer's MACs);
  external inputs are read per tile, halos included.
* *cache* mode (overlaps cached, Alwani et al.): a node computes only the new part of its tile — it needs
  ``(t − 1)·s + min(k, s)`` new input rows/columns — and keeps the ``k − s`` overlapping ones in a halo
  cache of ``(k_h − s_h)·W_in·C_in + (k_w − s_w)·t_in,h·C_in`` (a band of the rows above across the width,
  corner included, and a strip of the columns left of the tile's new rows); MACs and input reads are those
  of the layers.
* weights: *resident* (read once, held in the buffer) or *streamed* (read once per tile, not held) — the
  cheaper that fits; ``count_weights=False`` leaves weights out of buffer and traffic (feature maps only,
  as Alwani's figures).
* off-chip bytes = inputs read + the output node's tensor written once + weights moved.
* latency (s) = max(2·MACs / peak, off-chip bytes / bandwidth); energy (J) = 2·MACs·e_op + off-chip
  bytes·e_offchip + on-chip tile bytes (written and read once) · e_onchip.

Layer-by-layer execution is the group of one node.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx

from edgedse.errors import InfeasibleError
from edgedse.models.dnn import LayerGraph, OpClass, merge_into_producers

TILE_SIDES = (1, 2, 4, 7, 8, 14, 16, 28, 32, 56, 64, 112, 128, 224, 256)
FUSION_OBJECTIVES = ("traffic", "energy", "latency")


@dataclass(frozen=True)
class FNode:
    name: str
    kind: str                       # conv | dwconv | fc | pool | gpool | add
    c_in: int
    h_in: int
    w_in: int
    c_out: int
    h_out: int
    w_out: int
    k: tuple[int, int] = (1, 1)
    s: tuple[int, int] = (1, 1)
    weights: int = 0                # elements (with biases)
    macs: int = 0                   # of the whole layer

    @property
    def tile_space(self) -> tuple[int, int]:
        """Rows × columns its tiles range over: the output, or — for global pooling, a running per-channel
        reduction — the input it streams through."""
        return (self.h_in, self.w_in) if self.kind == "gpool" else (self.h_out, self.w_out)

    def tile_elements(self, th: int, tw: int) -> int:
        """On-chip elements of one tile of its result (global pooling keeps one accumulator per channel)."""
        return self.c_out if self.kind == "gpool" else th * tw * self.c_out

    @property
    def macs_per_pixel(self) -> float:
        return self.macs / max(1, self.h_out * self.w_out)

    def input_tile(self, th: int, tw: int, cache: bool = False) -> tuple[int, int]:
        """Input rows × columns an output tile needs: ``(t − 1)·s + k``; with overlaps cached only the new
        ones, ``(t − 1)·s + min(k, s)`` (the other ``k − s`` come from the halo cache)."""
        if self.kind == "fc":
            return self.h_in, self.w_in
        if self.kind in ("add", "gpool"):  # global pooling streams its input tile by tile
            return th, tw
        kh, kw = (min(self.k[0], self.s[0]), min(self.k[1], self.s[1])) if cache else self.k
        return (min(self.h_in, (th - 1) * self.s[0] + kh), min(self.w_in, (tw - 1) * self.s[1] + kw))


@dataclass(frozen=True)
class Accelerator:
    """The PE running fused groups: its on-chip buffer and the off-chip memory it streams from."""

    name: str
    capacity: int                   # bytes of on-chip buffer
    peak_ops_per_s: float
    energy_per_op_j: float
    offchip_bandwidth: float        # bytes/s
    offchip_energy_per_byte_j: float
    onchip_energy_per_byte_j: float


@dataclass(frozen=True)
class GroupCost:
    members: tuple[int, ...]
    tile: tuple[int, int]
    buffer_bytes: int
    offchip_bytes: int
    featuremap_bytes: int
    weight_bytes: int
    macs: float
    latency_s: float
    energy_j: float
    weights_resident: bool

    def value(self, objective: str) -> float:
        return {"traffic": self.offchip_bytes, "energy": self.energy_j, "latency": self.latency_s}[objective]


@dataclass(frozen=True)
class FusionProblem:
    name: str
    nodes: tuple[FNode, ...]
    edges: tuple[tuple[int, int], ...]
    accel: Accelerator
    bits: int = 16
    mode: str = "cache"             # cache | recompute
    count_weights: bool = True
    max_group: int = 12
    source: str = ""
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def n(self) -> int:
        return len(self.nodes)

    @cached_property
    def graph(self) -> nx.DiGraph:
        g = nx.DiGraph()
        g.add_nodes_from(range(self.n))
        g.add_edges_from(self.edges)
        return g

    @cached_property
    def is_chain(self) -> bool:
        g = self.graph
        return all(g.in_degree(v) <= 1 and g.out_degree(v) <= 1 for v in g) and nx.is_weakly_connected(g)

    def nbytes(self, elements: float) -> int:
        return math.ceil(elements * self.bits / 8)

    # -- one group -------------------------------------------------------------------------------
    def output_node(self, members) -> int | None:
        """The single node of ``members`` whose result leaves the group (None if several)."""
        mem = set(members)
        outs = [v for v in members
                if self.graph.out_degree(v) == 0 or any(w not in mem for w in self.graph.successors(v))]
        return outs[0] if len(outs) == 1 else None

    def tiles(self, members) -> list[tuple[int, int]]:
        """The output tiles to try: sides from TILE_SIDES up to the output tensor, and the whole tensor."""
        H, W = self.nodes[self.output_node(members)].tile_space
        hs = sorted({min(t, H) for t in TILE_SIDES} | {H})
        ws = sorted({min(t, W) for t in TILE_SIDES} | {W})
        return [(h, w) for h in hs for w in ws]

    def group_cost(self, members, tile: tuple[int, int]) -> GroupCost:
        """The costs of the module docstring for ``members`` run with output tile ``tile``."""
        g, mem = self.graph, set(members)
        out = self.output_node(members)
        if out is None:
            raise ValueError(f"group {sorted(members)} has several output nodes")
        order = [v for v in nx.topological_sort(g.subgraph(mem))]
        cache = self.mode == "cache"
        H, W = self.nodes[out].tile_space
        need = {out: (min(tile[0], H), min(tile[1], W))}
        for v in reversed(order):
            if v not in need:  # every non-output member feeds only members
                ins = [self.nodes[w].input_tile(*need[w], cache=cache) for w in g.successors(v)]
                need[v] = (max(h for h, _ in ins), max(w for _, w in ins))
        o = self.nodes[out]
        n_tiles = math.ceil(H / need[out][0]) * math.ceil(W / need[out][1])
        tile_elems = sum(self.nodes[v].tile_elements(*need[v]) for v in mem)
        ext_in, ext_tile, halo = 0.0, 0.0, 0.0
        for v in mem:
            nd = self.nodes[v]
            ih, iw = nd.input_tile(*need[v], cache=cache)
            external = [u for u in g.predecessors(v) if u not in mem] or ([None] if g.in_degree(v) == 0 else [])
            for _ in external:
                ext_tile += ih * iw * nd.c_in
                ext_in += (nd.h_in * nd.w_in * nd.c_in) if self.mode == "cache" else n_tiles * ih * iw * nd.c_in
            if cache and nd.kind in ("conv", "dwconv", "pool") and (nd.k[0] > nd.s[0] or nd.k[1] > nd.s[1]):
                dh, dw = max(0, nd.k[0] - nd.s[0]), max(0, nd.k[1] - nd.s[1])
                halo += dh * nd.w_in * nd.c_in + dw * ih * nd.c_in
        if self.mode == "cache":
            macs = float(sum(self.nodes[v].macs for v in mem))
        else:
            macs = float(sum(n_tiles * need[v][0] * need[v][1] * self.nodes[v].macs_per_pixel for v in mem))
        feature_buffer = self.nbytes(tile_elems + ext_tile + halo)
        out_bytes = self.nbytes(o.h_out * o.w_out * o.c_out)
        fm_bytes = self.nbytes(ext_in) + out_bytes
        w = self.nbytes(sum(self.nodes[v].weights for v in mem)) if self.count_weights else 0
        resident = feature_buffer + w <= self.accel.capacity
        w_moved = w if resident else w * n_tiles
        buffer = feature_buffer + (w if resident else 0)
        offchip = fm_bytes + w_moved
        a = self.accel
        latency = max(2 * macs / a.peak_ops_per_s, offchip / a.offchip_bandwidth)
        onchip = self.nbytes(n_tiles * tile_elems) * 2
        energy = (2 * macs * a.energy_per_op_j + offchip * a.offchip_energy_per_byte_j
                  + onchip * a.onchip_energy_per_byte_j)
        return GroupCost(tuple(sorted(mem)), tuple(need[out]), buffer, offchip, fm_bytes, w_moved, macs, latency,
                         energy, resident)

    def best_tile(self, members, objective: str = "traffic") -> GroupCost | None:
        """The cheapest tile of a group that fits the buffer (ties: the larger tile), None if none fits.
        Memoized per problem (groups recur across candidate lists, DP steps and fronts)."""
        memo = self.meta.setdefault("_best_tile", {})
        key = (frozenset(members), objective)
        if key not in memo:
            memo[key] = self._best_tile(members, objective)
        return memo[key]

    def _best_tile(self, members, objective: str) -> GroupCost | None:
        best = None
        for t in self.tiles(members):
            c = self.group_cost(members, t)
            if c.buffer_bytes <= self.accel.capacity:
                key = (c.value(objective), -t[0] * t[1])
                if best is None or key < best[0]:
                    best = (key, c)
        return None if best is None else best[1]

    def check_every_layer_fits(self) -> None:
        """A buffer too small for even one node's smallest tile: name the node and the least buffer it needs."""
        for v, nd in enumerate(self.nodes):
            if self.best_tile((v,)) is not None:  # memoized; every solve needs these groups of one anyway
                continue
            least = min(self.group_cost((v,), t).buffer_bytes for t in self.tiles((v,)))
            if least > self.accel.capacity:
                raise InfeasibleError("buffer", f"layer {nd.name} needs at least {least:,} B of on-chip buffer for its "
                                      f"smallest tile ({self.bits}-bit data); the buffer has {self.accel.capacity:,} B "
                                      f"— raise --buffer-kib to {math.ceil(least / 1024)} or more")

    def layerwise_groups(self) -> list[tuple[int, ...]]:
        """Layer-by-layer execution: every node alone, except pooling, which runs as its consumer reads
        (Alwani et al.'s baseline) when the pair fits the buffer — otherwise it runs alone."""
        groups, taken = [], set()
        for v in nx.topological_sort(self.graph):
            if v in taken:
                continue
            grp = [v]
            succ = list(self.graph.successors(v))
            if self.nodes[v].kind == "pool" and len(succ) == 1 and self.graph.in_degree(succ[0]) == 1 \
                    and self.best_tile((v, succ[0])) is not None:
                grp.append(succ[0])
            taken.update(grp)
            groups.append(tuple(grp))
        return groups


# -- building from a layer graph ------------------------------------------------------------------
_KIND = {OpClass.CONV: "conv", OpClass.DEPTHWISE_CONV: "dwconv", OpClass.FC: "fc", OpClass.ELTWISE: "add"}


def fusion_graph(lg: LayerGraph) -> tuple[list[FNode], list[tuple[int, int]]]:
    """Nodes and edges of the module docstring from a layer graph (activations and data ops merged)."""
    lg = merge_into_producers(lg, frozenset({OpClass.ACTIVATION, OpClass.DATA}))
    names = [ly.name for ly in lg.layers()]
    index = {n: i for i, n in enumerate(names)}
    nodes = []
    for ly in lg.layers():
        shp_in, shp_out = ly.input_shapes[0], ly.output_shape
        c_in, h_in, w_in = (list(shp_in[1:]) + [1, 1])[:3]
        c_out, h_out, w_out = (list(shp_out[1:]) + [1, 1])[:3]
        kind = _KIND.get(ly.op_class)
        if ly.op_class == OpClass.POOL:
            kind = "gpool" if ly.op.startswith("Global") else "pool"
        if kind is None:
            kind = "add" if len(ly.input_shapes) > 1 else "pool"
        k = tuple(ly.attrs.get("kernel") or ([h_in, w_in] if kind == "gpool" else [1, 1]))
        s = tuple(ly.attrs.get("strides") or [1, 1])
        nodes.append(FNode(ly.name, kind, int(c_in), int(h_in), int(w_in), int(c_out), int(h_out), int(w_out),
                           (int(k[0]), int(k[1])), (int(s[0]), int(s[1])), int(ly.weight_elements), int(ly.macs)))
    edges = [(index[u], index[v]) for u, v in lg.graph.edges]
    return nodes, edges


def candidate_groups(p: FusionProblem) -> list[tuple[int, ...]]:
    """Every connected, convex node set of at most ``max_group`` nodes with a single output node.
    On a chain these are the contiguous segments."""
    g = p.graph
    order = {v: i for i, v in enumerate(nx.topological_sort(g))}
    reach = {v: nx.descendants(g, v) for v in g}

    def convex(s: frozenset) -> bool:
        # a path leaving s and re-entering it passes through a node outside s reachable from s that reaches s
        outside = set().union(*(reach[v] for v in s)) - s
        return not any(reach[u] & s for u in outside)

    seen: set[frozenset] = set()
    frontier = [frozenset([v]) for v in g]
    seen.update(frontier)
    while frontier:
        nxt = []
        for s in frontier:
            if len(s) >= p.max_group:
                continue
            for v in s:
                for w in list(g.successors(v)) + list(g.predecessors(v)):
                    if w in s:
                        continue
                    t = s | {w}
                    if t not in seen and convex(t):
                        seen.add(t)
                        nxt.append(t)
        frontier = nxt
    out = [tuple(sorted(s, key=order.get)) for s in seen if p.output_node(s) is not None]
    return sorted(out, key=lambda s: (order[s[0]], len(s)))
