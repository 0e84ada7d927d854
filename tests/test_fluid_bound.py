"""The fluid period bound (:mod:`edgedse.formulations.fluid_period_lp`), the resource bound of heterogeneous PEs:
by hand, never above the least period (brute force), and on both networks just below their proven P_min."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from edgedse.formulations.fluid_period_lp import fluid_period_bound
from edgedse.models.periodic import Mode, PeriodicLayer
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
