"""The security Aspect fails synth -- one line per violation, naming the file and the
construct -- when a tree composed from the constructs breaks an invariant."""

from __future__ import annotations

from pathlib import Path

import pytest


def _tampered_app(tmp_path, *, allow_external_ingress=False):
    from cdktf import App, Aspects, TerraformStack
    from cdktf_cdktf_provider_azurerm.provider import AzurermProvider

    from council.aspects import SecurityAspect
    from council.azapi import AzapiProvider, AzapiResource
    from council.member_endpoint import CouncilMemberEndpoint, CouncilMemberEndpointProps
    from council.model_source import CatalogModel
    from council.secret_bundle import SecretBundle, SecretBundleProps

    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "tamper")
    AzurermProvider(stack, "azurerm", features=[{}])
    AzapiProvider(stack, "azapi")
    from council.private_link import PrivateLink

    bundle = SecretBundle(
        stack,
        "vault",
        props=SecretBundleProps(
            name="kv-tamper-test",
            resource_group_name="rg",
            location="eastus2",
            tenant_id="00000000-0000-0000-0000-000000000000",
            private_link=PrivateLink(
                subnet_id="/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s",
                zone_id="/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net",
                endpoint_name="pe-kv",
            ),
            purge_protection_enabled=False,
            public_network_access_enabled=True,
        ),
    )
    CouncilMemberEndpoint(
        stack,
        "member-open",
        props=CouncilMemberEndpointProps(
            role="open",
            endpoint_name="council-open-test",
            deployment_name="open-v1",
            workspace_id="/subscriptions/x/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w",
            resource_group_name="rg",
            location="eastus2",
            model=CatalogModel(source="catalog", asset_id="azureml://registries/azureml/models/m/versions/1"),
            instance_type="Standard_NC24ads_A100_v4",
            secrets=bundle,
            public_network_access="Enabled",
        ),
    )
    AzapiResource(
        stack, "leaky", kind="workspace_connection", name="leaky", parent_id="/x",
        body={"properties": {"credentials": {"keys": {"api_key": "plain-text-key"}}, "note": "sk-" + "Q9" * 12}},
    )
    Aspects.of(stack).add(SecurityAspect(allow_external_ingress=allow_external_ingress))
    return app


def test_violations_fail_synth_with_one_line_each(tmp_path):
    from council.errors import CouncilError
    from council.synth import synth

    app = _tampered_app(tmp_path)
    with pytest.raises(CouncilError) as caught:
        synth(app, [("tamper", Path("environments/tamper.yaml"), None)])
    lines = caught.value.line().splitlines()
    assert all(line.startswith("environments/tamper.yaml: tamper/") for line in lines), lines
    text = "\n".join(lines)
    assert "tamper/vault/vault: Key Vault without purge protection" in text
    assert "tamper/vault/vault: Key Vault open to the public network" in text
    assert "tamper/member-open/endpoint: online endpoint reachable from the internet" in text
    assert "tamper/leaky: body.properties.credentials.keys.api_key holds a literal value" in text
    assert "tamper/leaky: body.properties.note holds what looks like a literal secret" in text
    # The key and key-base secrets of the endpoint are references: not reported.
    assert "secret-open-api-key" not in text


def test_external_ingress_needs_the_environment_to_allow_it():
    from council.aspects import SecurityAspect

    attrs = {"ingress": {"external_enabled": True, "target_port": 4000}, "secret": [{"name": "x", "value": "literal"}]}
    refused = SecurityAspect(allow_external_ingress=False).problems("azurerm_container_app", attrs)
    assert any("ingress is external" in p for p in refused)
    assert any("holds a literal value" in p for p in refused)
    allowed = SecurityAspect(allow_external_ingress=True).problems("azurerm_container_app", attrs)
    assert not any("ingress is external" in p for p in allowed)


def test_references_are_not_secrets():
    from council.aspects import SecurityAspect

    attrs = {"body": {"properties": {"value": "${azapi_resource_action.k.sensitive_output.primaryKey}"}}, "password": "${random_password.p.result}"}
    assert SecurityAspect().problems("azapi_resource", attrs) == []
