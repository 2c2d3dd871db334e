"""One Azure Monitor workbook per environment, generated from its environment file: a
group of charts per member and one for the router, every metric a published one."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, raw_environment
from tf import resources


def _workbook(stack: dict) -> dict:
    (workbook,) = resources(stack, "azurerm_application_insights_workbook").values()
    return workbook


def _ids(stack: dict, leaf: str) -> dict[str, str]:
    """role -> the `${azapi_resource.<member-role>_<leaf>_*.id}` reference."""
    out = {}
    for key, body in resources(stack, "azapi_resource").items():
        path = body["//"]["metadata"]["path"].split("/")
        if len(path) == 3 and path[1].startswith("member-") and path[2] == leaf:
            out[path[1].removeprefix("member-")] = f"${{azapi_resource.{key}.id}}"
    return out


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_the_board_has_a_group_per_member_of_the_file_and_the_router(stacks, stack_name):
    from council.metrics import metric_catalog

    stack = stacks[stack_name]
    definition = json.loads(_workbook(stack)["data_json"])
    groups = [i for i in definition["items"] if i["type"] == 12]
    roles = [m["role"] for m in raw_environment(stack_name)["members"]]
    assert [g["content"]["title"] for g in groups] == [*roles, "router"]
    endpoints, deployments = _ids(stack, "endpoint"), _ids(stack, "deployment")
    max_instances = {m["role"]: m["instances"]["max"] for m in raw_environment(stack_name)["members"]}
    for group in groups[:-1]:
        role = group["content"]["title"]
        charts = group["content"]["items"]
        metrics = {m["metric"].split("--", 1)[1] for c in charts for m in c["content"]["metrics"]}
        assert {"RequestsPerMinute", "RequestLatency_P50", "RequestLatency_P99", "DeploymentCapacity",
                "GpuUtilizationPercentage", "GpuMemoryUtilizationPercentage"} <= metrics
        assert any(f.get("values") == ["5xx"] for c in charts for m in c["content"]["metrics"] for f in m.get("filters", []))
        assert any(c["content"]["title"] == f"Instances (max {max_instances[role]})" for c in charts)
        # Each chart reads this member's own endpoint or deployment.
        assert {r for c in charts for r in c["content"]["resourceIds"]} == {endpoints[role], deployments[role]}
    (app_key,) = resources(stack, "azurerm_container_app")
    router = groups[-1]["content"]["items"]
    assert {r for c in router if c["type"] == 10 for r in c["content"]["resourceIds"]} == {f"${{azurerm_container_app.{app_key}.id}}"}
    queries = {c["name"]: c for c in router if c["type"] == 3}
    fallbacks, spend = queries["router-fallbacks"], queries["router-spend"]
    assert "litellm_request" in fallbacks["content"]["query"] and "attempts > 1" in fallbacks["content"]["query"]
    # Spend: the cost LiteLLM puts on each attempt's span, by member (measured, board.SPEND_QUERY).
    assert 'customDimensions["gen_ai.cost.total_cost"]' in spend["content"]["query"] and "litellm.model_group" in spend["content"]["query"]
    (insights_key,) = resources(stack, "azurerm_application_insights")
    for query in queries.values():
        assert query["content"]["crossComponentResources"] == [f"${{azurerm_application_insights.{insights_key}.id}}"]
    # 429s: Azure ML's for each member (more than its instances take at once), the router's for its clients.
    for group in groups:
        filters = [f for c in group["content"]["items"] if c["type"] == 10 for m in c["content"]["metrics"] for f in m.get("filters", [])]
        assert {"key": "statusCode", "operator": 0, "values": ["429"]} in filters, group["content"]["title"]
    # Every metric is one Azure publishes for its namespace.
    catalog = metric_catalog()
    for group in groups:
        for chart in (c for c in group["content"]["items"] if c["type"] == 10):
            for m in chart["content"]["metrics"]:
                namespace, name = m["metric"].split("--", 1)
                (known,) = [ns for key, ns in catalog.items() if key.lower() == namespace]
                assert name in known.metrics


def test_each_environment_has_its_own_stable_board_name(stacks):
    names = {s: _workbook(stacks[s])["name"] for s in ("dev", "prod")}
    assert names["dev"] != names["prod"]
    import uuid

    assert all(uuid.UUID(n) for n in names.values())


def test_a_misspelt_metric_fails_at_synth():
    from council.board import Chart, Series, _metric_item

    with pytest.raises(ValueError, match="GpuUtilisation"):
        _metric_item(Chart("x", "/id", (Series("Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments", "GpuUtilisationPercentage", "Average"),)), "x")


def test_the_board_picture_and_definition_come_from_the_file_alone(tmp_path):
    svg, definition = tmp_path / "board.svg", tmp_path / "board.json"
    for out in (svg, definition):
        result = subprocess.run([sys.executable, "-m", "council.cli", "board", "dev", "--output", str(out)], cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
    text = svg.read_text()
    for member in raw_environment("dev")["members"]:
        assert f">{member['role']}<" in text
    # Every tile says what it shows; no tile draws made-up data.
    assert "<polyline" not in text and "429 per minute" in text and "Spend by member" in text
    assert json.loads(definition.read_text())["version"] == "Notebook/1.0"
