"""The council's board: one Azure Monitor workbook per environment, generated from its members.

`board_definition()` returns the workbook's JSON definition (schema `Notebook/1.0`, the
format the portal exports): a header, then per member a group of metric charts --
requests, p50/p99 latency, 5xx, instances against max, GPU and GPU-memory utilization --
and for the router its requests, latency and the requests a fallback answered. Every
metric is checked against catalog/metrics.yaml (council.metrics), so a wrong name fails
at synth. A sixth member in the environment file is a sixth group, with no code change.

`board_svg()` draws the same definition as a picture (each chart a panel naming its
metrics): the portal is not reachable from here, and the README shows this instead.

Workbook item fields follow workbooks the portal exports (Azure/Azure-Monitor-Community
and Azure Workbooks templates; read 2026-11-27): items type 1 (markdown), 3 (KQL query,
`KqlItem/1.0`), 10 (metrics, `MetricsItem/2.0`), 12 (group). Metric aggregation codes:
1 Sum, 2 Minimum, 3 Maximum, 4 Average. Pure: no cdktf import.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from council.metrics import metric_problem

ENDPOINT = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
DEPLOYMENT = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
CONTAINER_APP = "Microsoft.App/containerApps"
AGGREGATION = {"Sum": 1, "Minimum": 2, "Maximum": 3, "Average": 4}
DEFAULT_RANGE_MS = 24 * 3600 * 1000
# Requests a fallback answered: more than one LiteLLM attempt in one trace (one
# "litellm_request" span per call to a member, council.policy.TELEMETRY_CALLBACK), in the
# Application Insights that the Container Apps OpenTelemetry agent forwards the spans to.
FALLBACKS_QUERY = (
    "dependencies\n"
    "| where name == \"litellm_request\"\n"
    "| summarize attempts = count(), at = min(timestamp) by operation_Id\n"
    "| summarize requests = count(), answered_by_a_fallback = countif(attempts > 1) by bin(at, 15m)\n"
    "| render timechart"
)


# What the council spends, by member: LiteLLM stamps each "litellm_request" span with the
# request's cost (`gen_ai.cost.total_cost`, from the member's per-second GPU price:
# router_config input_cost_per_second) and its model group (`litellm.model_group`); measured
# with the real 1.108.5 proxy and an OTLP receiver (2026-12-03). Application Insights keeps span
# attributes as customDimensions.
SPEND_QUERY = (
    "dependencies\n"
    "| where name == \"litellm_request\"\n"
    "| extend member = tostring(customDimensions[\"litellm.model_group\"]), usd = todouble(customDimensions[\"gen_ai.cost.total_cost\"])\n"
    "| summarize spend_usd = sum(usd) by bin(timestamp, 1h), member\n"
    "| render timechart"
)
KQL_ITEMS = (  # (name, title, query, what the picture says of it)
    ("router-fallbacks", "Requests answered by a fallback", FALLBACKS_QUERY, ("KQL over Application Insights traces:", "traces with more than one litellm_request span")),
    ("router-spend", "Spend by member (USD per hour)", SPEND_QUERY, ("KQL over Application Insights traces:", "sum of gen_ai.cost.total_cost by litellm.model_group")),
)


@dataclass(frozen=True, kw_only=True)
class MonitoredMember:
    """What the alerts and the board need of one member."""

    role: str
    endpoint_id: str
    deployment_id: str
    max_instances: int


@dataclass(frozen=True)
class Series:
    namespace: str
    metric: str
    aggregation: str
    filter: tuple[str, str] | None = None  # (dimension, value)


@dataclass(frozen=True)
class Chart:
    title: str
    resource_id: str
    series: tuple[Series, ...]


def _check(chart: Chart) -> None:
    for s in chart.series:
        problem = metric_problem(s.namespace, s.metric, (s.filter[0],) if s.filter else ())
        if problem:
            raise ValueError(f"board chart {chart.title!r}: {problem}")


def member_charts(member: MonitoredMember) -> list[Chart]:
    e, d = member.endpoint_id, member.deployment_id
    return [
        Chart("Requests per minute", e, (Series(ENDPOINT, "RequestsPerMinute", "Sum"),)),
        Chart("Latency p50 / p99 (ms)", e, (Series(ENDPOINT, "RequestLatency_P50", "Average"), Series(ENDPOINT, "RequestLatency_P99", "Average"))),
        Chart("5xx per minute", e, (Series(ENDPOINT, "RequestsPerMinute", "Sum", ("statusCodeClass", "5xx")),)),
        # Azure ML's own 429: more requests than max_concurrent_requests_per_instance allows.
        Chart("429 per minute (overloaded)", e, (Series(ENDPOINT, "RequestsPerMinute", "Sum", ("statusCode", "429")),)),
        Chart(f"Instances (max {member.max_instances})", d, (Series(DEPLOYMENT, "DeploymentCapacity", "Maximum"),)),
        Chart("GPU / GPU memory utilization (%)", d,
              (Series(DEPLOYMENT, "GpuUtilizationPercentage", "Average"), Series(DEPLOYMENT, "GpuMemoryUtilizationPercentage", "Average"))),
    ]


def router_charts(router_app_id: str) -> list[Chart]:
    return [
        Chart("Router requests", router_app_id, (Series(CONTAINER_APP, "Requests", "Sum"),)),
        Chart("Router 5xx", router_app_id, (Series(CONTAINER_APP, "Requests", "Sum", ("statusCodeCategory", "5xx")),)),
        # rpm/tpm limits and overloaded members answered to clients (README "The router").
        Chart("Router 429", router_app_id, (Series(CONTAINER_APP, "Requests", "Sum", ("statusCode", "429")),)),
        Chart("Router response time (ms)", router_app_id, (Series(CONTAINER_APP, "ResponseTime", "Average"),)),
        Chart("Router replicas", router_app_id, (Series(CONTAINER_APP, "Replicas", "Maximum"),)),
    ]


def _metric_item(chart: Chart, name: str) -> dict:
    _check(chart)
    namespace = chart.series[0].namespace.lower()
    return {
        "type": 10,
        "name": name,
        "content": {
            "chartId": name,
            "version": "MetricsItem/2.0",
            "size": 0,
            "chartType": 2,  # line
            "resourceType": namespace,
            "metricScope": 0,
            "resourceIds": [chart.resource_id],
            "timeContext": {"durationMs": DEFAULT_RANGE_MS},
            "metrics": [
                {
                    "namespace": s.namespace.lower(),
                    "metric": f"{s.namespace.lower()}--{s.metric}",
                    "aggregation": AGGREGATION[s.aggregation],
                    **({"filters": [{"key": s.filter[0], "operator": 0, "values": [s.filter[1]]}]} if s.filter else {}),
                }
                for s in chart.series
            ],
            "title": chart.title,
        },
        "customWidth": "33",
    }


def board_definition(title: str, members: list[MonitoredMember], router_app_id: str, app_insights_id: str) -> dict:
    """The workbook (Notebook/1.0) for one environment."""
    items: list[dict] = [{
        "type": 1,
        "name": "header",
        "content": {"json": f"# {title}\nPer member: requests, latency, 5xx, 429, instances against max, GPU. "
                            "Then the router: requests, 5xx, 429, response time, replicas, requests a fallback answered, spend by member."},
    }]
    for member in members:
        items.append({
            "type": 12,
            "name": f"member-{member.role}",
            "content": {
                "version": "NotebookGroup/1.0",
                "groupType": "editable",
                "title": member.role,
                "items": [_metric_item(c, f"{member.role}-{i}") for i, c in enumerate(member_charts(member))],
            },
        })
    router_items = [_metric_item(c, f"router-{i}") for i, c in enumerate(router_charts(router_app_id))]
    router_items += [{
        "type": 3,
        "name": name,
        "content": {
            "version": "KqlItem/1.0",
            "query": query,
            "size": 0,
            "title": title,
            "timeContext": {"durationMs": DEFAULT_RANGE_MS},
            "queryType": 0,
            "resourceType": "microsoft.insights/components",
            "crossComponentResources": [app_insights_id],
            "visualization": "timechart",
        },
        "customWidth": "33",
    } for name, title, query, _ in KQL_ITEMS]
    items.append({"type": 12, "name": "router", "content": {"version": "NotebookGroup/1.0", "groupType": "editable", "title": "router", "items": router_items}})
    return {"version": "Notebook/1.0", "items": items, "isLocked": False, "fallbackResourceIds": ["Azure Monitor"]}


def placeholder_members(env, stack: str) -> tuple[list[MonitoredMember], str, str]:
    """The board's inputs from the environment file alone (no synth): ARM ids built from the
    physical names (`xxxxxx` where the suffix is only known at plan) and `<subscription>`."""
    from council.naming import names_for

    names = names_for(env, stack)
    group = f"/subscriptions/<subscription>/resourceGroups/{names.resource_group()}/providers"
    workspace = f"{group}/Microsoft.MachineLearningServices/workspaces/{names.ml_workspace()}"
    members = []
    for member in env.members:
        endpoint = f"{workspace}/onlineEndpoints/{names.online_endpoint(member.role)}"
        members.append(MonitoredMember(role=member.role, endpoint_id=endpoint,
                                       deployment_id=f"{endpoint}/deployments/{names.online_deployment(member.role, member.sku, member.slot)}",
                                       max_instances=member.instances.max))
    return (members, f"{group}/Microsoft.App/containerApps/{names.container_app()}",
            f"{group}/Microsoft.Insights/components/{names.app_insights()}")


# --------------------------------------------------------------------------- picture
def board_svg(definition: dict) -> str:
    """The workbook as a picture: one row of panels per group, each naming its metrics."""
    width, panel_w, panel_h, gap, left = 1200, 370, 92, 15, 20
    out, y = [], 20
    header = next(i for i in definition["items"] if i["type"] == 1)["content"]["json"].splitlines()
    out.append(f'<text x="{left}" y="{y + 18}" font-size="20" font-weight="bold">{html.escape(header[0].lstrip("# "))}</text>')
    out.append(f'<text x="{left}" y="{y + 40}" font-size="12" fill="#555">{html.escape(header[1])}</text>')
    y += 60
    for group in (i for i in definition["items"] if i["type"] == 12):
        content = group["content"]
        out.append(f'<text x="{left}" y="{y + 16}" font-size="15" font-weight="bold">{html.escape(content["title"])}</text>')
        y += 26
        for index, item in enumerate(content["items"]):
            col, row = index % 3, index // 3
            x, top = left + col * (panel_w + gap), y + row * (panel_h + gap)
            c = item["content"]
            out.append(f'<rect x="{x}" y="{top}" width="{panel_w}" height="{panel_h}" rx="4" fill="#f6f8fa" stroke="#c9d1d9"/>')
            out.append(f'<text x="{x + 10}" y="{top + 20}" font-size="13" font-weight="bold">{html.escape(c["title"])}</text>')
            if item["type"] == 10:
                lines = []
                for m in c["metrics"]:
                    agg = next(k for k, v in AGGREGATION.items() if v == m["aggregation"])
                    flt = "".join(f" [{f['key']}={','.join(f['values'])}]" for f in m.get("filters", []))
                    lines.append(f"{m['metric'].split('--', 1)[1]} ({agg}){flt}")
            else:
                lines = list(next(said for name, _, _, said in KQL_ITEMS if name == item["name"]))
            for n, line in enumerate(lines):
                out.append(f'<text x="{x + 10}" y="{top + 42 + n * 17}" font-size="11" fill="#333">{html.escape(line)}</text>')
            # What the tile shows, not made-up data: this is a picture of the layout.
            out.append(f'<text x="{x + panel_w - 10}" y="{top + panel_h - 8}" font-size="10" fill="#777" text-anchor="end">'
                       f'line chart, last 24 h</text>')
        rows = (len(content["items"]) + 2) // 3
        y += rows * (panel_h + gap) + 10
    body = "\n".join(out)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y + 10}" font-family="Segoe UI, Helvetica, Arial, sans-serif">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n{body}\n</svg>\n')
