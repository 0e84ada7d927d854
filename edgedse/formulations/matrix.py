"""A minimal vectorised MILP container: variable blocks and row blocks as numpy arrays.

Used where building through Pyomo's object model dominates the run time (thousands of tasks): each
constraint family appends a whole block of rows at once as COO triplets, and :meth:`MatrixModel.to_highs`
hands the matrix to HiGHS without a Python object per coefficient. Rows are ``lo ≤ A x ≤ hi``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

INF = float("inf")


@dataclass
class MatrixModel:
    """Columns and rows of a MILP, grown block by block; ``blocks`` names each variable/row family."""

    name: str = ""
    lb: list[np.ndarray] = field(default_factory=list)
    ub: list[np.ndarray] = field(default_factory=list)
    integer: list[np.ndarray] = field(default_factory=list)
    cost: np.ndarray | None = None
    n_col: int = 0
    n_row: int = 0
    rows: list[np.ndarray] = field(default_factory=list)
    cols: list[np.ndarray] = field(default_factory=list)
    vals: list[np.ndarray] = field(default_factory=list)
    row_lo: list[np.ndarray] = field(default_factory=list)
    row_hi: list[np.ndarray] = field(default_factory=list)
    var_blocks: dict[str, np.ndarray] = field(default_factory=dict)
    row_blocks: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add_vars(self, name: str, count: int, lb, ub, integer: bool) -> np.ndarray:
        """Append ``count`` columns; returns their indices. ``lb``/``ub`` are scalars or arrays."""
        idx = np.arange(self.n_col, self.n_col + count)
        self.lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (count,)).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (count,)).copy())
        self.integer.append(np.full(count, integer))
        self.n_col += count
        self.var_blocks[name] = idx
        return idx

    def add_rows(self, name: str, lo, hi, *terms: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        """Append a block of R = len(lo) rows ``lo[r] ≤ Σ val·x[col] ≤ hi[r]``.

        Each term is a triple of equal-length arrays ``(row, col, val)``: ``val[t]·x[col[t]]`` is added to
        row ``row[t]`` of the block (0..R-1). Repeated (row, col) pairs are summed; zeros are dropped.
        """
        lo = np.atleast_1d(np.asarray(lo, dtype=float))
        hi = np.broadcast_to(np.asarray(hi, dtype=float), lo.shape)
        for row, col, val in terms:
            col = np.asarray(col)
            val = np.broadcast_to(np.asarray(val, dtype=float), col.shape)
            row = np.broadcast_to(np.asarray(row), col.shape)
            keep = val != 0
            self.rows.append(self.n_row + row[keep])
            self.cols.append(col[keep])
            self.vals.append(val[keep])
        self.row_lo.append(lo.copy())
        self.row_hi.append(hi.copy())
        self.row_blocks[name] = (self.n_row, self.n_row + lo.size)
        self.n_row += lo.size

    def set_objective(self, col: np.ndarray, val) -> None:
        cost = np.zeros(self.n_col)
        np.add.at(cost, np.asarray(col), np.broadcast_to(np.asarray(val, dtype=float), np.shape(col)))
        self.cost = cost

    @property
    def nnz(self) -> int:
        return int(sum(r.size for r in self.rows))

    def csc(self):
        """The constraint matrix as scipy CSC (duplicates summed)."""
        from scipy.sparse import coo_matrix

        r = np.concatenate(self.rows) if self.rows else np.zeros(0, dtype=int)
        c = np.concatenate(self.cols) if self.cols else np.zeros(0, dtype=int)
        v = np.concatenate(self.vals) if self.vals else np.zeros(0)
        a = coo_matrix((v, (r, c)), shape=(self.n_row, self.n_col)).tocsc()
        a.sum_duplicates()
        return a

    def to_highs(self):
        """A ``highspy.HighsLp`` with integrality set."""
        import highspy

        a = self.csc()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n_col, self.n_row
        lp.col_cost_ = self.cost if self.cost is not None else np.zeros(self.n_col)
        lp.col_lower_ = np.concatenate(self.lb)
        lp.col_upper_ = np.concatenate(self.ub)
        lp.row_lower_ = np.concatenate(self.row_lo) if self.row_lo else np.zeros(0)
        lp.row_upper_ = np.concatenate(self.row_hi) if self.row_hi else np.zeros(0)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr
        lp.a_matrix_.index_ = a.indices
        lp.a_matrix_.value_ = a.data
        integer = np.concatenate(self.integer)
        lp.integrality_ = [highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
                           for f in integer]
        return lp
