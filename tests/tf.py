"""Helpers to read a synthesized cdk.tf.json: find resources and follow references."""

from __future__ import annotations

import re


def resources(stack: dict, rtype: str) -> dict[str, dict]:
    return stack.get("resource", {}).get(rtype, {})


def by_path(stack: dict, rtype: str, suffix: str) -> tuple[str, dict]:
    """The one resource of `rtype` whose construct path ends with `suffix`."""
    found = [(k, v) for k, v in resources(stack, rtype).items() if v["//"]["metadata"]["path"].endswith(suffix)]
    assert len(found) == 1, f"{len(found)} {rtype} resources end with {suffix!r}"
    return found[0]


def ref(rtype: str, key: str, attr: str) -> str:
    return f"${{{rtype}.{key}.{attr}}}"


def refs_in(value) -> set[str]:
    """Every `type.name` a value references through ${...}."""
    text = value if isinstance(value, str) else repr(value)
    return set(re.findall(r"\b((?:azurerm|azapi|random)_[a-z_]+\.[A-Za-z0-9_-]+)", text))


def members_of(stack: dict, rtype: str, leaf: str) -> dict[str, dict]:
    """role -> resource for resources at path .../member-<role>/<leaf>."""
    out = {}
    for value in resources(stack, rtype).values():
        match = re.search(r"/member-([a-z0-9]+)/" + re.escape(leaf) + "$", value["//"]["metadata"]["path"])
        if match:
            out[match.group(1)] = value
    return out


def key_of(stack: dict, rtype: str, value: dict) -> str:
    return next(k for k, v in resources(stack, rtype).items() if v is value)


KEY_VAULT_SECRET_TYPE = "Microsoft.KeyVault/vaults/secrets@"


def vault_secrets(stack: dict) -> dict[str, tuple[str, dict]]:
    """secret name -> (resource key, azapi_resource_action) for every Key Vault secret write."""
    out = {}
    for key, value in resources(stack, "azapi_resource_action").items():
        if value["type"].startswith(KEY_VAULT_SECRET_TYPE):
            name = value["resource_id"].rsplit("/secrets/", 1)[1]
            assert name not in out, f"secret {name} written twice"
            out[name] = (key, value)
    return out
