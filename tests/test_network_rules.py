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
