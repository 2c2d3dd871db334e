"""Variants of dev with one setting changed: existing landing-zone network,
Terraform Cloud backend, and no gated model."""

from __future__ import annotations

from conftest import EXISTING_NETWORK
from tf import members_of, outbound_fqdns, resources


def test_existing_network_is_adopted_not_created(stacks):
    lz = stacks["lz"]
    assert resources(lz, "azurerm_virtual_network") == {}
    assert resources(lz, "azurerm_subnet") == {}
    created_zones = {z["name"] for z in resources(lz, "azurerm_private_dns_zone").values()}
    assert not any(name.startswith("privatelink.") for name in created_zones), "landing zone owns the privatelink zones"
    zones = EXISTING_NETWORK["private_dns_zone_ids"]
    for pe in resources(lz, "azurerm_private_endpoint").values():
        assert pe["subnet_id"] == EXISTING_NETWORK["private_endpoints_subnet_id"]
        sub = pe["private_service_connection"]["subresource_names"]
        expected = {
            ("vault",): [zones["vaultcore_azure_net"]],
            ("amlworkspace",): [zones["api_azureml_ms"], zones["notebooks_azure_net"]],
            ("redisEnterprise",): [zones["redis_azure_net"]],
            ("blob",): [zones["blob_core_windows_net"]],
            ("file",): [zones["file_core_windows_net"]],
        }[tuple(sub)]
        assert pe["private_dns_zone_group"]["private_dns_zone_ids"] == expected
    (env,) = resources(lz, "azurerm_container_app_environment").values()
    # Through the plan-time read of the subnet (tests/test_network_rules.py checks its conditions).
    reads = lz["data"]["azapi_resource"]
    read_key = env["infrastructure_subnet_id"].removeprefix("${data.azapi_resource.").removesuffix(".id}")
    assert reads[read_key]["resource_id"] == EXISTING_NETWORK["apps_subnet_id"]
    # The router's own zone is linked to the landing zone's VNet (the subnet's parent).
    (link,) = resources(lz, "azurerm_private_dns_zone_virtual_network_link").values()
    assert link["virtual_network_id"] == EXISTING_NETWORK["apps_subnet_id"].rsplit("/subnets/", 1)[0]


def test_created_network_links_every_zone_to_the_vnet(stacks):
    dev = stacks["dev"]
    ((vnet_key, _),) = resources(dev, "azurerm_virtual_network").items()
    links = resources(dev, "azurerm_private_dns_zone_virtual_network_link").values()
    from conftest import raw_environment

    shared_state = raw_environment("dev").get("router", {}).get("shared_state", "azure-managed-redis") != "none"
    # AML api + notebooks, Key Vault, workspace storage blob + file, the Container Apps
    # environment's domain, and Redis when shared.
    assert len(links) == len(resources(dev, "azurerm_private_dns_zone")) == 6 + shared_state
    assert all(link["virtual_network_id"] == f"${{azurerm_virtual_network.{vnet_key}.id}}" for link in links)


def test_terraform_cloud_backend_is_emitted_when_configured(stacks):
    assert stacks["tfc"]["terraform"]["cloud"] == {
        "hostname": "app.terraform.io",
        "organization": "contoso",
        "workspaces": {"name": "ai-council-dev"},
    }
    assert "backend" not in stacks["tfc"]["terraform"]
    assert stacks["dev"]["terraform"]["backend"] == {"local": {"path": "terraform.dev.tfstate"}}


def test_providers_are_pinned(stacks):
    providers = stacks["dev"]["terraform"]["required_providers"]
    assert providers["azurerm"]["version"] == "4.55.0"
    assert providers["azapi"] == {"source": "Azure/azapi", "version": "2.5.0"}
    assert providers["random"]["version"]


def test_without_gated_models_there_is_no_token_plumbing(stacks):
    open_ = stacks["open"]
    assert "variable" not in open_
    assert not [v for v in resources(open_, "azapi_resource").values() if "/connections@" in v["type"]]
    for ep in members_of(open_, "azapi_resource", "endpoint").values():
        assert "properties" not in ep["body"]["properties"]
    for dep in members_of(open_, "azapi_resource", "deployment").values():
        assert "HF_TOKEN" not in dep["body"]["properties"].get("environmentVariables", {})


def test_container_members_get_an_environment_and_outbound_rules(stacks):
    dev = stacks["dev"]
    deployments = members_of(dev, "azapi_resource", "deployment")
    environments = members_of(dev, "azapi_resource", "server-environment")
    from conftest import raw_environment

    members = raw_environment("dev")["members"]
    assert set(environments) == {m["role"] for m in members if m["model"]["source"] == "container"}
    for role, env in environments.items():
        props = env["body"]["properties"]
        assert ":" in props["image"] and not props["image"].endswith(":latest")
        assert props["inferenceConfig"]["readinessRoute"]["path"] == "/health"
        key = next(k for k, v in resources(dev, "azapi_resource").items() if v is env)
        assert deployments[role]["body"]["properties"]["environmentId"] == f"${{azapi_resource.{key}.id}}"
        assert deployments[role]["body"]["properties"]["environmentVariables"]["MODEL_ID"]
    for role in (m["role"] for m in members if m["model"]["source"] == "catalog"):
        assert deployments[role]["body"]["properties"]["model"] == next(m["model"]["asset_id"] for m in members if m["role"] == role)
    fqdns = outbound_fqdns(dev)
    assert {"huggingface.co", "ghcr.io"} <= fqdns
