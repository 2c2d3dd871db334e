"""The first apply, a change and destroy, read from the synthesized dependency graph.

Each test states an ordering or setting rule that a real `cdktf deploy` needs and checks
it on `cdk.tf.json` (references plus depends_on), not on the code's internals. The facts
behind the rules are cited in the constructs and the README ("What a first deploy does").
Expectations come from the environment files, never from the shipped member list.
"""

from __future__ import annotations

import fnmatch
import re

import pytest

from council.router_contract import MOUNTED_FILE_SECRETS

from tf import Graph, address, members_of, ml_workspace, outbound_fqdns, resources, vault_secrets

STACKS = ["dev", "prod", "lz", "open"]
ENDPOINT_TYPE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints@"
# ARM resource types that define no DELETE: azapi_resource would fail on destroy with
# DisallowedResourceOperation (Azure/terraform-provider-azapi #879).
NO_DELETE_TYPES = ("Microsoft.KeyVault/vaults/secrets@",)
# Hosts TGI's Hugging Face download path contacts (Hugging Face's "Downloading behind a proxy
# or firewall", hub-docs models-downloading.md, read 2026-11-27) and ghcr.io's layer host.
HF_DOWNLOAD_HOSTS = (
    "huggingface.co", "cas-server.xethub.hf.co", "transfer.xethub.hf.co", "cas-server.xethub-eu.hf.co",
    "transfer.xethub-eu.hf.co", "us.aws.cdn.hf.co", "us.gcp.cdn.hf.co", "cdn-lfs-us-1.hf.co", "cdn-lfs-eu-1.hf.co",
    "cdn-lfs.hf.co", "cas-bridge.xethub.hf.co",
)
GHCR_HOSTS = ("ghcr.io", "pkg-containers.githubusercontent.com")


def _allowed(host: str, rules: set[str]) -> bool:
    """Azure Firewall FQDN semantics: a leading `*.` matches any depth of subdomain."""
    return any(host == rule or (rule.startswith("*.") and host.endswith(rule[1:])) for rule in rules)


def _seconds(duration: str) -> int:
    match = re.fullmatch(r"PT(?:(\d+)M)?(?:(\d+)S)?", duration)
    assert match, duration
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def _minutes(go_duration: str) -> int:
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?", go_duration)
    assert match and go_duration, go_duration
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def _provider_features(stack: dict) -> dict:
    ((azurerm,),) = [stack["provider"]["azurerm"]]
    (features,) = azurerm["features"]
    return {k: v[0] for k, v in features.items()}


# --------------------------------------------------------------------------- 1. storage
@pytest.mark.parametrize("name", STACKS)
def test_storage_create_makes_no_data_plane_call(stacks, name):
    """azurerm polls a new account's blob data plane and fails on a private account's 403."""
    stack = stacks[name]
    assert _provider_features(stack)["storage"] == {"data_plane_available": False}
    for account in resources(stack, "azurerm_storage_account").values():
        assert account["public_network_access_enabled"] is False
        # What data_plane_available=false cannot serve (azurerm 4.55 CustomizeDiff refuses them).
        assert "queue_properties" not in account and "static_website" not in account
    assert not resources(stack, "azurerm_storage_account_queue_properties")
    assert not resources(stack, "azurerm_storage_container"), "containers are data-plane writes here"


# --------------------------------------------------------------------------- 2. secrets
@pytest.mark.parametrize("name", STACKS)
def test_no_resource_whose_destroy_arm_refuses(stacks, name):
    stack = stacks[name]
    for value in resources(stack, "azapi_resource").values():
        assert not value["type"].startswith(NO_DELETE_TYPES), value["//"]["metadata"]["path"]
    secrets = vault_secrets(stack)
    assert secrets
    for secret_name, (_, secret) in secrets.items():
        # PUT on apply, re-sent when the value changes, nothing sent on destroy.
        assert secret["method"] == "PUT" and secret.get("when", "apply") == "apply", secret_name
        assert "${" in secret["body"]["properties"]["value"] or secret_name in MOUNTED_FILE_SECRETS


# --------------------------------------------------------------------------- 3. traffic
@pytest.mark.parametrize("name", STACKS)
def test_traffic_is_written_with_replace_semantics(stacks, environments, name):
    stack = stacks[name]
    graph = Graph(stack)
    assert not [v for v in resources(stack, "azapi_update_resource").values() if v["type"].startswith(ENDPOINT_TYPE)], \
        "azapi_update_resource merges maps: after a SKU change it would send {old: 100, new: 100}"
    endpoints = members_of(stack, "azapi_resource", "endpoint")
    deployments = members_of(stack, "azapi_resource", "deployment")
    traffic = members_of(stack, "azapi_resource_action", "traffic")
    release = members_of(stack, "azapi_resource_action", "traffic-release")
    assert set(traffic) == set(release) == set(endpoints) == set(deployments)
    for role, put in traffic.items():
        endpoint, deployment = endpoints[role], deployments[role]
        assert put["method"] == "PUT" and put["type"] == endpoint["type"]
        # The whole endpoint: what the endpoint resource created, plus the traffic map.
        body = put["body"]
        assert body["location"] == endpoint["location"] and body["identity"] == {"type": endpoint["identity"][0]["type"]}
        assert {k: v for k, v in body["properties"].items() if k != "traffic"} == endpoint["body"]["properties"]
        assert body["tags"] == endpoint["body"]["tags"]
        assert body["properties"]["traffic"] == {deployment["name"]: 100}
        # ...and the only writer after creation: no PUT without traffic can follow it.
        assert endpoint["lifecycle"]["ignore_changes"] == ["body"]
        assert graph.depends_on(address(stack, "azapi_resource_action", put), address(stack, "azapi_resource", deployment))


@pytest.mark.parametrize("name", STACKS)
def test_traffic_is_released_before_a_deployment_is_deleted(stacks, name):
    """Azure ML refuses to delete a deployment with live traffic: a destroy-time PUT clears it first."""
    stack = stacks[name]
    graph = Graph(stack)
    deployments = members_of(stack, "azapi_resource", "deployment")
    for role, release in members_of(stack, "azapi_resource_action", "traffic-release").items():
        assert release["when"] == "destroy" and release["method"] == "PUT"
        assert release["body"]["properties"]["traffic"] == {}
        # Destroy runs in reverse dependency order: what depends on the deployment goes first.
        assert graph.depends_on(address(stack, "azapi_resource_action", release), address(stack, "azapi_resource", deployments[role]))


# --------------------------------------------------------------------------- 4. timeouts
@pytest.mark.parametrize("name", STACKS)
def test_slow_creates_have_timeouts_longer_than_azure_takes(stacks, name):
    stack = stacks[name]
    documented_creation = 15  # minutes: "can take up to 15 minutes" (how-to-deploy-online-endpoints)
    for role, deployment in members_of(stack, "azapi_resource", "deployment").items():
        ready = deployment["body"]["properties"]["readinessProbe"]
        window = (_seconds(ready["initialDelay"]) + _seconds(ready["period"]) * ready["failureThreshold"]) / 60
        timeouts = deployment["timeouts"]
        for kind in ("create", "update"):
            # Twice what Azure may legitimately take, and more than azapi's 30-minute default.
            assert _minutes(timeouts[kind]) >= 2 * (documented_creation + window) > 30, (role, kind, timeouts)
        assert _minutes(timeouts["delete"]) > 30
    (provision,) = [v for v in resources(stack, "azapi_resource_action").values() if v.get("action") == "provisionManagedNetwork"]
    # Managed network provisioning (~30 min) plus the first FQDN rule's firewall (~10 min).
    assert _minutes(provision["timeouts"]["create"]) >= 2 * (30 + 10)


# --------------------------------------------------------------------------- 5. budget
@pytest.mark.parametrize("name", STACKS)
def test_budget_start_is_fixed_at_the_first_apply(stacks, environments, name):
    stack = stacks[name]
    ((budget_key, budget),) = resources(stack, "azurerm_consumption_budget_resource_group").items()
    start = budget["time_period"]["start_date"]
    if name in environments and environments[name].budget.start_date is not None:
        pytest.skip("this environment pins its own start date")
    assert not re.search(r"\d{4}-\d{2}-\d{2}", start.replace("YYYY-MM-01", "")), f"a literal date goes stale: {start}"
    ((static_key, static),) = resources(stack, "time_static").items()
    # No rfc3339: the value is recorded at the first apply and never changes, so the ForceNew
    # start_date never diffs after it; but whatever replaces the budget (its other ForceNew
    # arguments, name and resource group) records it again, so a new budget does not start in
    # a past month (Azure: "Past start date should be selected within the timegrain period").
    assert set(static) == {"//", "triggers"}
    assert static["triggers"] == {"budget_name": budget["name"], "resource_group_id": budget["resource_group_id"]}
    assert Graph(stack).directly(f"azurerm_consumption_budget_resource_group.{budget_key}") >= {f"time_static.{static_key}"}
    assert start.startswith("${formatdate(") and "YYYY-MM-01" in start


# --------------------------------------------------------------------------- 6, 7, 8. egress
@pytest.mark.parametrize("name", STACKS)
def test_every_pull_waits_for_the_provisioned_network_and_its_rules(stacks, name):
    """Image and weight pulls go out through the managed network: each one waits for the
    provisionManagedNetwork request, sent after the workspace (whose body holds every rule)."""
    stack = stacks[name]
    graph = Graph(stack)
    ws_key, workspace = ml_workspace(stack)
    assert workspace["body"]["properties"]["managedNetwork"]["outboundRules"], "no outbound rules to wait for"
    (provision,) = [address(stack, "azapi_resource_action", v) for v in resources(stack, "azapi_resource_action").values()
                    if v.get("action") == "provisionManagedNetwork"]
    assert graph.depends_on(provision, f"azapi_resource.{ws_key}")
    pulls = [address(stack, "azapi_resource", v) for v in resources(stack, "azapi_resource").values()
             if "/deployments@" in v["type"] or "/environments/versions@" in v["type"]]
    assert pulls
    for pull in pulls:
        assert graph.depends_on(pull, provision), f"{pull} does not wait for the managed network"


def test_outbound_rules_have_one_writer(stacks):
    """Concurrent writes lose rules (azapi #453), and a PUT of the workspace that leaves a rule
    out may drop it: the rules live only in the workspace's own body."""
    for stack in stacks.values():
        assert not resources(stack, "azurerm_machine_learning_workspace_network_outbound_rule_fqdn")
        assert not [v for v in resources(stack, "azapi_resource").values() if "/outboundRules@" in v["type"]]


@pytest.mark.parametrize("name", STACKS)
def test_outbound_rules_cover_what_each_member_pulls(stacks, environments, name):
    from conftest import raw_environment

    stack = stacks[name]
    fqdns = outbound_fqdns(stack)
    members = raw_environment("dev" if name in ("lz", "open") else name)["members"]
    containers = [m for m in members if m["model"]["source"] == "container"]
    if containers:
        for host in HF_DOWNLOAD_HOSTS:
            assert _allowed(host, fqdns), f"Hugging Face download host {host} is blocked"
    if any(m["model"].get("image", "ghcr.io/").startswith("ghcr.io/") for m in containers):
        for host in GHCR_HOSTS:
            assert _allowed(host, fqdns), host
    if any("/registries/azureml/" in m["model"].get("asset_id", "") for m in members):
        # Models curated by Azure ML install packages at start (how-to-network-isolation-model-catalog).
        for host in ("pypi.org", "files.pythonhosted.org", "conda.anaconda.org", "download.pytorch.org"):
            assert _allowed(host, fqdns), host
    for fqdn in fqdns:
        assert fnmatch.fnmatch(fqdn, "*.*") and " " not in fqdn


def test_an_unknown_image_registry_is_refused_at_synth():
    from conftest import raw_environment
    from council.checks import check_environment
    from council.config import parse_environment

    data = raw_environment("dev")
    index = next(i for i, m in enumerate(data["members"]) if m["model"]["source"] == "container")
    data["members"][index]["model"]["image"] = "quay.io/someone/server:1.0"
    problems = check_environment(parse_environment(data, "dev.yaml"), "dev")
    (problem,) = [p for p in problems if p.field.endswith(".model.image")]
    assert problem.field.startswith(f"members[{index}]") and "quay.io" in problem.message and "egress.yaml" in problem.message


# --------------------------------------------------------------------------- 9. router
@pytest.mark.parametrize("kind", ["azurerm_container_app", "azurerm_container_app_job"])
@pytest.mark.parametrize("name", STACKS)
def test_router_and_smoke_job_start_only_when_their_secrets_are_reachable(stacks, name, kind):
    """Both resolve Key Vault references through the VNet when a revision or execution is made."""
    stack = stacks[name]
    graph = Graph(stack)
    ((app_key, _),) = resources(stack, kind).items()
    app = f"{kind}.{app_key}"
    vaults = [k for k, v in resources(stack, "azurerm_key_vault").items() if v["//"]["metadata"]["path"].endswith("/secrets/vault")]
    (vault_key,) = vaults
    vault_ref = f"${{azurerm_key_vault.{vault_key}.id}}"
    endpoints = [f"azurerm_private_endpoint.{k}" for k, v in resources(stack, "azurerm_private_endpoint").items()
                 if v["private_service_connection"]["private_connection_resource_id"] == vault_ref]
    assert len(endpoints) == 1
    assert graph.depends_on(app, endpoints[0]), "the app resolves Key Vault references before the vault's private endpoint exists"
    grants = [f"azurerm_role_assignment.{k}" for k, v in resources(stack, "azurerm_role_assignment").items() if v["scope"] == vault_ref]
    assert grants and all(graph.depends_on(app, g) for g in grants)
    zones = {k: v for k, v in resources(stack, "azurerm_private_dns_zone").items() if v["name"] == "privatelink.vaultcore.azure.net"}
    links = [f"azurerm_private_dns_zone_virtual_network_link.{k}" for k, v in resources(stack, "azurerm_private_dns_zone_virtual_network_link").items()
             if any(f"azurerm_private_dns_zone.{z}." in v["private_dns_zone_name"] for z in zones)]
    if name == "lz":
        assert not zones, "a landing zone's own zones are adopted, not created"
    else:
        assert len(links) == 1 and graph.depends_on(app, links[0]), "the VNet cannot resolve the vault yet"


# --------------------------------------------------------------------------- destroy through the apps subnet
@pytest.mark.parametrize("name", STACKS)
def test_destroy_waits_for_the_environment_to_release_its_subnet_before_deleting_it(stacks, name):
    """Azure keeps the environment's service association link on the delegated subnet for a
    while after the environment is gone (microsoft/azure-container-apps#974): the environment
    takes its subnet id through a time_sleep, so destroy deletes it, waits, then the subnet."""
    from council.policy import APPS_SUBNET_RELEASE_WAIT

    stack = stacks[name]
    graph = Graph(stack)
    ((env_key, environment),) = resources(stack, "azurerm_container_app_environment").items()
    delegated = {k for k, v in resources(stack, "azurerm_subnet").items()
                 if any(d["service_delegation"]["name"] == "Microsoft.App/environments" for d in v.get("delegation") or [])}
    if not delegated:  # a landing zone's subnet is adopted, not deleted
        assert not resources(stack, "time_sleep"), name
        return
    (subnet_key,) = delegated
    (sleep_key,) = [k for k, v in resources(stack, "time_sleep").items() if v["triggers"].get("subnet_id") == f"${{azurerm_subnet.{subnet_key}.id}}"]
    sleep = resources(stack, "time_sleep")[sleep_key]
    assert _minutes(sleep["destroy_duration"]) == _minutes(APPS_SUBNET_RELEASE_WAIT) >= 15
    assert environment["infrastructure_subnet_id"] == f"${{time_sleep.{sleep_key}.triggers.subnet_id}}"
    assert graph.depends_on(f"azurerm_container_app_environment.{env_key}", f"time_sleep.{sleep_key}")
    assert graph.depends_on(f"time_sleep.{sleep_key}", f"azurerm_subnet.{subnet_key}")


# --------------------------------------------------------------------------- 12, 13. Terraform and state
@pytest.mark.parametrize("name", STACKS + ["tfc"])
def test_old_terraform_stops_at_init(stacks, name):
    required = stacks[name]["terraform"]["required_version"]
    match = re.fullmatch(r">= ?(\d+)\.(\d+)\.(\d+)", required)
    assert match and tuple(map(int, match.groups())) >= (1, 11, 0), "sensitive_body needs Terraform 1.11"


def test_prod_keeps_its_state_in_terraform_cloud(stacks, environments):
    prod = stacks["prod"]["terraform"]
    assert "backend" not in prod, "prod's state holds every key: never a local file"
    cloud = prod["cloud"]
    assert cloud["workspaces"]["name"] and cloud["hostname"]
    assert environments["prod"].backend.organization == cloud.get("organization")


def test_an_unset_organization_is_named_before_deploy(tmp_path):
    from conftest import ROOT

    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "council.cli", "validate", "prod"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    (warning,) = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert "environments/prod.yaml: backend.organization:" in warning and "TF_CLOUD_ORGANIZATION" in warning


def test_init_with_the_placeholder_stops_with_terraforms_message(stacks, tmp_path):
    """Needs a terraform binary (skipped with a reason where there is none)."""
    import json
    import os
    import shutil
    import subprocess

    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("no terraform binary on PATH: the init message is Terraform's own, checked where Terraform is installed")
    # Only the cloud block matters: init reads it before providers or the network.
    (tmp_path / "main.tf.json").write_text(json.dumps({"terraform": stacks["prod"]["terraform"]}))
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CLOUD_ORGANIZATION", "TF_WORKSPACE")}
    result = subprocess.run([terraform, "init", "-input=false", "-no-color"], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode != 0
    assert '"organization" must be set in the cloud configuration' in result.stderr + result.stdout


# --------------------------------------------------------------------------- destroy and re-create
@pytest.mark.parametrize("name", STACKS)
def test_destroy_leaves_nothing_that_blocks_it_or_a_re_create(stacks, name):
    features = _provider_features(stacks[name])
    # Azure adds resources to the group by itself (Application Insights smart detection).
    assert features["resource_group"]["prevent_deletion_if_contains_resources"] is False
    # A soft-deleted workspace keeps its name and blocks a create for 14 days: its DELETE purges it
    # (the workspace is azapi's, so azurerm's purge feature would not reach it).
    assert not resources(stacks[name], "azurerm_machine_learning_workspace")
    assert ml_workspace(stacks[name])[1]["delete_query_parameters"] == {"forceToPurge": ["true"]}
    # Purge-protected vaults cannot be purged: a re-create recovers them under the same name.
    assert features["key_vault"] == {"purge_soft_delete_on_destroy": False, "recover_soft_deleted_key_vaults": True}
    for vault in resources(stacks[name], "azurerm_key_vault").values():
        assert vault["purge_protection_enabled"] is True


@pytest.mark.parametrize("name", STACKS)
def test_router_starts_only_when_its_shared_state_is_reachable(stacks, environments, name):
    from conftest import raw_environment

    stack = stacks[name]
    shared = raw_environment("dev" if name in ("lz", "open") else name).get("router", {}).get("shared_state", "azure-managed-redis")
    redis = resources(stack, "azurerm_managed_redis")
    if shared == "none":
        assert not redis
        return
    ((redis_key, value),) = redis.items()
    assert value["public_network_access"] == "Disabled" and value["default_database"]["client_protocol"] == "Encrypted"
    # One endpoint a plain (non-cluster) client can use: LiteLLM's redis client is not cluster-aware.
    assert value["default_database"]["clustering_policy"] == "EnterpriseCluster"
    graph = Graph(stack)
    ((app_key, _),) = resources(stack, "azurerm_container_app").items()
    endpoints = [f"azurerm_private_endpoint.{k}" for k, v in resources(stack, "azurerm_private_endpoint").items()
                 if v["private_service_connection"]["private_connection_resource_id"] == f"${{azurerm_managed_redis.{redis_key}.id}}"]
    (endpoint,) = endpoints
    assert resources(stack, "azurerm_private_endpoint")[endpoint.split(".", 1)[1]]["private_service_connection"]["subresource_names"] == ["redisEnterprise"]
    assert graph.depends_on(f"azurerm_container_app.{app_key}", endpoint)


def test_a_landing_zone_without_a_redis_zone_is_refused_with_the_field():
    from conftest import EXISTING_NETWORK, raw_environment
    from council.config import parse_environment
    from council.errors import CouncilError

    data = raw_environment("dev")
    zones = {k: v for k, v in EXISTING_NETWORK["private_dns_zone_ids"].items() if k != "redis_azure_net"}
    data["network"] = {**EXISTING_NETWORK, "private_dns_zone_ids": zones}
    with pytest.raises(CouncilError) as caught:
        parse_environment(data, "environments/dev.yaml")
    (line,) = caught.value.line().splitlines()
    assert line.startswith("environments/dev.yaml: network.private_dns_zone_ids.redis_azure_net: missing;")
    assert "router.shared_state: none" in line


@pytest.mark.parametrize("name", STACKS)
def test_virtual_keys_database_is_private_and_ready_before_the_router(stacks, name):
    """Tested up to the database: LiteLLM's Prisma engines cannot be downloaded here, so the
    proxy never connects to PostgreSQL in these tests (see the README)."""
    from conftest import raw_environment

    stack = stacks[name]
    wanted = raw_environment("dev" if name in ("lz", "open") else name).get("router", {}).get("virtual_keys", False)
    servers = resources(stack, "azurerm_postgresql_flexible_server")
    if not wanted:
        assert not servers
        return
    ((server_key, server),) = servers.items()
    assert server["public_network_access_enabled"] is False and server["geo_redundant_backup_enabled"] is True
    assert server["authentication"] == {"active_directory_auth_enabled": False, "password_auth_enabled": True}
    graph = Graph(stack)
    ((app_key, _),) = resources(stack, "azurerm_container_app").items()
    app = f"azurerm_container_app.{app_key}"
    (endpoint,) = [f"azurerm_private_endpoint.{k}" for k, v in resources(stack, "azurerm_private_endpoint").items()
                   if v["private_service_connection"]["private_connection_resource_id"] == f"${{azurerm_postgresql_flexible_server.{server_key}.id}}"]
    assert resources(stack, "azurerm_private_endpoint")[endpoint.split(".", 1)[1]]["private_service_connection"]["subresource_names"] == ["postgresqlServer"]
    (database,) = [f"azurerm_postgresql_flexible_server_database.{k}" for k in resources(stack, "azurerm_postgresql_flexible_server_database")]
    assert graph.depends_on(app, endpoint) and graph.depends_on(app, database)
    ((_, container_app),) = resources(stack, "azurerm_container_app").items()
    env_names = {e["name"]: e.get("secret_name") for e in container_app["template"]["container"][0]["env"]}
    assert env_names["DATABASE_URL"] and env_names["LITELLM_SALT_KEY"], "both come from Key Vault"
