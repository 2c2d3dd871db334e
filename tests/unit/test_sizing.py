"""GPU memory need and vCPU quota, at their edges."""

from __future__ import annotations

import pytest

from council.catalog import GpuSku
from unit.unit_data import model_facts


def test_gpu_need_is_weights_plus_kv_cache_plus_runtime_overhead():
    from council.sizing import gpu_need

    model = model_facts()
    # bf16: 2 bytes per parameter -> 14 GB of weights for 7B parameters.
    # KV cache: 2 (K and V) x 32 layers x 8 heads x 128 dims x 2 bytes = 131072 bytes per token;
    # 4096 tokens -> 0.536870912 GB. Runtime overhead: 1.5 GB (README "GPU fit").
    assert gpu_need(model, 4096) == pytest.approx(14 + 0.536870912 + 1.5)
    assert gpu_need(model, 0) == pytest.approx(15.5)


@pytest.mark.parametrize("instances, expected", [(1, 2 * 12), (4, 5 * 12), (5, 6 * 12), (10, 12 * 12)])
def test_quota_with_the_upgrade_reserve_rounds_up_twenty_percent(instances, expected):
    # Azure ML: ceil(1.2 x instances) x cores ("10 instances of a 4-core VM need 48 cores").
    sku = GpuSku(name="s", gpu="g", gpus=1, gpu_memory_gb=24, vcpus=12, family="f", upgrade_reserve=True, hourly_usd=1.0, memory_bandwidth_gb_s=600)
    assert sku.quota_vcpus(instances) == expected


def test_quota_without_the_reserve_is_instances_times_cores():
    sku = GpuSku(name="s", gpu="g", gpus=1, gpu_memory_gb=80, vcpus=24, family="f", upgrade_reserve=False, hourly_usd=1.0, memory_bandwidth_gb_s=2039)
    assert sku.quota_vcpus(3) == 72


# --------------------------------------------------------------------------- members of a real plan
CODEGEMMA = "google/codegemma-7b-it"
MISTRAL_ASSET = "azureml://registries/azureml/models/mistralai-Mistral-7B-Instruct-v0-2/versions/"


def _member(data: dict, what: str, predicate):
    """The parsed member of `data` that is `what` (picked by its model, never by role)."""
    from council.config import parse_environment

    env = parse_environment(data, "dev.yaml")
    for raw_member, member in zip(data["members"], env.members):
        if predicate(raw_member):
            return member
    raise AssertionError(f"the environment file has no member that is {what}")


def test_gpu_need_of_a_container_member_uses_its_max_model_len(prod):
    from council.sizing import gpu_need_gb

    # CodeGemma-7b-it (models.yaml): 8.54B bf16 = 17.08 GB; KV 2 x 28 layers x 16 KV heads x
    # 256 x 2 bytes = 458752 B/token x 4096 tokens = 1.879048192 GB; + 1.5 GB runtime = 20.459048192 GB.
    for member in prod["members"]:
        if member["model"].get("hf_model_id") == CODEGEMMA:
            member["model"]["max_model_len"] = 4096
    member = _member(prod, "CodeGemma-7b-it", lambda m: m["model"].get("hf_model_id") == CODEGEMMA)
    assert gpu_need_gb(member) == pytest.approx(20.459048192, rel=1e-12)


def test_gpu_need_of_a_catalog_member_uses_the_models_full_context(prod):
    from council.catalog import load_catalog
    from council.sizing import gpu_need_gb

    # Mistral-7B from the Azure ML catalog serves its full 32768-token context: 7.24 x 2 = 14.48 GB
    # + 2 x 32 x 8 x 128 x 2 = 131072 B/token x 32768 = 4.294967296 GB + 1.5 GB = 20.274967296 GB.
    member = _member(prod, "Mistral-7B from the catalog", lambda m: m["model"].get("asset_id", "").startswith(MISTRAL_ASSET))
    assert gpu_need_gb(member, load_catalog()) == pytest.approx(20.274967296, rel=1e-12)


def test_gpu_need_of_a_model_the_catalog_lacks_is_unknown(dev):
    from council.sizing import gpu_need_gb

    for member in dev["members"]:
        if member["model"]["source"] == "container":
            member["model"]["hf_model_id"] = "acme/secret-sauce-7b"
    member = _member(dev, "served by a container", lambda m: m["model"]["source"] == "container")
    assert gpu_need_gb(member) is None


def test_quota_needed_sums_each_family_per_deployment_and_skips_unknown_skus(dev):
    from council.config import parse_environment
    from council.sizing import quota_needed

    template = next(m for m in dev["members"] if m["model"]["source"] == "container")
    plan = [  # (sku, instances.max)
        ("Standard_NV36ads_A10_v5", 4),  # 36 vCPUs, reserve: ceil(4.8) = 5 -> 180
        ("Standard_NV36ads_A10_v5", 1),  # ceil(1.2) = 2 -> 72
        ("Standard_NC24ads_A100_v4", 3),  # 24 vCPUs, exempt: 3 -> 72
        ("Standard_E8s_v5", 2),  # not a GPU SKU of the catalog: refused elsewhere, counted nowhere
    ]
    dev["members"] = [
        {**template, "role": f"member{i}", "alias": f"member{i}-alias", "sku": sku, "instances": {"min": 1, "default": 1, "max": top}}
        for i, (sku, top) in enumerate(plan)
    ]
    dev["router"]["fallbacks"] = []
    assert quota_needed(parse_environment(dev, "dev.yaml")) == {"StandardNVADSA10v5Family": 180 + 72, "StandardNCADSA100v4Family": 72}
