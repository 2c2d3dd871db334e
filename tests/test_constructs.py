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
