"""Key rotation without downtime, as Terraform would plan it: dev against dev one rotation
later (conftest.keys_rotated: the other endpoint key slot, the next master key version)."""

from __future__ import annotations

from conftest import as_dev, raw_environment
from tf import members_of, resources


def _by_path(stack: dict, rtype: str) -> dict[str, dict]:
    return {body["//"]["metadata"]["path"]: body for body in resources(stack, rtype).values()}


def test_switching_the_key_slot_regenerates_it_then_stores_it_then_rolls_the_router(stacks):
    before, after = stacks["dev"], as_dev(stacks["devkeys"], "devkeys")
    old_slot = raw_environment("dev").get("keys", {}).get("member_key", "primary")
    new_slot = "secondary" if old_slot == "primary" else "primary"
    roles = [m["role"] for m in raw_environment("dev")["members"]]
    old_regen, new_regen = members_of(before, "azapi_resource_action", "regenerate-key"), members_of(after, "azapi_resource_action", "regenerate-key")
    for role in roles:
        # The action's body changes, so azapi sends it again: the slot about to be used is regenerated...
        assert old_regen[role]["body"] == {"keyType": old_slot.capitalize()}
        assert new_regen[role]["body"] == {"keyType": new_slot.capitalize()}
    # ...the key read waits for it and exports the new slot's key...
    reads = {body["//"]["metadata"]["path"]: body for body in after["data"]["azapi_resource_action"].values()}
    for role in roles:
        read = reads[f"dev/member-{role}/keys"]
        assert read["sensitive_response_export_values"] == [f"{new_slot}Key"] and read["depends_on"]
    # ...Key Vault gets it (the secret's value changes, so its PUT is sent again)...
    secrets_before, secrets_after = _by_path(before, "azapi_resource_action"), _by_path(after, "azapi_resource_action")
    for role in roles:
        path = f"dev/secrets/secret-{role}-api-key"
        assert path in secrets_after, sorted(p for p in secrets_after if "secret-" in p)[:5]
        assert secrets_before[path]["body"] != secrets_after[path]["body"]
        assert f".sensitive_output.{new_slot}Key" in secrets_after[path]["body"]["properties"]["value"]
    # ...and the router rolls a new revision, after every secret it reads is written.
    (app_before,), (app_after,) = resources(before, "azurerm_container_app").values(), resources(after, "azurerm_container_app").values()
    env = lambda app: {e["name"]: e.get("value") for e in app["template"]["container"][0]["env"]}
    assert env(app_before)["ROUTER_KEYS_VERSION"] != env(app_after)["ROUTER_KEYS_VERSION"]
    written = {f"azapi_resource_action.{key}" for key, body in resources(after, "azapi_resource_action").items()
               if body["//"]["metadata"]["path"].startswith("dev/secrets/secret-")}
    assert written <= set(app_after["depends_on"])


def test_a_new_master_key_version_replaces_the_password_and_nothing_else(stacks):
    before, after = stacks["dev"], as_dev(stacks["devkeys"], "devkeys")
    (pw_before,) = [b for b in resources(before, "random_password").values() if b["//"]["metadata"]["path"].endswith("/master-key")]
    (pw_after,) = [b for b in resources(after, "random_password").values() if b["//"]["metadata"]["path"].endswith("/master-key")]
    assert pw_before["keepers"] != pw_after["keepers"]  # a changed keeper replaces the password
    # Rotation touches keys only: endpoints, deployments, the vault and the app's identity stay.
    for rtype in ("azapi_resource", "azurerm_key_vault", "azurerm_user_assigned_identity", "azurerm_container_app_environment"):
        assert _by_path(before, rtype) == _by_path(after, rtype), rtype


def test_one_members_key_rotates_alone(stacks):
    """members[].member_key (a leaked key): only that member's key is regenerated and stored, and
    the router rolls a revision to read it; every other member's key stays as it is."""
    before, after = stacks["dev"], as_dev(stacks["devkey1"], "devkey1")
    dev = raw_environment("dev")
    rotated = dev["members"][0]["role"]
    old_slot = dev["members"][0].get("member_key") or dev.get("keys", {}).get("member_key", "primary")
    new_slot = "secondary" if old_slot == "primary" else "primary"
    old_regen, new_regen = members_of(before, "azapi_resource_action", "regenerate-key"), members_of(after, "azapi_resource_action", "regenerate-key")
    assert new_regen[rotated]["body"] == {"keyType": new_slot.capitalize()} != old_regen[rotated]["body"]
    secrets_before, secrets_after = _by_path(before, "azapi_resource_action"), _by_path(after, "azapi_resource_action")
    for member in dev["members"][1:]:
        role = member["role"]
        assert new_regen[role] == old_regen[role], role
        assert secrets_after[f"dev/secrets/secret-{role}-api-key"] == secrets_before[f"dev/secrets/secret-{role}-api-key"], role
    assert f".sensitive_output.{new_slot}Key" in secrets_after[f"dev/secrets/secret-{rotated}-api-key"]["body"]["properties"]["value"]
    (app_before,), (app_after,) = resources(before, "azurerm_container_app").values(), resources(after, "azurerm_container_app").values()
    env = lambda app: {e["name"]: e.get("value") for e in app["template"]["container"][0]["env"]}
    assert env(app_before)["ROUTER_KEYS_VERSION"] != env(app_after)["ROUTER_KEYS_VERSION"]
    # Rotation touches keys only.
    for rtype in ("azapi_resource", "random_password", "azurerm_key_vault"):
        assert _by_path(before, rtype) == _by_path(after, rtype), rtype
