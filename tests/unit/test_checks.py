"""The guardrails (council.checks): each accepts the plan that just fits and refuses the
one that just does not, naming the field and the fix.

Facts used below, each cited where it is used:
- README "Guardrails": GPU fit = weights (parameters x bytes per parameter) + KV cache for
  the configured context + 1.5 GB runtime, within 90% of the SKU's GPU memory; quota per
  deployment ceil(1.2 x instances) x cores, A100/H100/ND exempt; apps subnet /27 for
  workload-profiles, /23 for consumption-only.
- catalog/models.yaml and catalog/gpu_skus.yaml for the model and SKU facts.
- KV cache per token = 2 (K and V) x layers x KV heads x head size x bytes per parameter.
- Container Apps ingress ends a request at 240 s; the router keeps 10 s of it (230 s).
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from council.catalog import GpuSku, ModelFacts, load_catalog
from council.checks import Problem, check_environment, check_parts, load_checked, notices, raise_if_problems, router_worst_case_seconds
from council.config import parse_environment
from council.errors import CouncilError
from unit.unit_data import is_container, with_member

A10 = "Standard_NV36ads_A10_v5"  # 1x A10 24 GB, 36 vCPUs, upgrade reserve (gpu_skus.yaml)
TWO_A10 = "Standard_NV72ads_A10_v5"  # 2x A10 24 GB
A100 = "Standard_NC24ads_A100_v4"  # 1x A100 80 GB, 24 vCPUs, no upgrade reserve
CODEGEMMA = "google/codegemma-7b-it"  # 8.54B bf16, 28 layers, 16 KV heads, head size 256 (models.yaml)
MISTRAL_ASSET = "azureml://registries/azureml/models/mistralai-Mistral-7B-Instruct-v0-2/versions/"


# --------------------------------------------------------------------------- helpers
def _check(data: dict, stack: str = "dev", catalog=None) -> list[Problem]:
    return check_environment(parse_environment(data, f"{stack}.yaml"), stack, catalog)


def _pick(data: dict, what: str, predicate) -> int:
    """Index of the plan's first member that is `what` (never chosen by role or position); a kind
    of member the file lacks is borrowed from another shipped file (unit_data.with_member)."""
    try:
        return with_member(data, predicate)
    except AssertionError:
        raise AssertionError(f"no environment file has a member that is {what}") from None


def _codegemma(member: dict) -> bool:
    return member["model"].get("hf_model_id") == CODEGEMMA


def _mistral(member: dict) -> bool:
    return member["model"].get("asset_id", "").startswith(MISTRAL_ASSET)


def _where(data: dict, index: int) -> str:
    return f"members[{index}] ({data['members'][index]['role']})"


def _keep(data: dict, *indices: int) -> dict:
    """The file with only these members (in this order) and no fallbacks."""
    data["members"] = [data["members"][i] for i in indices]
    data.setdefault("router", {})["fallbacks"] = []
    return data


def _fields(problems: list[Problem]) -> list[str]:
    return [p.field for p in problems]


def _catalog(**changes):
    """The shipped catalog with some SKUs or models added or replaced (hypothetical hardware)."""
    base = load_catalog()
    return dataclasses.replace(
        base,
        skus={**base.skus, **changes.get("skus", {})},
        models={**base.models, **changes.get("models", {})},
        egress=changes.get("egress", base.egress),
    )


# --------------------------------------------------------------------------- the shipped plans
@pytest.mark.parametrize("name", ["dev", "prod"])
def test_shipped_environments_pass_every_guardrail(name, request):
    assert _check(request.getfixturevalue(name), stack=name) == []


def test_problem_line_names_file_field_and_message():
    assert Problem("location", "bad; fix it").line("dev.yaml") == "dev.yaml: location: bad; fix it"


# --------------------------------------------------------------------------- region
def test_unknown_region_is_refused_with_the_closest_name(dev):
    dev["location"] = "eastus9"
    problems = _check(dev)
    # Unknown location: no replica problem on top (one fault, one message), no budget check.
    assert _fields(problems) == ["location"]
    message = problems[0].message
    assert message.startswith("'eastus9' is not an Azure region name; did you mean eastus? otherwise use one such as")
    assert "az account list-locations" in message


def test_unknown_region_with_nothing_close_gets_no_suggestion(dev):
    dev["location"] = "mars"
    (problem,) = _check(dev)
    assert problem.field == "location"
    assert problem.message.startswith("'mars' is not an Azure region name; use one such as eastus2")


# --------------------------------------------------------------------------- registry replica
def test_unpaired_region_needs_a_replica_region_named(dev):
    # catalog/regions.yaml leaves swedencentral out of `pairs` (its pair, Sweden South, is restricted).
    dev["location"] = "swedencentral"
    (problem,) = _check(dev)
    assert problem.field == "workspace.registry_replica"
    assert "not set" in problem.message and "'swedencentral' has no unrestricted paired region" in problem.message
    assert "name a region" in problem.message and "'none'" in problem.message


@pytest.mark.parametrize("replica", ["none", "norwayeast"])
def test_unpaired_region_with_a_replica_region_or_none_is_accepted(dev, replica):
    dev["location"] = "swedencentral"
    dev["workspace"] = {"registry_replica": replica}
    assert _check(dev) == []


def test_replica_in_the_councils_own_region_is_refused(dev):
    dev["workspace"] = {"registry_replica": dev["location"]}
    (problem,) = _check(dev)
    assert problem.field == "workspace.registry_replica"
    assert problem.message.startswith(f"{dev['location']!r} is the council's own location; a geo-replica needs another region")


def test_replica_in_an_unknown_region_is_refused_with_the_closest_name(dev):
    dev["workspace"] = {"registry_replica": "centralus9"}
    (problem,) = _check(dev)
    assert problem.field == "workspace.registry_replica"
    assert problem.message == "'centralus9' is not an Azure region name; did you mean centralus? otherwise name another region, or 'none' for no replica"


def test_replica_in_another_known_region_is_accepted(dev):
    dev["workspace"] = {"registry_replica": "westus3"}
    assert _check(dev) == []


# --------------------------------------------------------------------------- names
def _endpoint_too_long(prefix: str, role: str, stack: str) -> bool:
    # Online endpoint: `<prefix>-<role>-<stack>-<suffix>`, 3-32 characters; the suffix not yet
    # known is checked as a placeholder of its length, six (README "Names").
    return len(prefix) + len(role) + len(stack) + 6 + 3 > 32


# stack length L -> the names (beyond the endpoints) that break, by Azure's limits. Each is
# `<kind>-council-<stack>-xxxxxx`: "council-" (8) + L + "-xxxxxx" (7) = 15 + L after "<kind>-":
#   ml workspace mlw- (4 + 15 + L <= 33: L <= 14), managed redis redis- (6 + 15 + L <= 60: L <= 39),
#   container app environment cae- (4 + 15 + L <= 60: L <= 41), postgres psql- (5 + 15 + L <= 63: L <= 43),
#   resource group rg- (3 + 15 + L <= 90: L <= 72). Key Vault, storage and registry names are
#   cut to fit and the container app name is cut to 32, so a long stack never breaks them.
LONG_STACKS = [
    (14, set()),
    (15, {"ml workspace"}),
    (39, {"ml workspace"}),
    (40, {"ml workspace", "managed redis"}),
    (41, {"ml workspace", "managed redis"}),
    (42, {"ml workspace", "managed redis", "container app environment"}),
    (44, {"ml workspace", "managed redis", "container app environment", "postgres server"}),
    (72, {"ml workspace", "managed redis", "container app environment", "postgres server"}),
    (73, {"ml workspace", "managed redis", "container app environment", "postgres server", "resource group"}),
]


@pytest.mark.parametrize("length, broken", LONG_STACKS, ids=[str(c[0]) for c in LONG_STACKS])
def test_a_long_stack_name_breaks_the_names_azure_limits(dev, length, broken):
    dev["name_prefix"] = "council"  # 7 characters, as in the arithmetic above
    stack = "staging" + "x" * (length - 7)
    problems = _check(dev, stack=stack)
    prefix_kinds = {p.message.split(" name ")[0].removeprefix("computed ") for p in problems if p.field == "name_prefix"}
    assert prefix_kinds == broken
    assert all(p.message.endswith(f"shorten name_prefix, name_suffix or the member role, or the file's name (stack {stack!r}, in every name)")
               for p in problems)
    expected_roles = [f"{_where(dev, i)}.role" for i, m in enumerate(dev["members"]) if _endpoint_too_long("council", m["role"], stack)]
    assert [p.field for p in problems if p.field != "name_prefix"] == expected_roles
    assert all("3-32" in p.message for p in problems if p.field != "name_prefix")


def test_a_stack_name_with_capitals_breaks_the_lowercase_only_names(dev):
    # Postgres servers, container apps and their environments take lowercase only; the
    # workspace, Redis, endpoints and resource group accept capitals (naming.RULES).
    problems = _check(dev, stack="Dev")
    assert _fields(problems) == ["name_prefix"] * 3
    assert [p.message.split(" name ")[0] for p in problems] == [
        "computed postgres server", "computed container app", "computed container app environment"]


def test_a_long_role_breaks_its_endpoint_name_in_a_longer_stack(dev):
    dev["name_prefix"] = "council"
    index = _pick(dev, "any member", lambda m: True)
    old = dev["members"][index]["role"]
    role = "a" * 12  # the longest role the schema accepts
    dev["members"][index]["role"] = role
    for fallback in dev["router"]["fallbacks"]:
        fallback["role"] = role if fallback["role"] == old else fallback["role"]
        fallback["to"] = [role if r == old else r for r in fallback["to"]]
    # council-aaaaaaaaaaaa-staging-xxxxxx: 7 + 1 + 12 + 1 + 7 + 1 + 6 = 35 > 32; "dev" gives 31.
    assert _check(dev, stack="dev") == []
    mine = [p for p in _check(dev, stack="staging") if p.field == f"members[{index}] ({role}).role"]
    assert len(mine) == 1 and f"'council-{role}-staging-xxxxxx'" in mine[0].message


# --------------------------------------------------------------------------- network
@pytest.mark.parametrize("kind, fits, too_small, limit", [
    ("workload-profiles", "10.40.0.0/27", "10.40.0.0/28", 27),
    ("consumption-only", "10.40.0.0/23", "10.40.0.0/24", 23),
])
def test_apps_subnet_must_be_as_large_as_the_environment_type_needs(dev, kind, fits, too_small, limit):
    dev["router"]["environment_type"] = kind
    dev["network"].update(address_space="10.40.0.0/16", private_endpoints_subnet="10.40.2.0/24", apps_subnet=fits)
    assert _check(dev) == []
    dev["network"]["apps_subnet"] = too_small
    (problem,) = _check(dev)
    assert problem.field == "network.apps_subnet"
    assert problem.message == (f"{too_small} is smaller than /{limit}, the minimum for a {kind} Container Apps environment "
                               f"(router.environment_type); use a /{limit} or larger")


def test_an_existing_network_is_not_sized_by_the_council(dev):
    subnet = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/{}"
    zone = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/privateDnsZones/{}"
    dev["router"]["environment_type"] = "consumption-only"
    dev["network"] = {
        "mode": "existing",
        "apps_subnet_id": subnet.format("apps"),
        "private_endpoints_subnet_id": subnet.format("pe"),
        "private_dns_zone_ids": {name: zone.format(name) for name in (
            "api_azureml_ms", "notebooks_azure_net", "vaultcore_azure_net", "redis_azure_net", "blob_core_windows_net", "file_core_windows_net")},
    }
    assert _check(dev) == []


# --------------------------------------------------------------------------- GPU fit
@pytest.mark.parametrize("memory_gb, fits", [(22.53, True), (22.52, False)])
def test_mistral_from_the_catalog_fits_a_gpu_of_22_53_gb_but_not_22_52(dev, memory_gb, fits):
    # Mistral-7B from the catalog (dev.yaml) is served at its full 32768-token context:
    # weights 7.24 x 2 (bf16) = 14.48 GB; KV 2 x 32 layers x 8 heads x 128 x 2 bytes = 131072 B/token
    # x 32768 = 4.294967296 GB; + 1.5 GB = 20.274967296 GB. 90% of 22.53 GB is 20.277 (fits);
    # 90% of 22.52 GB is 20.268 (does not). The catalog allows Mistral only on A100/ND SKUs:
    # the A100's memory is shrunk (a hypothetical GPU).
    index = _pick(dev, "Mistral-7B from the catalog", _mistral)
    _keep(dev, index)
    dev["members"][0]["sku"] = A100
    catalog = _catalog(skus={A100: dataclasses.replace(load_catalog().skus[A100], gpu_memory_gb=memory_gb)})
    problems = _check(dev, catalog=catalog)
    if fits:
        assert problems == []
        return
    (problem,) = problems
    assert problem.field == f"{_where(dev, 0)}.sku"
    assert problem.message.startswith("mistral-7b-instruct-v0.2 needs ~20.3 GB of GPU memory (14.5 GB bf16 weights "
                                      "(7.24 B params x 2 bytes) + 4.3 GB KV cache for 32768 tokens + 1.5 GB runtime) but Standard_NC24ads_A100_v4 "
                                      "offers 20.3 GB usable (1x A100 22.52 GB at 90%)")
    # The catalog serves the full context: only a larger GPU helps (no max_model_len hint).
    assert problem.message.endswith("; choose a larger GPU")


@pytest.mark.parametrize("tokens, fits", [(6583, True), (6584, False)])
def test_codegemma_on_one_a10_fits_6583_tokens_but_not_6584(dev, tokens, fits):
    # CodeGemma-7b-it (dev.yaml, by its Hugging Face id): weights 8.54 x 2 (bf16) = 17.08 GB;
    # KV 2 x 28 x 16 x 256 x 2 = 458752 B/token. One A10: 24 GB x 90% = 21.6 GB usable.
    # 6583 tokens: 17.08 + 3.019964416 + 1.5 = 21.599964416 <= 21.6 (fits);
    # 6584 tokens: 17.08 + 3.020423168 + 1.5 = 21.600423168 > 21.6 (does not).
    index = _pick(dev, "CodeGemma-7b-it", _codegemma)
    _keep(dev, index)
    dev["members"][0].update(sku=A10)
    dev["members"][0]["model"]["max_model_len"] = tokens
    problems = _check(dev)
    if fits:
        assert problems == []
        return
    (problem,) = problems
    assert problem.field == f"{_where(dev, 0)}.sku"
    assert problem.message == (
        "codegemma-7b-it needs ~21.6 GB of GPU memory (17.1 GB bf16 weights (8.54 B params x 2 bytes) + 3.0 GB KV "
        "cache for 6584 tokens + 1.5 GB runtime) but Standard_NV36ads_A10_v5 offers 21.6 GB usable (1x A10 24 GB at "
        "90%); 6583 tokens would fit; choose a larger GPU, lower max_model_len, or serve it quantized (model.quantize: "
        "bitsandbytes-nf4, or a GPTQ/AWQ checkpoint from catalog/models.yaml)"
    )


def test_a_two_gpu_sku_offers_the_memory_of_both(dev):
    # CodeGemma at 8192 tokens: 17.08 + 458752 x 8192 / 1e9 (3.758096384) + 1.5 = 22.338 GB:
    # over one A10's 21.6 GB usable, within two A10s' 2 x 24 x 90% = 43.2 GB.
    index = _pick(dev, "CodeGemma-7b-it", _codegemma)
    _keep(dev, index)
    dev["members"][0]["model"]["max_model_len"] = 8192
    dev["members"][0]["sku"] = A10
    (problem,) = _check(dev)
    assert problem.field == f"{_where(dev, 0)}.sku" and "needs ~22.3 GB" in problem.message
    dev["members"][0]["sku"] = TWO_A10
    assert _check(dev) == []


def _exact_model() -> ModelFacts:
    # 8B bf16 = 16 GB of weights; KV 2 x 1 x 1 x 125000 x 2 = 500000 B/token: 1000 tokens = 0.5 GB.
    return ModelFacts(key="exact-fit", params_b=8.0, dtype="bf16", context=4096, layers=1, kv_heads=1, head_dim=125000,
                      catalog_asset=None, catalog_status="absent", catalog_retired=None, allowed_skus=None,
                      hf_id="acme/exact-fit", hf_gated=False)


@pytest.mark.parametrize("tokens, fits", [(1000, True), (1001, False)])
def test_gpu_fit_at_exactly_ninety_percent_is_accepted_and_a_hair_over_is_not(dev, tokens, fits):
    # 16 + 0.5 + 1.5 = 18.0 GB = exactly 90% of a 20 GB GPU; 1001 tokens add 0.0005 GB.
    sku = GpuSku(name="Standard_NC20test_v1", gpu="T20", gpus=1, gpu_memory_gb=20, vcpus=8, family="testFamily",
                 upgrade_reserve=True, hourly_usd=1.0, memory_bandwidth_gb_s=500)
    catalog = _catalog(skus={sku.name: sku}, models={"exact-fit": _exact_model()})
    index = _pick(dev, "served by a container", is_container)
    _keep(dev, index)
    dev["members"][0].update(sku=sku.name, model={"source": "container", "hf_model_id": "acme/exact-fit", "max_model_len": tokens})
    problems = _check(dev, catalog=catalog)
    if fits:
        assert problems == []
    else:
        assert _fields(problems) == [f"{_where(dev, 0)}.sku"] and "needs ~18.0 GB" in problems[0].message


def test_a_catalog_model_on_a_disallowed_sku_too_small_for_it_gets_both_reasons(dev):
    # Mistral needs 20.27 GB (test_mistral_from_the_catalog_fits_...); a T4 offers 16 x 90% = 14.4 GB, and the catalog allows A100/ND only.
    index = _pick(dev, "Mistral-7B from the catalog", _mistral)
    _keep(dev, index)
    dev["members"][0]["sku"] = "Standard_NC4as_T4_v3"
    problems = _check(dev)
    assert _fields(problems) == [f"{_where(dev, 0)}.sku"] * 2
    assert "does not allow" in problems[0].message
    assert "needs ~20.3 GB" in problems[1].message and "offers 14.4 GB usable" in problems[1].message


# --------------------------------------------------------------------------- SKUs and models
def test_a_misspelt_sku_is_refused_with_the_closest_name_and_the_current_skus(dev):
    index = _pick(dev, "any member", lambda m: True)
    dev["members"][index]["sku"] = "Standard_NC24ads_A100_v5"
    (problem,) = _check(dev)  # an unknown SKU is one fault: no GPU-fit or allow-list message on top
    assert problem.field == f"{_where(dev, index)}.sku"
    head, known = problem.message.split("use one of ")
    assert head == ("'Standard_NC24ads_A100_v5' is not a GPU SKU managed online endpoints offer; "
                    "did you mean Standard_NC24ads_A100_v4? otherwise ")
    current = {name for name, sku in load_catalog().skus.items() if not sku.retired}
    assert set(known.split(", ")) == current


def test_an_unknown_sku_with_nothing_close_gets_no_suggestion(dev):
    index = _pick(dev, "any member", lambda m: True)
    dev["members"][index]["sku"] = "Standard_E8s_v5"  # a memory-optimized CPU VM
    (problem,) = _check(dev)
    assert problem.field == f"{_where(dev, index)}.sku"
    assert problem.message.startswith("'Standard_E8s_v5' is not a GPU SKU managed online endpoints offer; use one of Standard_")


def test_a_retired_sku_is_refused_once_with_the_date_and_a_current_choice(dev):
    # NC6s_v3 (V100) was retired 2025-09-30 (gpu_skus.yaml). Mistral's allow list does not
    # name it and it is too small for Mistral: still one message, the retirement.
    index = _pick(dev, "Mistral-7B from the catalog", _mistral)
    dev["members"][index]["sku"] = "Standard_NC6s_v3"
    (problem,) = _check(dev)
    assert problem.field == f"{_where(dev, index)}.sku"
    assert problem.message == ("Standard_NC6s_v3 (V100) was retired on 2025-09-30; choose a current SKU such as "
                               "Standard_NC24ads_A100_v4 or Standard_NV36ads_A10_v5")


def test_a_model_the_catalog_cannot_size_is_refused(dev):
    index = _pick(dev, "served by a container", is_container)
    dev["members"][index]["model"]["hf_model_id"] = "acme/secret-sauce-7b"
    dev["members"][index]["model"]["hf_token_required"] = False
    (problem,) = _check(dev)
    assert problem.field == f"{_where(dev, index)}.model"
    assert problem.message.startswith("'acme/secret-sauce-7b' is not in constructs/council/catalog/models.yaml")
    assert problem.message.endswith("add its parameters, dtype, layers, KV heads and head size there")


# --------------------------------------------------------------------------- egress
def test_an_image_from_a_registry_without_outbound_rules_is_refused(dev):
    index = _pick(dev, "served by a container", is_container)
    dev["members"][index]["model"]["image"] = "mcr.microsoft.com/azureml/tgi:3.3.2"
    (problem,) = _check(dev)
    assert problem.field == f"{_where(dev, index)}.model.image"
    assert problem.message.startswith("no outbound rules are known for 'mcr.microsoft.com'")
    assert "add the hosts it needs under image_registries in constructs/council/catalog/egress.yaml" in problem.message


def test_a_catalog_registry_without_outbound_rules_is_refused(dev):
    _keep(dev, _pick(dev, "Mistral-7B from the catalog", _mistral))
    index = 0
    base = load_catalog().egress
    egress = dataclasses.replace(base, registries={k: v for k, v in base.registries.items() if k != "azureml"})
    problems = _check(dev, catalog=_catalog(egress=egress))
    assert f"{_where(dev, index)}.model.asset_id" in _fields(problems)
    assert all("no outbound rules are known for 'azureml'" in p.message and "under registries" in p.message for p in problems)


# --------------------------------------------------------------------------- router time budget
def test_worst_case_adds_every_attempt_on_the_member_and_its_fallbacks_but_not_theirs(dev):
    first, second, third = (m["role"] for m in dev["members"][:3])
    for member, seconds in zip(dev["members"][:3], (100, 60, 50)):
        member["request_timeout_seconds"] = seconds
    dev["router"].update(timeout_retries=1, fallbacks=[{"role": first, "to": [second]}, {"role": second, "to": [third]}])
    worst = router_worst_case_seconds(parse_environment(dev, "dev.yaml"))
    # Two attempts each (1 + timeout_retries); LiteLLM does not follow a fallback's own fallbacks.
    assert worst[first] == (2 * 100 + 2 * 60, f"{first} 2 x 100 s + {second} 2 x 60 s")
    assert worst[second] == (2 * 60 + 2 * 50, f"{second} 2 x 60 s + {third} 2 x 50 s")
    assert worst[third] == (2 * 50, f"{third} 2 x 50 s")


@pytest.mark.parametrize("seconds, total", [(140, 230), (141, 231)])
def test_a_fallback_chain_may_use_230_seconds_and_not_one_more(dev, seconds, total):
    first, second, third = (m["role"] for m in dev["members"][:3])
    for member in dev["members"]:
        member["request_timeout_seconds"] = 90
    dev["members"][1]["request_timeout_seconds"] = seconds
    dev["router"].update(timeout_retries=0, fallbacks=[{"role": third, "to": [first]}, {"role": second, "to": [first]}])
    problems = _check(dev)
    if total <= 230:
        assert problems == []
        return
    (problem,) = problems
    assert problem.field == "router.fallbacks[1]"
    assert problem.message == (
        f"a request for {second!r} can take 231 s ({second} 1 x 141 s + {first} 1 x 90 s), past the 230 s the router may use "
        "(Container Apps ingress ends requests at 240 s); shorten the fallback chain, lower request_timeout_seconds "
        "or router.timeout_retries"
    )


@pytest.mark.parametrize("seconds, fits", [(115, True), (116, False)])
def test_retried_timeouts_of_a_member_without_fallbacks_count_against_the_budget(dev, seconds, fits):
    # timeout_retries 1: two attempts; 2 x 115 = 230 fits, 2 x 116 = 232 does not.
    for member in dev["members"]:
        member["request_timeout_seconds"] = 90
    dev["members"][1]["request_timeout_seconds"] = seconds
    dev["router"].update(timeout_retries=1, fallbacks=[])
    problems = _check(dev)
    if fits:
        assert problems == []
        return
    (problem,) = problems
    assert problem.field == f"{_where(dev, 1)}.request_timeout_seconds"
    assert f"can take 232 s ({dev['members'][1]['role']} 2 x 116 s)" in problem.message


# --------------------------------------------------------------------------- router capacity
def _router_vcpu_per_request(data: dict, catalog=None) -> tuple[float, str]:
    """vCPU one request in flight can need (bench/router_bench.py's figures in council.policy) if it
    streams from the member whose tokens can come fastest (GPU memory bandwidth / weight bytes),
    and that member's role."""
    from council.policy import FASTEST_ANSWER_SECONDS, ROUTER_CPU_SECONDS_PER_CHUNK, ROUTER_CPU_SECONDS_PER_REQUEST

    catalog = catalog or load_catalog()
    env = parse_environment(data, "dev.yaml")
    rate, role = max((catalog.skus[m.sku].gpus * catalog.skus[m.sku].memory_bandwidth_gb_s / m.model.facts(catalog).weights_gb, m.role)
                     for m in env.members)
    return ROUTER_CPU_SECONDS_PER_REQUEST / FASTEST_ANSWER_SECONDS + ROUTER_CPU_SECONDS_PER_CHUNK * rate, role


@pytest.mark.parametrize("cpu", [1.0, 2.0])
@pytest.mark.parametrize("extra", [0, 1])
def test_a_replica_takes_at_most_the_streams_its_cpu_carries_at_80_percent(dev, cpu, extra):
    per_request, fastest = _router_vcpu_per_request(dev)
    limit = int(0.8 * cpu / per_request)
    assert limit * per_request <= 0.8 * cpu < (limit + 1) * per_request
    dev["router"].update(cpu=cpu, concurrent_requests=limit + extra, max_replicas=300)
    problems = _check(dev)
    if not extra:
        assert problems == []
        return
    (problem,) = problems
    assert problem.field == "router.concurrent_requests"
    assert problem.message.startswith(f"{limit + 1} requests in flight per replica can need {(limit + 1) * per_request:.2f} vCPU of LiteLLM")
    assert f"from {fastest} (" in problem.message
    assert problem.message.endswith(f"more than 80% of router.cpu ({cpu:g}); set it to {limit} or less (or leave it unset), or raise router.cpu")


def test_a_member_whose_streams_can_come_faster_lowers_what_a_replica_takes(dev):
    # A hypothetical A10 SKU with ten times the memory bandwidth: its member's streams bound the router.
    fast = GpuSku(name="Standard_NV36test_v1", gpu="A10", gpus=1, gpu_memory_gb=24, vcpus=36, family="StandardNVADSA10v5Family",
                  upgrade_reserve=True, hourly_usd=3.2, memory_bandwidth_gb_s=6000)
    catalog = _catalog(skus={fast.name: fast})
    dev["router"].update(max_replicas=300)
    before, _ = _router_vcpu_per_request(dev, catalog)
    index = _pick(dev, "on an A10", lambda m: m["sku"] == A10)
    dev["members"][index]["sku"] = fast.name
    after, fastest = _router_vcpu_per_request(dev, catalog)
    assert fastest == dev["members"][index]["role"] and after > before
    limit = int(0.8 / after)
    dev["router"]["concurrent_requests"] = limit + 1
    (problem,) = _check(dev, catalog=catalog)
    assert problem.field == "router.concurrent_requests" and f"from {fastest} ({fast.name}" in problem.message
    assert f"set it to {limit} or less" in problem.message


@pytest.mark.parametrize("short", [0, 1])
def test_max_replicas_must_hold_every_request_the_members_take_at_their_max_scale(dev, short):
    per_request, _ = _router_vcpu_per_request(dev)
    per_replica = int(0.8 * dev["router"].get("cpu", 1.0) / per_request)
    slots = sum(m["instances"]["max"] * m.get("max_concurrent_requests_per_instance", 8) for m in dev["members"])
    needed = -(-slots // per_replica)
    dev["router"].update(max_replicas=needed - short)
    dev["router"].pop("concurrent_requests", None)
    problems = _check(dev)
    if not short:
        assert problems == []
        return
    (problem,) = problems
    assert problem.field == "router.max_replicas"
    assert problem.message.startswith(f"{needed - 1} replicas of {per_replica} requests each cannot hold the {slots} requests")
    assert f"raise max_replicas to {needed}," in problem.message


# --------------------------------------------------------------------------- quota
A10_FAMILY = "StandardNVADSA10v5Family"
A100_FAMILY = "StandardNCADSA100v4Family"


@pytest.mark.parametrize("declared, short", [(180, False), (179, True)])
def test_quota_equal_to_the_need_is_enough_and_one_less_is_not(dev, declared, short):
    # One A10 deployment (36 vCPUs, 20% upgrade reserve) at max 4: ceil(1.2 x 4) = 5 -> 5 x 36 = 180.
    index = _pick(dev, "served by a container", is_container)
    _keep(dev, index)
    dev["members"][0].update(sku=A10, instances={"min": 1, "default": 1, "max": 4})
    dev["members"][0]["model"]["max_model_len"] = 4096  # every shipped container model fits an A10 at 4k
    dev["quota"] = {A10_FAMILY: declared}
    problems = _check(dev)
    if not short:
        assert problems == []
        return
    (problem,) = problems
    assert problem.field == f"quota.{A10_FAMILY}"
    assert problem.message == ("declared quota is 179 vCPUs but the members need 180 at max scale (per deployment "
                               "ceil(1.2 x instances) x cores where Azure ML's 20% upgrade reserve applies); "
                               "request more quota or lower instances.max")


def test_quota_reserve_is_rounded_up_per_deployment_not_per_family(dev):
    # Two A10 deployments at max 1: ceil(1.2) = 2 each -> 4 x 36 = 144 (not ceil(2.4) = 3 -> 108).
    first = _pick(dev, "served by a container", is_container)
    second = _pick(dev, "a second container member", lambda m: is_container(m) and m is not dev["members"][first])
    _keep(dev, first, second)
    for member in dev["members"]:
        member.update(sku=A10, instances={"min": 1, "default": 1, "max": 1})
        member["model"]["max_model_len"] = 4096
    dev["quota"] = {A10_FAMILY: 144}
    assert _check(dev) == []
    dev["quota"] = {A10_FAMILY: 143}
    (problem,) = _check(dev)
    assert problem.field == f"quota.{A10_FAMILY}" and "need 144 at max scale" in problem.message


@pytest.mark.parametrize("declared, short", [(72, False), (71, True)])
def test_a100_quota_has_no_upgrade_reserve(dev, declared, short):
    # A100 families skip the 20%: max 3 x 24 vCPUs = 72.
    index = _pick(dev, "Mistral-7B from the catalog", _mistral)
    _keep(dev, index)
    dev["members"][0].update(sku=A100, instances={"min": 1, "default": 1, "max": 3})
    dev["quota"] = {A100_FAMILY: declared}
    assert _fields(_check(dev)) == ([f"quota.{A100_FAMILY}"] if short else [])


def test_undeclared_families_and_unused_declarations_are_not_checked(dev):
    # dev's members need far more than 1 vCPU of their families; a family nobody uses is ignored.
    catalog = load_catalog()
    used = {catalog.skus[m["sku"]].family for m in dev["members"]}
    dev["quota"] = {next(s.family for s in catalog.skus.values() if s.family not in used): 1}
    assert _check(dev) == []


# --------------------------------------------------------------------------- budget
def _one_a10_member(dev: dict) -> dict:
    """dev with one container member on one A10 at min 1, the router at 0 replicas."""
    index = _pick(dev, "served by a container", is_container)
    _keep(dev, index)
    dev["members"][0].update(sku=A10, instances={"min": 1, "default": 1, "max": 2})
    dev["members"][0]["model"]["max_model_len"] = 4096
    dev["router"].update(min_replicas=0, shared_state="azure-managed-redis", virtual_keys=False)
    dev["workspace"] = {"firewall_sku": "Standard"}
    return dev


@pytest.mark.parametrize("amount, below", [(3292.30, False), (3292.29, True)])
def test_budget_equal_to_the_minimum_monthly_cost_is_accepted_and_a_cent_less_is_not(dev, amount, below):
    # Minimum month (730 h, catalog prices): one A10 3.20/h x 730 = 2336.00; the managed
    # network's Standard firewall (the container's pulls need FQDN rules) 1.25 x 730 = 912.50;
    # 6 private endpoints (2 Key Vaults, workspace, blob, file, Redis) x 0.01 x 730 = 43.80;
    # router at 0 replicas = 0. Total 3292.30 USD.
    data = _one_a10_member(dev)
    data["budget"]["amount_usd"] = amount
    problems = _check(data)
    if not below:
        assert problems == []
        return
    (problem,) = problems
    assert problem.field == "budget.amount_usd"
    assert problem.message.startswith("3,292.29 USD is below the council's minimum monthly cost of 3,292.30 USD")
    assert problem.message.endswith("raise it or shrink the council")


def test_budget_is_priced_with_the_catalog_given(dev):
    # The same plan with the A10 at a hypothetical 4.20 USD/h: 4.20 x 730 = 3066.00 + 912.50 + 43.80
    # = 4022.30 USD, so the budget that covered the shipped prices (3292.30) no longer does.
    data = _one_a10_member(dev)
    data["budget"]["amount_usd"] = 3292.30
    catalog = _catalog(skus={A10: dataclasses.replace(load_catalog().skus[A10], hourly_usd=4.20)})
    (problem,) = _check(data, catalog=catalog)
    assert problem.field == "budget.amount_usd" and "minimum monthly cost of 4,022.30 USD" in problem.message


def test_quota_is_counted_with_the_catalog_given(dev):
    # A SKU only the given catalog knows (8 vCPUs, upgrade reserve) at max 2: ceil(2.4) = 3 x 8 = 24.
    sku = GpuSku(name="Standard_NC8test_v1", gpu="A10", gpus=1, gpu_memory_gb=24, vcpus=8, family="testFamily",
                 upgrade_reserve=True, hourly_usd=1.0, memory_bandwidth_gb_s=600)
    index = _pick(dev, "served by a container", is_container)
    _keep(dev, index)
    dev["members"][0].update(sku=sku.name, instances={"min": 1, "default": 1, "max": 2})
    dev["members"][0]["model"]["max_model_len"] = 4096
    dev["quota"] = {"testFamily": 23}
    (problem,) = _check(dev, catalog=_catalog(skus={sku.name: sku}))
    assert problem.field == "quota.testFamily" and "need 24 at max scale" in problem.message


def test_budget_is_checked_only_once_the_rest_of_the_plan_is_valid(dev):
    data = _one_a10_member(dev)
    data["budget"]["amount_usd"] = 1
    data["quota"] = {A10_FAMILY: 1}
    assert _fields(_check(data)) == [f"quota.{A10_FAMILY}"]


def test_every_guardrail_reports_in_the_same_run(dev):
    container = _pick(dev, "served by a container", is_container)
    other = _pick(dev, "another member", lambda m: m is not dev["members"][container])
    dev["location"] = "eastus9"
    dev["network"]["apps_subnet"] = "10.40.0.0/28"
    dev["members"][other]["sku"] = "Standard_D4s_v5"
    dev["members"][container]["model"]["image"] = "mcr.microsoft.com/azureml/tgi:3.3.2"
    dev["members"][container]["request_timeout_seconds"] = 180
    dev["router"].update(timeout_retries=1, concurrent_requests=1000)
    family = load_catalog().skus[dev["members"][container]["sku"]].family
    dev["quota"] = {family: 1}
    dev["budget"]["amount_usd"] = 1
    fields = set(_fields(_check(dev, stack="staging-eu-west")))
    assert fields >= {"location", "name_prefix", "network.apps_subnet", f"{_where(dev, other)}.sku",
                      f"{_where(dev, container)}.model.image", "router.concurrent_requests", f"quota.{family}"}
    assert any(f.endswith(".request_timeout_seconds") or f.startswith("router.fallbacks[") for f in fields)
    assert "budget.amount_usd" not in fields


def test_check_environment_reads_the_shipped_catalog_by_default(dev):
    env = parse_environment(dev, "dev.yaml")
    assert check_environment(env, "dev") == check_environment(env, "dev", load_catalog()) == []
    dev["location"] = "eastus9"
    assert _fields(check_environment(parse_environment(dev, "dev.yaml"), "dev")) == ["location"]


# --------------------------------------------------------------------------- notices
def test_terraform_cloud_without_an_organization_gets_a_notice(prod):
    assert prod["backend"]["type"] == "cloud" and "organization" not in prod["backend"]
    (notice,) = notices(parse_environment(prod, "prod.yaml"), "environments/prod.yaml")
    assert notice.startswith("environments/prod.yaml: backend.organization: not set; before `cdktf deploy` set it")
    assert notice.endswith("(or export TF_CLOUD_ORGANIZATION) and run `terraform login`; until then terraform init stops")


def test_terraform_cloud_with_an_organization_or_local_state_gets_none(prod, dev):
    prod["backend"]["organization"] = "my-org"
    assert notices(parse_environment(prod, "prod.yaml"), "prod.yaml") == []
    assert dev["backend"]["type"] == "local"
    assert notices(parse_environment(dev, "dev.yaml"), "dev.yaml") == []


# --------------------------------------------------------------------------- parts of a broken file
def test_parts_of_a_file_that_does_not_parse_are_still_checked(dev):
    del dev["contacts"]  # a schema error elsewhere
    dev["location"] = "eastus9"
    index = _pick(dev, "any member", lambda m: True)
    dev["members"][index]["sku"] = "Standard_NC24ads_A100_v5"
    dev["network"]["apps_subnet"] = "10.40.0.0/28"
    problems = check_parts(dev)
    assert _fields(problems) == ["location", f"{_where(dev, index)}.sku", "network.apps_subnet"]
    assert "did you mean eastus?" in problems[0].message
    assert "did you mean Standard_NC24ads_A100_v4?" in problems[1].message
    assert "smaller than /27" in problems[2].message


def test_parts_that_are_themselves_invalid_are_left_to_the_schema_errors(dev):
    del dev["contacts"]
    dev["location"] = "East US"  # breaks the location pattern: the schema says so, not the region check
    broken = _pick(dev, "any member", lambda m: True)
    del dev["members"][broken]["instances"]
    dev["members"][broken]["sku"] = "Standard_NC24ads_A100_v5"  # not reported: the member is invalid
    dev["network"]["apps_subnet"] = "10.40.0.0/28"
    dev["router"]["min_replicas"] = -1  # an invalid router: the subnet's needed size is unknown
    assert check_parts(dev) == []
    dev["members"] = 3  # not a list of members
    dev["network"] = {"mode": "create"}
    assert check_parts(dev) == []


def test_parts_check_a_valid_member_after_an_invalid_one_with_its_own_index(dev):
    del dev["contacts"]
    broken = _pick(dev, "any member", lambda m: True)
    checked = _pick(dev, "a second member", lambda m: m is not dev["members"][broken])
    del dev["members"][broken]["instances"]
    dev["members"][checked]["sku"] = "Standard_NC6s_v3"
    assert _fields(check_parts(dev, load_catalog())) == [f"{_where(dev, checked)}.sku"]


@pytest.mark.parametrize("router, apps_subnet, limit", [
    (None, "10.40.0.0/28", 27),  # no router section: the default, workload-profiles
    ({"environment_type": "consumption-only"}, "10.40.0.0/24", 23),
])
def test_parts_size_the_apps_subnet_for_the_routers_environment_type(dev, router, apps_subnet, limit):
    del dev["contacts"]
    dev["network"].update(apps_subnet=apps_subnet, private_endpoints_subnet="10.40.2.0/24")
    if router is None:
        del dev["router"]
    else:
        dev["router"] = router
    (problem,) = check_parts(dev)
    assert problem.field == "network.apps_subnet" and f"smaller than /{limit}" in problem.message


# --------------------------------------------------------------------------- loading a file
def _write(tmp_path, text: str):
    path = tmp_path / "dev.yaml"
    path.write_text(text)
    return path


def _yaml(data: dict) -> str:
    return json.dumps(data)  # JSON is YAML


def test_load_checked_returns_a_valid_environment(tmp_path, dev):
    env = load_checked(_write(tmp_path, _yaml(dev)), "dev")
    assert env.location == dev["location"] and len(env.members) == len(dev["members"])


def test_load_checked_reports_schema_errors_and_the_valid_parts_guardrails_together(tmp_path, dev):
    dev["regoin"] = "eastus"
    dev["location"] = "eastus9"
    path = _write(tmp_path, _yaml(dev))
    with pytest.raises(CouncilError) as caught:
        load_checked(path, "dev")
    lines = str(caught.value).splitlines()
    assert lines[0] == f"{path}: regoin: unknown key; remove it or check its spelling"
    assert lines[1].startswith(f"{path}: location: 'eastus9' is not an Azure region name; did you mean eastus?")
    assert len(lines) == 2
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_load_checked_refuses_a_parsed_plan_with_one_line_per_problem(tmp_path, dev):
    dev["location"] = "eastus9"
    dev["network"]["apps_subnet"] = "10.40.0.0/28"
    path = _write(tmp_path, _yaml(dev))
    with pytest.raises(CouncilError) as caught:
        load_checked(path, "dev")
    lines = str(caught.value).splitlines()
    assert [line.split(": ")[:2] for line in lines] == [[str(path), "location"], [str(path), "network.apps_subnet"]]


def test_raise_if_problems_names_the_source_and_passes_a_valid_plan(dev):
    raise_if_problems(parse_environment(dev, "dev.yaml"), "dev", "environments/dev.yaml")
    dev["location"] = "eastus9"
    with pytest.raises(CouncilError) as caught:
        raise_if_problems(parse_environment(dev, "dev.yaml"), "dev", "environments/dev.yaml")
    assert str(caught.value).startswith("environments/dev.yaml: location: 'eastus9' is not an Azure region name")


def test_a_sku_typo_is_never_pointed_at_a_retired_sku(dev):
    """Standard_NC6s_v4 is one character from the retired Standard_NC6s_v3 (retired SKUs are in
    catalog/gpu_skus.yaml with their dates); the hint must not send the user there."""
    from council.catalog import load_catalog
    from council.checks import check_environment
    from council.config import parse_environment

    retired = [n for n, s in load_catalog().skus.items() if s.retired]
    assert retired, "the catalog lists retired SKUs"
    for typo in ("Standard_NC6s_v4", "Standard_D4s_v5"):
        dev["members"][0]["sku"] = typo
        problems = [p for p in check_environment(parse_environment(dev, "dev.yaml"), "dev") if p.field.endswith(".sku")]
        assert len(problems) == 1 and "use one of" in problems[0].message
        assert not any(f"did you mean {name}?" in problems[0].message for name in retired), problems[0].message


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_the_budget_floor_says_when_schedule_windows_raise_it(fresh, name):
    data = fresh(name)
    data["budget"]["amount_usd"] = 1
    (problem,) = [p for p in _check(data, stack=name) if p.field == "budget.amount_usd"]
    assert ("raised in the schedule windows" in problem.message) == ("schedule" in data)
