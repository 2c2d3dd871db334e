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
    - A timeout or a 5xx is not retried on the same member: the fallback is asked at
      once (LiteLLM's num_retries otherwise applies to timeouts too: 90 s x 3 attempts).
    - Dropped connections and other errors LiteLLM does not classify are retried
      `num_retries` times.
    - After `allowed_fails` timeouts or 5xx within a minute the member is cooled down
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

    num_retries: int = 2
    timeout_retries: int = 0
    server_error_retries: int = 0
    allowed_fails: int = 1
    cooldown_seconds: int = 60
    # LiteLLM's default upstream timeout for a call that names none (every member names its own).
    timeout_seconds: int = 120


# Router sizing, measured with bench/router_bench.py (2026-11-27, x86_64, 2 cores, one
# LiteLLM worker, loopback member): about 130 requests/s when CPU-bound, i.e. about 7.6 ms
# of CPU per request, and a 9 ms median overhead sequentially.
ROUTER_CPU_SECONDS_PER_REQUEST = 0.0076
# A replica's HTTP-concurrency scale rule adds replicas at `concurrent_requests` in flight.
# Sized so that even if every member answered in FASTEST_ANSWER_SECONDS, the requests in
# flight would keep LiteLLM's CPU below ROUTER_CPU_TARGET of the replica's vCPUs.
FASTEST_ANSWER_SECONDS = 1.0
ROUTER_CPU_TARGET = 0.8


def router_workers(cpu: float) -> int:
    """LiteLLM worker processes for a replica with `cpu` vCPUs: one per whole vCPU (each
    worker is single-threaded and CPU-bound under load)."""
    return max(1, int(cpu))
