"""Each construct on its own, in a bare stack: what it promises, without the council around it.

These tests build one construct with hand-made props (no environment file, no
CouncilStack), synthesize, and read the resources it made. A construct can be changed
and checked here without reading the whole stack.
"""

from __future__ import annotations

import json

import pytest

SUB = "/subscriptions/x/resourceGroups/rg/providers"
WORKSPACE_ID = f"{SUB}/Microsoft.MachineLearningServices/workspaces/w"


def _stack(tmp_path):
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_azurerm.provider import AzurermProvider
    from cdktf_cdktf_provider_random.provider import RandomProvider

    from council.azapi import AzapiProvider

    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "unit")
    AzurermProvider(stack, "azurerm", features=[{}])
    AzapiProvider(stack, "azapi")
    RandomProvider(stack, "random")
    return app, stack


def _bundle(stack, id="vault", name="kv-unit-test"):
    from council.private_link import PrivateLink
    from council.secret_bundle import SecretBundle, SecretBundleProps

    return SecretBundle(stack, id, props=SecretBundleProps(
        name=name, resource_group_name="rg", location="eastus2", tenant_id="00000000-0000-0000-0000-000000000000",
        private_link=PrivateLink(subnet_id=f"{SUB}/Microsoft.Network/virtualNetworks/v/subnets/s",
                                 zone_id=f"{SUB}/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net", endpoint_name=f"pe-{id}"),
    ))


def _synth(app, tmp_path) -> dict:
    app.synth()
    return json.loads((tmp_path / "stacks" / "unit" / "cdk.tf.json").read_text())


def _gated_model():
    from council.model_source import ContainerModel

    return ContainerModel(source="container", hf_model_id="google/codegemma-7b-it", max_model_len=4096, hf_token_required=True)


def _member_props(bundle, **overrides):
    from council.member_endpoint import CouncilMemberEndpointProps

    values = dict(role="unit", endpoint_name="council-unit-test", deployment_name="unit-a10", workspace_id=WORKSPACE_ID,
                  resource_group_name="rg", location="eastus2", model=_gated_model(), instance_type="Standard_NV36ads_A10_v5",
                  secrets=bundle)
    values.update(overrides)
    return CouncilMemberEndpointProps(**values)


def test_a_gated_container_member_needs_a_token_reference(tmp_path):
    from council.errors import PropsError
    from council.member_endpoint import CouncilMemberEndpoint

    app, stack = _stack(tmp_path)
    with pytest.raises(PropsError) as caught:
        CouncilMemberEndpoint(stack, "member-unit", props=_member_props(_bundle(stack)))
    assert "token_reference" in caught.value.line() and "codegemma" in caught.value.line()


def test_a_container_member_runs_its_serving_runtime(tmp_path):
    """The deployment's environment and routes come from the model's runtime (TGI by
    default); the token is an injected connection reference, never a value."""
    from council.member_endpoint import CouncilMemberEndpoint

    model = _gated_model()
    runtime = model.server
    reference = "azureml://connections/hf-token/credentials/HF_TOKEN"
    app, stack = _stack(tmp_path)
    CouncilMemberEndpoint(stack, "member-unit", props=_member_props(_bundle(stack), token_reference=reference))
    resources = _synth(app, tmp_path)["resource"]["azapi_resource"]
    (deployment,) = [r for r in resources.values() if r["type"].endswith("/deployments@2025-06-01")]
    (environment,) = [r for r in resources.values() if "/environments/versions@" in r["type"]]
    variables = deployment["body"]["properties"]["environmentVariables"]
    assert variables[runtime.model_variable] == "google/codegemma-7b-it"
    assert variables[runtime.port_variable] == str(runtime.port)
    assert int(variables["MAX_INPUT_TOKENS"]) < int(variables["MAX_TOTAL_TOKENS"]) == 4096
    assert variables[runtime.token_variable] == "$${{" + reference + "}}"
    routes = environment["body"]["properties"]["inferenceConfig"]
    assert environment["body"]["properties"]["image"] == runtime.image
    assert routes["readinessRoute"] == {"port": runtime.port, "path": runtime.health_path}


def test_instances_and_autoscale_refuse_what_azure_refuses():
    """The props' instance and autoscale models are the environment file's: one set of rules."""
    from pydantic import ValidationError

    from council.policy import AutoscaleRules, Instances

    with pytest.raises(ValidationError, match="cannot scale to zero"):
        Instances(min=0, default=1, max=2)
    with pytest.raises(ValidationError, match="min <= default <= max"):
        Instances(min=2, default=1, max=2)
    with pytest.raises(ValidationError, match="flap"):
        AutoscaleRules(scale_in_below=80, scale_out_above=70)


def test_the_router_takes_only_secrets_of_its_own_bundle(tmp_path):
    from council.errors import PropsError
    from council.router_app import RouterApp, RouterAppProps

    app, stack = _stack(tmp_path)
    mine, other = _bundle(stack), _bundle(stack, "other", "kv-unit-other")
    stray = other.add_secret("stray", "${var.x}")
    props = RouterAppProps(
        app_name="ca-unit", environment_name="cae-unit", identity_name="id-unit", resource_group_name="rg", location="eastus2",
        apps_subnet_id=f"{SUB}/Microsoft.Network/virtualNetworks/v/subnets/apps", vnet_id=f"{SUB}/Microsoft.Network/virtualNetworks/v",
        log_analytics_workspace_id="/x", secrets=mine, config_yaml="model_list: []\n", secret_env={"STRAY_KEY": stray},
    )
    with pytest.raises(PropsError) as caught:
        RouterApp(stack, "router", props=props)
    assert "STRAY_KEY" in caught.value.line()


def test_the_router_reads_every_secret_it_is_given_from_key_vault(tmp_path):
    from council.router_app import RouterApp, RouterAppProps
    from council.router_contract import CONFIG_SECRET, MASTER_KEY_ENV

    app, stack = _stack(tmp_path)
    bundle = _bundle(stack)
    key = bundle.add_secret("unit-api-key", "${var.k}")
    RouterApp(stack, "router", props=RouterAppProps(
        app_name="ca-unit", environment_name="cae-unit", identity_name="id-unit", resource_group_name="rg", location="eastus2",
        apps_subnet_id=f"{SUB}/Microsoft.Network/virtualNetworks/v/subnets/apps", vnet_id=f"{SUB}/Microsoft.Network/virtualNetworks/v",
        log_analytics_workspace_id="/x", secrets=bundle, config_yaml="model_list: []\n", secret_env={"UNIT_API_KEY": key},
    ))
    (container_app,) = _synth(app, tmp_path)["resource"]["azurerm_container_app"].values()
    secrets = {s["name"]: s for s in container_app["secret"]}
    assert set(secrets) == {"unit-api-key", CONFIG_SECRET, "litellm-master-key"}
    assert all("key_vault_secret_id" in s and "value" not in s for s in secrets.values())
    env = {e["name"]: e for e in container_app["template"]["container"][0]["env"]}
    assert env["UNIT_API_KEY"]["secret_name"] == "unit-api-key"
    assert env[MASTER_KEY_ENV]["secret_name"] == "litellm-master-key"


def _workspace_props(**overrides):
    from council.workspace import CouncilWorkspaceProps

    return CouncilWorkspaceProps(**{
        "name": "mlw-unit-test", "resource_group_name": "rg", "resource_group_id": "/subscriptions/0/resourceGroups/rg",
        "location": "eastus2", "storage_account_name": "stunittest", "container_registry_name": "crunittest",
        "app_insights_name": "appi-unit", "log_analytics_workspace_id": "/x", "key_vault_id": "/kv",
        "private_endpoints_subnet_id": "/s", "private_endpoint_name": "pe-mlw", "api_zone_id": "/z1", "notebooks_zone_id": "/z2",
        **overrides,
    })


def test_a_workspace_reaches_its_storage_without_shared_keys(tmp_path):
    """Keys off on the account, identity-based system datastores on the workspace that uses it,
    in the request that creates the workspace (Microsoft's documented order)."""
    from council.workspace import CouncilWorkspace

    app, stack = _stack(tmp_path)
    CouncilWorkspace(stack, "workspace", props=_workspace_props(registry_replica_location="centralus"))
    out = _synth(app, tmp_path)["resource"]
    (storage_key, storage), = out["azurerm_storage_account"].items()
    assert storage["shared_access_key_enabled"] is False
    assert storage["public_network_access_enabled"] is False
    (workspace,) = [w for w in out["azapi_resource"].values() if w["type"].startswith("Microsoft.MachineLearningServices/workspaces@")]
    assert workspace["body"]["properties"]["systemDatastoresAuthMode"].lower() == "identity"
    assert workspace["body"]["properties"]["storageAccount"] == f"${{azurerm_storage_account.{storage_key}.id}}"
    assert "azapi_update_resource" not in out, "nothing switches the mode later: it is set when the workspace is created"
    (registry,) = out["azurerm_container_registry"].values()
    assert [r["location"] for r in registry["georeplications"]] == ["centralus"]
    assert registry["data_endpoint_enabled"] is True and registry["public_network_access_enabled"] is False


def test_a_workspace_refuses_a_replica_in_its_own_region(tmp_path):
    from council.errors import PropsError
    from council.workspace import CouncilWorkspace

    app, stack = _stack(tmp_path)
    with pytest.raises(PropsError, match="registry_replica_location.*eastus2"):
        CouncilWorkspace(stack, "workspace", props=_workspace_props(registry_replica_location="eastus2"))


def test_a_workspace_secret_connection_keeps_the_value_write_only(tmp_path):
    from council.workspace import CouncilWorkspace

    app, stack = _stack(tmp_path)
    workspace = CouncilWorkspace(stack, "workspace", props=_workspace_props())
    connection = workspace.add_secret_connection("token", name="hf-token", target="https://huggingface.co", key="HF_TOKEN", value="${var.t}")
    assert connection.reference == "azureml://connections/hf-token/credentials/HF_TOKEN"
    resources = _synth(app, tmp_path)["resource"]["azapi_resource"]
    (body,) = [r for r in resources.values() if "/connections@" in r["type"]]
    assert "credentials" not in body["body"]["properties"]
    assert body["sensitive_body"]["properties"]["credentials"]["keys"] == {"HF_TOKEN": "${var.t}"}


def test_member_props_give_a_catalog_member_no_token(environments):
    """Pure translation: no tree is built. Only members whose model needs the token get it."""
    from council.environment_props import Placement, member_props
    from council.naming import names_for

    env = environments["dev"]
    names = names_for(env, "dev")
    at = Placement(resource_group_name="rg", resource_group_id="/subscriptions/0/resourceGroups/rg", location=env.location, tags={})
    for member in env.members:
        props = member_props(member, names, at, workspace_id=WORKSPACE_ID, log_analytics_workspace_id="/law", secrets=None, token_reference="azureml://connections/t/credentials/K",
                             token_ready=("token",), egress_ready=())
        assert (props.token_reference is not None) == member.model.needs_token
        assert props.deployment_depends_on == (("token",) if member.model.needs_token else ())
        assert props.deployment_name.startswith(f"{member.role}-")


# --------------------------------------------------------------------------- bad props
# A reusable library's user builds constructs directly, without an environment file: each
# construct refuses props Azure would refuse, in its constructor, naming the prop and what it
# expected. One row per validation: (case, build(stack) that must raise, prop named, phrase).
PE_LINK = dict(subnet_id=f"{SUB}/Microsoft.Network/virtualNetworks/v/subnets/s",
               zone_id=f"{SUB}/Microsoft.Network/privateDnsZones/z", endpoint_name="pe-x")


def _router(stack, env_from_bundle=None, **overrides):
    from council.router_app import RouterApp, RouterAppProps

    bundle = _bundle(stack)
    values = dict(app_name="ca-unit", environment_name="cae-unit", identity_name="id-unit", resource_group_name="rg",
                  location="eastus2", apps_subnet_id=f"{SUB}/Microsoft.Network/virtualNetworks/v/subnets/apps",
                  vnet_id=f"{SUB}/Microsoft.Network/virtualNetworks/v", log_analytics_workspace_id="/x", secrets=bundle,
                  config_yaml="model_list: []\n", secret_env={})
    values.update(env_from_bundle(bundle) if env_from_bundle else {})
    values.update(overrides)
    return RouterApp(stack, "router", props=RouterAppProps(**values))


def _member(stack, **overrides):
    from council.member_endpoint import CouncilMemberEndpoint
    from council.model_source import CatalogModel

    model = CatalogModel(source="catalog", asset_id="azureml://registries/azureml/models/Phi-4/versions/7")
    return CouncilMemberEndpoint(stack, "member-unit", props=_member_props(_bundle(stack), model=model, **overrides))


def _network(stack, **overrides):
    from council.network import CouncilNetwork, NewNetworkProps

    values = dict(resource_group_name="rg", location="eastus2", vnet_name="vnet-unit", apps_subnet_name="snet-apps",
                  private_endpoints_subnet_name="snet-pe", address_space="10.40.0.0/22", apps_subnet_cidr="10.40.0.0/27",
                  private_endpoints_subnet_cidr="10.40.1.0/27")
    return CouncilNetwork(stack, "network", props=NewNetworkProps(**{**values, **overrides}))


def _existing_network(stack, **overrides):
    """A landing zone's network that gives only the zones every council needs."""
    from council.network import ZONE_PURPOSES, CouncilNetwork, ExistingNetworkProps

    zones = {purpose: f"{SUB}/Microsoft.Network/privateDnsZones/{purpose}" for purpose in ZONE_PURPOSES}
    return CouncilNetwork(stack, "network", props=ExistingNetworkProps(
        apps_subnet_id=f"{SUB}/Microsoft.Network/virtualNetworks/hub/subnets/apps",
        private_endpoints_subnet_id=f"{SUB}/Microsoft.Network/virtualNetworks/hub/subnets/pe", private_dns_zone_ids=zones, **overrides))


def test_an_adopted_network_creates_and_links_a_zone_the_landing_zone_lacks(tmp_path):
    """Redis's zone is not among the landing zone's: the network creates it, named by its cloud
    profile, in the group it was given, links it to the hub VNet, and the link waits for that."""
    from council.cloud import AZURE_PUBLIC

    app, stack = _stack(tmp_path)
    network = _existing_network(stack, zone_resource_group_name="rg-council", tags={"workload": "unit"})
    link = network.private_link("redis", endpoint_name="pe-redis")
    resources = _synth(app, tmp_path)["resource"]
    ((zone_key, zone),) = resources["azurerm_private_dns_zone"].items()
    assert zone["name"] == AZURE_PUBLIC.zone("redis") and zone["resource_group_name"] == "rg-council"
    assert zone["tags"] == {"workload": "unit"}
    (vnet_link,) = resources["azurerm_private_dns_zone_virtual_network_link"].values()
    assert vnet_link["virtual_network_id"] == f"{SUB}/Microsoft.Network/virtualNetworks/hub"
    assert len(link.network_dependencies) == 1  # the endpoint waits for the VNet link


def _vault(stack, **overrides):
    from council.private_link import PrivateLink
    from council.secret_bundle import SecretBundle, SecretBundleProps

    return SecretBundle(stack, "vault", props=SecretBundleProps(
        name="kv-unit-test", resource_group_name="rg", location="eastus2", tenant_id="00000000-0000-0000-0000-000000000000",
        private_link=PrivateLink(**PE_LINK), **overrides))


def _state(stack, **overrides):
    from council.private_link import PrivateLink
    from council.router_state import RouterState, RouterStateProps

    return RouterState(stack, "state", props=RouterStateProps(name="redis-unit", resource_group_name="rg", location="eastus2",
                                                             private_link=PrivateLink(**PE_LINK), **overrides))


def _database(stack, **overrides):
    from council.private_link import PrivateLink
    from council.router_database import RouterDatabase, RouterDatabaseProps

    return RouterDatabase(stack, "db", props=RouterDatabaseProps(name="psql-unit", resource_group_name="rg", location="eastus2",
                                                                 private_link=PrivateLink(**PE_LINK), **overrides))


def _monitoring(stack, **overrides):
    from council.monitoring import CouncilMonitoring, CouncilMonitoringProps

    values = dict(name="council-unit", resource_group_name="rg", resource_group_id=f"{SUB}/rg", contacts=("ops@example.com",),
                  budget_amount_usd=1000.0)
    return CouncilMonitoring(stack, "monitoring", props=CouncilMonitoringProps(**{**values, **overrides}))


BAD_PROPS = [
    ("member-timeout-zero", lambda s: _member(s, request_timeout_seconds=0), "request_timeout_seconds", "1 to"),
    ("member-key-slot", lambda s: _member(s, key_slot="tertiary"), "key_slot", "'primary' or 'secondary'"),
    ("member-anonymous", lambda s: _member(s, auth_mode="AMLToken"), "auth_mode", "'Key' or 'AADToken'"),
    ("member-public", lambda s: _member(s, public_network_access="enabled"), "public_network_access", "'Disabled'"),
    ("member-sku", lambda s: _member(s, instance_type="NV36ads_A10_v5"), "instance_type", "Azure VM SKU"),
    ("router-floating-image", lambda s: _router(s, image="ghcr.io/berriai/litellm:main-latest"), "image", "pinned"),
    ("router-replicas", lambda s: _router(s, min_replicas=3, max_replicas=2), "replicas", "min_replicas <= max_replicas"),
    ("router-log-level", lambda s: _router(s, log_level="VERBOSE"), "log_level", "one of"),
    ("router-env-twice", lambda s: _router_env_twice(s), "plain_env", "not already in secret_env"),
    ("vault-retention", lambda s: _vault(s, soft_delete_retention_days=6), "soft_delete_retention_days", "7 to 90"),
    ("vault-sku", lambda s: _vault(s, sku_name="basic"), "sku_name", "'standard' or 'premium'"),
    ("vault-secret-name", lambda s: _vault(s).add_secret("Bad_Name", "${var.x}"), "secret name", "lowercase"),
    ("vault-secret-twice", lambda s: (lambda b: (b.add_secret("api-key", "${var.a}"), b.add_secret("api-key", "${var.b}")))(_vault(s)),
     "secret name", "not already in this bundle"),
    ("workspace-firewall", lambda s: _workspace(s, firewall_sku="Premium"), "firewall_sku", "'Standard' or 'Basic'"),
    ("workspace-isolation", lambda s: _workspace(s, isolation_mode="Disabled"), "isolation_mode", "one of"),
    ("workspace-rules-without-isolation", lambda s: _workspace(s, isolation_mode="AllowInternetOutbound", outbound_fqdns=("ghcr.io",)),
     "outbound_fqdns", "AllowOnlyApprovedOutbound"),
    ("network-overlap", lambda s: _network(s, private_endpoints_subnet_cidr="10.40.0.16/28"), "subnets", "do not overlap"),
    ("network-outside", lambda s: _network(s, apps_subnet_cidr="10.41.0.0/27"), "subnets", "inside address_space"),
    ("network-zone-nowhere", lambda s: _existing_network(s).private_link("redis", endpoint_name="pe-redis"),
     "zone_resource_group_name", "missing redis zone"),
    ("network-unknown-zone", lambda s: _existing_network(s, zone_resource_group_name="rg").private_link("cosmos", endpoint_name="pe-c"),
     "purpose", "one of"),
    ("redis-sku", lambda s: _state(s, sku_name="Standard_C1"), "sku_name", "Azure Managed Redis SKU"),
    ("postgres-sku", lambda s: _database(s, sku_name="Standard_B1ms"), "sku_name", "flexible server SKU"),
    ("postgres-retention", lambda s: _database(s, backup_retention_days=36), "backup_retention_days", "7 to 35"),
    ("monitoring-no-contacts", lambda s: _monitoring(s, contacts=()), "contacts", "at least one"),
    ("monitoring-mid-month", lambda s: _monitoring(s, budget_start=__import__("datetime").date(2026, 12, 2)), "budget_start",
     "first day of a month"),
]


def _router_env_twice(stack):
    return _router(stack, _secret_in_bundle_and_plain)


def _secret_in_bundle_and_plain(bundle):
    return {"secret_env": {"SHARED_NAME": bundle.add_secret("shared", "${var.x}")}, "plain_env": {"SHARED_NAME": "1"}}


def _workspace(stack, **overrides):
    from council.workspace import CouncilWorkspace

    return CouncilWorkspace(stack, "workspace", props=_workspace_props(**overrides))


@pytest.mark.parametrize("case, build, prop, phrase", BAD_PROPS, ids=[c[0] for c in BAD_PROPS])
def test_a_construct_refuses_bad_props_naming_the_prop(tmp_path, case, build, prop, phrase):
    from council.errors import PropsError

    app, stack = _stack(tmp_path)
    with pytest.raises(PropsError) as caught:
        build(stack)
    line = caught.value.line()
    assert prop in line and phrase in line and "received" in line, line
