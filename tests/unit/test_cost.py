"""`council describe`: every figure worked out by hand from the catalog's listed prices.

Documented rules (README "Review a change", catalog/*.yaml):
- list pay-as-you-go prices, 730 hours a month;
- a member costs its SKU's hourly price per instance: min instances for the monthly minimum,
  max instances for the monthly maximum;
- the router (Container Apps consumption) costs per vCPU-second and per GiB-second, per replica:
  730 h x 3600 s = 2,628,000 s a month;
- the managed network's Azure Firewall (Standard or Basic, hourly) exists once some member
  needs an FQDN outbound rule;
- each private endpoint the stack creates costs its hourly price: both Key Vaults, the
  workspace, the workspace storage's blob and file services (5), plus the router's Redis
  (shared_state azure-managed-redis) and PostgreSQL (virtual_keys).
"""

from __future__ import annotations

import dataclasses

import pytest

from unit.unit_data import raw

A100 = "Standard_NC24ads_A100_v4"
A10 = "Standard_NV36ads_A10_v5"
A100_FAMILY = "StandardNCADSA100v4Family"
A10_FAMILY = "StandardNVADSA10v5Family"
# Meta's registry: "no other user defined outbound rules required" (catalog/egress.yaml), so a
# council of such members needs no FQDN rule and gets no firewall.
LLAMA = {"source": "catalog", "asset_id": "azureml://registries/azureml-meta/models/Meta-Llama-3-8B-Instruct/versions/9"}
# Served from Hugging Face by TGI from ghcr.io: FQDN rules, hence the firewall.
GEMMA = {"source": "container", "hf_model_id": "google/codegemma-7b-it", "hf_token_required": True, "max_model_len": 4096}


@pytest.fixture(autouse=True)
def listed_prices():
    """The catalog's listed prices that every hand computation below uses."""
    from council.catalog import load_catalog

    catalog = load_catalog()
    assert catalog.skus[A100].hourly_usd == 3.673 and catalog.skus[A10].hourly_usd == 3.20
    assert (catalog.skus[A100].vcpus, catalog.skus[A10].vcpus) == (24, 36)
    assert (catalog.container_apps.vcpu_second_usd, catalog.container_apps.gib_second_usd) == (0.000024, 0.000003)
    assert catalog.platform.firewall_hourly_usd == {"Standard": 1.25, "Basic": 0.395}
    assert catalog.platform.private_endpoint_hourly_usd == 0.01


def _member(role: str, sku: str, low: int, high: int, default: int | None = None, model: dict = LLAMA) -> dict:
    return {"role": role, "alias": f"{role}-model", "display_name": f"{role.title()} model", "description": "a test member",
            "model": dict(model), "sku": sku, "sku_reason": "test", "instances": {"min": low, "default": default or low, "max": high}}


def _base() -> dict:
    """dev.yaml with two members of our own, no fallbacks, a 1 vCPU / 2 GiB router on 1-3 replicas."""
    data = raw("dev")
    data["name_suffix"] = "k7q2"
    data["members"] = [_member("alpha", A100, 1, 3), _member("beta", A10, 2, 4, default=3)]
    data["router"].update(fallbacks=[], cpu=1.0, memory="2Gi", min_replicas=1, max_replicas=3)
    return data


def _describe(data: dict, stack: str = "dev", catalog=None) -> dict:
    from council.config import parse_environment
    from council.cost import describe

    return describe(parse_environment(data, f"{stack}.yaml"), stack, catalog)


# Hand arithmetic for _base() (no FQDN rule: no firewall; Redis on, virtual keys off: 6 endpoints):
#   alpha  A100 3.673/h: min 1 -> 3.673 x 730 = 2,681.29;      max 3 -> 8,043.87
#   beta   A10  3.20/h:  min 2 -> 3.20 x 730 x 2 = 4,672.00;   max 4 -> 9,344.00
#   router 1 x 0.000024 + 2 x 0.000003 = 0.00003 USD/s -> 0.108/h, 78.84 a month per replica:
#          min 1 -> 78.84; max 3 -> 236.52
#   private endpoints 6 x 0.01 = 0.06/h -> 43.80 a month
BASE_MONTHLY_MIN = 7475.93    # 2,681.29 + 4,672.00 + 78.84 + 43.80
BASE_MONTHLY_MAX = 17668.19   # 8,043.87 + 9,344.00 + 236.52 + 43.80
BASE_HOURLY_MIN = 10.24       # 3.673 + 2 x 3.20 + 0.108 + 0.06 = 10.241


def test_totals_are_members_router_and_private_endpoints_at_min_and_max():
    data = _describe(_base())
    assert data["totals"] == {"monthly_min_usd": BASE_MONTHLY_MIN, "monthly_max_usd": BASE_MONTHLY_MAX, "hourly_min_usd": BASE_HOURLY_MIN}


def test_member_row_gives_sku_gpu_instances_and_monthly_cost_at_min_and_max():
    rows = _describe(_base())["members"]
    assert rows[0] == {
        "role": "alpha", "model": "Alpha model", "source": "catalog", "endpoint": "council-alpha-dev-k7q2",
        "sku": A100, "gpu": "1x A100",
        # Llama-3-8B (models.yaml): 8.03 B x 2 bytes (bf16) = 16.06 GB of weights; KV cache for the
        # catalog's full 8,192 tokens: 2 x 32 layers x 8 heads x 128 x 2 bytes x 8,192 = 1.0737 GB;
        # + 1.5 GB runtime = 18.63 -> 18.6.  The A100 SKU: 1 GPU x 80 GB.
        "gpu_memory_needed_gb": 18.6, "gpu_memory_available_gb": 80,
        "instances_min": 1, "instances_default": 1, "instances_max": 3,
        "hourly_usd": 3.673, "monthly_min_usd": 2681.29, "monthly_max_usd": 8043.87,
    }
    beta = rows[1]
    assert (beta["role"], beta["gpu"], beta["gpu_memory_available_gb"]) == ("beta", "1x A10", 24)
    assert (beta["instances_min"], beta["instances_default"], beta["instances_max"]) == (2, 3, 4)
    assert (beta["hourly_usd"], beta["monthly_min_usd"], beta["monthly_max_usd"]) == (3.20, 4672.00, 9344.00)


def test_a_container_member_row_says_where_its_model_comes_from():
    data = _base()
    data["members"].append(_member("gamma", A10, 1, 1, model=GEMMA))
    gamma = _describe(data)["members"][2]
    # CodeGemma-7b (models.yaml): 8.54 x 2 = 17.08 GB; KV for max_model_len 4,096 tokens:
    # 2 x 28 layers x 16 heads x 256 x 2 bytes x 4,096 = 1.879 GB; + 1.5 = 20.46 -> 20.5.
    assert (gamma["source"], gamma["gpu_memory_needed_gb"], gamma["monthly_max_usd"]) == ("container (Hugging Face)", 20.5, 2336.00)


def test_router_row_is_priced_per_replica_from_vcpu_and_memory_seconds():
    router = _describe(_base())["router"]
    assert router == {"name": "ca-council-router-dev", "cpu": 1.0, "memory_gib": 2.0, "replicas_min": 1, "replicas_max": 3,
                      "hourly_usd_per_replica": 0.108, "monthly_min_usd": 78.84, "monthly_max_usd": 236.52}


@pytest.mark.parametrize("cpu, memory, gib, hourly, monthly", [
    (1.0, "4Gi", 4.0, 0.1296, 94.61),     # 1 x 0.000024 + 4 x 0.000003 = 0.000036/s; x 3600 = 0.1296; x 2,628,000 = 94.608
    (2.0, "2Gi", 2.0, 0.1944, 141.91),    # 2 x 0.000024 + 2 x 0.000003 = 0.000054/s; x 3600 = 0.1944; x 2,628,000 = 141.912
    (0.5, "1.5Gi", 1.5, 0.0594, 43.36),   # 0.5 x 0.000024 + 1.5 x 0.000003 = 0.0000165/s; 0.0594/h; 43.362
])
def test_router_cost_follows_its_vcpus_and_gib(cpu, memory, gib, hourly, monthly):
    data = _base()
    data["router"].update(cpu=cpu, memory=memory, min_replicas=1, max_replicas=1)
    router = _describe(data)["router"]
    assert (router["cpu"], router["memory_gib"], router["hourly_usd_per_replica"]) == (cpu, gib, hourly)
    assert router["monthly_min_usd"] == router["monthly_max_usd"] == monthly


def test_a_router_idling_at_zero_replicas_costs_nothing_at_min():
    data = _base()
    data["router"]["min_replicas"] = 0
    described = _describe(data)
    assert (described["router"]["monthly_min_usd"], described["router"]["monthly_max_usd"]) == (0.0, 236.52)
    # The totals lose one replica-month (78.84) and one replica-hour (0.108) at min, nothing at max.
    assert described["totals"] == {"monthly_min_usd": 7397.09, "monthly_max_usd": BASE_MONTHLY_MAX, "hourly_min_usd": 10.13}


def test_one_more_router_replica_at_max_adds_one_replica_month_to_the_maximum():
    data = _base()
    data["router"]["max_replicas"] = 4
    totals = _describe(data)["totals"]
    assert totals["monthly_max_usd"] == round(BASE_MONTHLY_MAX + 78.84, 2)
    assert (totals["monthly_min_usd"], totals["hourly_min_usd"]) == (BASE_MONTHLY_MIN, BASE_HOURLY_MIN)


def test_one_more_member_adds_its_instances_at_min_and_at_max():
    data = _base()
    data["members"].append(_member("delta", A100, 2, 5))
    described = _describe(data)
    # delta: A100 at 3.673/h; min 2 -> 5,362.58 a month, 7.346/h; max 5 -> 13,406.45.
    assert described["totals"] == {"monthly_min_usd": 12838.51,   # 7,475.93 + 5,362.58
                                   "monthly_max_usd": 31074.64,   # 17,668.19 + 13,406.45
                                   "hourly_min_usd": 17.59}       # 10.241 + 7.346 = 17.587
    assert [m["role"] for m in described["members"]] == ["alpha", "beta", "delta"]


def test_raising_a_members_max_instances_changes_only_the_maximum():
    data = _base()
    data["members"][0]["instances"]["max"] = 4
    totals = _describe(data)["totals"]
    assert totals["monthly_max_usd"] == 20349.48  # 17,668.19 + one more A100 month, 2,681.29
    assert (totals["monthly_min_usd"], totals["hourly_min_usd"]) == (BASE_MONTHLY_MIN, BASE_HOURLY_MIN)


def test_raising_a_members_min_instances_changes_minimum_and_hourly():
    data = _base()
    data["members"][1]["instances"].update(min=3, default=3)
    totals = _describe(data)["totals"]
    # beta: one more A10 instance at min: +2,336.00 a month, +3.20 an hour.
    assert totals == {"monthly_min_usd": 9811.93, "monthly_max_usd": BASE_MONTHLY_MAX, "hourly_min_usd": 13.44}


# --------------------------------------------------------------------------- platform
def test_no_firewall_is_counted_when_no_member_needs_an_fqdn_rule():
    platform = _describe(_base())["platform"]
    assert [row["name"] for row in platform] == ["private endpoints"]


@pytest.mark.parametrize("sku, hourly, monthly, totals", [
    # Standard 1.25/h x 730 = 912.50.  gamma: one A10 instance, 3.20/h -> 2,336.00 at min and max.
    ("Standard", 1.25, 912.50, {"monthly_min_usd": 10724.43,    # 7,475.93 + 2,336.00 + 912.50
                                "monthly_max_usd": 20916.69,    # 17,668.19 + 2,336.00 + 912.50
                                "hourly_min_usd": 14.69}),      # 10.241 + 3.20 + 1.25 = 14.691
    # Basic 0.395/h x 730 = 288.35.
    ("Basic", 0.395, 288.35, {"monthly_min_usd": 10100.28,      # 7,475.93 + 2,336.00 + 288.35
                              "monthly_max_usd": 20292.54,      # 17,668.19 + 2,336.00 + 288.35
                              "hourly_min_usd": 13.84}),        # 10.241 + 3.20 + 0.395 = 13.836
])
def test_a_member_pulling_from_hugging_face_brings_the_managed_firewall(sku, hourly, monthly, totals):
    from council.catalog import load_catalog

    data = _base()
    data["members"].append(_member("gamma", A10, 1, 1, model=GEMMA))
    data["workspace"] = {"firewall_sku": sku}
    described = _describe(data)
    firewall = described["platform"][0]
    assert firewall == {"name": f"managed network firewall ({sku})", "count": 1, "hourly_usd": hourly, "monthly_usd": monthly,
                        "source": load_catalog().platform.firewall_source}
    assert described["platform"][1]["name"] == "private endpoints"
    assert described["totals"] == totals


def test_basic_firewall_saves_the_hourly_difference_every_month():
    standard, basic = _base(), _base()
    for data in (standard, basic):
        data["members"].append(_member("gamma", A10, 1, 1, model=GEMMA))
    basic["workspace"] = {"firewall_sku": "Basic"}
    first, second = _describe(standard)["totals"], _describe(basic)["totals"]
    # (1.25 - 0.395) x 730 = 624.15 at min and at max.
    assert round(first["monthly_min_usd"] - second["monthly_min_usd"], 2) == 624.15
    assert round(first["monthly_max_usd"] - second["monthly_max_usd"], 2) == 624.15


@pytest.mark.parametrize("shared_state, virtual_keys, count, hourly, monthly", [
    ("none", False, 5, 0.05, 36.50),                  # Key Vaults x2, workspace, blob, file
    ("azure-managed-redis", False, 6, 0.06, 43.80),   # + Redis
    ("none", True, 6, 0.06, 43.80),                   # + PostgreSQL
    ("azure-managed-redis", True, 7, 0.07, 51.10),    # + both
])
def test_private_endpoints_are_counted_for_every_service_the_stack_puts_behind_one(shared_state, virtual_keys, count, hourly, monthly):
    from council.catalog import load_catalog
    from council.config import parse_environment
    from council.cost import private_endpoint_count

    data = _base()
    data["router"].update(shared_state=shared_state, virtual_keys=virtual_keys)
    assert private_endpoint_count(parse_environment(data, "dev.yaml")) == count
    row = _describe(data)["platform"][-1]
    assert row == {"name": "private endpoints", "count": count, "hourly_usd": hourly, "monthly_usd": monthly,
                   "source": load_catalog().platform.private_endpoint_source}


def test_describe_and_the_budget_floor_use_the_catalog_they_are_given():
    from council.catalog import load_catalog
    from council.config import parse_environment
    from council.cost import minimum_monthly_cost

    catalog = load_catalog()
    dearer = dataclasses.replace(catalog, platform=dataclasses.replace(catalog.platform, private_endpoint_hourly_usd=0.02))
    # 6 endpoints at 0.02/h: 87.60 a month instead of 43.80.
    assert _describe(_base(), catalog=dearer)["platform"][-1]["monthly_usd"] == 87.60
    env = parse_environment(_base(), "dev.yaml")
    assert minimum_monthly_cost(env, "dev", dearer) == 7519.73  # 7,475.93 - 43.80 + 87.60
    assert minimum_monthly_cost(env, "dev") == BASE_MONTHLY_MIN


def test_describe_sizes_quota_and_gpu_memory_from_the_catalog_it_is_given():
    from council.catalog import load_catalog

    catalog = load_catalog()
    llama = next(m for m in catalog.models.values() if m.catalog_asset == "azureml-meta/Meta-Llama-3-8B-Instruct")
    other = dataclasses.replace(
        catalog,
        skus={**catalog.skus, A100: dataclasses.replace(catalog.skus[A100], vcpus=48)},
        models={**catalog.models, llama.key: dataclasses.replace(llama, params_b=16.06)},
    )
    described = _describe(_base(), catalog=other)
    # alpha at max: 3 instances x 48 vCPUs, no upgrade reserve on the A100 family.
    assert described["quota"][0] == {"family": A100_FAMILY, "vcpus_needed_at_max": 144, "declared": None, "upgrade_reserve": False}
    # 16.06 B x 2 bytes = 32.12 GB + 1.0737 GB KV cache (8,192 tokens) + 1.5 GB = 34.69 -> 34.7.
    assert described["members"][0]["gpu_memory_needed_gb"] == 34.7


# --------------------------------------------------------------------------- unknowns, quota, header
def test_a_member_on_an_unknown_sku_is_shown_as_unknown_and_adds_nothing():
    data = _base()
    unknown = _member("omega", "Standard_NC999_Unreleased", 1, 2,
                      model={"source": "catalog", "asset_id": "azureml://registries/azureml-meta/models/Not-In-Catalog/versions/1"})
    data["members"].append(unknown)
    described = _describe(data)
    row = described["members"][2]
    assert (row["gpu"], row["hourly_usd"], row["gpu_memory_available_gb"], row["gpu_memory_needed_gb"]) == ("unknown", None, None, None)
    assert (row["monthly_min_usd"], row["monthly_max_usd"]) == (0.0, 0.0)
    assert described["totals"] == {"monthly_min_usd": BASE_MONTHLY_MIN, "monthly_max_usd": BASE_MONTHLY_MAX, "hourly_min_usd": BASE_HOURLY_MIN}
    assert {q["family"] for q in described["quota"]} == {A100_FAMILY, A10_FAMILY}


def test_quota_rows_give_vcpus_at_max_scale_per_family_with_what_is_declared():
    data = _base()
    data["quota"] = {A100_FAMILY: 96}
    quota = _describe(data)["quota"]
    assert quota == [
        # alpha: 3 instances x 24 vCPUs; the A100 family has no upgrade reserve.
        {"family": A100_FAMILY, "vcpus_needed_at_max": 72, "declared": 96, "upgrade_reserve": False},
        # beta: ceil(1.2 x 4) = 5 instances reserved x 36 vCPUs (20% upgrade reserve).
        {"family": A10_FAMILY, "vcpus_needed_at_max": 180, "declared": None, "upgrade_reserve": True},
    ]


def test_description_names_the_environment_budget_and_the_prices_used():
    from council.catalog import load_catalog

    catalog = load_catalog()
    data = _base()
    data["location"] = "swedencentral"
    data["budget"]["amount_usd"] = 12345.5
    described = _describe(data, stack="staging")
    assert (described["environment"], described["location"], described["budget_usd"]) == ("staging", "swedencentral", 12345.5)
    assert described["router"]["name"] == "ca-council-router-staging"
    assert described["prices"] == {"as_of": catalog.as_of, "region": catalog.price_region,
                                   "container_apps_as_of": catalog.container_apps.as_of, "hours_per_month": 730}
    assert any("taxes" in line for line in described["not_counted"])


def test_the_key_database_is_listed_as_not_counted_only_where_there_is_one():
    data = _base()
    data.setdefault("router", {})["virtual_keys"] = False
    assert not any("PostgreSQL" in line for line in _describe(data, stack="dev")["not_counted"])
    data["router"]["virtual_keys"] = True
    data["router"]["database_sku"] = "GP_Standard_D2ds_v5"
    assert any("PostgreSQL" in line and "GP_Standard_D2ds_v5" in line for line in _describe(data, stack="dev")["not_counted"])


def test_prices_say_when_they_are_another_regions():
    from council.cost import format_table

    here = format_table(_data()).splitlines()
    assert [line for line in here if line.startswith("prices:")] == [
        "prices: list pay-as-you-go, eastus2, as of 2026-11 (730 h/month); check the Azure pricing calculator"]
    there = format_table(_data(location="swedencentral")).splitlines()
    assert "(the council is in swedencentral: prices there may differ)" in next(line for line in there if line.startswith("prices:"))


def test_a_budget_below_the_cost_at_max_scale_is_a_warning_not_an_error():
    from council.checks import check_environment, notices
    from council.config import parse_environment

    data = raw("dev")
    env = parse_environment(data, "dev.yaml")
    described = _describe(data, stack="dev")
    low, high = described["totals"]["monthly_min_usd"], described["totals"]["monthly_max_usd"]
    data["budget"]["amount_usd"] = round((low + high) / 2, 2)
    env = parse_environment(data, "dev.yaml")
    assert check_environment(env, "dev") == []
    (warning,) = [line for line in notices(env, "dev.yaml") if "budget.amount_usd" in line]
    assert warning.startswith(f"dev.yaml: budget.amount_usd: {data['budget']['amount_usd']:,.2f} USD is below") and f"{high:,.2f} USD" in warning
    data["budget"]["amount_usd"] = high
    assert not [line for line in notices(parse_environment(data, "dev.yaml"), "dev.yaml") if "budget" in line]


def test_shipped_environments_list_every_member_in_file_order_with_totals_equal_to_the_rows():
    """Totals are the sums of the rows (cost module contract), whatever the files hold."""
    for name in ("dev", "prod"):
        file = raw(name)
        described = _describe(raw(name), stack=name)
        assert [m["role"] for m in described["members"]] == [m["role"] for m in file["members"]]
        assert [m["sku"] for m in described["members"]] == [m["sku"] for m in file["members"]]
        fixed = sum(p["monthly_usd"] for p in described["platform"])
        expected_min = sum(m["monthly_min_usd"] for m in described["members"]) + described["router"]["monthly_min_usd"] + fixed
        expected_max = sum(m["monthly_max_usd"] for m in described["members"]) + described["router"]["monthly_max_usd"] + fixed
        assert described["totals"]["monthly_min_usd"] == pytest.approx(expected_min, abs=0.006)
        assert described["totals"]["monthly_max_usd"] == pytest.approx(expected_max, abs=0.006)
        assert described["totals"]["monthly_min_usd"] < described["totals"]["monthly_max_usd"]


# --------------------------------------------------------------------------- the table
def _data(**changes) -> dict:
    """A description as `describe` returns it, written out by hand."""
    data = {
        "environment": "dev", "location": "eastus2",
        "members": [
            {"role": "alpha", "model": "Alpha model", "source": "catalog", "endpoint": "council-alpha-dev-k7q2",
             "sku": A100, "gpu": "1x A100", "gpu_memory_needed_gb": 18.63, "gpu_memory_available_gb": 80,
             "instances_min": 1, "instances_default": 2, "instances_max": 3,
             "hourly_usd": 3.673, "monthly_min_usd": 2681.29, "monthly_max_usd": 8043.87},
            {"role": "omega", "model": "Omega", "source": "catalog", "endpoint": "council-omega-dev-k7q2",
             "sku": "Standard_X", "gpu": "unknown", "gpu_memory_needed_gb": None, "gpu_memory_available_gb": None,
             "instances_min": 1, "instances_default": 1, "instances_max": 1,
             "hourly_usd": None, "monthly_min_usd": 0.0, "monthly_max_usd": 0.0},
        ],
        "router": {"name": "ca-council-router-dev", "cpu": 0.5, "memory_gib": 1.0, "replicas_min": 0, "replicas_max": 2,
                   "hourly_usd_per_replica": 0.054, "monthly_min_usd": 0.0, "monthly_max_usd": 78.84},
        "platform": [{"name": "private endpoints", "count": 6, "hourly_usd": 0.06, "monthly_usd": 43.8, "source": "s"}],
        "totals": {"monthly_min_usd": 2725.09, "monthly_max_usd": 8166.51, "hourly_min_usd": 3.73},
        "budget_usd": 30000,
        "quota": [
            {"family": "FamA", "vcpus_needed_at_max": 72, "declared": 72, "upgrade_reserve": False},
            {"family": "FamB", "vcpus_needed_at_max": 180, "declared": 179, "upgrade_reserve": True},
            {"family": "FamC", "vcpus_needed_at_max": 8, "declared": None, "upgrade_reserve": False},
        ],
        "prices": {"as_of": "2026-11", "region": "eastus2", "container_apps_as_of": "2026-11", "hours_per_month": 730},
        "not_counted": ["storage", "taxes"],
    }
    data.update(changes)
    return data


TABLE = """\
AI Council 'dev' in eastus2
role               model        source          sku                       gpu      gpu mem need/have  inst min/def/max  hourly      monthly@min  monthly@max
-----------------  -----------  --------------  ------------------------  -------  -----------------  ----------------  ----------  -----------  -----------
alpha              Alpha model  catalog         Standard_NC24ads_A100_v4  1x A100  18.6/80 GB         1/2/3             $3.67       $2,681.29    $8,043.87
omega              Omega        catalog         Standard_X                unknown  ?/? GB             1/1/1             n/a         $0.00        $0.00
router             LiteLLM      Container Apps  0.5 vCPU/1 GiB            -        -                  0/-/2             $0.05       $0.00        $78.84
private endpoints                               x6                        -        -                  -                 $0.06       $43.80       $43.80
-----------------  -----------  --------------  ------------------------  -------  -----------------  ----------------  ----------  -----------  -----------
TOTAL                                                                                                                   $3.73 @min  $2,725.09    $8,166.51
budget: $30,000.00 per month

quota (vCPUs per VM family at max scale; (+20%): ceil(1.2 x instances) x cores per deployment):
  FamA: need 72, declared 72  OK
  FamB: need 180 (+20%), declared 179  SHORT
  FamC: need 8, not declared

prices: list pay-as-you-go, eastus2, as of 2026-11 (730 h/month); check the Azure pricing calculator
not counted:
  - storage
  - taxes
"""


def test_table_lines_up_every_row_under_its_header_with_totals_last():
    from council.cost import format_table

    assert format_table(_data()) == TABLE


def test_table_columns_start_at_the_same_place_on_every_row():
    from council.cost import format_table

    lines = format_table(_data()).splitlines()
    header = lines[1]
    start = header.index("monthly@min")
    for line in lines[3:9]:  # members, router, platform, then the TOTAL row after the rule
        if line.startswith("-"):
            continue
        assert line[start - 2:start] == "  " and line[start] == "$", line


def test_quota_is_ok_at_exactly_what_is_declared_and_short_one_below():
    from council.cost import format_table

    quota = [{"family": "F", "vcpus_needed_at_max": 48, "declared": declared, "upgrade_reserve": True} for declared in (48, 47)]
    lines = format_table(_data(quota=quota)).splitlines()
    assert "  F: need 48 (+20%), declared 48  OK" in lines
    assert "  F: need 48 (+20%), declared 47  SHORT" in lines


def test_money_has_thousands_separators_and_cents():
    from council.cost import format_table

    text = format_table(_data(budget_usd=1234567.891))
    assert "budget: $1,234,567.89 per month" in text.splitlines()


def test_a_description_without_platform_rows_still_renders():
    from council.cost import format_table

    data = _data()
    del data["platform"]
    lines = format_table(data).splitlines()
    assert not any(line.startswith("private endpoints") for line in lines)
    total = next(i for i, line in enumerate(lines) if line.startswith("TOTAL"))
    assert lines[total - 1].startswith("-----") and lines[total + 1].startswith("budget:")


def test_table_of_a_real_description_shows_each_member_and_the_totals():
    from council.cost import format_table

    text = format_table(_describe(_base()))
    rows = {line.split()[0]: line for line in text.splitlines() if line and not line.startswith(("-", " "))}
    assert "$2,681.29" in rows["alpha"] and "$8,043.87" in rows["alpha"]
    assert "$7,475.93" in rows["TOTAL"] and "$17,668.19" in rows["TOTAL"] and "$10.24 @min" in rows["TOTAL"]


def test_describe_says_which_members_run_quantized_weights(fresh):
    from council.catalog import load_catalog
    from council.config import parse_environment
    from council.cost import describe

    data = fresh("dev")
    catalog = load_catalog()
    rows = {r["role"]: r for r in describe(parse_environment(data, "dev.yaml"), "dev")["members"]}
    for member in data["members"]:
        facts = catalog.model_for_hf(member["model"].get("hf_model_id", ""))
        quantized = facts is not None and facts.quantization is not None
        assert rows[member["role"]]["source"].endswith((" GPTQ 4-bit", " AWQ 4-bit")) == quantized, member["role"]


def test_every_part_not_counted_says_why(fresh):
    from council.config import parse_environment
    from council.cost import describe

    for name in ("dev", "prod"):
        for line in describe(parse_environment(fresh(name), f"{name}.yaml"), name)["not_counted"]:
            assert ": " in line or line.startswith("taxes"), line
