"""The catalog: model shape arithmetic, look-ups by source, the registry replica's region,
and what the loader makes of catalog/*.yaml.

Facts used below come from constructs/council/catalog/*.yaml (each with its source there)
and the README ("GPU fit": weights are parameters x bytes per parameter; the KV cache holds
keys and values: 2 x layers x KV heads x head size x bytes per parameter per token).
"""

from __future__ import annotations

import pytest

from council.catalog import NO_REPLICA, load_catalog, registry_replica
from unit.unit_data import model_facts


@pytest.fixture
def fresh():
    """The catalog read from its files now, past load_catalog's cache (per test: mutation
    testing runs only the tests that read the files)."""
    return load_catalog.__wrapped__()


# --------------------------------------------------------------------------- model arithmetic
@pytest.mark.parametrize("dtype, weights_gb", [("fp32", 28.0), ("bf16", 14.0), ("fp16", 14.0), ("int8", 7.0), ("int4", 3.5)])
def test_weights_are_parameters_times_bytes_per_parameter(dtype, weights_gb):
    # 7B parameters at 4 / 2 / 2 / 1 / 0.5 bytes each.
    assert model_facts(dtype=dtype).weights_gb == pytest.approx(weights_gb)


@pytest.mark.parametrize("key, tokens, expected_gb", [
    # Llama-3-8B: 2 x 32 layers x 8 KV heads x 128 x 2 bytes (bf16) = 131072 B/token; x 8192 = 1073741824 B.
    ("llama-3-8b-instruct", 8192, 1.073741824),
    # CodeGemma-7b-it: 2 x 28 x 16 x 256 x 2 = 458752 B/token; x 4096 = 1879048192 B.
    ("codegemma-7b-it", 4096, 1.879048192),
    # Phi-3-mini-128k: 2 x 32 x 32 x 96 x 2 = 393216 B/token; x 16384 = 6442450944 B.
    ("phi-3-mini-128k-instruct", 16384, 6.442450944),
    # CodeLlama-7b (fp16): 2 x 32 x 32 x 128 x 2 = 524288 B/token; x 8192 = 4294967296 B.
    ("codellama-7b-instruct", 8192, 4.294967296),
])
def test_kv_cache_of_catalog_models_in_gigabytes_of_1e9_bytes(key, tokens, expected_gb):
    assert load_catalog().models[key].kv_cache_gb(tokens) == pytest.approx(expected_gb, rel=1e-12)


def test_kv_cache_scales_with_the_dtype_and_the_tokens():
    # int8: 2 x 32 x 8 x 128 x 1 byte = 65536 B/token; 1000 tokens = 0.065536 GB; none for 0 tokens.
    assert model_facts(dtype="int8").kv_cache_gb(1000) == pytest.approx(0.065536, rel=1e-12)
    assert model_facts(dtype="int8").kv_cache_gb(0) == 0


# --------------------------------------------------------------------------- look-ups
def test_a_registry_asset_is_found_by_registry_and_name():
    catalog = load_catalog()
    assert catalog.model_for_asset("azureml", "mistralai-Mistral-7B-Instruct-v0-2").key == "mistral-7b-instruct-v0.2"
    assert catalog.model_for_asset("azureml-meta", "Meta-Llama-3-8B-Instruct").key == "llama-3-8b-instruct"
    # The same name in another registry is another asset; an unknown name is unknown.
    assert catalog.model_for_asset("azureml-meta", "mistralai-Mistral-7B-Instruct-v0-2") is None
    assert catalog.model_for_asset("azureml", "no-such-model") is None


def test_a_hugging_face_model_is_found_by_its_id():
    catalog = load_catalog()
    assert catalog.model_for_hf("google/codegemma-7b-it").key == "codegemma-7b-it"
    assert catalog.model_for_hf("microsoft/Phi-3-mini-128k-instruct").key == "phi-3-mini-128k-instruct"
    assert catalog.model_for_hf("acme/secret-sauce-7b") is None


# --------------------------------------------------------------------------- registry replica
def test_the_replica_goes_to_the_paired_region_by_default():
    # Microsoft's regions list pairs eastus2 with centralus and westeurope with northeurope.
    catalog = load_catalog()
    assert registry_replica(catalog, "eastus2", None) == "centralus"
    assert registry_replica(catalog, "westeurope", None) == "northeurope"


def test_a_named_replica_region_wins_over_the_pair_and_none_means_no_replica():
    catalog = load_catalog()
    assert registry_replica(catalog, "eastus2", "westus3") == "westus3"
    assert registry_replica(catalog, "eastus2", NO_REPLICA) is None


def test_a_region_without_an_unrestricted_pair_gets_no_default_replica():
    # regions.yaml leaves swedencentral out of `pairs` (its pair, Sweden South, is restricted).
    assert registry_replica(load_catalog(), "swedencentral", None) is None


# --------------------------------------------------------------------------- loading the files
def test_retired_skus_carry_their_retirement_date_and_current_ones_none(fresh):
    # gpu_skus.yaml: the NCv3 (V100) SKUs retired 2025-09-30; the A10 SKU is current.
    assert fresh.skus["Standard_NC6s_v3"].retired == "2025-09-30"
    assert fresh.skus["Standard_NV36ads_A10_v5"].retired is None


def test_an_archived_catalog_asset_keeps_its_status_date_and_hugging_face_twin(fresh):
    phi3 = fresh.models["phi-3-mini-128k-instruct"]
    assert (phi3.catalog_status, phi3.catalog_retired, phi3.hf_id) == ("archived", "2025-08-30", "microsoft/Phi-3-mini-128k-instruct")
    assert phi3.allowed_skus is None  # no allow list in the file: the catalog does not restrict


def test_a_model_in_no_registry_is_absent_and_its_gated_repo_is_known(fresh):
    codegemma = fresh.models["codegemma-7b-it"]
    assert (codegemma.catalog_asset, codegemma.catalog_status, codegemma.hf_gated) == (None, "absent", True)
    assert fresh.models["codellama-7b-instruct"].hf_gated is False


def test_registry_egress_hosts_are_read_and_a_registry_needing_none_is_still_known(fresh):
    # egress.yaml: curated azureml models install packages from PyPI and conda at start;
    # the azureml-meta collection needs no extra rules (an empty list, not an unknown registry).
    assert {"pypi.org", "*.pythonhosted.org", "anaconda.com"} <= set(fresh.egress.registries["azureml"])
    assert fresh.egress.registries["azureml-meta"] == ()


def test_image_registry_and_hugging_face_egress_hosts_are_read(fresh):
    # ghcr.io serves manifests; its layers come from pkg-containers.githubusercontent.com.
    assert fresh.egress.image_registries["ghcr.io"] == ("ghcr.io", "pkg-containers.githubusercontent.com")
    assert fresh.egress.huggingface == ("huggingface.co", "*.huggingface.co", "*.hf.co")


def test_platform_prices_are_read_with_their_sources(fresh):
    # platform_prices.yaml: managed firewall Standard 1.25 USD/h, Basic 0.395 USD/h (about a
    # third); 0.01 USD per private endpoint hour; as of 2026-11.
    platform = fresh.platform
    assert platform.firewall_hourly_usd == {"Standard": 1.25, "Basic": 0.395}
    assert platform.private_endpoint_hourly_usd == 0.01
    assert platform.firewall_source.startswith("https://azure.microsoft.com/pricing/details/azure-firewall/")
    assert platform.private_endpoint_source.startswith("https://azure.microsoft.com/pricing/details/private-link/")
    assert platform.as_of == "2026-11"


def test_a_fresh_read_finds_every_shipped_members_sku_and_model(fresh, dev, prod):
    for data in (dev, prod):
        for member in data["members"]:
            assert member["sku"] in fresh.skus and not fresh.skus[member["sku"]].retired
            model = member["model"]
            if model["source"] == "catalog":
                registry, name = model["asset_id"].split("/")[3], model["asset_id"].split("/")[5]
                assert fresh.model_for_asset(registry, name) is not None, model
            else:
                assert fresh.model_for_hf(model["hf_model_id"]) is not None, model
