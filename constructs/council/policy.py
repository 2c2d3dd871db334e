"""Operational defaults, limits and the checks on them, shared by the environment
model and the constructs.

Each concept has one definition here: the environment file's sections and the
constructs' props use the same frozen models (`Instances`, `AutoscaleRules`,
`AlertThresholds`), and a rule both must enforce is one function that returns a
problem or None. No cdktf import: the environment model loads this without starting
the jsii runtime.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

AUTOSCALE_METRICS = (
    "GpuUtilizationPercentage",
    "GpuMemoryUtilizationPercentage",
    "CpuUtilizationPercentage",
    "RequestsPerMinute",
    "RequestLatency_P99",
)
# Azure ML's limit on a deployment's request_settings.request_timeout (managed online
# endpoints quotas, "request timeout 180 s").
MAX_REQUEST_TIMEOUT_SECONDS = 180


class Policy(BaseModel):
    """A frozen settings model: unknown keys are refused, values are checked on creation."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Instances(Policy):
    """Instance counts of one managed online deployment (autoscale keeps it in [min, max])."""

    min: int = Field(default=1, ge=0)
    default: int = Field(default=1, ge=0)
    # The project's ceiling, above Azure ML's default per-deployment limit (which can be raised).
    max: int = Field(default=2, ge=1, le=100)

    @field_validator("min")
    @classmethod
    def _no_scale_to_zero(cls, value: int) -> int:
        if value < 1:
            raise ValueError(
                f"min is {value}: managed online deployments cannot scale to zero "
                "(at least one instance always runs); set min to 1 or more"
            )
        return value

    @model_validator(mode="after")
    def _order(self) -> "Instances":
        if not self.min <= self.default <= self.max:
            raise ValueError(f"need min <= default <= max, got min={self.min} default={self.default} max={self.max}")
        return self


class AutoscaleRules(Policy):
    metric: Literal[AUTOSCALE_METRICS] = "GpuUtilizationPercentage"  # type: ignore[valid-type]
    scale_out_above: float = Field(default=70, gt=0)
    scale_in_below: float = Field(default=25, ge=0)
    # Azure Monitor autoscale: a metric trigger's time window "must be between 12 hours and 5
    # minutes" (MetricTrigger.TimeWindow, Microsoft.Azure.Management.Insights; read 2026-11-28).
    window_minutes: int = Field(default=10, ge=5, le=720)
    # GPU scale-out takes 12-18 minutes: cooldowns shorter than that stack actions.
    scale_out_cooldown_minutes: int = Field(default=20, ge=1, le=10080)
    scale_in_cooldown_minutes: int = Field(default=30, ge=1, le=10080)

    @model_validator(mode="after")
    def _band(self) -> "AutoscaleRules":
        if self.scale_in_below >= self.scale_out_above:
            raise ValueError(
                f"scale_in_below ({self.scale_in_below}) must be lower than scale_out_above "
                f"({self.scale_out_above}) or the rules flap"
            )
        return self


# Budget notifications, in percent of the monthly amount: actual spend and month-end forecast.
BUDGET_ACTUAL_THRESHOLDS_PERCENT = (50, 80, 100)
BUDGET_FORECAST_THRESHOLDS_PERCENT = (100,)


class AlertThresholds(Policy):
    """Azure Monitor alert thresholds (defaults suit a 7-8B model on one GPU)."""

    latency_p99_ms: int = Field(default=30000, ge=100)
    server_errors_per_minute: float = Field(default=1, gt=0)
    # Alert when a deployment's instance count stays at its max for this window.
    pinned_at_max_window: Literal["PT30M", "PT1H", "PT6H", "PT12H"] = "PT1H"
    router_restarts_per_15_minutes: int = Field(default=3, ge=1)
    router_server_errors_per_5_minutes: int = Field(default=10, ge=1)


# --------------------------------------------------------------------------- shared checks
# Each returns what is wrong (with the fix), or None; the environment model raises it as a
# validation error on the field, a construct as a PropsError naming its prop.
def request_timeout_problem(seconds: int) -> str | None:
    if 1 <= seconds <= MAX_REQUEST_TIMEOUT_SECONDS:
        return None
    return f"{seconds} s is outside 1-{MAX_REQUEST_TIMEOUT_SECONDS} s, Azure ML's limit for a request timeout"


def replicas_problem(min_replicas: int, max_replicas: int) -> str | None:
    if 0 <= min_replicas <= max_replicas and max_replicas >= 1:
        return None
    return f"min_replicas ({min_replicas}) must be 0 or more and at most max_replicas ({max_replicas}), which must be 1 or more"


def budget_start_problem(start: date | None) -> str | None:
    if start is None or start.day == 1:
        return None
    return f"{start} is not the first day of a month; Azure budgets start on the 1st (e.g. {start.replace(day=1)})"


def subnets_problem(address_space: str, subnets: dict[str, str]) -> str | None:
    """Every subnet inside the address space, and no two overlapping."""
    vnet = ipaddress.ip_network(address_space)
    nets = {name: ipaddress.ip_network(cidr) for name, cidr in subnets.items()}
    for name, net in nets.items():
        if not net.subnet_of(vnet):
            return f"{name} {net} is not inside address_space {vnet}"
    names = list(nets)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            if nets[first].overlaps(nets[second]):
                return f"{first} {nets[first]} overlaps {second} {nets[second]}"
    return None


# --------------------------------------------------------------------------- router
# Failures per minute of errors the allowed_fails_policy does not name (LiteLLM's own
# "all deployments in cooldown" error among them) before a member is cooled down:
# effectively never.
UNCLASSIFIED_ALLOWED_FAILS = 1000
# Per-member rpm/tpm limits are enforced by LiteLLM's model-capacity limiter
# (litellm/proxy/hooks/dynamic_rate_limiter_v3.py), which counts in the router's Redis, so
# the limit holds across replicas: measured with two real proxies and one redis-server,
# rpm 2 admitted exactly 2 of 6 and rpm 10 exactly 10 of 14, and a 429 says "Model capacity
# reached". LiteLLM's usage-based routing does not: it reads a counter from a replica's
# memory once that replica holds it (caching/dual_cache.py), and admits rpm - 1 a minute.
RATE_LIMITER_CALLBACK = "dynamic_rate_limiter_v3"
# Per-request telemetry: LiteLLM's OpenTelemetry callback (litellm/integrations/opentelemetry.py)
# exports, per request, a "Received Proxy Server Request" span and one "litellm_request" span per
# attempt (model group, provider model, status, duration; a fallback is a second attempt in the
# same trace), over OTLP to OTEL_EXPORTER_OTLP_ENDPOINT -- which the Container Apps managed
# OpenTelemetry agent provides, forwarding to Application Insights. Measured with the real
# 1.108.5 proxy (tests/test_router_telemetry.py).
TELEMETRY_CALLBACK = "otel"

# Container Apps environment subnet minimums, per environment type (learn.microsoft.com/azure/
# container-apps/networking: /27 for workload profiles, /23 for consumption only).
APPS_SUBNET_MAX_PREFIX = {"workload-profiles": 27, "consumption-only": 23}

# How long destroy waits between deleting the Container Apps environment and deleting its
# subnet. The environment's service association link (legionservicelink) outlives it: "Subnet
# not released by Container Apps environment after deleting the environment"
# (microsoft/azure-container-apps#974, 2023-11-03); a delete meanwhile fails with
# InUseSubnetCannotBeDeleted, and azurerm 4.55's subnet delete does not retry
# (internal/services/network/subnet_resource.go). Microsoft gives no figure; CAIRA waits 15 to
# 20 minutes for the same link (microsoft/CAIRA#256, PR #310), one report saw 2 days
# (microsoft-foundry/foundry-samples#153). Read 2026-12-03. README "Destroy an environment" says
# what to do when the wait is not enough.
APPS_SUBNET_RELEASE_WAIT = "15m"

# Container Apps ingress ends an HTTP request after 240 seconds ("Container Apps ingress:
# requests time out after 240 seconds", learn.microsoft.com/azure/container-apps/ingress-overview;
# read 2026-11-27). No path through the router (attempts x timeouts across a fallback chain)
# may outlast it, or the client gets a 504 while the router is still trying.
INGRESS_REQUEST_TIMEOUT_SECONDS = 240
# What the router itself may add to a request's path on top of the upstream timeouts
# (accepting, routing, switching to a fallback, streaming the answer back).
ROUTER_MARGIN_SECONDS = 10
ROUTER_TIME_BUDGET_SECONDS = INGRESS_REQUEST_TIMEOUT_SECONDS - ROUTER_MARGIN_SECONDS


@dataclass(frozen=True, kw_only=True)
class RouterPolicy:
    """How the LiteLLM router treats failing members (rendered into router_settings).

    Measured with the real LiteLLM 1.108.5 proxy against failing and hanging fakes
    (tests/test_router_policy.py):
    - A timeout, a 5xx or a refused connection is not retried on the same member: the
      fallback is asked at once (LiteLLM's num_retries otherwise applies to timeouts too:
      90 s x 3 attempts; 502 and 503 were tried 3 times, tests/router_clients.py).
    - Errors no retry_policy field names are retried `num_retries` times (default 0).
    - After `allowed_fails` failures (default 0: the first) the member is cooled down
      for `cooldown_seconds` and requests go straight to its fallback. The value is
      rendered as a per-error-type `allowed_fails_policy`: LiteLLM treats a router-wide
      `allowed_fails` equal to its default (3) as unset and never cools down a model
      group with a single deployment.
    - Rate limits (a member's 429) are neither retried nor counted: the request goes to the
      fallback, or back to the client as 429, at once. The router's own rpm/tpm limits answer
      429 before routing (RATE_LIMITER_CALLBACK).
      LiteLLM retries a RateLimitError after sleeping until the next minute (measured: 60 s
      per call), and it charges the "all deployments in cooldown" error of a cooled-down
      member to the fallback that then answers, which cooled healthy fallbacks down in
      cascade; only UNCLASSIFIED_ALLOWED_FAILS of such errors a minute would.
    """

    num_retries: int = 0
    timeout_retries: int = 0
    server_error_retries: int = 0
    allowed_fails: int = 0
    cooldown_seconds: int = 60
    # The router-wide timeout LiteLLM applies to a call that names none: the project's choice
    # (LiteLLM's own default is 6000 s); every member's model entry names its own, so in practice
    # no member request uses it.
    timeout_seconds: int = 120


# Router sizing, measured with bench/router_bench.py (2026-12-03, x86_64, 2 cores, Python 3.11.7;
# README "Router sizing"): a replica as deployed (the rendered config and hooks, Redis, the
# OpenTelemetry exporter, the environment's log level; one worker per vCPU), worst of dev and
# prod with one and two replicas. CPU time of the router's processes divided by the requests
# they served, at 50 in flight:
# - a request, streamed or not (18.5 ms; 11 ms without Redis and the exporter);
ROUTER_CPU_SECONDS_PER_REQUEST = 0.0185
# - each chunk of a stream, on top: (streamed 100 chunks - not streamed) / 100 = 0.67 ms. TGI
#   sends one chunk per generated token, so a stream costs the router CPU at its member's pace.
ROUTER_CPU_SECONDS_PER_CHUNK = 0.00067
# A replica's HTTP-concurrency scale rule adds replicas at `concurrent_requests` in flight.
# Sized for the worst case: every request in flight a stream from the member whose tokens can
# come fastest (council.sizing.router_load), answered within FASTEST_ANSWER_SECONDS, keeping
# LiteLLM's CPU below ROUTER_CPU_TARGET of the replica's vCPUs.
FASTEST_ANSWER_SECONDS = 1.0
ROUTER_CPU_TARGET = 0.8


def router_workers(cpu: float) -> int:
    """LiteLLM worker processes for a replica with `cpu` vCPUs: one per whole vCPU (each
    worker is single-threaded and CPU-bound under load)."""
    return max(1, int(cpu))
