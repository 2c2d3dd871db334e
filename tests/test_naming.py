"""Computed physical names obey Azure's published rules (written out here, independently)."""

from __future__ import annotations

import re

import pytest

from tf import members_of, resources

RULES = {
    "azurerm_key_vault": r"^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$",
    "azurerm_storage_account": r"^[a-z0-9]{3,24}$",
    "azurerm_container_app": r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$",
    "azurerm_container_app_environment": r"^[a-z][a-z0-9-]{0,58}[a-z0-9]$",
    "azurerm_machine_learning_workspace": r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$",
    "azurerm_resource_group": r"^[-\w.()]{1,89}[-\w()]$",
}


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_names_follow_azure_rules(stacks, name):
    stack = stacks[name]
    for rtype, rule in RULES.items():
        for res in resources(stack, rtype).values():
            assert re.match(rule, res["name"]), f"{rtype} {res['name']!r}"
            assert "--" not in res["name"]
    for ep in members_of(stack, "azapi_resource", "endpoint").values():
        # <name>.<region>.inference.ml.azure.com: 3-32 chars, letter first.
        assert re.fullmatch(r"[a-zA-Z][a-zA-Z0-9-]{2,31}", ep["name"]), ep["name"]
    for secret in resources(stack, "azurerm_container_app")[next(iter(resources(stack, "azurerm_container_app")))]["secret"]:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*[a-z0-9]", secret["name"])


def test_globally_unique_names_differ_between_environments(stacks):
    for rtype in ("azurerm_key_vault", "azurerm_storage_account"):
        dev = {r["name"] for r in resources(stacks["dev"], rtype).values()}
        prod = {r["name"] for r in resources(stacks["prod"], rtype).values()}
        assert dev and prod and not dev & prod


def test_too_long_a_name_is_refused_with_the_field_and_fix():
    from council.errors import CouncilError
    from council.naming import Names

    names = Names(prefix="council", stack="development", suffix="abcdef")
    with pytest.raises(CouncilError) as caught:
        names.online_endpoint("guardian")
    message = caught.value.line()
    assert "council-guardian-development-abcdef" in message and "3-32" in message and "shorten" in message


def test_shortened_global_names_keep_the_unique_suffix():
    from council.naming import Names

    names = Names(prefix="councilx", stack="staging", suffix="q7w9z2")
    for name, limit in ((names.key_vault("c"), 24), (names.storage_account(), 24)):
        assert len(name) <= limit and name.endswith("q7w9z2"), name
    assert Names(prefix="council", stack="dev", suffix="k7q2").key_vault("c") == "kvc-councildevk7q2"
