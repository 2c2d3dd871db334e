"""The managed network's firewall: its SKU comes from the environment file, is sent with the
FQDN rules that provision the firewall, and `council describe` prices what is chosen."""

from __future__ import annotations

import copy

from conftest import raw_environment
from tf import ml_workspace, outbound_fqdns, resources


def _firewall_sku(stack: dict) -> str:
    return ml_workspace(stack)[1]["body"]["properties"]["managedNetwork"]["firewallSku"]


def test_the_default_firewall_is_azure_mls_own_standard(stacks, environments):
    for name in ("dev", "prod"):
        assert environments[name].workspace.firewall_sku == "Standard"
        assert _firewall_sku(stacks[name]) == "Standard"


def test_a_basic_firewall_is_in_the_body_that_creates_the_rules(stacks):
    """The SKU and the FQDN rules that provision the firewall arrive in one request, so the
    firewall is never created as Standard first."""
    stack = stacks["basicfw"]
    assert _firewall_sku(stack) == "Basic"
    assert outbound_fqdns(stack)
    assert not [u for u in resources(stack, "azapi_update_resource").values() if u["type"].startswith("Microsoft.MachineLearningServices/workspaces@")]


def test_describe_prices_the_chosen_firewall():
    from council.config import parse_environment
    from council.cost import describe

    data = raw_environment("dev")
    basic = copy.deepcopy(data)
    basic["workspace"] = {"firewall_sku": "Basic"}
    rows = {s: {p["name"]: p for p in describe(parse_environment(d, "dev.yaml"), "dev")["platform"]} for s, d in (("std", data), ("basic", basic))}
    assert rows["std"]["managed network firewall (Standard)"]["monthly_usd"] > rows["basic"]["managed network firewall (Basic)"]["monthly_usd"] > 0
