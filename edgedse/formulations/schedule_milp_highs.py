"""The schedule MILP of :mod:`schedule_milp`, built directly as numpy blocks for HiGHS (no Pyomo).

Same sets, variables and constraint families (see that module's docstring for the math); each
``define_*`` here appends one family as a vectorised block, so a 1,000-task instance builds in seconds
instead of the minute Pyomo's object model takes. A test checks both builders reach the same optima.

Column layout: ``x`` (one per allowed (task, PE)), ``s`` (n), ``C`` (1), ``w``, ``y``, ``z`` blocks,
recorded in :attr:`MatrixModel.var_blocks`; ``X[i,k]`` is the column of x[i,k] or −1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgedse.formulations.common import canonical_labels, energy_scale
from edgedse.formulations.matrix import INF, MatrixModel
from edgedse.models.problems import ScheduleProblem


@dataclass
class Built:
    model: MatrixModel
    X: np.ndarray            # n × m column index of x[i,k], −1 where not allowed
    s: np.ndarray            # column of s_i
    C: int                   # column of the makespan
    pairs: np.ndarray        # (P, 2) unrelated task pairs (i < j) with a y column each
    y: np.ndarray
    w_keys: np.ndarray       # (W, 3) (i, j, k) of the w columns
    w: np.ndarray
    z_keys: np.ndarray       # (Z, 3) (edge, k, l) of the z columns
    z: np.ndarray
    energy_scale: float


def _duration_terms(rows: np.ndarray, tasks: np.ndarray, X: np.ndarray, p: np.ndarray, sign: float):
    """Terms ``sign·p[t,k]·x[t,k]`` (all allowed k) for row ``rows[r]`` and task ``tasks[r]``."""
    cols = X[tasks]                                   # R × m
    vals = sign * p[tasks].astype(float)
    rr = np.repeat(rows[:, None], X.shape[1], axis=1)
    ok = cols >= 0
    return rr[ok], cols[ok], vals[ok]


def reachability(problem: ScheduleProblem) -> np.ndarray:
    """``R[i,j]`` true iff there is a path i → j (transitive closure as a dense boolean matrix)."""
    n = problem.n
    reach = np.zeros((n, n), dtype=bool)
    succ = [[] for _ in range(n)]
    for i, j, _ in problem.edges:
        succ[i].append(j)
    for i in reversed(problem.topological_order):
        for j in succ[i]:
            reach[i, j] = True
            reach[i] |= reach[j]
    return reach


def unrelated_pairs(problem: ScheduleProblem) -> np.ndarray:
    """Pairs (i < j) not ordered by precedence, sharing an allowed PE, not both of zero duration."""
    p = problem
    reach = reachability(p)
    related = reach | reach.T
    allowed = p.exec_time >= 0
    shared = (allowed.astype(np.int32) @ allowed.T.astype(np.int32)) > 0
    zero = np.array([p.min_time(i) == 0 for i in range(p.n)])
    cand = ~related & shared & ~(zero[:, None] & zero[None, :])
    i, j = np.nonzero(np.triu(cand, k=1))
    return np.stack([i, j], axis=1)


def define_assignment(b: MatrixModel, p: ScheduleProblem, X: np.ndarray) -> None:
    """Σ_k x[i,k] = 1  ∀ i."""
    i, k = np.nonzero(X >= 0)
    b.add_rows("assignment", np.ones(p.n), np.ones(p.n), (i, X[i, k], np.ones(i.size)))


def define_makespan(b: MatrixModel, p: ScheduleProblem, X, s, C) -> None:
    """C − s_i − Σ_k p[i,k]·x[i,k] ≥ 0  ∀ i."""
    r = np.arange(p.n)
    b.add_rows("makespan", np.zeros(p.n), np.full(p.n, INF), (r, np.full(p.n, C), np.ones(p.n)),
               (r, s, -np.ones(p.n)), _duration_terms(r, r, X, p.exec_time, -1.0))


def define_precedence(b: MatrixModel, p: ScheduleProblem, X, s):
    """s_j − s_i − p_i ≥ transfer  ∀ (i,j) ∈ E; uniform transfers: transfer = c·(1 − Σ_k w[i,j,k]) with
    w[i,j,k] ≤ x[i,k], w[i,j,k] ≤ x[j,k]; general: one row per (k, l) with c[k,l] > 0:
    s_j − s_i − p_i − c[k,l]·x[i,k] − c[k,l]·x[j,l] ≥ −c[k,l]. Returns the w keys and columns."""
    E = len(p.edges)
    if E == 0:
        return np.zeros((0, 3), dtype=int), np.zeros(0, dtype=int)
    src = np.array([e[0] for e in p.edges])
    dst = np.array([e[1] for e in p.edges])
    cmax = np.array([int(c.max()) for c in p.comm_time])
    r = np.arange(E)
    uniform = p.uniform_comm
    rhs = np.where(cmax > 0, cmax, 0) if uniform else np.zeros(E)
    w_keys = np.zeros((0, 3), dtype=int)
    w = np.zeros(0, dtype=int)
    w_terms = []
    if uniform and (cmax > 0).any():
        both = (X[src] >= 0) & (X[dst] >= 0) & (cmax > 0)[:, None]
        e_idx, k_idx = np.nonzero(both)
        w_keys = np.stack([src[e_idx], dst[e_idx], k_idx], axis=1)
        w = b.add_vars("w", e_idx.size, 0.0, 1.0, integer=False)
        w_terms = [(e_idx, w, cmax[e_idx].astype(float))]
        one = np.arange(w.size)
        b.add_rows("same_pe_src", np.full(w.size, -INF), np.zeros(w.size), (one, w, np.ones(w.size)),
                   (one, X[src[e_idx], k_idx], -np.ones(w.size)))
        b.add_rows("same_pe_dst", np.full(w.size, -INF), np.zeros(w.size), (one, w, np.ones(w.size)),
                   (one, X[dst[e_idx], k_idx], -np.ones(w.size)))
    b.add_rows("precedence", rhs.astype(float), np.full(E, INF), (r, s[dst], np.ones(E)), (r, s[src], -np.ones(E)),
               _duration_terms(r, src, X, p.exec_time, -1.0), *w_terms)
    if not uniform:
        keys = [(e, k, l, int(c[k, l])) for e, c in enumerate(p.comm_time)
                for k, l in zip(*np.nonzero(c > 0)) if X[src[e], k] >= 0 and X[dst[e], l] >= 0]
        if keys:
            e_idx, k_idx, l_idx, cv = (np.array(col) for col in zip(*keys))
            rr = np.arange(len(keys))
            b.add_rows("precedence_transfer", -cv.astype(float), np.full(len(keys), INF),
                       (rr, s[dst[e_idx]], np.ones(rr.size)), (rr, s[src[e_idx]], -np.ones(rr.size)),
                       _duration_terms(rr, src[e_idx], X, p.exec_time, -1.0),
                       (rr, X[src[e_idx], k_idx], -cv.astype(float)), (rr, X[dst[e_idx], l_idx], -cv.astype(float)))
    return w_keys, w


def define_no_overlap(b: MatrixModel, p: ScheduleProblem, X, s, pairs: np.ndarray, y: np.ndarray, big_m: int):
    """For (i,j) ∈ Q and shared PE k:
    s_j − s_i − p_i − M·y − M·x[i,k] − M·x[j,k] ≥ −3M   (i before j when y = 1 and both on k)
    s_i − s_j − p_j + M·y − M·x[i,k] − M·x[j,k] ≥ −2M   (j before i when y = 0 and both on k)."""
    if pairs.size == 0:
        return
    shared = (X[pairs[:, 0]] >= 0) & (X[pairs[:, 1]] >= 0)   # P × m
    q, k = np.nonzero(shared)
    i, j, yy = pairs[q, 0], pairs[q, 1], y[q]
    R = q.size
    r = np.arange(R)
    M = float(big_m)
    ones = np.ones(R)
    common = [(r, X[i, k], -M * ones), (r, X[j, k], -M * ones)]
    b.add_rows("no_overlap_ij", np.full(R, -3 * M), np.full(R, INF), (r, s[j], ones), (r, s[i], -ones),
               _duration_terms(r, i, X, p.exec_time, -1.0), (r, yy, -M * ones), *common)
    b.add_rows("no_overlap_ji", np.full(R, -2 * M), np.full(R, INF), (r, s[i], ones), (r, s[j], -ones),
               _duration_terms(r, j, X, p.exec_time, -1.0), (r, yy, M * ones), *common)


def define_symmetry_breaking(b: MatrixModel, p: ScheduleProblem, X) -> None:
    """Identical PEs k_0 < k_1 < … are used in order of first use (tasks in topological order):
    x[t,k_r] − Σ_{t' before t} x[t',k_{r−1}] ≤ 0."""
    order = np.array(p.topological_order, dtype=int)
    for grp in p.identical_pe_groups:
        for r_ in range(1, len(grp)):
            k, prev = grp[r_], grp[r_ - 1]
            rows_t = order[X[order, k] >= 0]                       # tasks with a row, in order
            pos = np.empty(p.n, dtype=int)
            pos[order] = np.arange(p.n)
            prev_tasks = order[X[order, prev] >= 0]
            prev_pos = pos[prev_tasks]
            # row q (task rows_t[q]) takes every prev task at an earlier position
            counts = np.searchsorted(prev_pos, pos[rows_t], side="left")
            rr = np.repeat(np.arange(rows_t.size), counts)
            cols = prev_tasks[np.concatenate([np.arange(c) for c in counts])] if counts.sum() else np.zeros(0, int)
            b.add_rows(f"symmetry_{k}", np.full(rows_t.size, -INF), np.zeros(rows_t.size),
                       (np.arange(rows_t.size), X[rows_t, k], np.ones(rows_t.size)),
                       (rr, X[cols, prev], -np.ones(rr.size)))


def define_memory(b: MatrixModel, p: ScheduleProblem, X) -> None:
    """Σ_i mem[i,k]·x[i,k] ≤ capacity[k]  ∀ k with a capacity."""
    if p.memory is None or p.capacity is None:
        return
    ks = [k for k in range(p.m) if p.capacity[k] and (X[:, k] >= 0).any()]
    for q, k in enumerate(ks):
        i = np.nonzero(X[:, k] >= 0)[0]
        b.add_rows(f"memory_{k}", [-INF], [float(p.capacity[k])], (np.zeros(i.size, int), X[i, k], p.memory[i, k]))


def define_energy(b: MatrixModel, p: ScheduleProblem, X, scale: float):
    """E = Σ e[i,k]·x[i,k] + Σ_(i,j) Σ_{k,l} ce[k,l]·z[e,k,l] with z ≥ x[i,k] + x[j,l] − 1, z ∈ [0,1].
    Returns (columns, coefficients) of the scaled energy and the z keys/columns."""
    i, k = np.nonzero(X >= 0)
    cols, vals = [X[i, k]], [p.energy[i, k] * scale]
    z_keys, z = np.zeros((0, 3), dtype=int), np.zeros(0, dtype=int)
    if p.comm_energy is not None:
        keys = [(e, kk, ll) for e, ((a, c, _), ce) in enumerate(zip(p.edges, p.comm_energy))
                for kk, ll in zip(*np.nonzero(ce > 0)) if X[a, kk] >= 0 and X[c, ll] >= 0]
        if keys:
            z_keys = np.array(keys, dtype=int)
            z = b.add_vars("z", len(keys), 0.0, 1.0, integer=False)
            src = np.array([p.edges[e][0] for e in z_keys[:, 0]])
            dst = np.array([p.edges[e][1] for e in z_keys[:, 0]])
            r = np.arange(len(keys))
            b.add_rows("transfer_energy", np.full(r.size, -1.0), np.full(r.size, INF), (r, z, np.ones(r.size)),
                       (r, X[src, z_keys[:, 1]], -np.ones(r.size)), (r, X[dst, z_keys[:, 2]], -np.ones(r.size)))
            cols.append(z)
            vals.append(np.array([p.comm_energy[e][kk, ll] for e, kk, ll in keys]) * scale)
    return np.concatenate(cols), np.concatenate(vals), z_keys, z


def build(problem: ScheduleProblem, objective: str = "makespan", *, horizon: int | None = None,
          makespan_cap: int | None = None, energy_cap: float | None = None) -> Built:
    """Build the MILP as matrices; arguments as :func:`schedule_milp.build`."""
    p = problem
    big_m = int(horizon if horizon is not None else p.serial_horizon)
    if makespan_cap is not None:
        big_m = min(big_m, int(makespan_cap))
    head, tail = (np.asarray(a) for a in p.heads_and_tails)
    min_t = np.array([p.min_time(i) for i in range(p.n)])
    b = MatrixModel(name=p.name)
    allowed = p.exec_time >= 0
    X = np.full((p.n, p.m), -1, dtype=int)
    X[allowed] = b.add_vars("x", int(allowed.sum()), 0.0, 1.0, integer=True)
    s = b.add_vars("s", p.n, head, np.maximum(head, big_m - tail - min_t), integer=True)
    C = int(b.add_vars("C", 1, 0.0, big_m, integer=False)[0])
    define_assignment(b, p, X)
    define_makespan(b, p, X, s, C)
    w_keys, w = define_precedence(b, p, X, s)
    pairs = unrelated_pairs(p)
    y = b.add_vars("y", len(pairs), 0.0, 1.0, integer=True)
    define_no_overlap(b, p, X, s, pairs, y, big_m)
    define_symmetry_breaking(b, p, X)
    define_memory(b, p, X)
    scale = energy_scale(p)
    e_cols, e_vals, z_keys, z = define_energy(b, p, X, scale)
    for name, cap in (("energy_budget", p.energy_budget), ("energy_cap", energy_cap)):
        if cap is not None:
            slack = cap * scale * 1e-9 + 1e-9 if name == "energy_cap" else 0.0
            b.add_rows(name, [-INF], [cap * scale + slack], (np.zeros(e_cols.size, int), e_cols, e_vals))
    if objective == "makespan":
        b.set_objective(np.array([C]), 1.0)
    else:
        b.set_objective(e_cols, e_vals)
    return Built(b, X, s, C, pairs, y, w_keys, w, z_keys, z, scale)


def warm_start_values(built: Built, problem: ScheduleProblem, schedule) -> np.ndarray:
    """Column values of a :class:`Schedule` (PEs relabelled to satisfy the symmetry breaking)."""
    p = problem
    sch = canonical_labels(p, schedule)
    pe, start = np.array(sch.pe), np.array(sch.start, dtype=float)
    vals = np.zeros(built.model.n_col)
    vals[built.X[np.arange(p.n), pe]] = 1.0
    vals[built.s] = start
    vals[built.C] = float(max((start + p.exec_time[np.arange(p.n), pe]).max(initial=0), 0))
    if len(built.pairs):
        vals[built.y] = (start[built.pairs[:, 0]] <= start[built.pairs[:, 1]]).astype(float)
    if len(built.w_keys):
        i, j, k = built.w_keys.T
        vals[built.w] = ((pe[i] == k) & (pe[j] == k)).astype(float)
    if len(built.z_keys):
        e, k, l = built.z_keys.T
        src = np.array([p.edges[q][0] for q in e])
        dst = np.array([p.edges[q][1] for q in e])
        vals[built.z] = ((pe[src] == k) & (pe[dst] == l)).astype(float)
    return vals


def decode(problem: ScheduleProblem, built: Built, col_value) -> "Schedule":  # noqa: F821
    """A :class:`Schedule` from HiGHS column values (starts rounded to integer ticks)."""
    from edgedse.models.solutions import Schedule

    v = np.asarray(col_value)
    xv = np.where(built.X >= 0, v[np.maximum(built.X, 0)], -1.0)
    pe = xv.argmax(axis=1)
    start = np.rint(v[built.s]).astype(int)
    return Schedule(pe=tuple(int(k) for k in pe), start=tuple(int(t) for t in start))
