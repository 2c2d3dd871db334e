"""council.config's limits on both sides, and its documented defaults.

A limit is tried just inside (accepted) and just outside (refused, the one line naming the
field). A default is tried by leaving the setting out of dev.yaml's data. Where each limit
or default comes from:
- Router replicas: azurerm's `azurerm_container_app` (the router's resource) validates the
  template's `min_replicas` in 0-300 and `max_replicas` in 1-300 (hashicorp/
  terraform-provider-azurerm, internal/services/containerapps/helpers/container_apps.go,
  IntBetween(0, 300) / IntBetween(1, 300)); Azure itself allows up to 1,000
  (learn.microsoft.com/azure/container-apps/scale-app), so 300 is the limit a plan meets.
- Router retries: README "The router: how it treats failing members" sets
  `timeout_retries: 0` and `server_error_retries: 0`; a count below zero means fewer than
  one attempt, which the time-budget guardrail (1 + timeout_retries attempts) cannot use.
- Router sizing: README "Router sizing": unset `router.concurrent_requests` is derived from the
  members (council.sizing); an explicit one must be at least 1.
- Keys: README "Rotate keys": "The `keys:` section (defaults shown): ... master_key_version: 1
  # raise it for a new router master key".
- Terraform Cloud backend: the forms config.py gives and shows in its refusals,
  `^[A-Za-z0-9_-]+$` for the organization and `^[A-Za-z0-9_-]{1,90}$` for the workspace:
  one character is a name.
- A member's `sku_reason` is required text (README "Add a council member"): any non-empty
  reason is one.
"""

from __future__ import annotations

import pytest

from council.config import parse_environment
from council.errors import CouncilError
from unit.unit_data import member_at, raw

SOURCE = "dev.yaml"


def _parse(data: dict):
    return parse_environment(data, SOURCE)


def _refused(data: dict) -> str:
    """The one line reported for `data`, without the `<file>: ` prefix it must carry."""
    with pytest.raises(CouncilError) as caught:
        _parse(data)
    lines = caught.value.line().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{SOURCE}: "), lines
    return lines[0][len(SOURCE) + 2:]


# --------------------------------------------------------------------------- router replicas
AZURERM_MAX_REPLICAS = 300  # azurerm_container_app: min_replicas 0-300, max_replicas 1-300


def test_router_may_hold_azurerms_maximum_of_replicas_from_the_start():
    data = raw("dev")
    data["router"].update(min_replicas=AZURERM_MAX_REPLICAS, max_replicas=AZURERM_MAX_REPLICAS)
    router = _parse(data).router
    assert (router.min_replicas, router.max_replicas) == (AZURERM_MAX_REPLICAS, AZURERM_MAX_REPLICAS)


def test_router_min_replicas_above_azurerms_maximum_is_refused_naming_it():
    data = raw("dev")
    data["router"].update(min_replicas=AZURERM_MAX_REPLICAS + 1, max_replicas=AZURERM_MAX_REPLICAS)
    assert _refused(data) == (
        f"router.min_replicas: Input should be less than or equal to {AZURERM_MAX_REPLICAS} (got {AZURERM_MAX_REPLICAS + 1})"
    )


# --------------------------------------------------------------------------- router retries
@pytest.mark.parametrize("field", ["timeout_retries", "server_error_retries"])
def test_router_retries_of_timeouts_and_5xx_may_be_zero_but_not_negative(field):
    data = raw("dev")
    data["router"][field] = 0  # README: the fallback answers at once
    assert getattr(_parse(data).router, field) == 0
    data["router"][field] = -1
    assert _refused(data) == f"router.{field}: Input should be greater than or equal to 0 (got -1)"


# --------------------------------------------------------------------------- router sizing
def test_router_without_cpu_or_concurrency_gets_one_vcpu_and_a_scale_rule_derived_from_its_members():
    from council.sizing import router_concurrency_limit, router_concurrent_requests

    data = raw("dev")
    for key in ("cpu", "concurrent_requests"):
        data["router"].pop(key, None)
    env = _parse(data)
    assert env.router.cpu == 1.0
    assert env.router.concurrent_requests is None
    assert router_concurrent_requests(env) == router_concurrency_limit(env)
    data["router"]["concurrent_requests"] = 3
    assert router_concurrent_requests(_parse(data)) == 3
    data["router"]["concurrent_requests"] = 0
    assert _refused(data) == "router.concurrent_requests: Input should be greater than or equal to 1 (got 0)"


# --------------------------------------------------------------------------- keys
def test_master_key_version_starts_at_one_and_may_be_written_as_such():
    data = raw("dev")
    data.pop("keys", None)
    assert _parse(data).keys.master_key_version == 1  # README "Rotate keys": defaults shown
    data["keys"] = {"master_key_version": 1}  # the README's block, uncommented
    assert _parse(data).keys.master_key_version == 1
    data["keys"] = {"master_key_version": 0}
    assert _refused(data) == "keys.master_key_version: Input should be greater than or equal to 1 (got 0)"


# --------------------------------------------------------------------------- Terraform Cloud backend
@pytest.mark.parametrize("name", ["a", "7", "-", "_"])
def test_a_one_character_terraform_cloud_workspace_and_organization_are_accepted(name):
    data = raw("dev")
    data["backend"] = {"type": "cloud", "organization": name, "workspace": name}
    backend = _parse(data).backend
    assert (backend.organization, backend.workspace) == (name, name)


def test_a_ninety_character_terraform_cloud_workspace_is_accepted():
    data = raw("dev")
    data["backend"] = {"type": "cloud", "workspace": "w" * 90}
    assert _parse(data).backend.workspace == "w" * 90


@pytest.mark.parametrize("field", ["organization", "workspace"])
def test_an_empty_terraform_cloud_name_is_refused_naming_it(field):
    data = raw("dev")
    data["backend"] = {"type": "cloud", "workspace": "ai-council-dev", field: ""}
    assert _refused(data).startswith(f"backend.{field}: ")


# --------------------------------------------------------------------------- members
def test_any_non_empty_sku_reason_is_accepted_and_an_empty_one_refused():
    data = raw("dev")
    last = len(data["members"]) - 1
    data["members"][last]["sku_reason"] = "x"
    assert _parse(data).members[last].sku_reason == "x"
    data["members"][last]["sku_reason"] = ""
    assert _refused(data) == f"{member_at(data, last)}.sku_reason: String should have at least 1 character (got '')"


# --------------------------------------------------------------------------- operators' networks
def test_operator_sources_are_private_ranges_and_vnet_ids():
    data = raw("dev")
    data["network"].update(operator_cidrs=["10.60.0.0/24"], operator_vnet_ids=[
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub"])
    assert _parse(data).network.operator_cidrs == ("10.60.0.0/24",)
    data["network"]["operator_cidrs"] = ["20.60.0.0/24"]
    assert _refused(data).startswith("network.operator_cidrs: '20.60.0.0/24' is not a private range")
    data["network"]["operator_cidrs"] = ["10.60.0.1/24"]
    assert "host bits" in _refused(data)
    data["network"]["operator_cidrs"] = []
    data["network"]["operator_vnet_ids"] = ["/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"]
    assert "is not a virtual network resource id" in _refused(data)
