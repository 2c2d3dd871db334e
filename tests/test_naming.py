"""Computed physical names obey Azure's published rules (written out here, independently)."""

from __future__ import annotations

import hashlib
import re

import pytest

from tf import members_of, ml_workspace, resources

RULES = {
    "azurerm_key_vault": r"^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$",
    "azurerm_storage_account": r"^[a-z0-9]{3,24}$",
    "azurerm_container_app": r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$",
    "azurerm_container_app_environment": r"^[a-z][a-z0-9-]{0,58}[a-z0-9]$",
    "azurerm_resource_group": r"^[-\w.()]{1,89}[-\w()]$",
}


# What Terraform makes of `local.name_suffix` for some subscription: six hex digits.
SUFFIX_LOCAL = "${substr(sha1(lower(data.azurerm_client_config.client.subscription_id)), 0, 6)}"
SAMPLE_SUFFIX = hashlib.sha1(b"00000000-0000-0000-0000-000000000000").hexdigest()[:6]


def _planned(stack: dict, name: str) -> str:
    """A name as Terraform plans it: the subscription-derived suffix filled in."""
    if "${local.name_suffix}" in name:
        assert stack["locals"]["name_suffix"] == SUFFIX_LOCAL
        assert name.endswith("${local.name_suffix}"), "the suffix always ends the name"
    return name.replace("${local.name_suffix}", SAMPLE_SUFFIX)


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_names_follow_azure_rules(stacks, name):
    stack = stacks[name]
    for rtype, rule in RULES.items():
        for res in resources(stack, rtype).values():
            planned = _planned(stack, res["name"])
            assert re.match(rule, planned), f"{rtype} {planned!r}"
            assert "--" not in planned
    # Azure ML workspace: 3-33 characters, letter or digit first, then letters, digits, - and _.
    assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}", _planned(stack, ml_workspace(stack)[1]["name"]))
    for ep in members_of(stack, "azapi_resource", "endpoint").values():
        # <name>.<region>.inference.ml.azure.com: 3-32 chars, letter first.
        assert re.fullmatch(r"[a-zA-Z][a-zA-Z0-9-]{2,31}", _planned(stack, ep["name"])), ep["name"]
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


def test_the_same_file_in_two_subscriptions_gets_different_global_names():
    """Nobody edits a file: the suffix follows the subscription (an explicit name_suffix still wins)."""
    from conftest import raw_environment
    from council.config import parse_environment
    from council.naming import names_for

    data = raw_environment("dev")
    assert "name_suffix" not in data, "the shipped files rely on the derived suffix"
    subs = ("11111111-2222-3333-4444-555555555555", "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE")
    names = [names_for(parse_environment({**data, "subscription_id": sub}, "dev.yaml"), "dev") for sub in subs]
    for kind in ("key_vault", "storage_account", "online_endpoint"):
        args = ("c",) if kind == "key_vault" else ("pacer",) if kind == "online_endpoint" else ()
        first, second = (getattr(n, kind)(*args) for n in names)
        assert first != second, kind
        # Terraform's sha1() of the lowercased id, first six hex digits: what the plan computes.
        assert first.endswith(hashlib.sha1(subs[0].lower().encode()).hexdigest()[:6]), first
        assert second.endswith(hashlib.sha1(subs[1].lower().encode()).hexdigest()[:6]), second
    explicit = names_for(parse_environment({**data, "subscription_id": subs[0], "name_suffix": "k7q2"}, "dev.yaml"), "dev")
    assert explicit.key_vault("c") == "kvc-councildevk7q2"
