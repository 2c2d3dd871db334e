"""`council describe`, the budget and the alerts: what an operator looks at before and
after deploying."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT, raw_environment
from tf import key_of, members_of, outbound_fqdns, ref, resources

def _roles(name: str) -> set[str]:
    from conftest import raw_environment

    return {m["role"] for m in raw_environment(name)["members"]}


def _council(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "council.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_describe_table_lists_every_member_and_totals_add_up(name, environments):
    result = _council("describe", name)
    assert result.returncode == 0, result.stderr
    table = result.stdout
    roles = _roles(name)
    fixed = {"managed", "private"}  # the managed network firewall and the private endpoints
    rows = {line.split()[0]: line for line in table.splitlines() if line.split() and line.split()[0] in roles | {"router", "TOTAL"} | fixed}
    assert set(rows) == roles | {"router", "TOTAL"} | fixed
    money = lambda line: [float(v.replace(",", "")) for v in re.findall(r"\$([\d,]+\.\d\d)", line)]
    # each row: hourly, monthly@min, monthly@max; totals: hourly@min, monthly@min, monthly@max
    monthly_min = sum(money(rows[r])[1] for r in roles | {"router"} | fixed)
    monthly_max = sum(money(rows[r])[2] for r in roles | {"router"} | fixed)
    assert money(rows["TOTAL"])[1:] == pytest.approx([monthly_min, monthly_max], abs=0.011)
    for member in environments[name].members:
        assert member.sku in rows[member.role]
        assert f"{member.instances.min}/{member.instances.default}/{member.instances.max}" in rows[member.role]
    assert "as of" in table and "not counted" in table and "quota" in table


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_describe_json_carries_the_same_numbers(name):
    data = json.loads(_council("describe", name, "--format", "json").stdout)
    table = _council("describe", name).stdout
    assert {m["role"] for m in data["members"]} == _roles(name)
    fixed = sum(p["monthly_usd"] for p in data["platform"])
    total_min = sum(m["monthly_min_usd"] for m in data["members"]) + data["router"]["monthly_min_usd"] + fixed
    total_max = sum(m["monthly_max_usd"] for m in data["members"]) + data["router"]["monthly_max_usd"] + fixed
    assert data["totals"]["monthly_min_usd"] == pytest.approx(total_min, abs=0.011)
    assert data["totals"]["monthly_max_usd"] == pytest.approx(total_max, abs=0.011)
    assert f"${data['totals']['monthly_max_usd']:,.2f}" in table
    for member in data["members"]:
        assert member["monthly_min_usd"] == pytest.approx(member["hourly_usd"] * 730 * member["instances_min"], abs=0.011)
        assert member["gpu_memory_needed_gb"] < member["gpu_memory_available_gb"]
    assert data["prices"]["as_of"] and data["not_counted"]
    from council.catalog import load_catalog

    skus = load_catalog().skus
    assert {q["family"] for q in data["quota"]} == {skus[m["sku"]].family for m in raw_environment(name)["members"]}


def test_describe_quota_includes_the_upgrade_reserve_where_it_applies():
    # prod runs members on both an exempt family (A100) and one with the reserve (A10).
    data = json.loads(_council("describe", "prod", "--format", "json").stdout)
    quota = {q["family"]: q["vcpus_needed_at_max"] for q in data["quota"]}
    a100 = sum(m["instances_max"] for m in data["members"] if "A100" in m["sku"]) * 24
    # Per deployment ceil(1.2 x instances) x cores (Azure ML docs: 10 instances of a 4-core
    # VM need 48 cores): the rounding is per deployment, not on the family's sum.
    a10 = sum(-(-m["instances_max"] * 12 // 10) * 36 for m in data["members"] if "A10_v5" in m["sku"])
    assert quota["StandardNCADSA100v4Family"] == a100  # A100 family: exempt from the reserve
    assert quota["StandardNVADSA10v5Family"] == a10


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_stack_has_a_budget_with_contacts(stacks, environments, name):
    stack, env = stacks[name], environments[name]
    ((_, budget),) = resources(stack, "azurerm_consumption_budget_resource_group").items()
    ((group_key, _),) = resources(stack, "azurerm_resource_group").items()
    assert budget["resource_group_id"] == ref("azurerm_resource_group", group_key, "id")
    assert budget["amount"] == env.budget.amount_usd
    assert budget["time_grain"] == "Monthly"
    if env.budget.start_date is None:
        # The first of the month of the first apply, recorded once (time_static): valid
        # whenever the stack is first applied, and no diff on later plans.
        ((static_key, static),) = resources(stack, "time_static").items()
        assert "rfc3339" not in static and set(static["triggers"].values()) == {budget["name"], budget["resource_group_id"]}
        assert budget["time_period"]["start_date"] == "${formatdate(\"YYYY-MM-01'T'00:00:00'Z'\", time_static." + static_key + ".rfc3339)}"
    else:
        assert budget["time_period"]["start_date"] == f"{env.budget.start_date.isoformat()}T00:00:00Z"
    kinds = sorted((n["threshold_type"], n["threshold"]) for n in budget["notification"])
    expected = sorted([("Actual", p) for p in env.budget.actual_thresholds_percent] + [("Forecasted", p) for p in env.budget.forecast_thresholds_percent])
    assert kinds == expected
    assert all(n["contact_emails"] == list(env.contacts) for n in budget["notification"])


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_alerts_watch_every_member_and_the_router(stacks, environments, name):
    stack = stacks[name]
    ((ag_key, group),) = resources(stack, "azurerm_monitor_action_group").items()
    assert [r["email_address"] for r in group["email_receiver"]] == list(environments[name].contacts)
    alerts = list(resources(stack, "azurerm_monitor_metric_alert").values())
    for alert in alerts:
        assert alert["action"] == [{"action_group_id": ref("azurerm_monitor_action_group", ag_key, "id")}]
        assert not alert["criteria"][0].get("skip_metric_validation")  # Azure checks the name too
    by_metric: dict[str, set[str]] = {}
    for alert in alerts:
        by_metric.setdefault(alert["criteria"][0]["metric_name"], set()).update(alert["scopes"])
    endpoints = members_of(stack, "azapi_resource", "endpoint")
    deployments = members_of(stack, "azapi_resource", "deployment")
    dep_ids = {ref("azapi_resource", key_of(stack, "azapi_resource", d), "id") for d in deployments.values()}
    ep_ids = {ref("azapi_resource", key_of(stack, "azapi_resource", e), "id") for e in endpoints.values()}
    assert by_metric["RequestLatency_P99"] == dep_ids
    assert by_metric["DeploymentCapacity"] == dep_ids
    assert by_metric["RequestsPerMinute"] == ep_ids
    ((app_key, _),) = resources(stack, "azurerm_container_app").items()
    assert by_metric["RestartCount"] == by_metric["Requests"] == {ref("azurerm_container_app", app_key, "id")}
    # "pinned at max" compares against each member's own maximum.
    autoscale = members_of(stack, "azurerm_monitor_autoscale_setting", "autoscale")
    for alert in alerts:
        criteria = alert["criteria"][0]
        if criteria["metric_name"] == "DeploymentCapacity":
            role = next(r for r, d in deployments.items() if alert["scopes"] == [ref("azapi_resource", key_of(stack, "azapi_resource", d), "id")])
            assert criteria["threshold"] == autoscale[role]["profile"][0]["capacity"]["maximum"]
            assert criteria["aggregation"] == "Minimum"


def test_alert_thresholds_are_overridable():
    from council.config import parse_environment

    data = raw_environment("dev")
    data["alerts"] = {"latency_p99_ms": 5000}
    env = parse_environment(data, "dev.yaml")
    assert env.alerts.latency_p99_ms == 5000 and env.alerts.router_restarts_per_15_minutes == 3


def test_budget_below_the_minimum_monthly_cost_is_refused_with_both_figures(tmp_path, stacks):
    import yaml

    data = raw_environment("dev")
    data["budget"]["amount_usd"] = 1000
    path = tmp_path / "dev.yaml"
    path.write_text(yaml.safe_dump(data))
    result = _council("validate", str(path))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    prices = yaml.safe_load((ROOT / "constructs/council/catalog/gpu_skus.yaml").read_text())["skus"]
    floor = sum(prices[m["sku"]]["hourly_usd"] * m["instances"]["min"] * 730 for m in data["members"])  # dev's router min is 0
    # Plus the fixed parts: the managed firewall (FQDN rules exist) and each private endpoint of the stack.
    platform = yaml.safe_load((ROOT / "constructs/council/catalog/platform_prices.yaml").read_text())
    floor += platform["managed_firewall"]["hourly_usd"]["Standard"] * 730
    floor += platform["private_endpoint"]["hourly_usd"] * 730 * len(resources(stacks["dev"], "azurerm_private_endpoint"))
    assert data["router"]["min_replicas"] == 0
    assert line.startswith(f"error: {path}: budget.amount_usd: 1,000.00 USD is below the council's minimum monthly cost of {floor:,.2f} USD")


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_describe_counts_the_firewall_and_private_endpoints_the_stack_creates(stacks, environments, name):
    """The managed firewall exists once the workspace has FQDN outbound rules; every private
    endpoint in the synthesized stack is priced; the totals add them in."""
    from council.cost import describe

    data = describe(environments[name], name)
    stack = stacks[name]
    rows = {p["name"].split(" (")[0]: p for p in data["platform"]}
    endpoints = len(resources(stack, "azurerm_private_endpoint"))
    assert rows["private endpoints"]["count"] == endpoints
    has_rules = bool(outbound_fqdns(stack))
    assert ("managed network firewall" in rows) == has_rules
    fixed = sum(p["monthly_usd"] for p in data["platform"])
    members = sum(m["monthly_min_usd"] for m in data["members"])
    assert data["totals"]["monthly_min_usd"] == pytest.approx(members + data["router"]["monthly_min_usd"] + fixed, abs=0.01)
    assert all(p["source"].startswith("https://azure.microsoft.com/pricing/") for p in data["platform"])
