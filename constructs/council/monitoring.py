"""CouncilMonitoring: a budget and the alerts that say when the council misbehaves.

- A monthly `azurerm_consumption_budget_resource_group` on the council's resource
  group, e-mailing the contacts at actual and forecast thresholds.
- One action group built from the contacts.
- Per member: p99 latency and server errors (5xx) on its endpoint/deployment, and
  "instance count pinned at max" (autoscale has nothing left to give).
- On the router app: restarts and 5xx responses.

Every metric and dimension an alert names is checked against catalog/metrics.yaml at
synth (council.metrics), and Azure's own validation stays on (no skip_metric_validation,
which exists for custom metrics not yet emitted: these are platform metrics, defined for
the resource type whether or not the resource has served yet).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Mapping

from cdktf_cdktf_provider_azurerm.application_insights_workbook import ApplicationInsightsWorkbook
from cdktf_cdktf_provider_azurerm.consumption_budget_resource_group import (
    ConsumptionBudgetResourceGroup,
    ConsumptionBudgetResourceGroupNotification,
    ConsumptionBudgetResourceGroupTimePeriod,
)
from cdktf_cdktf_provider_azurerm.monitor_action_group import MonitorActionGroup, MonitorActionGroupEmailReceiver
from cdktf_cdktf_provider_azurerm.monitor_metric_alert import (
    MonitorMetricAlert,
    MonitorMetricAlertAction,
    MonitorMetricAlertCriteria,
    MonitorMetricAlertCriteriaDimension,
)
from cdktf import Fn
from cdktf_cdktf_provider_time.static_resource import StaticResource
from constructs import Construct

from council.board import MonitoredMember, board_definition
from council.errors import PropsError
from council.metrics import metric_problem
from council.policy import BUDGET_ACTUAL_THRESHOLDS_PERCENT, BUDGET_FORECAST_THRESHOLDS_PERCENT, AlertThresholds, budget_start_problem

ENDPOINT_NAMESPACE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
DEPLOYMENT_NAMESPACE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
CONTAINER_APP_NAMESPACE = "Microsoft.App/containerApps"
# The first day of the first apply's month, in the RFC 3339 form azurerm wants.
BUDGET_START_FORMAT = "YYYY-MM-01'T'00:00:00'Z'"




@dataclass(frozen=True, kw_only=True)
class CouncilMonitoringProps:
    name: str  # base for physical names, e.g. "council-dev-k7q2"
    resource_group_name: str
    resource_group_id: str
    contacts: tuple[str, ...]
    budget_amount_usd: float
    # None (the default): the first of the month of the first apply, recorded once by a
    # time_static resource (again only when the budget is replaced). azurerm refuses a past
    # start date outside the current month
    # ("Past start date should be selected within the timegrain period") and start_date is
    # ForceNew, so a fixed date breaks the first apply after its month and any later
    # computed date would re-create the budget.
    budget_start: date | None = None
    actual_thresholds_percent: tuple[int, ...] = BUDGET_ACTUAL_THRESHOLDS_PERCENT
    forecast_thresholds_percent: tuple[int, ...] = BUDGET_FORECAST_THRESHOLDS_PERCENT
    members: tuple[MonitoredMember, ...] = ()
    router_app_id: str | None = None
    # The board (an Azure Monitor workbook, council.board): where it lives and the
    # Application Insights its fallback chart queries. None: no board.
    location: str | None = None
    app_insights_id: str | None = None
    board_title: str = "AI Council"
    thresholds: AlertThresholds = AlertThresholds()
    tags: Mapping[str, str] = field(default_factory=dict)


class CouncilMonitoring(Construct):
    def __init__(self, scope: Construct, id: str, *, props: CouncilMonitoringProps) -> None:
        super().__init__(scope, id)
        if not props.contacts:
            raise PropsError(self.node.path, "contacts", props.contacts, "at least one e-mail address")
        if budget_start_problem(props.budget_start):
            raise PropsError(self.node.path, "budget_start", props.budget_start, "the first day of a month")
        self._props = props
        tags = dict(props.tags)

        budget_name = f"budget-{props.name}"
        self.budget = ConsumptionBudgetResourceGroup(
            self,
            "budget",
            name=budget_name,
            resource_group_id=props.resource_group_id,
            amount=props.budget_amount_usd,
            time_grain="Monthly",
            time_period=ConsumptionBudgetResourceGroupTimePeriod(start_date=self._budget_start(props.budget_start, budget_name, props.resource_group_id)),
            notification=[
                ConsumptionBudgetResourceGroupNotification(
                    enabled=True, threshold=percent, threshold_type=kind, operator="GreaterThanOrEqualTo", contact_emails=list(props.contacts)
                )
                for kind, percents in (("Actual", props.actual_thresholds_percent), ("Forecasted", props.forecast_thresholds_percent))
                for percent in percents
            ],
        )
        self.action_group = MonitorActionGroup(
            self,
            "action-group",
            name=f"ag-{props.name}",
            resource_group_name=props.resource_group_name,
            short_name="aicouncil",
            email_receiver=[
                MonitorActionGroupEmailReceiver(name=f"contact-{index}", email_address=email, use_common_alert_schema=True)
                for index, email in enumerate(props.contacts)
            ],
            tags=tags,
        )
        self.action_group_id: str = self.action_group.id  # read once, used by every alert
        t = props.thresholds
        for member in props.members:
            self._alert(
                f"{member.role}-latency", scope=member.deployment_id, severity=2, window="PT15M",
                description=f"{member.role}: p99 latency above {t.latency_p99_ms} ms for 15 minutes",
                criteria=MonitorMetricAlertCriteria(
                    metric_namespace=DEPLOYMENT_NAMESPACE, metric_name="RequestLatency_P99", aggregation="Average",
                    operator="GreaterThan", threshold=t.latency_p99_ms,
                ),
            )
            self._alert(
                f"{member.role}-server-errors", scope=member.endpoint_id, severity=1, window="PT15M",
                description=f"{member.role}: more than {t.server_errors_per_minute:g} 5xx responses per minute",
                criteria=MonitorMetricAlertCriteria(
                    metric_namespace=ENDPOINT_NAMESPACE, metric_name="RequestsPerMinute", aggregation="Average",
                    operator="GreaterThan", threshold=t.server_errors_per_minute,
                    dimension=[MonitorMetricAlertCriteriaDimension(name="statusCodeClass", operator="Include", values=["5xx"])],
                ),
            )
            self._alert(
                f"{member.role}-pinned-at-max", scope=member.deployment_id, severity=2, window=t.pinned_at_max_window,
                description=f"{member.role}: instance count held at its maximum ({member.max_instances}) for {t.pinned_at_max_window}; "
                "raise instances.max (and quota) or add capacity",
                criteria=MonitorMetricAlertCriteria(
                    metric_namespace=DEPLOYMENT_NAMESPACE, metric_name="DeploymentCapacity", aggregation="Minimum",
                    operator="GreaterThanOrEqual", threshold=member.max_instances,
                ),
            )
        self.board = self._board(props) if props.router_app_id and props.app_insights_id and props.location else None
        if props.router_app_id is not None:
            self._alert(
                "router-restarts", scope=props.router_app_id, severity=1, window="PT15M",
                description=f"router: more than {t.router_restarts_per_15_minutes} container restarts in 15 minutes",
                criteria=MonitorMetricAlertCriteria(
                    metric_namespace=CONTAINER_APP_NAMESPACE, metric_name="RestartCount", aggregation="Total",
                    operator="GreaterThan", threshold=t.router_restarts_per_15_minutes,
                ),
            )
            self._alert(
                "router-server-errors", scope=props.router_app_id, severity=1, window="PT5M",
                description=f"router: more than {t.router_server_errors_per_5_minutes} 5xx responses in 5 minutes",
                criteria=MonitorMetricAlertCriteria(
                    metric_namespace=CONTAINER_APP_NAMESPACE, metric_name="Requests", aggregation="Total",
                    operator="GreaterThan", threshold=t.router_server_errors_per_5_minutes,
                    dimension=[MonitorMetricAlertCriteriaDimension(name="statusCodeCategory", operator="Include", values=["5xx"])],
                ),
            )

    def _board(self, props: CouncilMonitoringProps) -> ApplicationInsightsWorkbook:
        """One workbook per environment: every member's charts and the router's."""
        definition = board_definition(props.board_title, list(props.members), props.router_app_id, props.app_insights_id)
        return ApplicationInsightsWorkbook(
            self,
            "board",
            # A workbook's name is a GUID: derived from the title (which names the
            # environment), so it is stable across synths and differs between environments.
            name=str(uuid.uuid5(uuid.NAMESPACE_URL, f"ai-council/board/{props.board_title}")),
            display_name=props.board_title,
            resource_group_name=props.resource_group_name,
            location=props.location,
            data_json=json.dumps(definition),
            source_id="azure monitor",
            category="workbook",
            tags=dict(props.tags),
        )

    def _budget_start(self, start: date | None, budget_name: str, resource_group_id: str) -> str:
        if start is not None:
            return f"{start.isoformat()}T00:00:00Z"
        # Recorded again whenever the budget itself is replaced (its name or resource group, the
        # ForceNew arguments not derived from this date, change): a new budget then starts this
        # month instead of a past one, which Azure refuses outside the current period.
        first_apply = StaticResource(self, "budget-start", triggers={"budget_name": budget_name, "resource_group_id": resource_group_id})
        # formatdate: digits and punctuation are literal, letters in quotes ('T', 'Z').
        return Fn.formatdate(BUDGET_START_FORMAT, first_apply.rfc3339)

    def _alert(self, id: str, *, scope: str, severity: int, window: str, description: str, criteria: MonitorMetricAlertCriteria) -> MonitorMetricAlert:
        dimensions = tuple(d.name for d in (criteria.dimension or []))
        problem = metric_problem(criteria.metric_namespace, criteria.metric_name, dimensions)
        if problem:
            raise PropsError(f"{self.node.path}/alert-{id}", "criteria.metric_name", criteria.metric_name, f"a published metric ({problem})")
        return MonitorMetricAlert(
            self,
            f"alert-{id}",
            name=f"alert-{id}-{self._props.name}",
            resource_group_name=self._props.resource_group_name,
            scopes=[scope],
            description=description,
            severity=severity,
            frequency="PT5M" if window != "PT5M" else "PT1M",
            window_size=window,
            criteria=[criteria],
            action=[MonitorMetricAlertAction(action_group_id=self.action_group_id)],
            tags=dict(self._props.tags),
        )
