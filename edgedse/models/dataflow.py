"""PiSDF and SDF dataflow graphs: parameters, rates, consistency, repetition vector, DAG expansion.

A PiSDF graph (Desnos et al., SAMOS 2013; used by AOW in ALOHA D3 §6.2) has actors, FIFO edges whose
production/consumption rates and token sizes are integer expressions of parameters, parameters with
allowed values, and initial tokens (delays). Choosing a value for every parameter resolves it to an SDF
graph. An SDF graph is consistent when the balance equations ``q[src]·prod = q[dst]·cons`` have a
positive integer solution ``q`` (the repetition vector); one iteration fires each actor ``q[a]`` times.
:meth:`SDFGraph.expand` turns one iteration into a precedence DAG whose tasks are firings and whose edge
volumes are the bytes actually exchanged between two firings.
"""
from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass, field
from fractions import Fraction

import networkx as nx

from edgedse.errors import InputError

Rate = int | str  # an integer or an integer expression of parameters, e.g. "F / a"

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}


def evaluate(expr: Rate, params: dict[str, int], where: str = "expression") -> int:
    """Evaluate an integer rate expression (``+ - * / // % **``, parentheses, parameter names).

    ``/`` must divide exactly (a rate is a whole number of tokens); anything else is an error.
    """
    if isinstance(expr, int):
        return expr

    def ev(node: ast.AST) -> int:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in params:
                raise InputError(where, repr(expr), f"unknown parameter {node.id!r}",
                                 "declare it among the graph's parameters")
            return params[node.id]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            a, b = ev(node.left), ev(node.right)
            if b == 0 or a % b:
                raise InputError(where, repr(expr), f"{a} / {b} is not a whole number of tokens",
                                 "choose parameter values that divide exactly")
            return a // b
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        raise InputError(where, repr(expr), "is not an integer expression of parameters",
                         "use integers, parameter names and + - * / // % **")

    try:
        tree = ast.parse(str(expr), mode="eval")
    except SyntaxError:
        raise InputError(where, repr(expr), "is not a valid expression", "fix the rate expression") from None
    return ev(tree)


@dataclass(frozen=True)
class Actor:
    """A dataflow actor. ``kind`` tags its role (e.g. CalculateLayer); ``layer`` links back to the DNN."""

    name: str
    kind: str = "actor"
    layer: str | None = None
    data: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Edge:
    """A FIFO from ``src`` to ``dst``: ``prod`` tokens per source firing, ``cons`` per sink firing.

    ``token_bytes`` is the size of one token (bytes); ``delay`` the number of initial tokens.
    """

    src: str
    dst: str
    prod: Rate
    cons: Rate
    token_bytes: Rate = 1
    delay: Rate = 0
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or f"{self.src}->{self.dst}"


@dataclass(frozen=True)
class Parameter:
    name: str
    values: tuple[int, ...]
    default: int

    def __post_init__(self) -> None:
        if self.default not in self.values:
            raise InputError("PiSDF", f"parameter {self.name!r}", f"default {self.default} not in {self.values}",
                             "pick a default among the allowed values")


@dataclass
class PiSDFGraph:
    """A parameterized SDF graph; :meth:`resolve` fixes the parameters and returns an SDF graph."""

    name: str
    actors: dict[str, Actor] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    parameters: dict[str, Parameter] = field(default_factory=dict)

    def add_actor(self, actor: Actor) -> Actor:
        if actor.name in self.actors:
            raise InputError(self.name, f"actor {actor.name!r}", "declared twice", "use unique actor names")
        self.actors[actor.name] = actor
        return actor

    def add_edge(self, edge: Edge) -> Edge:
        for end in (edge.src, edge.dst):
            if end not in self.actors:
                raise InputError(self.name, f"edge {edge.label}", f"unknown actor {end!r}", "declare the actor first")
        self.edges.append(edge)
        return edge

    def add_parameter(self, name: str, values: list[int] | tuple[int, ...], default: int | None = None) -> Parameter:
        values = tuple(sorted(set(int(v) for v in values)))
        p = Parameter(name, values, values[-1] if default is None else int(default))
        self.parameters[name] = p
        return p

    def resolve(self, values: dict[str, int] | None = None) -> "SDFGraph":
        """Fix every parameter (given value, else its default) and evaluate all rates."""
        chosen = {n: p.default for n, p in self.parameters.items()}
        for n, v in (values or {}).items():
            if n not in self.parameters:
                raise InputError(self.name, f"parameter {n!r}", "is not a parameter of this graph",
                                 f"use one of {sorted(self.parameters)}")
            if v not in self.parameters[n].values:
                raise InputError(self.name, f"parameter {n!r}", f"value {v} not allowed",
                                 f"use one of {list(self.parameters[n].values)}")
            chosen[n] = int(v)
        edges = []
        for e in self.edges:
            where = f"{self.name}: edge {e.label}"
            r = [evaluate(x, chosen, where) for x in (e.prod, e.cons, e.token_bytes, e.delay)]
            if r[0] <= 0 or r[1] <= 0 or r[2] < 0 or r[3] < 0:
                raise InputError(self.name, f"edge {e.label}", f"rates must be positive (got prod={r[0]}, "
                                 f"cons={r[1]}, token_bytes={r[2]}, delay={r[3]})", "check the rate expressions")
            edges.append(Edge(e.src, e.dst, *r, name=e.name))
        return SDFGraph(self.name, dict(self.actors), edges, chosen)


@dataclass
class SDFGraph:
    """A synchronous dataflow graph with integer rates."""

    name: str
    actors: dict[str, Actor]
    edges: list[Edge]
    parameters: dict[str, int] = field(default_factory=dict)

    def repetition_vector(self) -> dict[str, int]:
        """Smallest positive integer ``q`` with ``q[src]·prod = q[dst]·cons`` on every edge.

        Raises:
            InputError: naming the first edge whose balance equation cannot hold.
        """
        # spanning forest from edges in declaration order; the remaining edges are checked afterwards,
        # so the edge reported is the first declared one that closes an inconsistent cycle
        parent = {a: a for a in self.actors}

        def find(a: str) -> str:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        adj: dict[str, list[tuple[str, Fraction]]] = {a: [] for a in self.actors}
        for e in self.edges:
            ra, rb = find(e.src), find(e.dst)
            if ra != rb:
                parent[ra] = rb
                adj[e.src].append((e.dst, Fraction(e.prod, e.cons)))
                adj[e.dst].append((e.src, Fraction(e.cons, e.prod)))
        rate: dict[str, Fraction] = {}
        for root in self.actors:
            if root in rate:
                continue
            rate[root] = Fraction(1)
            stack = [root]
            while stack:
                a = stack.pop()
                for b, ratio in adj[a]:
                    if b not in rate:
                        rate[b] = rate[a] * ratio
                        stack.append(b)
        for e in self.edges:
            if rate[e.src] * e.prod != rate[e.dst] * e.cons:
                raise InputError(self.name, f"edge {e.label}",
                                 f"is inconsistent: balance q[{e.src}]·{e.prod} = q[{e.dst}]·{e.cons} "
                                 "cannot hold with the rest of the graph",
                                 "fix the production/consumption rates of this edge")
        denom = math.lcm(*(r.denominator for r in rate.values()))
        q = {a: int(r * denom) for a, r in rate.items()}
        g = math.gcd(*q.values())
        return {a: v // g for a, v in q.items()}

    def expand(self) -> nx.DiGraph:
        """One iteration as a precedence DAG.

        Nodes are firings ``(actor, k)`` for ``k < q[actor]`` with attributes ``actor`` and ``index``.
        Firing ``k`` of ``dst`` consumes tokens ``[k·cons, (k+1)·cons)`` of the FIFO; token ``t ≥ delay``
        was produced by source firing ``⌊(t − delay) / prod⌋`` of this iteration (tokens ``< delay`` come
        from the previous iteration and make no edge). Edge attribute ``bytes`` = tokens exchanged ×
        token size; parallel FIFOs between the same firings add up.

        Raises:
            InputError: if the expansion has a cycle (a loop without enough initial tokens: deadlock).
        """
        q = self.repetition_vector()
        dag = nx.DiGraph()
        for a in self.actors:
            for k in range(q[a]):
                dag.add_node((a, k), actor=a, index=k)
        for e in self.edges:
            p, c, d = e.prod, e.cons, e.delay
            for k in range(q[e.dst]):
                first, last = k * c, (k + 1) * c - 1  # token indices consumed by this firing
                lo, hi = max(first, d), last
                if hi < lo:
                    continue
                for j in range((lo - d) // p, (hi - d) // p + 1):
                    # tokens of firing j: [d + j·p, d + (j+1)·p) intersected with [lo, hi]
                    n = min(hi, d + (j + 1) * p - 1) - max(lo, d + j * p) + 1
                    src, dst = (e.src, j), (e.dst, k)
                    if src == dst:
                        continue
                    prev = dag.edges[src, dst]["bytes"] if dag.has_edge(src, dst) else 0
                    dag.add_edge(src, dst, bytes=prev + n * e.token_bytes)
        if not nx.is_directed_acyclic_graph(dag):
            cycle = nx.find_cycle(dag)
            raise InputError(self.name, f"cycle through {cycle[0][0][0]!r}",
                             "one iteration deadlocks (a loop has too few initial tokens)",
                             "add delays (initial tokens) on a FIFO of the loop")
        return dag
