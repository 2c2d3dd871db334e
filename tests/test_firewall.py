"""The managed network's firewall: its SKU comes from the environment file, is set before the
first FQDN rule provisions the firewall, and `council describe` prices what is chosen."""

from __future__ import annotations

import copy

from conftest import raw_environment
from tf import resources


def _firewall_updates(stack: dict) -> list[dict]:
    return [u for u in resources(stack, "azapi_update_resource").values()
            if u["type"].startswith("Microsoft.MachineLearningServices/workspaces@")]


def test_the_default_firewall_is_azure_mls_own_standard(stacks):
    assert _firewall_updates(stacks["dev"]) == [] == _firewall_updates(stacks["prod"])


def test_a_basic_firewall_is_set_before_the_first_fqdn_rule(stacks):
    stack = stacks["basicfw"]
    (update,) = _firewall_updates(stack)
    (workspace_key,) = resources(stack, "azurerm_machine_learning_workspace")
    assert update["resource_id"] == f"${{azurerm_machine_learning_workspace.{workspace_key}.id}}"
    assert update["body"] == {"properties": {"managedNetwork": {"firewallSku": "Basic"}}}
    (update_key,) = [k for k, u in resources(stack, "azapi_update_resource").items() if u is update]
    rules = resources(stack, "azurerm_machine_learning_workspace_network_outbound_rule_fqdn")
    first = [r for r in rules.values() if f"azapi_update_resource.{update_key}" in r.get("depends_on", [])]
    assert len(first) == 1, "exactly the first rule of the chain waits for the SKU"


def test_describe_prices_the_chosen_firewall():
    from council.config import parse_environment
    from council.cost import describe

    data = raw_environment("dev")
    basic = copy.deepcopy(data)
    basic["workspace"] = {"firewall_sku": "Basic"}
    rows = {s: {p["name"]: p for p in describe(parse_environment(d, "dev.yaml"), "dev")["platform"]} for s, d in (("std", data), ("basic", basic))}
    assert rows["std"]["managed network firewall (Standard)"]["monthly_usd"] > rows["basic"]["managed network firewall (Basic)"]["monthly_usd"] > 0
