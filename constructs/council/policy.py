"""Operational defaults, limits and the checks on them, shared by the environment
model and the constructs.

Each concept has one definition here: the environment file's sections and the
constructs' props use the same frozen models (`Instances`, `AutoscaleRules`,
`AlertThresholds`), and a rule both must enforce is one function that returns a
problem or None. No cdktf import: the environment model loads this without starting
the jsii runtime.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

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

# Blue/green (README "Roll out a change"): a member's two deployment slots; a staged change runs in
# the slot the member is not using. Azure ML online endpoints (REST 2025-06-01,
# OnlineEndpointProperties): `traffic` values sum to 100; `mirrorTraffic` values "need to sum to
# utmost 50". The safe-rollout guide (how-to-safely-rollout-online-endpoints, read 2026-12-03)
# mirrors only to a deployment that takes no live traffic: the council asks for one or the other.
SLOTS = ("blue", "green")
MAX_MIRROR_PERCENT = 50


def other_slot(slot: str) -> str:
    """The slot a staged change of a member in `slot` runs in."""
    return next(s for s in SLOTS if s != slot)


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


# --------------------------------------------------------------------------- capacity on a schedule
# A managed online deployment takes 12-18 minutes to add an instance ("Azure online endpoint is
# Scaling taking long time", Azure/azureml-examples#3515, 2025-02-13; read 2026-12-03), so a rule
# that reacts to load answers a morning peak late. `schedule:` raises members' minimum instance
# counts in recurring weekly windows, ahead of the load; outside them each member runs its own
# `instances`.
#
# How Azure Monitor reads recurring profiles ("Autoscale with multiple profiles",
# learn.microsoft.com/azure/azure-monitor/autoscale/autoscale-multiprofile, ms.date 2024-11-01,
# MicrosoftDocs/azure-monitor-docs@281288dc; read 2026-12-03):
# - fixed-date profiles are evaluated first, then recurring ones, then the default profile (the one
#   without a schedule); the first that matches the current time applies;
# - "Autoscale transitions between profiles based on their start times. The end time for a given
#   profile is determined by the start time of the following profile", and in a template "There's
#   no specification ... for end time. A profile will remain active until the next profile's start
#   time" (the weekend profile there starts Saturday 00:01 and lasts until Monday 04:00);
# - the portal and the CLI give a recurring profile its end time by adding a second recurring
#   profile that starts at that end, named {"name":"Auto created default scale condition","for":
#   "<profile>"}, with the default profile's capacity and rules.
# So one window is two recurring profiles (council.member_endpoint renders them): one at its start
# with the window's minimum, and one at its end back to the member's own capacity, with the same
# rules as the `default` profile, which stays as it is. The second is named "after <window>" (a
# window name has no spaces, so the two never clash). A recurrence has one time of day and any
# number of days (azurerm 4.55: `hours` and `minutes` MaxItems 1, `days` Monday..Sunday,
# case-sensitive; Recurrence.frequency is always Week), so each window's start is one profile,
# and its end one more.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
# "A maximum of 20 profiles can be specified" (AutoscaleSetting.profiles, maxItems 20,
# Azure/azure-rest-api-specs monitor/resource-manager/Microsoft.Insights/stable/2022-10-01/
# autoscale_API.json @08670c29; azurerm 4.55 `profile` MaxItems 20, internal/services/monitor/
# monitor_autoscale_setting_resource.go; read 2026-12-03).
MAX_AUTOSCALE_PROFILES = 20
DEFAULT_PROFILE_NAME = "default"
_CLOCK = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


def _clock_minutes(value: str) -> int:
    """HH:MM -> minutes after midnight; "24:00" (only ever an end) is 1440."""
    if value == "24:00":
        return MINUTES_PER_DAY
    match = _CLOCK.match(value)
    assert match, value
    return int(match.group(1)) * 60 + int(match.group(2))


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def time_zone_problem(value: str) -> str | None:
    """None for a time zone azurerm 4.55 takes for a recurrence (council.time_zones), else what is
    wrong and the likeliest fix."""
    from council.time_zones import AUTOSCALE_TIME_ZONES

    if value in AUTOSCALE_TIME_ZONES:
        return None
    by_lower = {name.lower(): name for name in AUTOSCALE_TIME_ZONES}
    close = [by_lower[c] for c in difflib.get_close_matches(value.lower(), list(by_lower), n=1, cutoff=0.6)]
    if value.lower() in by_lower:
        close = [by_lower[value.lower()]]
    hint = f"did you mean {close[0]!r}? " if close else ""
    kind = ("an IANA name; Azure Monitor takes Windows time zone ids" if "/" in value else
            "not a time zone Azure Monitor autoscale takes")
    return (f"{value!r} is {kind}; {hint}use one of the names in constructs/council/time_zones.py "
            "(e.g. 'Eastern Standard Time', 'W. Europe Standard Time', 'UTC')")


class ScheduleWindow(Policy):
    """A recurring window: on each of `days`, from `start` to `end` (HH:MM in the schedule's time
    zone; `end` may be 24:00, midnight), each member named in `min` keeps at least that many
    instances. A window lies within one day: a night is two windows (e.g. 19:00-24:00, 00:00-07:00)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")
    days: tuple[str, ...] = Field(min_length=1)
    start: str
    end: str
    min: dict[str, Annotated[int, Field(ge=1, le=100)]] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _not_default(cls, value: str) -> str:
        if value == DEFAULT_PROFILE_NAME:
            raise ValueError(f"{value!r} is the name of the profile outside every window; name the window after what it is for "
                             "(e.g. business-hours)")
        return value

    @field_validator("start", "end", mode="before")
    @classmethod
    def _time_of_day(cls, value: object, info) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            # YAML 1.1 reads an unquoted 19:00 as the base-60 number 1140 (08:00 stays text).
            guess = f' (an unquoted "{_clock(value)}"?)' if 0 <= value <= MINUTES_PER_DAY else ""
            raise ValueError(f"{value} is a number{guess}: YAML reads an unquoted HH:MM from 10:00 on as a base-60 number; "
                             f'quote the time, e.g. {info.field_name}: "19:00"')
        if not isinstance(value, str):
            return value
        if _CLOCK.match(value) or (info.field_name == "end" and value == "24:00"):
            return value
        last = "24:00 for midnight at the end" if info.field_name == "end" else "23:59"
        raise ValueError(f"{value!r} is not a time of day; write HH:MM on the 24-hour clock, 00:00 to {last}")

    @field_validator("days")
    @classmethod
    def _weekdays(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for day in value:
            if day not in WEEKDAYS:
                close = [d for d in WEEKDAYS if d.lower().startswith(day.lower()[:3])] if len(day) >= 2 else []
                close = close or difflib.get_close_matches(day.title(), WEEKDAYS, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise ValueError(f"{day!r} is not a day of the week; {hint}write days in full: {', '.join(WEEKDAYS)} "
                                 "(as Azure Monitor takes them)")
        repeated = sorted({d for d in value if value.count(d) > 1}, key=WEEKDAYS.index)
        if repeated:
            raise ValueError(f"{', '.join(repeated)} listed more than once; list each day once")
        return value

    @model_validator(mode="after")
    def _within_a_day(self) -> "ScheduleWindow":
        if self.end_minute <= self.start_minute:
            raise ValueError(f"end {self.end} is not after start {self.start}; a window lies within one day (end 24:00 is "
                             "midnight): split a night into two windows, e.g. 19:00-24:00 and 00:00-07:00 on the following days")
        return self

    @property
    def start_minute(self) -> int:
        return _clock_minutes(self.start)

    @property
    def end_minute(self) -> int:
        return _clock_minutes(self.end)

    @property
    def week_days(self) -> tuple[str, ...]:
        """`days` in week order (Monday first)."""
        return tuple(sorted(self.days, key=WEEKDAYS.index))

    def occurrences(self) -> list[tuple[int, int]]:
        """[start, end) of each occurrence, in minutes after Monday 00:00."""
        return [(WEEKDAYS.index(d) * MINUTES_PER_DAY + self.start_minute, WEEKDAYS.index(d) * MINUTES_PER_DAY + self.end_minute)
                for d in self.week_days]

    @property
    def hours_per_week(self) -> float:
        return len(self.days) * (self.end_minute - self.start_minute) / 60

    def summary(self) -> str:
        """`Monday-Friday 07:30-19:00`."""
        return f"{day_span(self.week_days)} {self.start}-{self.end}"


def day_span(days: tuple[str, ...]) -> str:
    """Week-ordered days, consecutive runs joined: ('Monday'..'Friday') -> 'Monday-Friday'."""
    indexes = sorted(WEEKDAYS.index(d) for d in days)
    runs: list[list[int]] = []
    for i in indexes:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return ", ".join(WEEKDAYS[r[0]] if len(r) == 1 else f"{WEEKDAYS[r[0]]}-{WEEKDAYS[r[-1]]}" for r in runs)


class Schedule(Policy):
    """Recurring windows of raised minimum capacity, in one time zone (a Windows time zone id, as
    Azure Monitor takes it). One schedule for the whole council: its users' working hours are
    one set of hours in one time zone, and a peak reaches every member it routes to at once, so a
    window names every member it raises (`min: {role: N}`); a member named in no window keeps its
    single `default` profile."""

    time_zone: str
    windows: tuple[ScheduleWindow, ...] = Field(min_length=1)

    @field_validator("time_zone")
    @classmethod
    def _known(cls, value: str) -> str:
        problem = time_zone_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> "Schedule":
        seen: dict[str, int] = {}
        for index, window in enumerate(self.windows):
            if window.name in seen:
                raise ValueError(f"windows[{index}] is named {window.name!r} like windows[{seen[window.name]}]; "
                                 "give each window its own name (it names the window's autoscale profiles)")
            seen[window.name] = index
        return self

    def windows_of(self, role: str) -> list[tuple[int, ScheduleWindow]]:
        """(index, window) of every window that names `role`."""
        return [(index, w) for index, w in enumerate(self.windows) if role in w.min]


@dataclass(frozen=True)
class ScheduledProfile:
    """One recurring autoscale profile: from `hour`:`minute` on each of `days` (the schedule's
    time zone) until the next profile starts, the member keeps `minimum` to `maximum` instances."""

    name: str
    window: str
    minimum: int
    default: int
    maximum: int
    days: tuple[str, ...]
    hour: int
    minute: int


def after_window_profile_name(window: str) -> str:
    return f"after {window}"


def scheduled_profiles(role: str, instances: Instances, schedule: "Schedule | None") -> tuple[ScheduledProfile, ...]:
    """The recurring profiles `role` gets besides its `default` one (none without a window naming it):
    per window, one at its start with the window's minimum, and one at its end back to
    `instances`, on the days where no other window of this member starts at that moment."""
    if schedule is None:
        return ()
    mine = [w for _, w in schedule.windows_of(role)]
    starts = {start % MINUTES_PER_WEEK for w in mine for start, _ in w.occurrences()}
    out: list[ScheduledProfile] = []
    for window in mine:
        level = window.min[role]
        out.append(ScheduledProfile(name=window.name, window=window.name, minimum=level, default=max(level, instances.default),
                                    maximum=instances.max, days=window.week_days, hour=window.start_minute // 60,
                                    minute=window.start_minute % 60))
        ends = sorted({end % MINUTES_PER_WEEK for _, end in window.occurrences()} - starts)
        if ends:
            at = ends[0] % MINUTES_PER_DAY  # every occurrence ends at the same time of day
            days = tuple(sorted({WEEKDAYS[end // MINUTES_PER_DAY] for end in ends}, key=WEEKDAYS.index))
            out.append(ScheduledProfile(name=after_window_profile_name(window.name), window=window.name, minimum=instances.min,
                                        default=instances.default, maximum=instances.max, days=days, hour=at // 60, minute=at % 60))
    return tuple(out)


def scheduled_hours_per_week(role: str, instances: Instances, schedule: "Schedule | None") -> dict[int, float]:
    """Hours a week `role` spends at each minimum instance count: its windows' hours at their
    minimum, the rest of the 168 at `instances.min`. Only counts with hours, lowest first."""
    hours: dict[int, float] = {}
    for _, window in (schedule.windows_of(role) if schedule else []):
        hours[window.min[role]] = hours.get(window.min[role], 0.0) + window.hours_per_week
    hours[instances.min] = hours.get(instances.min, 0.0) + MINUTES_PER_WEEK / 60 - sum(hours.values())
    return {level: h for level, h in sorted(hours.items()) if h > 0}


def member_schedule_problems(role: str, instances: Instances, schedule: "Schedule | None", *,
                             instances_field: str = "instances") -> list[tuple[str, str]]:
    """(field, problem) for `role` under `schedule`: a window minimum outside [instances.min,
    instances.max], two of its windows overlapping, more profiles than Azure Monitor takes.
    `instances_field` is how messages name the member's instances (a file: members[0] (pacer).instances)."""
    if schedule is None:
        return []
    problems: list[tuple[str, str]] = []
    mine = schedule.windows_of(role)
    for index, window in mine:
        level = window.min[role]
        if level > instances.max:
            problems.append((f"schedule.windows[{index}].min.{role}",
                             f"{level} is above {instances_field}.max ({instances.max}); a window raises the minimum within the "
                             f"member's range: raise {instances_field}.max (and quota) or lower this to {instances.max} or less"))
        elif level < instances.min:
            problems.append((f"schedule.windows[{index}].min.{role}",
                             f"{level} is below {instances_field}.min ({instances.min}), which holds all week anyway; raise it "
                             f"above {instances.min} or leave {role} out of window {window.name!r}"))
    for position, (first_index, first) in enumerate(mine):
        for second_index, second in mine[position + 1:]:
            if any(a < d and c < b for a, b in first.occurrences() for c, d in second.occurrences()):
                problems.append((f"schedule.windows[{second_index}]",
                                 f"window {second.name!r} ({second.summary()}) overlaps window {first.name!r} ({first.summary()}) "
                                 f"for {role}: a member has one minimum at a time; move one of them, or drop {role} from one"))
    if not problems:
        count = 1 + len(scheduled_profiles(role, instances, schedule))
        if count > MAX_AUTOSCALE_PROFILES:
            problems.append(("schedule.windows",
                             f"{role} would get {count} autoscale profiles (its default, and a start and an end for each of its "
                             f"{len(mine)} windows); Azure Monitor takes at most {MAX_AUTOSCALE_PROFILES} per autoscale setting: "
                             "merge windows with the same hours into one that lists all their days"))
    return problems


def schedule_problems(schedule: "Schedule | None", members: "list[tuple[str, Instances]]") -> list[tuple[str, str]]:
    """(field, problem) for every rule of `schedule` that needs the members: each role a window
    names is a member's, and every member_schedule_problems. `members`: (role, instances) in file order."""
    if schedule is None:
        return []
    roles = [role for role, _ in members]
    problems: list[tuple[str, str]] = []
    for index, window in enumerate(schedule.windows):
        for role in window.min:
            if role not in roles:
                close = difflib.get_close_matches(role, roles, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problems.append((f"schedule.windows[{index}].min.{role}",
                                 f"{role!r} is not a council member role; {hint}name one of the members: {', '.join(roles)}"))
    for position, (role, instances) in enumerate(members):
        problems += member_schedule_problems(role, instances, schedule, instances_field=f"members[{position}] ({role}).instances")
    return problems
