"""What a reviewer checks in the synthesized dev and prod stacks: every resource the
council needs is there, with its security settings, and wired to the others."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import ROOT

from tf import by_path, key_of, members_of, ml_workspace, ref, refs_in, resources, vault_secrets

SHIPPED = ("dev", "prod")
def _roles(name: str) -> set[str]:
    """The members' roles, from the environment file (never a list kept here)."""
    from conftest import raw_environment

    return {m["role"] for m in raw_environment(name)["members"]}
# Retired 2025-09-30 (NCv3, V100) and earlier generations: never a valid target.
RETIRED_SKU = re.compile(r"^Standard_(NC\d+s_v3|NC\d+r?s_v2|NC\d+r?|ND\d+r?s(_v2)?|NV\d+s?(_v2)?)$")
GPU_SKU = re.compile(r"^Standard_(NC\d+as_T4_v3|NV\d+ads_A10_v5|NC\d+ads_A100_v4|NC\d+ads_H100_v5|ND\d+\w*)$")


@pytest.mark.parametrize("name", SHIPPED)
def test_every_member_has_a_private_key_auth_endpoint(stacks, name):
    endpoints = members_of(stacks[name], "azapi_resource", "endpoint")
    assert set(endpoints) == _roles(name)
    for role, ep in endpoints.items():
        assert ep["type"].startswith("Microsoft.MachineLearningServices/workspaces/onlineEndpoints@")
        assert ep["body"]["properties"]["authMode"] == "Key", role
        assert ep["body"]["properties"]["publicNetworkAccess"] == "Disabled", role
        assert "traffic" not in ep["body"]["properties"], "traffic must wait for the deployment"
        assert "properties.scoringUri" in ep["response_export_values"]


@pytest.mark.parametrize("name", SHIPPED)
def test_every_member_has_a_managed_deployment_on_a_current_gpu_sku(stacks, name):
    deployments = members_of(stacks[name], "azapi_resource", "deployment")
    assert set(deployments) == _roles(name)
    for role, dep in deployments.items():
        props = dep["body"]["properties"]
        sku = props["instanceType"]
        assert GPU_SKU.match(sku) and not RETIRED_SKU.match(sku), f"{role}: {sku}"
        assert props["endpointComputeType"] == "Managed"
        assert props["scaleSettings"] == {"scaleType": "Default"}
        assert dep["body"]["sku"]["capacity"] >= 1
        assert "egressPublicNetworkAccess" not in props, "legacy setting: isolation is the managed network's job"
        # Multi-minute model loads: the liveness probe must not kill a loading server.
        assert _seconds(props["livenessProbe"]["initialDelay"]) >= 300
        ready = props["readinessProbe"]
        assert _seconds(ready["initialDelay"]) + _seconds(ready["period"]) * ready["failureThreshold"] >= 600
        assert _seconds(props["requestSettings"]["requestTimeout"]) <= 180
        assert ("model" in props) != ("environmentId" in props), "exactly one model source"
        assert dep["lifecycle"]["ignore_changes"] == ["body.sku.capacity"], "autoscale owns capacity"
        # instanceType is create-only: a SKU change is a new deployment, made before the old one goes.
        assert dep["replace_triggers_external_values"] == [sku]
        assert dep["lifecycle"]["create_before_destroy"] is True
        assert dep["name"].startswith(f"{role}-") and sku.lower().replace("standard_", "").replace("_", "")[:10] in dep["name"]


def _seconds(duration: str) -> int:
    match = re.fullmatch(r"PT(?:(\d+)M)?(?:(\d+)S)?", duration)
    assert match, duration
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


@pytest.mark.parametrize("name", SHIPPED)
def test_traffic_goes_to_the_deployment_after_it_exists(stacks, name):
    stack = stacks[name]
    endpoints = members_of(stack, "azapi_resource", "endpoint")
    deployments = members_of(stack, "azapi_resource", "deployment")
    traffic = members_of(stack, "azapi_resource_action", "traffic")
    assert set(traffic) == _roles(name)
    for role, put in traffic.items():
        ep_key = key_of(stack, "azapi_resource", endpoints[role])
        dep_key = key_of(stack, "azapi_resource", deployments[role])
        assert put["resource_id"] == ref("azapi_resource", ep_key, "id")
        # A whole-endpoint PUT (replace semantics): the map is exactly {deployment: 100}.
        assert put["method"] == "PUT" and "action" not in put
        assert put["body"]["properties"]["traffic"] == {deployments[role]["name"]: 100}
        assert f"azapi_resource.{dep_key}" in put["depends_on"]


@pytest.mark.parametrize("name", SHIPPED)
def test_autoscale_targets_each_deployment_with_min_one(stacks, name):
    stack = stacks[name]
    deployments = members_of(stack, "azapi_resource", "deployment")
    autoscale = members_of(stack, "azurerm_monitor_autoscale_setting", "autoscale")
    assert set(autoscale) == _roles(name)
    for role, setting in autoscale.items():
        dep_id = ref("azapi_resource", key_of(stack, "azapi_resource", deployments[role]), "id")
        assert setting["target_resource_id"] == dep_id
        # The `default` profile; the recurring ones of a schedule are tests/test_schedule.py's.
        profile = setting["profile"][0]
        assert profile["name"] == "default" and "recurrence" not in profile
        cap = profile["capacity"]
        assert 1 <= cap["minimum"] <= cap["default"] <= cap["maximum"]
        assert cap["default"] == deployments[role]["body"]["sku"]["capacity"]
        directions = {r["scale_action"]["direction"] for r in profile["rule"]}
        assert directions == {"Increase", "Decrease"}
        for rule in profile["rule"]:
            assert rule["metric_trigger"]["metric_resource_id"] == dep_id
            assert rule["metric_trigger"]["metric_namespace"] == "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
            # Scale-out takes 12-18 minutes: a cooldown under that stacks actions.
            assert _seconds(rule["scale_action"]["cooldown"]) >= 15 * 60


@pytest.mark.parametrize("name", SHIPPED)
def test_key_vaults_are_private_rbac_and_purge_protected(stacks, name):
    vaults = resources(stacks[name], "azurerm_key_vault")
    assert len(vaults) == 2  # the council's bundle and the workspace's own vault
    for vault in vaults.values():
        assert vault["rbac_authorization_enabled"] is True
        assert vault["purge_protection_enabled"] is True
        assert vault["public_network_access_enabled"] is False
        assert vault["network_acls"]["default_action"] == "Deny"
        assert vault["soft_delete_retention_days"] >= 7
    endpoints = resources(stacks[name], "azurerm_private_endpoint").values()
    vault_pes = [pe for pe in endpoints if pe["private_service_connection"]["subresource_names"] == ["vault"]]
    assert {refs_in(pe["private_service_connection"]["private_connection_resource_id"]).pop() for pe in vault_pes} == {
        f"azurerm_key_vault.{k}" for k in vaults
    }


@pytest.mark.parametrize("name", SHIPPED)
def test_every_member_key_and_the_master_key_are_vault_secrets(stacks, name):
    stack, roles = stacks[name], _roles(name)
    _, vault = by_path(stack, "azurerm_key_vault", "/secrets/vault")
    vault_key = key_of(stack, "azurerm_key_vault", vault)
    secrets = {name: value for name, (_, value) in vault_secrets(stack).items()}
    expected = {f"{r}-api-key" for r in roles} | {f"{r}-api-base" for r in roles} | {"litellm-master-key", "router-config", "router-hooks"}
    # The shared router state's access key (Azure Managed Redis), read from the resource.
    ((redis_key, _),) = resources(stack, "azurerm_managed_redis").items()
    expected.add("redis-access-key")
    from conftest import raw_environment

    if raw_environment(name).get("router", {}).get("virtual_keys"):
        # The key database's URL (with its generated password) and LiteLLM's salt.
        expected |= {"litellm-database-url", "litellm-salt-key"}
        url = secrets["litellm-database-url"]["body"]["properties"]["value"]
        assert re.fullmatch(r"postgresql://litellm:\$\{random_password\.[\w-]+\.result\}@\$\{azurerm_postgresql_flexible_server\.[\w-]+\.fqdn\}:5432/litellm\?sslmode=require", url), url
        # Azure's rule for the administrator password: 8-128 characters from three of the four classes
        # (upper, lower, digits, others). Letters and digits only (it sits in the URL), each at least once.
        (password_key,) = re.findall(r"random_password\.([\w-]+)\.result", url)
        password = resources(stack, "random_password")[password_key]
        assert 8 <= password["length"] <= 128 and password["special"] is False
        assert all(password.get(f"min_{cls}", 0) >= 1 for cls in ("upper", "lower", "numeric"))
    assert secrets["redis-access-key"]["body"]["properties"]["value"] == f"${{azurerm_managed_redis.{redis_key}.default_database[0].primary_access_key}}"
    assert set(secrets) == expected
    for secret_name, secret in secrets.items():
        # A whole-secret PUT through ARM: no DELETE is ever sent (ARM has none for secrets).
        assert secret["resource_id"] == ref("azurerm_key_vault", vault_key, "id") + f"/secrets/{secret_name}"
        assert secret["method"] == "PUT" and secret.get("when", "apply") == "apply"
    # Keys come from each endpoint's listKeys action (read at every plan, and after the
    # regeneration of the key slot in use), exported only as sensitive output.
    slot = raw_environment(name).get("keys", {}).get("member_key", "primary")
    reads = {}
    for data_key, body in stack["data"]["azapi_resource_action"].items():
        match = re.search(r"/member-([a-z0-9]+)/keys$", body["//"]["metadata"]["path"])
        if match:
            reads[match.group(1)] = (data_key, body)
    regenerations = members_of(stack, "azapi_resource_action", "regenerate-key")
    endpoints = members_of(stack, "azapi_resource", "endpoint")
    for role in roles:
        data_key, read = reads[role]
        endpoint_id = ref("azapi_resource", key_of(stack, "azapi_resource", endpoints[role]), "id")
        assert read["action"] == "listKeys" and read["method"] == "POST" and read["resource_id"] == endpoint_id
        assert "response_export_values" not in read and read["sensitive_response_export_values"] == [f"{slot}Key"]
        regenerate = regenerations[role]
        assert regenerate["action"] == "regenerateKeys" and regenerate["body"] == {"keyType": slot.capitalize()}
        assert read["depends_on"] == [f"azapi_resource_action.{key_of(stack, 'azapi_resource_action', regenerate)}"]
        assert secrets[f"{role}-api-key"]["body"]["properties"]["value"] == f"${{data.azapi_resource_action.{data_key}.sensitive_output.{slot}Key}}"
        ep_key = key_of(stack, "azapi_resource", endpoints[role])
        assert f"azapi_resource.{ep_key}.output.properties.scoringUri" in secrets[f"{role}-api-base"]["body"]["properties"]["value"]
    master = secrets["litellm-master-key"]["body"]["properties"]["value"]
    assert re.fullmatch(r"sk-\$\{random_password\.[\w-]+\.result\}", master)


@pytest.mark.parametrize("name", SHIPPED)
def test_router_app_is_internal_and_reads_secrets_through_its_identity(stacks, name):
    stack = stacks[name]
    ((app_key, app),) = resources(stack, "azurerm_container_app").items()
    ((identity_key, _),) = resources(stack, "azurerm_user_assigned_identity").items()
    identity_id = ref("azurerm_user_assigned_identity", identity_key, "id")
    assert app["ingress"]["external_enabled"] is False
    # HTTPS only: with insecure connections allowed the app would also answer plain HTTP.
    assert app["ingress"]["allow_insecure_connections"] is False
    assert app["ingress"]["target_port"] == 4000
    assert app["ingress"]["traffic_weight"] == [{"latest_revision": True, "percentage": 100}]
    assert app["identity"] == {"type": "UserAssigned", "identity_ids": [identity_id]}
    assert len(app["secret"]) >= 6
    secret_uris = {name: ref("azapi_resource_action", k, "output.properties.secretUri") for name, (k, _) in vault_secrets(stack).items()}
    for secret in app["secret"]:
        assert "value" not in secret, f"{secret['name']} is a literal, not a Key Vault reference"
        assert secret["identity"] == identity_id
        assert secret["key_vault_secret_id"] == secret_uris[secret["name"]]
    # The grant exists before the app first resolves its Key Vault references.
    grants = [
        (k, g) for k, g in resources(stack, "azurerm_role_assignment").items()
        if g["principal_id"] == ref("azurerm_user_assigned_identity", identity_key, "principal_id")
    ]
    assert len(grants) == 1
    grant_key, grant = grants[0]
    assert grant["role_definition_name"] == "Key Vault Secrets User"
    assert f"azurerm_role_assignment.{grant_key}" in app["depends_on"]
    _, vault = by_path(stack, "azurerm_key_vault", "/secrets/vault")
    assert grant["scope"] == ref("azurerm_key_vault", key_of(stack, "azurerm_key_vault", vault), "id")


@pytest.mark.parametrize("name", SHIPPED)
def test_router_container_runs_pinned_litellm_with_yaml_config_and_health_probes(stacks, name):
    ((_, app),) = resources(stacks[name], "azurerm_container_app").items()
    template = app["template"]
    (container,) = template["container"]
    image, tag = container["image"].rsplit(":", 1)
    assert image == "ghcr.io/berriai/litellm"
    assert re.fullmatch(r"v\d+\.\d+\.\d+", tag), tag
    args = container["args"]
    config_path = args[args.index("--config") + 1]
    assert config_path.endswith((".yaml", ".yml")), "LiteLLM reads any other path as a JSON string"
    mounts = {m["sub_path"]: m for m in container["volume_mounts"]}
    assert set(mounts) == {"router-config", "router-hooks"}
    mount = mounts["router-config"]
    assert mount["path"] == config_path
    # The hooks the config names as a callback sit beside it: LiteLLM loads callback modules from
    # the config file's folder (litellm/proxy/types_utils/utils.py get_instance_fn).
    config = yaml.safe_load(vault_secrets(stacks[name])["router-config"][1]["body"]["properties"]["value"])
    module = config["litellm_settings"]["callbacks"][0].rsplit(".", 1)[0]
    assert mounts["router-hooks"]["path"] == f"{config_path.rsplit('/', 1)[0]}/{module}.py"
    (volume,) = template["volume"]
    assert volume == {"name": mount["name"], "storage_type": "Secret"} and mounts["router-hooks"]["name"] == mount["name"]
    assert container["liveness_probe"][0]["path"] == "/health/liveliness"
    assert container["readiness_probe"][0]["path"] == "/health/readiness"
    assert all(p["port"] == 4000 for p in container["liveness_probe"] + container["readiness_probe"])
    (rule,) = template["http_scale_rule"]
    assert isinstance(rule["concurrent_requests"], str)
    assert 0 <= template["min_replicas"] <= template["max_replicas"]


@pytest.mark.parametrize("name", SHIPPED)
def test_container_apps_environment_is_vnet_integrated_and_internal(stacks, name):
    stack = stacks[name]
    ((_, env),) = resources(stack, "azurerm_container_app_environment").items()
    assert env["internal_load_balancer_enabled"] is True
    assert env["public_network_access"] == "Disabled"
    (subnet_key,) = [k for k, s in resources(stack, "azurerm_subnet").items() if s["name"] == "snet-apps"]
    # Through the destroy-time wait for the subnet's release (tests/test_lifecycle.py).
    (sleep_key,) = re.fullmatch(r"\$\{time_sleep\.([\w-]+)\.triggers\.subnet_id\}", env["infrastructure_subnet_id"]).groups()
    assert resources(stack, "time_sleep")[sleep_key]["triggers"]["subnet_id"] == ref("azurerm_subnet", subnet_key, "id")
    # Its logs reach the workspace through a diagnostic setting (tests/test_diagnostics.py).
    assert env["logs_destination"] == "azure-monitor"
    subnet = resources(stack, "azurerm_subnet")[subnet_key]
    (delegation,) = subnet["delegation"]
    assert delegation["service_delegation"]["name"] == "Microsoft.App/environments"
    prefix = int(subnet["address_prefixes"][0].split("/")[1])
    assert prefix <= 27, "workload-profiles environments need at least a /27"
    # The internal environment's domain resolves through a private zone with a wildcard record.
    zones = [z for z in resources(stack, "azurerm_private_dns_zone").values() if "default_domain" in z["name"]]
    assert len(zones) == 1
    (record,) = resources(stack, "azurerm_private_dns_a_record").values()
    assert record["name"] == "*" and "static_ip_address" in record["records"][0]


@pytest.mark.parametrize("name", SHIPPED)
def test_ml_workspace_is_private_with_managed_network(stacks, name):
    stack = stacks[name]
    ws_key, ws = ml_workspace(stack)
    properties = ws["body"]["properties"]
    assert properties["publicNetworkAccess"] == "Disabled"
    assert properties["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"
    assert ws["parent_id"] == ref("azurerm_resource_group", next(iter(resources(stack, "azurerm_resource_group"))), "id")
    assert "egress" not in str(ws)
    pes = [pe for pe in resources(stack, "azurerm_private_endpoint").values() if pe["private_service_connection"]["subresource_names"] == ["amlworkspace"]]
    assert len(pes) == 1
    assert pes[0]["private_service_connection"]["private_connection_resource_id"] == ref("azapi_resource", ws_key, "id")
    zone_names = {z["name"] for z in resources(stack, "azurerm_private_dns_zone").values()}
    assert {"privatelink.api.azureml.ms", "privatelink.notebooks.azure.net", "privatelink.vaultcore.azure.net"} <= zone_names
    zones = resources(stack, "azurerm_private_dns_zone")
    expected_zones = {
        ref("azurerm_private_dns_zone", k, "id")
        for k, z in zones.items()
        if z["name"] in ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net")
    }
    assert set(pes[0]["private_dns_zone_group"]["private_dns_zone_ids"]) == expected_zones
    assert len(expected_zones) == 2
    ((storage_key, storage),) = resources(stack, "azurerm_storage_account").items()
    assert storage["public_network_access_enabled"] is False
    # Studio with keyless, private storage: the workspace's identity reads the council's blob and
    # file endpoints to it (Reader on each: how-to-managed-network, "Azure Machine Learning studio").
    storage_pes = {pe["private_service_connection"]["subresource_names"][0]: key for key, pe in resources(stack, "azurerm_private_endpoint").items()
                   if pe["private_service_connection"]["private_connection_resource_id"] == ref("azurerm_storage_account", storage_key, "id")}
    assert set(storage_pes) == {"blob", "file"}
    readers = {(g["scope"], g["principal_id"]) for g in resources(stack, "azurerm_role_assignment").values() if g.get("role_definition_name") == "Reader"}
    principal = ref("azapi_resource", ws_key, "identity[0].principal_id")
    assert {(ref("azurerm_private_endpoint", key, "id"), principal) for key in storage_pes.values()} <= readers
    assert storage["allow_nested_items_to_be_public"] is False
    assert storage["min_tls_version"] == "TLS1_2"
    # Its dependents, by reference: the ones the workspace was created with.
    for prop, rtype in (("storageAccount", "azurerm_storage_account"), ("containerRegistry", "azurerm_container_registry"),
                        ("applicationInsights", "azurerm_application_insights")):
        (key,) = resources(stack, rtype)
        assert properties[prop] == ref(rtype, key, "id"), prop
    # Every member endpoint lives in this workspace.
    for ep in members_of(stack, "azapi_resource", "endpoint").values():
        assert ep["parent_id"] == ref("azapi_resource", ws_key, "id")


@pytest.mark.parametrize("name", SHIPPED)
def test_workspace_registry_is_private_keyless_and_redundant(stacks, name):
    (registry,) = resources(stacks[name], "azurerm_container_registry").values()
    assert registry["sku"] == "Premium"  # private endpoints, zone redundancy and replicas need it
    assert registry["public_network_access_enabled"] is False
    assert registry["admin_enabled"] is False and registry["anonymous_pull_enabled"] is False
    assert registry["data_endpoint_enabled"] is True
    assert registry["zone_redundancy_enabled"] is True


@pytest.mark.parametrize("name", SHIPPED)
def test_registry_replica_goes_to_the_paired_region(stacks, environments, name):
    """Unset in the file, the registry's geo-replica goes to the location's pair in Microsoft's
    region list (catalog/regions.yaml, read here as data), zone-redundant where that region has zones."""
    regions = yaml.safe_load((ROOT / "constructs" / "council" / "catalog" / "regions.yaml").read_text())
    env = environments[name]
    (registry,) = resources(stacks[name], "azurerm_container_registry").values()
    if env.workspace.registry_replica is not None:
        pytest.skip("this environment names its replica itself")
    pair = regions["pairs"][env.location]
    assert pair != env.location
    ((replica),) = registry["georeplications"]
    assert replica["location"] == pair
    assert replica["zone_redundancy_enabled"] is (pair in regions["availability_zones"])


@pytest.mark.parametrize("name", SHIPPED)
def test_stack_outputs(stacks, name):
    outputs = stacks[name]["output"]
    assert "router_internal_url" in outputs and "key_vault_uri" in outputs
    for role in _roles(name):
        assert f"{role}_endpoint_name" in outputs and f"{role}_scoring_uri" in outputs
        assert "output.properties.scoringUri" in outputs[f"{role}_scoring_uri"]["value"]


def test_dev_and_prod_differ_as_configured(stacks, environments):
    for name in SHIPPED:
        autoscale = members_of(stacks[name], "azurerm_monitor_autoscale_setting", "autoscale")
        for member in environments[name].members:
            cap = autoscale[member.role]["profile"][0]["capacity"]
            assert (cap["minimum"], cap["default"], cap["maximum"]) == (member.instances.min, member.instances.default, member.instances.max)
    dev_max = sum(m.instances.max for m in environments["dev"].members)
    prod_max = sum(m.instances.max for m in environments["prod"].members)
    assert dev_max < prod_max, "dev must be the smaller council"
    (dev_app,) = resources(stacks["dev"], "azurerm_container_app").values()
    (prod_app,) = resources(stacks["prod"], "azurerm_container_app").values()
    assert dev_app["template"]["max_replicas"] < prod_app["template"]["max_replicas"]
    dev_names = {v["name"] for v in members_of(stacks["dev"], "azapi_resource", "endpoint").values()}
    prod_names = {v["name"] for v in members_of(stacks["prod"], "azapi_resource", "endpoint").values()}
    assert not dev_names & prod_names, "two environments must never claim the same endpoint name"
