"""Diagnostic settings: every resource that emits logs or metrics sends them to the
environment's Log Analytics workspace.

`DiagnosticSetting` has the shape of Azure Verified Modules' `diagnostic_settings`
interface (name, log_categories, log_groups, metric_categories,
log_analytics_destination_type, workspace_resource_id; AVM's storage, event hub and
partner destinations are not used here). `add_diagnostic_setting` checks every category
against catalog/diagnostics.yaml for the resource's type, so a misspelt or unsupported
category fails at synth with the type's valid ones, not at apply.

Each construct calls it for its own resources when given a workspace id
(`log_analytics_workspace_id` in its props), choosing the categories that matter for
that resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import yaml
from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_azurerm.monitor_diagnostic_setting import (
    MonitorDiagnosticSetting,
    MonitorDiagnosticSettingEnabledLog,
    MonitorDiagnosticSettingEnabledMetric,
)
from constructs import Construct

from council.catalog import CATALOG_DIR
from council.errors import PropsError

DESTINATION_TYPES = ("Dedicated", "AzureDiagnostics")


@dataclass(frozen=True)
class DiagnosticCategories:
    resource_type: str
    logs: frozenset[str]
    groups: frozenset[str]
    metrics: frozenset[str]
    source: str
    # False where Azure reads log_analytics_destination_type back as null (catalog note).
    destination_type_read_back: bool = True


@lru_cache(maxsize=1)
def diagnostic_catalog() -> dict[str, DiagnosticCategories]:
    data = yaml.safe_load((CATALOG_DIR / "diagnostics.yaml").read_text(encoding="utf-8"))
    return {
        rtype: DiagnosticCategories(rtype, frozenset(f["logs"]), frozenset(f["groups"]), frozenset(f["metrics"]), f["source"],
                                    f.get("destination_type_read_back", True))
        for rtype, f in data["types"].items()
    }


@dataclass(frozen=True, kw_only=True)
class DiagnosticSetting:
    """Where one resource's logs and metrics go, and which."""

    workspace_resource_id: str
    name: str = "to-log-analytics"
    log_categories: tuple[str, ...] = ()
    # Every resource log by default (AVM's default too); () for types without logs.
    log_groups: tuple[str, ...] = ("allLogs",)
    metric_categories: tuple[str, ...] = ("AllMetrics",)
    # Resource-specific tables (e.g. AmlOnlineEndpointTrafficLog) instead of AzureDiagnostics.
    log_analytics_destination_type: str = "Dedicated"


def check_setting(resource_type: str, setting: DiagnosticSetting, *, where: str) -> None:
    """Raise PropsError unless every category of `setting` exists for `resource_type`."""
    known = diagnostic_catalog().get(resource_type)
    if known is None:
        raise PropsError(where, "resource_type", resource_type, f"a type in catalog/diagnostics.yaml ({', '.join(sorted(diagnostic_catalog()))})")
    for field, values, allowed in (
        ("log_categories", setting.log_categories, known.logs),
        ("log_groups", setting.log_groups, known.groups),
        ("metric_categories", setting.metric_categories, known.metrics),
    ):
        unknown = sorted(set(values) - allowed)
        if unknown:
            valid = ", ".join(sorted(allowed)) or "none"
            raise PropsError(where, field, unknown, f"{resource_type} {field} from catalog/diagnostics.yaml: {valid} ({known.source})")
    if not (setting.log_categories or setting.log_groups or setting.metric_categories):
        raise PropsError(where, "categories", (), "at least one log category, log group or metric category")
    if setting.log_analytics_destination_type not in DESTINATION_TYPES:
        raise PropsError(where, "log_analytics_destination_type", setting.log_analytics_destination_type, f"one of {DESTINATION_TYPES}")


def add_diagnostic_setting(
    scope: Construct, id: str, *, resource_type: str, target_resource_id: str, setting: DiagnosticSetting
) -> MonitorDiagnosticSetting:
    """One `azurerm_monitor_diagnostic_setting` on `target_resource_id`, checked against the catalog."""
    check_setting(resource_type, setting, where=f"{scope.node.path}/{id}")
    has_logs = bool(setting.log_categories or setting.log_groups)
    unread = has_logs and not diagnostic_catalog()[resource_type].destination_type_read_back
    return MonitorDiagnosticSetting(
        scope,
        id,
        name=setting.name,
        target_resource_id=target_resource_id,
        log_analytics_workspace_id=setting.workspace_resource_id,
        # Only meaningful with logs; left unset on a metrics-only setting (Azure returns none).
        log_analytics_destination_type=setting.log_analytics_destination_type if has_logs else None,
        enabled_log=[
            *(MonitorDiagnosticSettingEnabledLog(category=c) for c in setting.log_categories),
            *(MonitorDiagnosticSettingEnabledLog(category_group=g) for g in setting.log_groups),
        ]
        or None,
        enabled_metric=[MonitorDiagnosticSettingEnabledMetric(category=c) for c in setting.metric_categories] or None,
        # Sent at creation; Azure reads it back as null for this type, which would be a change at every plan.
        lifecycle=TerraformResourceLifecycle(ignore_changes=["log_analytics_destination_type"]) if unread else None,
    )
