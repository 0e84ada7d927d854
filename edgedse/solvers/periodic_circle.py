"""Circle-order search on the latency of a periodic schedule at its period (simulated annealing).

At a period where the iteration wraps (latency > P), a schedule is fixed by where each firing sits on its
PE's circle of length ``P``: given every firing's residue ``r_i``, the least latency follows by one pass in
topological order, each firing starting at the earliest time ``s_i ≥ ready_i`` with ``s_i ≡ r_i (mod P)``:

    ``s_i = ready_i + ((r_i − ready_i) mod P)``,  ``ready_i = max over producers' firings j of e_j + c(k_j, k_i)``.

The search state is, per PE ``k``, a cyclic order of its firings and idle pieces (ticks) laid end to end from
an offset ``o_k``; the pieces of a PE sum to ``P``, so the arcs never overlap on the circle (modulo
non-overlap holds by construction) and each residue is ``o_k`` plus the lengths before it. Moves: shift an
offset, move or swap two pieces of one PE, pass idle ticks from one idle piece to another, and relocate a
firing into an idle piece of another PE that may run it. A move is kept by the Metropolis rule on the latency
(ticks; temperature ``T0_SHARE · P`` cooling linearly to 0); the modes, the bus load and each firing's
duration per PE stay those of the start, so only the latency (and, with relocations, the energy, capped at
the start's when asked) changes.

Why it pays: at the minimum period every PE's circle is full, and CP-SAT's model of the latency, where each
firing competes for every free arc, improves a start slowly. Measured with
:func:`~edgedse.solvers.periodic_latency.latency_stage` at the minimum period (30 s in all, the MILP's stage-1
mapping packed as the start, seeds 0 and 1): without this search it reached 43,669 / 43,963 ticks on ResNet-18
and 86,318 / 102,934 on VGG16; with it (10 s here, then CP-SAT and the neighbourhoods) 31,333 / 29,194 and
73,494 / 75,143. From VGG16's packed start at 1.02 and 1.05 · P_min (a prototype: 10 s here, then 20 s of
CP-SAT) 138,091 → 46,485 and 141,508 → 41,690 ticks. Once the iteration fits in one period (latency ≤ P) the
circle no longer binds and CP-SAT alone does better, so
:func:`~edgedse.solvers.periodic_latency.latency_stage` runs this search only while the iteration wraps.

Deterministic for a seed: the search stops after ``MOVES_PER_SECOND · time_limit`` moves and cools by the
move count — outside deterministic mode (:func:`~edgedse.solvers.backends.use_deterministic_solvers`) the
wall clock may stop it sooner, and cooling then follows whichever runs out first.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

from edgedse.models.periodic import Firing, PeriodicProblem, PeriodicSchedule

MOVES_PER_SECOND = 20_000   # move budget per second of time limit (about what one core evaluates on VGG16)
T0_SHARE = 0.05             # starting temperature as a share of the period
OFFSET_SHARE = 0.125        # an offset move shifts a PE's circle by at most this share of the period


@dataclass
class _PlacedFiring:
    """One firing of the schedule: its layer and index, the PE it sits on now and its duration there (ticks)."""

    layer: int
    index: int
    pe: int
    ticks: int


class CircleState:
    """Per PE, a cyclic order of firings (ids ≥ 0 into ``firings``) and idle pieces (negative: −ticks) laid
    from an offset (ticks); see the module docstring. Built from a valid schedule, it decodes to a schedule
    with the same residues and a latency no larger."""

    def __init__(self, problem: PeriodicProblem, schedule: PeriodicSchedule):
        p, P = problem, int(schedule.period)
        self.problem, self.period, self.modes = p, P, tuple(schedule.modes)
        self.firings = [_PlacedFiring(f.layer, f.index, f.pe, self._ticks(f.layer, f.pe)) for f in schedule.firings]
        self.orders: list[list[int]] = []
        self.offsets: list[int] = []
        for k in range(p.m):
            mine = sorted((f.start % P, i) for i, f in enumerate(schedule.firings)
                          if f.pe == k and self.firings[i].ticks > 0)
            order, pos = [], mine[0][0] if mine else 0
            self.offsets.append(pos)
            for r, i in mine:
                if r != pos:  # the idle ticks since the previous arc's end
                    order.append(-((r - pos) % P))
                order.append(i)
                pos = r + self.firings[i].ticks
            if self.offsets[k] + P - pos > 0:
                order.append(-(self.offsets[k] + P - pos))
            self.orders.append(order)
        self._by_layer = {l: [i for i, f in enumerate(self.firings) if f.layer == l] for l in range(p.n_layers)}
        self._preds = p.predecessors
        self._comm = {u: [[p.comm_ticks(a, b, p.edge_volume(u, self.modes[u])) for b in range(p.m)]
                          for a in range(p.m)] for u in range(p.n_layers)}

    def _ticks(self, layer: int, pe: int) -> int:
        return int(self.problem.layers[layer].modes[self.modes[layer]].time[pe])

    def residues(self) -> dict[int, int]:
        """Firing id → its residue on its PE's circle (ticks in [0, P)); zero-length firings have none."""
        P, out = self.period, {}
        for k, order in enumerate(self.orders):
            pos = self.offsets[k]
            for it in order:
                if it >= 0:
                    out[it] = pos % P
                    pos += self.firings[it].ticks
                else:
                    pos -= it
        return out

    def starts(self) -> list[int]:
        """Each firing's earliest start (ticks) at its residue after its inputs arrive (module docstring)."""
        P, res = self.period, self.residues()
        start = [0] * len(self.firings)
        ends: dict[int, dict[int, int]] = {}
        for l in self.problem.topological_order:
            mine: dict[int, int] = {}
            for i in self._by_layer[l]:
                k = self.firings[i].pe
                ready = 0
                for u in self._preds[l]:
                    comm = self._comm[u]
                    for k_u, e in ends[u].items():
                        ready = max(ready, e + comm[k_u][k])
                r = res.get(i)
                s = ready if r is None else ready + (r - ready) % P
                start[i] = s
                mine[k] = max(mine.get(k, 0), s + self.firings[i].ticks)
            ends[l] = mine
        return start

    def latency(self) -> int:
        """Last end − first start of one iteration (ticks)."""
        st = self.starts()
        return max(s + f.ticks for s, f in zip(st, self.firings)) - min(st)

    def schedule(self) -> PeriodicSchedule:
        """The decoded schedule, shifted by whole periods so that its first start lies in [0, P)."""
        st = self.starts()
        shift = (min(st) // self.period) * self.period
        return PeriodicSchedule(self.modes, tuple(Firing(f.layer, f.index, f.pe, s - shift)
                                                  for f, s in zip(self.firings, st)), self.period)

    def energy_j(self) -> float:
        return sum(float(self.problem.layers[f.layer].modes[self.modes[f.layer]].energy[f.pe]) for f in self.firings)

    def snapshot(self):
        return [list(o) for o in self.orders], list(self.offsets), [(f.pe, f.ticks) for f in self.firings]

    def restore(self, snap) -> None:
        orders, offsets, placed = snap
        self.orders, self.offsets = [list(o) for o in orders], list(offsets)
        for f, (pe, ticks) in zip(self.firings, placed):
            f.pe, f.ticks = pe, ticks


def _merge_idle(order: list[int]) -> list[int]:
    """``order`` with each run of adjacent idle pieces merged into one (residues unchanged)."""
    out: list[int] = []
    for it in order:
        if it < 0 and out and out[-1] < 0:
            out[-1] += it
        else:
            out.append(it)
    return out


def _move_offset(c: CircleState, rng: random.Random):
    k = rng.randrange(c.problem.m)
    old, span = c.offsets[k], max(1, int(c.period * OFFSET_SHARE))
    c.offsets[k] = (old + rng.randint(-span, span)) % c.period
    return lambda: c.offsets.__setitem__(k, old)


def _move_within(c: CircleState, rng: random.Random):
    """Move one piece elsewhere in its PE's order, swap two, or pass idle ticks between two idle pieces."""
    k = rng.randrange(c.problem.m)
    order = c.orders[k]
    if len(order) < 2:
        return None
    saved = list(order)
    kind = rng.random()
    if kind < 0.5:
        it = order.pop(rng.randrange(len(order)))
        order.insert(rng.randrange(len(order) + 1), it)
    elif kind < 0.8:
        a, b = rng.randrange(len(order)), rng.randrange(len(order))
        order[a], order[b] = order[b], order[a]
    else:
        idle = [q for q, it in enumerate(order) if it < 0]
        if len(idle) < 2:
            return None
        a, b = rng.sample(idle, 2)
        amount = rng.randint(1, -order[a])
        order[a] += amount
        order[b] -= amount
        if order[a] == 0:
            order.pop(a)
    c.orders[k] = _merge_idle(order)
    return lambda: c.orders.__setitem__(k, saved)


def _relocate(c: CircleState, rng: random.Random):
    """Move one firing into an idle piece of another PE that may run it; its old place becomes idle."""
    i = rng.randrange(len(c.firings))
    f = c.firings[i]
    if f.ticks == 0:
        return None
    md = c.problem.layers[f.layer].modes[c.modes[f.layer]]
    k2 = rng.choice(md.allowed())
    d2 = int(md.time[k2])
    if k2 == f.pe or d2 == 0:
        return None
    target = c.orders[k2]
    fits = [q for q, it in enumerate(target) if it <= -d2]
    if not fits:
        return None
    k1, d1 = f.pe, f.ticks
    saved1, saved2 = list(c.orders[k1]), list(target)
    source = c.orders[k1]
    source[source.index(i)] = -d1
    c.orders[k1] = _merge_idle(source)
    q = rng.choice(fits)
    rest = -target[q] - d2
    before = rng.randint(0, rest)
    target[q:q + 1] = ([-before] if before else []) + [i] + ([-(rest - before)] if rest - before else [])
    c.orders[k2] = _merge_idle(target)
    f.pe, f.ticks = k2, d2

    def undo():
        c.orders[k1], c.orders[k2] = saved1, saved2
        f.pe, f.ticks = k1, d1
    return undo


MOVES = ((0.1, _move_offset), (0.85, _move_within), (1.0, _relocate))   # (cumulative probability, move)


def anneal_latency(problem: PeriodicProblem, schedule: PeriodicSchedule, *, time_limit: float, seed: int = 0,
                   max_energy_j: float | None = None, relocate: bool = True,
                   latency_min: int = 0) -> PeriodicSchedule:
    """A valid schedule at ``schedule``'s period and modes whose latency is at most ``schedule``'s (see module
    docstring): ``schedule`` itself when the search finds nothing shorter. ``time_limit`` in seconds;
    ``max_energy_j`` (J per iteration): relocations may not raise the energy above it; ``relocate=False`` keeps
    every firing on its PE; ``latency_min``: a proven latency bound (ticks) — reaching it ends the search."""
    from edgedse.analysis.periodic_evaluator import evaluate_periodic
    from edgedse.solvers.backends import deterministic_solvers_enabled

    c = CircleState(problem, schedule)
    start_latency = evaluate_periodic(problem, schedule).latency
    cur = c.latency()
    best, best_snap = cur, c.snapshot()
    rng = random.Random(seed)
    max_moves = max(1, int(MOVES_PER_SECOND * time_limit))
    wall = math.inf if deterministic_solvers_enabled() else max(time_limit, 1e-9)
    t0, progress = time.perf_counter(), 0.0
    for n in range(max_moves):
        if best <= latency_min:
            break
        if n % 256 == 0:
            progress = max(n / max_moves, (time.perf_counter() - t0) / wall)
            if progress >= 1.0:
                break
        else:
            progress = max(progress, n / max_moves)
        draw = rng.random()
        move = next(mv for p_cum, mv in MOVES if draw < p_cum)
        if move is _relocate and not relocate:
            continue
        undo = move(c, rng)
        if undo is None:
            continue
        if move is _relocate and max_energy_j is not None and c.energy_j() > max_energy_j * (1 + 1e-9):
            undo()
            continue
        new = c.latency()
        temperature = T0_SHARE * c.period * (1.0 - progress) + 1e-9
        if new <= cur or rng.random() < math.exp((cur - new) / temperature):
            cur = new
            if cur < best:
                best, best_snap = cur, c.snapshot()
        else:
            undo()
    if best >= start_latency:
        return schedule
    c.restore(best_snap)
    return c.schedule()
