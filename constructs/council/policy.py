"""Operational defaults shared by the environment model and the constructs.

The constructs' props and the environment file's optional sections take their
defaults from here, so a default is changed in one place. No cdktf import: the
environment model loads this without starting the jsii runtime.
"""

from __future__ import annotations

from dataclasses import dataclass

AUTOSCALE_METRICS = (
    "GpuUtilizationPercentage",
    "GpuMemoryUtilizationPercentage",
    "CpuUtilizationPercentage",
    "RequestsPerMinute",
    "RequestLatency_P99",
)


@dataclass(frozen=True, kw_only=True)
class AutoscaleRules:
    metric: str = "GpuUtilizationPercentage"
    scale_out_above: float = 70
    scale_in_below: float = 25
    window_minutes: int = 10
    # GPU scale-out takes 12-18 minutes: cooldowns shorter than that stack actions.
    scale_out_cooldown_minutes: int = 20
    scale_in_cooldown_minutes: int = 30


# Budget notifications, in percent of the monthly amount: actual spend and month-end forecast.
BUDGET_ACTUAL_THRESHOLDS_PERCENT = (50, 80, 100)
BUDGET_FORECAST_THRESHOLDS_PERCENT = (100,)


@dataclass(frozen=True, kw_only=True)
class AlertThresholds:
    latency_p99_ms: int = 30000
    server_errors_per_minute: float = 1
    pinned_at_max_window: str = "PT1H"
    router_restarts_per_15_minutes: int = 3
    router_server_errors_per_5_minutes: int = 10
