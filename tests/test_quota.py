"""Quota as Azure ML reserves it, checked on the documented example and at its edges."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def skus():
    from council.catalog import load_catalog

    return load_catalog().skus


@pytest.mark.parametrize(
    "instances, expected",
    [
        (10, 48),  # Azure ML's own example: 10 instances of a 4-core VM need 48 cores (12 x 4)
        (1, 8),  # ceil(1.2) = 2 instances reserved
        (5, 24),  # 1.2 x 5 = 6 exactly: no rounding up past 6 (float 6.000000000000001)
        (4, 20),  # ceil(4.8) = 5
    ],
)
def test_reserve_is_ceil_of_1_2_instances_per_deployment(skus, instances, expected):
    four_cores = skus["Standard_NC4as_T4_v3"]
    assert four_cores.vcpus == 4 and four_cores.upgrade_reserve
    assert four_cores.quota_vcpus(instances) == expected


def test_exempt_families_reserve_nothing_extra(skus):
    a100 = skus["Standard_NC24ads_A100_v4"]  # "Skip 20% reservation" in the managed SKU list
    assert not a100.upgrade_reserve
    assert a100.quota_vcpus(3) == 3 * 24
