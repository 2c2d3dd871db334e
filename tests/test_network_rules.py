"""The created network's NSGs say which flows the council needs: the apps subnet takes what an
internal Container Apps environment needs (Microsoft's table) and nothing from the internet;
the private endpoints take only the router's traffic, on the ports of the services behind them."""

from __future__ import annotations

import pytest

from conftest import raw_environment
from tf import resources


def _rules(stack: dict) -> dict[str, dict[str, dict]]:
    """subnet ("apps" / "private-endpoints") -> rule name -> rule."""
    nsgs = {key: body["name"] for key, body in resources(stack, "azurerm_network_security_group").items()}
    out: dict[str, dict[str, dict]] = {}
    for rule in resources(stack, "azurerm_network_security_rule").values():
        nsg = next(name for key, name in nsgs.items() if rule["network_security_group_name"] == f"${{azurerm_network_security_group.{key}.name}}")
        out.setdefault("apps" if nsg.startswith("nsg-apps-") else "private-endpoints", {})[rule["name"]] = rule
    return out


def _ports(rule: dict) -> set[str]:
    return set(rule.get("destination_port_ranges") or [rule["destination_port_range"]])


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_only_the_router_reaches_the_private_endpoints_on_its_services_ports(stacks, name):
    data = raw_environment(name)
    network, router = data["network"], data.get("router", {})
    rules = _rules(stacks[name])["private-endpoints"]
    allow, deny = rules["allow-apps-to-services"], rules["deny-everything-else"]
    assert allow["access"] == "Allow" and allow["direction"] == "Inbound" and allow["protocol"] == "Tcp"
    assert allow["source_address_prefix"] == network["apps_subnet"] and allow["destination_address_prefix"] == network["private_endpoints_subnet"]
    expected = {"443"} | ({"10000"} if router.get("shared_state", "azure-managed-redis") == "azure-managed-redis" else set()) \
        | ({"5432"} if router.get("virtual_keys") else set())
    assert _ports(allow) == expected
    assert deny["access"] == "Deny" and deny["source_address_prefix"] == "*" and deny["destination_port_range"] == "*"
    assert deny["priority"] > allow["priority"]


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_the_apps_subnet_takes_the_environments_flows_and_nothing_from_the_internet(stacks, name):
    network = raw_environment(name)["network"]
    rules = _rules(stacks[name])["apps"]
    assert rules["deny-internet"]["access"] == "Deny" and rules["deny-internet"]["source_address_prefix"] == "Internet"
    allows = [r for r in rules.values() if r["access"] == "Allow"]
    assert all(r["priority"] < rules["deny-internet"]["priority"] for r in allows)
    assert not any(r["source_address_prefix"] in ("*", "Internet", "0.0.0.0/0") for r in allows)
    # Microsoft's table for an internal workload-profiles environment (firewall-integration).
    assert _ports(rules["allow-load-balancer-probes"]) == {"30000-32767"} and rules["allow-load-balancer-probes"]["source_address_prefix"] == "AzureLoadBalancer"
    assert _ports(rules["allow-vnet-clients"]) == {"80", "443", "31080", "31443"}
    assert rules["allow-environment-internal"]["source_address_prefix"] == network["apps_subnet"]


def test_a_landing_zones_network_keeps_its_own_rules(stacks):
    assert resources(stacks["lz"], "azurerm_network_security_rule") == {}


def test_operators_reach_the_private_endpoints_on_https_and_resolve_every_private_name(stacks):
    """With network.operator_cidrs and operator_vnet_ids (the `ops` variant of dev), the places
    operators work from are admitted on 443 only, below the final deny, and every private DNS
    zone the stack creates is linked to each operator VNet; without them (dev) neither exists."""
    from conftest import _variants

    network = _variants()["ops"]["network"]
    rules = _rules(stacks["ops"])["private-endpoints"]
    allow = rules["allow-operators-https"]
    assert allow["access"] == "Allow" and allow["protocol"] == "Tcp" and _ports(allow) == {"443"}
    assert allow["source_address_prefixes"] == network["operator_cidrs"] and "source_address_prefix" not in allow
    assert allow["destination_address_prefix"] == network["private_endpoints_subnet"]
    assert allow["priority"] < rules["deny-everything-else"]["priority"]
    zones = resources(stacks["ops"], "azurerm_private_dns_zone")
    links = resources(stacks["ops"], "azurerm_private_dns_zone_virtual_network_link").values()
    for key in zones:
        linked = {link["virtual_network_id"] for link in links if link["private_dns_zone_name"] == f"${{azurerm_private_dns_zone.{key}.name}}"}
        assert set(network["operator_vnet_ids"]) <= linked, zones[key]["name"]
    assert "allow-operators-https" not in _rules(stacks["dev"])["private-endpoints"]
    assert all(not link["virtual_network_id"].startswith("/subscriptions/") for link in resources(stacks["dev"], "azurerm_private_dns_zone_virtual_network_link").values())


def test_a_landing_zones_apps_subnet_is_checked_at_plan_before_anything_goes_into_it(stacks):
    """The subnet is read at plan (azapi) with postconditions on its delegation and size, and
    the Container Apps environment takes the subnet id from that read, so a wrong subnet stops
    the plan before anything is created."""
    from conftest import EXISTING_NETWORK
    from council.policy import APPS_SUBNET_MAX_PREFIX

    stack = stacks["lz"]
    reads = {key: body for key, body in stack["data"]["azapi_resource"].items() if body["resource_id"] == EXISTING_NETWORK["apps_subnet_id"]}
    ((key, read),) = reads.items()
    assert read["type"].startswith("Microsoft.Network/virtualNetworks/subnets@")
    conditions = [c["condition"] for c in read["lifecycle"]["postcondition"]]
    assert any(f"<= {APPS_SUBNET_MAX_PREFIX['workload-profiles']}" in c and "addressPrefix" in c for c in conditions)
    assert any('"Microsoft.App/environments"' in c and "delegations" in c for c in conditions)
    assert all(m["error_message"].startswith("network.apps_subnet_id: ") for m in read["lifecycle"]["postcondition"])
    assert {"properties.delegations", "properties.addressPrefix"} <= set(read["response_export_values"])
    ((_, environment),) = resources(stack, "azurerm_container_app_environment").items()
    assert environment["infrastructure_subnet_id"] == f"${{data.azapi_resource.{key}.id}}"


def test_a_landing_zone_is_told_before_the_council_creates_zones_for_it():
    from conftest import EXISTING_NETWORK
    from council.config import parse_environment
    from council.errors import CouncilError

    import copy

    data = raw_environment("dev")
    data["network"] = copy.deepcopy(EXISTING_NETWORK)
    del data["network"]["private_dns_zone_ids"]["blob_core_windows_net"]
    with pytest.raises(CouncilError) as caught:
        parse_environment(data, "dev.yaml")
    (line,) = caught.value.line().splitlines()
    assert "private_dns_zone_ids.blob_core_windows_net: missing" in line and "create_missing_zones: true" in line
    data["network"]["create_missing_zones"] = True
    assert parse_environment(data, "dev.yaml").network.create_missing_zones is True
