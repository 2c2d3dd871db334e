"""Helpers to read a synthesized cdk.tf.json: find resources and follow references."""

from __future__ import annotations

import json
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


ML_WORKSPACE_TYPE = "Microsoft.MachineLearningServices/workspaces@"


def ml_workspace(stack: dict) -> tuple[str, dict]:
    """(key, azapi_resource) of the stack's one Azure ML workspace."""
    (found,) = [(k, v) for k, v in resources(stack, "azapi_resource").items() if v["type"].startswith(ML_WORKSPACE_TYPE)]
    return found


def outbound_fqdns(stack: dict) -> set[str]:
    """The FQDNs the workspace's managed network lets out (its user-defined FQDN rules)."""
    rules = ml_workspace(stack)[1]["body"]["properties"]["managedNetwork"].get("outboundRules", {})
    assert all(r["type"] == "FQDN" for r in rules.values())
    return {r["destination"] for r in rules.values()}


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


def _addresses(value) -> set[str]:
    """Every resource/data/local address an attribute value references through ${...}."""
    text = value if isinstance(value, str) else json.dumps(value)
    found = set()
    for match in re.finditer(r"\$\{([^{}]|\{[^{}]*\})*\}", text):
        for ref_match in re.finditer(r"\b((?:data\.)?[a-z]+_[a-z0-9_]+\.[A-Za-z0-9_-]+|local\.[A-Za-z0-9_]+)", match.group(0)):
            found.add(ref_match.group(1))
    return found


class Graph:
    """The dependency graph Terraform builds from cdk.tf.json: references plus depends_on.

    Nodes are addresses (`type.name`, `data.type.name`); a local stands for what it references.
    `a` depends on `b` when applying `a` must wait for `b`; destroying goes the other way.
    """

    def __init__(self, stack: dict) -> None:
        locals_ = {f"local.{k}": _addresses(v) for k, v in (stack.get("locals") or {}).items()}
        self.edges: dict[str, set[str]] = {}
        self.body: dict[str, dict] = {}
        sections = [("", stack.get("resource", {})), ("data.", stack.get("data", {}))]
        for prefix, by_type in sections:
            for rtype, by_name in by_type.items():
                for name, value in by_name.items():
                    address = f"{prefix}{rtype}.{name}"
                    attributes = {k: v for k, v in value.items() if k not in ("//", "depends_on", "lifecycle")}
                    targets = _addresses(attributes) | set(value.get("depends_on", []))
                    resolved = set()
                    for target in targets:
                        resolved |= locals_.get(target, {target})
                    self.edges[address] = {t for t in resolved if t != address}
                    self.body[address] = value

    def depends_on(self, a: str, b: str) -> bool:
        """Does `a` (transitively) wait for `b`?"""
        seen, todo = set(), [a]
        while todo:
            node = todo.pop()
            for nxt in self.edges.get(node, ()):
                if nxt == b:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    def directly(self, a: str) -> set[str]:
        return self.edges.get(a, set())


def address(stack: dict, rtype: str, value: dict) -> str:
    return f"{rtype}.{key_of(stack, rtype, value)}"


# What makes Terraform replace an azapi_resource instead of updating it (azapi v2.5.0,
# internal/services/azapi_resource.go: `name` and `parent_id` RequiresReplace, L126-141;
# `replace_triggers_external_values` RequiresReplaceIfNotNull, L215-221; a changed `type`
# or `location` in ModifyPlan, L480-576). Read 2026-12-03 in the mirrored provider source.
_AZAPI_FORCE_NEW = ("type", "name", "parent_id", "location", "replace_triggers_external_values")


def plan(before: dict, after: dict) -> dict[str, str]:
    """address -> what `terraform apply` does going from `before` to `after` (both cdk.tf.json):
    create, delete, replace, update or no-op. Offline, so by the providers' documented rules,
    not by running Terraform: an azapi_resource is replaced when a force-new argument changes;
    an azapi_resource_action runs again when its inputs change (and a `when = "destroy"` one
    only when it is deleted)."""
    def flat(stack: dict) -> dict[str, dict]:
        # depends_on orders operations but is no input: changing it alone changes nothing.
        return {f"{rtype}.{name}": {k: v for k, v in value.items() if k not in ("//", "depends_on")}
                for rtype, by_name in stack.get("resource", {}).items() for name, value in by_name.items()}

    old, new = flat(before), flat(after)
    actions = {}
    for address in old.keys() | new.keys():
        if address not in new:
            actions[address] = "delete"
        elif address not in old:
            actions[address] = "create"
        elif old[address] == new[address]:
            actions[address] = "no-op"
        elif address.startswith("azapi_resource.") and any(old[address].get(k) != new[address].get(k) for k in _AZAPI_FORCE_NEW):
            actions[address] = "replace"
        else:
            actions[address] = "update"
    return actions
