"""Before and after: what Terraform would do to a deployed council when its file changes.

Each scenario synthesizes the dev file and a changed copy in the same session (the
`sku` and `fewer` stacks of conftest) and compares resource addresses and bodies the
way a plan does: same address and changed arguments is an update or a replacement,
an address that disappears is a destroy.
"""

from __future__ import annotations

import yaml

from conftest import as_dev, changed_role, member_removed, raw_environment, sku_changed
from tf import Graph, address, members_of, resources, vault_secrets


def _addresses(stack: dict) -> dict[str, dict]:
    return {f"{t}.{k}": v for t, by in stack.get("resource", {}).items() for k, v in by.items()}


def _config(stack: dict) -> dict:
    return yaml.safe_load(vault_secrets(stack)["router-config"][1]["body"]["properties"]["value"])


# --------------------------------------------------------------------------- a SKU change
def test_a_sku_change_creates_the_new_deployment_before_the_old_one_goes(stacks):
    before, after = stacks["dev"], as_dev(stacks["devsku"], "devsku")
    role = changed_role(raw_environment("dev"), sku_changed(raw_environment("dev")))
    old = members_of(before, "azapi_resource", "deployment")[role]
    new = members_of(after, "azapi_resource", "deployment")[role]
    # Same address (the construct id is the role), a new name: azapi replaces it, and
    # create_before_destroy creates the new deployment first.
    assert address(before, "azapi_resource", old) == address(after, "azapi_resource", new)
    assert old["name"] != new["name"]
    assert old["replace_triggers_external_values"] != new["replace_triggers_external_values"]
    assert new["lifecycle"]["create_before_destroy"] is True
    assert new["body"]["properties"]["instanceType"] != old["body"]["properties"]["instanceType"]


def test_a_sku_change_moves_all_traffic_and_nothing_else(stacks):
    before, after = stacks["dev"], as_dev(stacks["devsku"], "devsku")
    role = changed_role(raw_environment("dev"), sku_changed(raw_environment("dev")))
    new_name = members_of(after, "azapi_resource", "deployment")[role]["name"]
    traffic_before = members_of(before, "azapi_resource_action", "traffic")[role]
    traffic_after = members_of(after, "azapi_resource_action", "traffic")[role]
    # Replace semantics: exactly {new: 100}, the old name is gone (a merge would keep it).
    assert traffic_after["body"]["properties"]["traffic"] == {new_name: 100}
    # The PUT waits for the new deployment; Terraform updates dependents of a
    # create_before_destroy replacement before it destroys the old object.
    graph = Graph(after)
    deployment = address(after, "azapi_resource", members_of(after, "azapi_resource", "deployment")[role])
    assert graph.depends_on(address(after, "azapi_resource_action", traffic_after), deployment)
    assert {k: v for k, v in traffic_after["body"].items() if k != "properties"} == {k: v for k, v in traffic_before["body"].items() if k != "properties"}
    # The destroy-time release is unchanged, so the replacement does not fire it.
    assert members_of(before, "azapi_resource_action", "traffic-release")[role] == members_of(after, "azapi_resource_action", "traffic-release")[role]
    # The endpoint, the router config and every other member stay as they are.
    assert members_of(before, "azapi_resource", "endpoint") == members_of(after, "azapi_resource", "endpoint")
    # The router config changes only in that member's price per second (spend follows the GPU).
    config_before, config_after = _config(before), _config(after)
    for entry in config_before["model_list"]:
        if entry["model_name"] == role:
            entry["litellm_params"].pop("input_cost_per_second")
    for entry in config_after["model_list"]:
        if entry["model_name"] == role:
            entry["litellm_params"].pop("input_cost_per_second")
    assert config_before == config_after
    for other, deployment_before in members_of(before, "azapi_resource", "deployment").items():
        if other != role:
            assert members_of(after, "azapi_resource", "deployment")[other] == deployment_before


# --------------------------------------------------------------------------- a member removed
def test_removing_a_member_destroys_only_what_arm_can_delete(stacks):
    before, after = stacks["dev"], as_dev(stacks["devfew"], "devfew")
    data = raw_environment("dev")
    gone = data["members"][-1]["role"]
    token_still_needed = any(m["model"].get("hf_token_required") for m in data["members"][:-1])
    removed = {a: v for a, v in _addresses(before).items() if a not in _addresses(after)}
    assert removed, "the member's resources must go"

    def belongs_to_the_member(path: str) -> bool:
        leaf = path.rsplit("/", 1)[1]
        return (f"/member-{gone}/" in path or leaf.startswith((f"secret-{gone}-", f"alert-{gone}-"))
                or (leaf == "hf-token-connection" and not token_still_needed))

    assert [v["//"]["metadata"]["path"] for v in removed.values() if not belongs_to_the_member(v["//"]["metadata"]["path"])] == []
    graph = Graph(before)
    for addr, value in removed.items():
        if addr.startswith("azapi_resource."):
            assert not value["type"].startswith("Microsoft.KeyVault/vaults/secrets@"), addr
    # The destroy-time release is among them, ordered before its deployment's delete.
    (release,) = [a for a, v in removed.items() if v.get("when") == "destroy"]
    (deployment,) = [a for a, v in removed.items() if v["//"]["metadata"]["path"].endswith(f"/member-{gone}/deployment")]
    assert graph.depends_on(release, deployment)
    # Its secrets are left in the vault (no DELETE through ARM): destroy sends nothing for them.
    left = {name for name, (key, v) in vault_secrets(before).items() if f"azapi_resource_action.{key}" in removed}
    assert left == {f"{gone}-api-key", f"{gone}-api-base"}
    assert all(v.get("when", "apply") == "apply" for name, (_, v) in vault_secrets(before).items() if name in left)


def test_removing_a_member_drops_it_from_the_router(stacks):
    gone_member = raw_environment("dev")["members"][-1]
    after = as_dev(stacks["devfew"], "devfew")
    names = {entry["model_name"] for entry in _config(after)["model_list"]}
    assert gone_member["role"] not in names and gone_member["alias"] not in names
    for fallback in _config(after)["router_settings"]["fallbacks"]:
        ((source, targets),) = fallback.items()
        assert gone_member["role"] != source and gone_member["role"] not in targets
    ((_, app),) = resources(after, "azurerm_container_app").items()
    assert not [s for s in app["secret"] if s["name"].startswith(f"{gone_member['role']}-")]
    env_names = {e["name"] for e in app["template"]["container"][0]["env"]}
    assert not {n for n in env_names if n.startswith(f"{gone_member['role'].upper()}_")}


def test_a_fallback_that_names_a_removed_member_is_refused():
    from council.config import parse_environment
    from council.errors import CouncilError

    data = raw_environment("dev")
    gone = data["members"][-1]["role"]
    stale = member_removed(data)
    stale.setdefault("router", {}).setdefault("fallbacks", []).append({"role": stale["members"][0]["role"], "to": [gone]})
    try:
        parse_environment(stale, "environments/dev.yaml")
    except CouncilError as error:
        (line,) = error.line().splitlines()
        assert line.startswith("environments/dev.yaml: router") and repr(gone) in line and "not a council member" in line
    else:
        raise AssertionError("a fallback to a removed member was accepted")


# --------------------------------------------------------------------------- destroy, then create again
def test_destroy_order_releases_every_deployment_first(stacks):
    """Destroying a whole environment: every deployment loses its traffic before its delete,
    and nothing in the stack is of a type ARM cannot delete."""
    for name in ("dev", "prod"):
        stack = stacks[name]
        graph = Graph(stack)
        deployments = members_of(stack, "azapi_resource", "deployment")
        releases = members_of(stack, "azapi_resource_action", "traffic-release")
        assert set(deployments) == set(releases) == {m["role"] for m in raw_environment(name)["members"]}
        for role, deployment in deployments.items():
            assert graph.depends_on(address(stack, "azapi_resource_action", releases[role]), address(stack, "azapi_resource", deployment))
        assert not [v for v in resources(stack, "azapi_resource").values() if v["type"].startswith("Microsoft.KeyVault/vaults/secrets@")]


def test_re_creating_an_environment_reuses_its_names(stacks):
    """Names depend only on the file and the subscription: a re-create after destroy asks for
    the same Key Vault names (recovered from soft delete, see the provider features) and the
    same workspace name (purged on destroy, so free again)."""
    from council.config import parse_environment
    from council.naming import names_for

    data = raw_environment("dev")
    sub = "11111111-2222-3333-4444-555555555555"
    first = names_for(parse_environment({**data, "subscription_id": sub}, "dev.yaml"), "dev")
    again = names_for(parse_environment({**data, "subscription_id": sub}, "dev.yaml"), "dev")
    assert (first.key_vault("c"), first.key_vault("w"), first.ml_workspace()) == (again.key_vault("c"), again.key_vault("w"), again.ml_workspace())
    vault_names = {v["name"] for v in resources(stacks["dev"], "azurerm_key_vault").values()}
    assert all("${local.name_suffix}" in n for n in vault_names), "derived at plan from the subscription, the same every time"
