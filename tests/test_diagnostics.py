"""Every resource that emits logs or metrics sends them to the environment's Log Analytics
workspace through a diagnostic setting whose categories exist for its type.

Every resource type in the synthesized stacks must be classified below: a new type fails
the suite until someone decides whether it needs a diagnostic setting.
"""

from __future__ import annotations

import pytest

from tf import resources

# Terraform resource type (or azapi ARM type) -> (ARM type of the diagnostic target, suffix
# appended to the resource's id for the target; e.g. a storage account's blob service).
DIAGNOSED: dict[str, list[tuple[str, str]]] = {
    "azurerm_key_vault": [("Microsoft.KeyVault/vaults", "")],
    "Microsoft.MachineLearningServices/workspaces": [("Microsoft.MachineLearningServices/workspaces", "")],
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints": [("Microsoft.MachineLearningServices/workspaces/onlineEndpoints", "")],
    "azurerm_container_app_environment": [("Microsoft.App/managedEnvironments", "")],
    "azurerm_container_app": [("Microsoft.App/containerApps", "")],
    "azurerm_storage_account": [("Microsoft.Storage/storageAccounts", ""), ("Microsoft.Storage/storageAccounts/blobServices", "/blobServices/default")],
    "azurerm_container_registry": [("Microsoft.ContainerRegistry/registries", "")],
    "azurerm_managed_redis": [("Microsoft.Cache/redisEnterprise", ""), ("Microsoft.Cache/redisEnterprise/databases", "/databases/default")],
    "azurerm_postgresql_flexible_server": [("Microsoft.DBforPostgreSQL/flexibleServers", "")],
}
# Types with no diagnostic setting, and why.
NOT_DIAGNOSED = {
    "azurerm_log_analytics_workspace": "the destination itself",
    "azurerm_container_app_job": "its console output is the Container Apps environment's (ContainerAppConsoleLogs, diagnosed there)",
    "azurerm_application_insights": "a telemetry sink (workspace-based: its data is already in the Log Analytics workspace)",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments": "its metrics are the endpoint's (dimension deployment) and the workspace's; no resource logs",
    "Microsoft.MachineLearningServices/workspaces/connections": "configuration, no telemetry",
    "Microsoft.MachineLearningServices/workspaces/environments/versions": "configuration, no telemetry",
    "azurerm_postgresql_flexible_server_database": "covered by the server's setting",
    "azurerm_network_security_group": "flow logs need Network Watcher (not part of this stack); the NSG's rule-counter logs are retired",
    "azurerm_virtual_network": "flow logs need Network Watcher (not part of this stack)",
    "azurerm_subnet": "configuration",
    "azurerm_network_security_rule": "configuration of its NSG",
    "azurerm_subnet_network_security_group_association": "configuration",
    "azurerm_private_endpoint": "metrics only in the platform metrics store; no resource logs",
    "azurerm_private_dns_zone": "no resource logs",
    "azurerm_private_dns_zone_virtual_network_link": "configuration",
    "azurerm_private_dns_a_record": "configuration",
    "azurerm_resource_group": "the activity log covers it",
    "azurerm_role_assignment": "the activity log covers it",
    "azurerm_user_assigned_identity": "sign-ins are Entra ID logs, not resource logs",
    "azurerm_monitor_action_group": "monitoring itself",
    "azurerm_monitor_autoscale_setting": "monitoring itself (autoscale history is in the activity log)",
    "azurerm_monitor_metric_alert": "monitoring itself",
    "azurerm_monitor_diagnostic_setting": "monitoring itself",
    "azurerm_application_insights_workbook": "monitoring itself",
    "azurerm_consumption_budget_resource_group": "cost management",
    "random_password": "not an Azure resource",
    "time_static": "not an Azure resource",
    "time_sleep": "not an Azure resource",
}


def _kinds(stack: dict):
    """(kind, resource) for every resource: the Terraform type, or the ARM type for azapi."""
    for rtype, items in stack["resource"].items():
        if rtype in ("azapi_resource_action", "azapi_update_resource"):
            continue  # calls and updates of resources listed elsewhere, not resources
        for name, body in items.items():
            kind = body["type"].split("@")[0] if rtype == "azapi_resource" else rtype
            yield kind, rtype, name


@pytest.mark.parametrize("stack_name", ["dev", "prod", "lz", "open"])
def test_every_resource_type_is_classified(stacks, stack_name):
    unknown = {kind for kind, _, _ in _kinds(stacks[stack_name])} - set(DIAGNOSED) - set(NOT_DIAGNOSED)
    assert not unknown, f"decide whether these need a diagnostic setting (tests/test_diagnostics.py): {sorted(unknown)}"


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_every_diagnosable_resource_sends_to_the_environments_workspace(stacks, stack_name):
    from council.diagnostics import diagnostic_catalog

    stack = stacks[stack_name]
    settings = list(resources(stack, "azurerm_monitor_diagnostic_setting").values())
    (workspace_name,) = resources(stack, "azurerm_log_analytics_workspace")
    workspace_id = f"${{azurerm_log_analytics_workspace.{workspace_name}.id}}"
    by_target = {s["target_resource_id"]: s for s in settings}
    expected = 0
    for kind, rtype, name in _kinds(stack):
        for arm_type, suffix in DIAGNOSED.get(kind, []):
            expected += 1
            target = f"${{{rtype}.{name}.id}}{suffix}"
            assert target in by_target, f"{kind} {name} has no diagnostic setting on {target}"
            setting = by_target[target]
            assert setting["log_analytics_workspace_id"] == workspace_id
            known = diagnostic_catalog()[arm_type]
            for log in setting.get("enabled_log", []):
                assert log.get("category") in known.logs or log.get("category_group") in known.groups, (arm_type, log)
            assert {m["category"] for m in setting.get("enabled_metric", [])} <= known.metrics
            # Something is sent: logs where the type has them, metrics otherwise.
            assert setting.get("enabled_log") or not (known.logs or known.groups), f"{arm_type}: logs not sent"
            assert setting.get("enabled_metric") or not known.metrics, f"{arm_type}: metrics not sent"
            # Where Azure reads the destination type back as null, the setting must not fight it at every plan.
            ignored = "log_analytics_destination_type" in setting.get("lifecycle", {}).get("ignore_changes", [])
            assert ignored == ("log_analytics_destination_type" in setting and not known.destination_type_read_back), (arm_type, setting)
    assert len(settings) == expected, "a diagnostic setting on nothing the table expects"


def test_what_an_operator_needs_is_named(stacks):
    """The categories the operator's questions depend on: who read which secret, what each
    member's server printed and answered, what the router printed."""
    settings = resources(stacks["dev"], "azurerm_monitor_diagnostic_setting").values()
    categories = {log.get("category") for s in settings for log in s.get("enabled_log", [])}
    assert {"AuditEvent", "AmlOnlineEndpointTrafficLog", "AmlOnlineEndpointConsoleLog", "AmlOnlineEndpointEventLog",
            "ContainerAppConsoleLogs", "ContainerAppSystemLogs"} <= categories
    (environment,) = resources(stacks["dev"], "azurerm_container_app_environment").values()
    # With "log-analytics" the environment's logs bypass diagnostic settings.
    assert environment["logs_destination"] == "azure-monitor" and "log_analytics_workspace_id" not in environment


def test_a_wrong_category_fails_at_synth_with_the_valid_ones(tmp_path):
    from cdktf import App, TerraformStack

    from council.diagnostics import DiagnosticSetting, add_diagnostic_setting
    from council.errors import PropsError

    stack = TerraformStack(App(outdir=str(tmp_path)), "unit")
    with pytest.raises(PropsError) as caught:
        add_diagnostic_setting(stack, "d", resource_type="Microsoft.KeyVault/vaults", target_resource_id="/kv",
                               setting=DiagnosticSetting(workspace_resource_id="/law", log_categories=("AuditEvents",)))
    line = caught.value.line()
    assert "AuditEvents" in line and "AuditEvent," in line and "supported-logs" in line
    with pytest.raises(PropsError, match="has none|none"):
        add_diagnostic_setting(stack, "e", resource_type="Microsoft.App/containerApps", target_resource_id="/app",
                               setting=DiagnosticSetting(workspace_resource_id="/law"))  # allLogs: the app has no logs
