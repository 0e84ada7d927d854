"""The fluid load bounds (:mod:`edgedse.formulations.fluid_load_lp`), the resource bounds of heterogeneous PEs:
by hand, never above the least period or makespan (brute force), and on both networks just below their proven
P_min."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from edgedse.formulations.fluid_load_lp import fluid_makespan_bound, fluid_period_bound
from edgedse.models.problems import ScheduleProblem
from edgedse.models.periodic import Mode, PeriodicLayer
from schedule_helpers import brute_force, random_instance
from test_periodic import brute_force_period, tiny


def one_layer(times: list[int], bus: int = 0):
    """tiny(0) cut to one layer with one mode: one firing of ``times[k]`` ticks on PE k and ``bus`` milliticks of
    bus occupancy."""
    p = tiny(0)
    mode = Mode(aggregation=1, firings=1, time=np.array(times, dtype=np.int64), energy=np.zeros(2), bus=bus,
                bus_bytes=0.0, memory=np.zeros(2, dtype=np.int64))
    layer = PeriodicLayer("CalculateLayer_0", "L0", "conv", "a_0", (mode,), 1000.0)
    return replace(p, name="one", layers=(layer,), edges=())


def test_split_in_inverse_proportion_to_the_time_by_hand():
    # 10 ticks on p0, 30 on p1: a share y on p0 with 10·y = 30·(1 − y) gives y = 3/4, P = 7.5 → 8;
    # the old even spread of the fastest work gave ⌈10 / 2⌉ = 5
    p = one_layer([10, 30])
    assert fluid_period_bound(p) == 8
    assert p.resource_bound() == 8 and p.lower_bound() == 10  # the firing cannot be split: cycle bound 10


def test_the_bus_bounds_the_period_too():
    # 5,000 milliticks of bus: 5 ticks whatever the PEs, which alone would allow 2 (4 ticks of work over 2 PEs)
    p = one_layer([4, 4], bus=5000)
    assert fluid_period_bound(p) == 5
    assert fluid_period_bound(one_layer([4, 4])) == 2


@pytest.mark.parametrize("seed", range(4))
def test_never_above_the_least_period(seed):
    p = tiny(seed)
    least, _ = brute_force_period(p)
    assert fluid_period_bound(p) <= least
    assert p.resource_bound() <= least


def test_both_networks_just_below_their_proven_least_period(vgg, resnet):
    # P_min: 17,318 (VGG16/NEURAghe) and 4,217 (ResNet-18/mpsoc4), proven by stage 1 (test_periodic)
    assert 17_200 <= fluid_period_bound(vgg) <= 17_318 and vgg.resource_bound() == fluid_period_bound(vgg)
    assert 4_200 <= fluid_period_bound(resnet) <= 4_217


def three_tasks(times: list[int]) -> ScheduleProblem:
    """Three independent tasks, each taking ``times[k]`` ticks on PE k."""
    m = len(times)
    t = np.array([times] * 3, dtype=np.int64)
    return ScheduleProblem(name="three", task_ids=("a", "b", "c"), pe_names=tuple(f"p{k}" for k in range(m)),
                           pe_kinds=tuple("x" for _ in range(m)), exec_time=t, energy=t * 1.0, edges=(),
                           comm_time=())


def test_makespan_split_in_inverse_proportion_to_the_time_by_hand():
    # 3 tasks of 10 ticks on p0 or 30 on p1: 10·y = 30·(3 − y) gives y = 2.25, C = 22.5 → 23 (the optimum is
    # 30); the old bound was max(⌈30 / 2⌉, 10) = 15
    p = three_tasks([10, 30])
    assert fluid_makespan_bound(p) == 23 and p.makespan_lower_bound() == 23
    assert brute_force(p)[0] == 30
    # identical PEs: the LP adds nothing to ⌈Σ / m⌉ and is not solved
    same = three_tasks([10, 10])
    assert fluid_makespan_bound(same) == 15 and same.makespan_lower_bound() == 15 and same._fluid_load == 0


@pytest.mark.parametrize("seed", range(8))
def test_makespan_bound_never_above_the_optimum(seed):
    p = random_instance(seed, n=5, m=2)
    assert fluid_makespan_bound(p) <= p.makespan_lower_bound() <= brute_force(p)[0]
