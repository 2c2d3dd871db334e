"""Every alert and autoscale rule names a metric (and dimensions) Azure publishes for its
namespace (catalog/metrics.yaml, with sources), and Azure's own validation stays on."""

from __future__ import annotations

import pytest

from tf import resources


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_alerts_name_published_metrics_and_keep_azure_validation(stacks, stack_name):
    from council.metrics import metric_problem

    alerts = resources(stacks[stack_name], "azurerm_monitor_metric_alert")
    assert alerts
    for name, alert in alerts.items():
        for criteria in alert["criteria"]:
            assert not criteria.get("skip_metric_validation"), f"{name} skips Azure's metric validation"
            dimensions = tuple(d["name"] for d in criteria.get("dimension", []))
            assert metric_problem(criteria["metric_namespace"], criteria["metric_name"], dimensions) is None, name


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_autoscale_rules_name_published_metrics(stacks, stack_name):
    from council.metrics import metric_problem

    for name, setting in resources(stacks[stack_name], "azurerm_monitor_autoscale_setting").items():
        for rule in setting["profile"][0]["rule"]:
            trigger = rule["metric_trigger"]
            assert metric_problem(trigger["metric_namespace"], trigger["metric_name"]) is None, name


def test_every_autoscale_metric_the_file_may_name_is_published():
    from council.member_endpoint import DEPLOYMENT_METRIC_NAMESPACE
    from council.metrics import metric_problem
    from council.policy import AUTOSCALE_METRICS

    assert all(metric_problem(DEPLOYMENT_METRIC_NAMESPACE, m) is None for m in AUTOSCALE_METRICS)


def test_a_misspelt_metric_or_dimension_is_refused_with_the_valid_ones():
    from council.metrics import metric_problem

    ns = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
    problem = metric_problem(ns, "GpuUtilisationPercentage")
    assert "GpuUtilisationPercentage" in problem and "GpuUtilizationPercentage" in problem and "supported-metrics" in problem
    problem = metric_problem("Microsoft.App/containerApps", "Requests", ("statusCodeClass",))
    assert "statusCodeClass" in problem and "statusCodeCategory" in problem
    assert metric_problem("Microsoft.App/containerApps", "Requests", ("statusCodeCategory",)) is None
