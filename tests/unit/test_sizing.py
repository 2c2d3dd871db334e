"""GPU memory need and vCPU quota, at their edges."""

from __future__ import annotations

import pytest

from council.catalog import GpuSku, ModelFacts


def _model(**overrides) -> ModelFacts:
    facts = dict(key="m", params_b=7.0, dtype="bf16", context=8192, layers=32, kv_heads=8, head_dim=128,
                 catalog_asset=None, catalog_status="absent", catalog_retired=None, allowed_skus=None, hf_id=None, hf_gated=False)
    return ModelFacts(**{**facts, **overrides})


def test_gpu_need_is_weights_plus_kv_cache_plus_runtime_overhead():
    from council.sizing import gpu_need

    model = _model()
    # bf16: 2 bytes per parameter -> 14 GB of weights for 7B parameters.
    # KV cache: 2 (K and V) x 32 layers x 8 heads x 128 dims x 2 bytes = 131072 bytes per token;
    # 4096 tokens -> 0.536870912 GB. Runtime overhead: 1.5 GB (README "GPU fit").
    assert gpu_need(model, 4096) == pytest.approx(14 + 0.536870912 + 1.5)
    assert gpu_need(model, 0) == pytest.approx(15.5)


@pytest.mark.parametrize("instances, expected", [(1, 2 * 12), (4, 5 * 12), (5, 6 * 12), (10, 12 * 12)])
def test_quota_with_the_upgrade_reserve_rounds_up_twenty_percent(instances, expected):
    # Azure ML: ceil(1.2 x instances) x cores ("10 instances of a 4-core VM need 48 cores").
    sku = GpuSku(name="s", gpu="g", gpus=1, gpu_memory_gb=24, vcpus=12, family="f", upgrade_reserve=True, hourly_usd=1.0)
    assert sku.quota_vcpus(instances) == expected


def test_quota_without_the_reserve_is_instances_times_cores():
    sku = GpuSku(name="s", gpu="g", gpus=1, gpu_memory_gb=80, vcpus=24, family="f", upgrade_reserve=False, hourly_usd=1.0)
    assert sku.quota_vcpus(3) == 72
