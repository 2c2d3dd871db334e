"""The shared checks of council.policy at their boundaries, on both sides.

Each check returns what is wrong together with the fix, or None; the limits are Azure's:
- a managed online deployment's request timeout is at most 180 s (Azure ML "Manage and
  increase quotas", managed online endpoints limits: "request timeout 180 s");
- managed online deployments cannot scale to zero (at least one instance runs);
- an Azure budget starts on the first day of a month (Microsoft.Consumption/budgets
  timePeriod.startDate "must be the first of the month");
- a subnet must lie inside its VNet's address space and not overlap another subnet.
"""

from __future__ import annotations

from datetime import date

import pytest
from unit.unit_data import raw

# pydantic's ValidationError is a ValueError: the tests need nothing but council.


# --------------------------------------------------------------------------- request timeout
@pytest.mark.parametrize("seconds", [1, 90, 180])
def test_request_timeout_inside_azure_ml_limit_is_accepted(seconds):
    from council.policy import request_timeout_problem

    assert request_timeout_problem(seconds) is None


@pytest.mark.parametrize("seconds", [0, 181, -5])
def test_request_timeout_outside_one_to_180_seconds_is_refused_with_the_limit(seconds):
    from council.policy import request_timeout_problem

    assert request_timeout_problem(seconds) == f"{seconds} s is outside 1-180 s, Azure ML's limit for a request timeout"


# --------------------------------------------------------------------------- router replicas
@pytest.mark.parametrize("low, high", [(0, 1), (1, 1), (0, 300), (3, 10)])
def test_router_replicas_may_idle_at_zero_and_reach_max(low, high):
    from council.policy import replicas_problem

    assert replicas_problem(low, high) is None


@pytest.mark.parametrize("low, high", [(-1, 1), (2, 1), (0, 0), (1, 0)])
def test_router_replicas_below_zero_above_max_or_max_zero_are_refused(low, high):
    from council.policy import replicas_problem

    problem = replicas_problem(low, high)
    assert problem == (f"min_replicas ({low}) must be 0 or more and at most max_replicas ({high}), "
                       "which must be 1 or more")


def test_router_replica_problem_reaches_the_environment_file_as_one_line():
    from council.config import parse_environment
    from council.errors import CouncilError

    data = raw("dev")
    data["router"].update(min_replicas=3, max_replicas=2)
    with pytest.raises(CouncilError) as caught:
        parse_environment(data, "dev.yaml")
    assert caught.value.line() == ("dev.yaml: router: min_replicas (3) must be 0 or more and at most "
                                   "max_replicas (2), which must be 1 or more")


# --------------------------------------------------------------------------- budget start
@pytest.mark.parametrize("start", [None, date(2026, 12, 1), date(2027, 2, 1)])
def test_budget_may_start_unset_or_on_the_first_of_a_month(start):
    from council.policy import budget_start_problem

    assert budget_start_problem(start) is None


@pytest.mark.parametrize("start, first", [
    (date(2026, 12, 2), "2026-12-01"),   # one day late
    (date(2026, 11, 30), "2026-11-01"),  # last day of a 30-day month
    (date(2028, 2, 29), "2028-02-01"),   # leap day
])
def test_budget_starting_on_another_day_is_refused_with_the_first_of_that_month(start, first):
    from council.policy import budget_start_problem

    assert budget_start_problem(start) == (f"{start.isoformat()} is not the first day of a month; "
                                           f"Azure budgets start on the 1st (e.g. {first})")


def test_budget_start_problem_names_the_field_in_the_environment_file():
    from council.config import parse_environment
    from council.errors import CouncilError

    data = raw("dev")
    data["budget"]["start_date"] = "2026-12-15"
    with pytest.raises(CouncilError) as caught:
        parse_environment(data, "dev.yaml")
    assert caught.value.line() == ("dev.yaml: budget.start_date: 2026-12-15 is not the first day of a month; "
                                   "Azure budgets start on the 1st (e.g. 2026-12-01) (got '2026-12-15')")


# --------------------------------------------------------------------------- subnets
def test_subnets_inside_the_vnet_and_apart_are_accepted():
    from council.policy import subnets_problem

    # Both ends of 10.40.0.0/16: the first /27 and the last /24 (10.40.255.0-255).
    assert subnets_problem("10.40.0.0/16", {"apps_subnet": "10.40.0.0/27", "private_endpoints_subnet": "10.40.255.0/24"}) is None
    # Adjacent blocks touch without overlapping: 10.40.0.0-31 and 10.40.0.32-63.
    assert subnets_problem("10.40.0.0/16", {"a": "10.40.0.0/27", "b": "10.40.0.32/27", "c": "10.40.0.64/26"}) is None
    # A subnet as large as the VNet is still inside it.
    assert subnets_problem("10.40.0.0/24", {"only": "10.40.0.0/24"}) is None


@pytest.mark.parametrize("subnet", ["10.41.0.0/27", "10.39.255.224/27", "10.40.0.0/15"])
def test_subnet_outside_the_address_space_is_refused_naming_it(subnet):
    from council.policy import subnets_problem

    problem = subnets_problem("10.40.0.0/16", {"apps_subnet": "10.40.0.0/27", "private_endpoints_subnet": subnet})
    assert problem == f"private_endpoints_subnet {subnet} is not inside address_space 10.40.0.0/16"


def test_overlapping_subnets_are_refused_naming_both():
    from council.policy import subnets_problem

    # 10.40.0.0/23 covers 10.40.0.0-10.40.1.255, so it holds 10.40.1.0/24.
    problem = subnets_problem("10.40.0.0/16", {"apps_subnet": "10.40.0.0/23", "private_endpoints_subnet": "10.40.1.0/24"})
    assert problem == "apps_subnet 10.40.0.0/23 overlaps private_endpoints_subnet 10.40.1.0/24"


@pytest.mark.parametrize("order", [("a", "b", "c"), ("c", "a", "b"), ("b", "c", "a")])
def test_overlap_is_found_whichever_two_of_three_subnets_collide(order):
    from council.policy import subnets_problem

    cidrs = {"a": "10.40.0.0/24", "b": "10.40.2.0/24", "c": "10.40.2.128/25"}  # c sits inside b
    problem = subnets_problem("10.40.0.0/16", {name: cidrs[name] for name in order})
    first, second = [name for name in order if name in ("b", "c")]
    assert problem == f"{first} {cidrs[first]} overlaps {second} {cidrs[second]}"


def test_subnet_problem_reaches_the_environment_file_as_one_line():
    from council.config import parse_environment
    from council.errors import CouncilError

    data = raw("dev")
    data["network"]["private_endpoints_subnet"] = data["network"]["apps_subnet"]  # the same block twice
    with pytest.raises(CouncilError) as caught:
        parse_environment(data, "dev.yaml")
    apps = data["network"]["apps_subnet"]
    assert caught.value.line() == f"dev.yaml: network: apps_subnet {apps} overlaps private_endpoints_subnet {apps}"


# --------------------------------------------------------------------------- instances
@pytest.mark.parametrize("counts", [dict(min=1, default=1, max=1), dict(min=1, default=3, max=5), dict(min=2, default=2, max=100)])
def test_instances_from_one_up_with_default_between_min_and_max_are_accepted(counts):
    from council.policy import Instances

    instances = Instances(**counts)
    assert (instances.min, instances.default, instances.max) == (counts["min"], counts["default"], counts["max"])


def test_instances_cannot_scale_to_zero():
    from council.policy import Instances

    with pytest.raises(ValueError, match=r"min is 0: managed online deployments cannot scale to zero .*set min to 1 or more"):
        Instances(min=0, default=1, max=2)


@pytest.mark.parametrize("counts", [dict(min=2, default=1, max=3), dict(min=1, default=4, max=3), dict(min=3, default=3, max=2)])
def test_instances_out_of_order_are_refused_with_the_three_numbers(counts):
    from council.policy import Instances

    expected = f"need min <= default <= max, got min={counts['min']} default={counts['default']} max={counts['max']}"
    with pytest.raises(ValueError, match=expected):
        Instances(**counts)


def test_instances_above_one_hundred_are_refused():
    from council.policy import Instances

    with pytest.raises(ValueError, match="less than or equal to 100"):
        Instances(min=1, default=1, max=101)


def test_instances_problem_names_the_member_in_the_environment_file():
    from council.config import parse_environment
    from council.errors import CouncilError

    data = raw("dev")
    last = len(data["members"]) - 1
    role = data["members"][last]["role"]
    data["members"][last]["instances"] = {"min": 0, "default": 1, "max": 2}
    with pytest.raises(CouncilError) as caught:
        parse_environment(data, "dev.yaml")
    assert caught.value.line().startswith(f"dev.yaml: members[{last}] ({role}).instances.min: min is 0: ")


# --------------------------------------------------------------------------- autoscale rules
def test_autoscale_band_just_below_the_scale_out_threshold_is_accepted():
    from council.policy import AutoscaleRules

    rules = AutoscaleRules(scale_out_above=70, scale_in_below=69.9)
    assert (rules.scale_in_below, rules.scale_out_above) == (69.9, 70)


@pytest.mark.parametrize("scale_in", [70, 80])
def test_autoscale_band_that_would_flap_is_refused_with_both_thresholds(scale_in):
    from council.policy import AutoscaleRules

    with pytest.raises(ValueError, match=rf"scale_in_below \({scale_in}(\.0)?\) must be lower than scale_out_above \(70(\.0)?\) or the rules flap"):
        AutoscaleRules(scale_out_above=70, scale_in_below=scale_in)


@pytest.mark.parametrize("field, good, bad", [
    # Azure Monitor autoscale: a trigger's time window is 5 minutes to 12 hours.
    ("window_minutes", (5, 720), (4, 721)),
    ("scale_out_cooldown_minutes", (1, 10080), (0, 10081)),
    ("scale_in_cooldown_minutes", (1, 10080), (0, 10081)),
])
def test_autoscale_windows_and_cooldowns_at_their_limits(field, good, bad):
    from council.policy import AutoscaleRules

    for value in good:
        assert getattr(AutoscaleRules(**{field: value}), field) == value
    for value in bad:
        with pytest.raises(ValueError, match=field):
            AutoscaleRules(**{field: value})


def test_autoscale_metric_must_be_one_azure_ml_emits():
    from council.policy import AutoscaleRules

    assert AutoscaleRules(metric="RequestLatency_P99").metric == "RequestLatency_P99"
    with pytest.raises(ValueError, match="metric"):
        AutoscaleRules(metric="GpuUtilisation")


def test_autoscale_thresholds_at_zero():
    from council.policy import AutoscaleRules

    assert AutoscaleRules(scale_out_above=1, scale_in_below=0).scale_in_below == 0
    with pytest.raises(ValueError, match="scale_out_above"):
        AutoscaleRules(scale_out_above=0, scale_in_below=0)
    with pytest.raises(ValueError, match="scale_in_below"):
        AutoscaleRules(scale_in_below=-1)


def test_policy_models_refuse_unknown_keys():
    from council.policy import AutoscaleRules

    with pytest.raises(ValueError, match="scale_out_abov"):
        AutoscaleRules(scale_out_abov=80)


# --------------------------------------------------------------------------- alert thresholds
@pytest.mark.parametrize("field, good, bad", [
    ("latency_p99_ms", 100, 99),
    ("server_errors_per_minute", 0.1, 0),
    ("router_restarts_per_15_minutes", 1, 0),
    ("router_server_errors_per_5_minutes", 1, 0),
])
def test_alert_thresholds_at_their_lower_limits(field, good, bad):
    from council.policy import AlertThresholds

    assert getattr(AlertThresholds(**{field: good}), field) == good
    with pytest.raises(ValueError, match=field):
        AlertThresholds(**{field: bad})


def test_pinned_at_max_window_is_one_of_azure_monitor_windows():
    from council.policy import AlertThresholds

    assert AlertThresholds(pinned_at_max_window="PT6H").pinned_at_max_window == "PT6H"
    with pytest.raises(ValueError, match="pinned_at_max_window"):
        AlertThresholds(pinned_at_max_window="PT2H")


# --------------------------------------------------------------------------- router workers
@pytest.mark.parametrize("cpu, workers", [(0.25, 1), (0.5, 1), (1.0, 1), (1.75, 1), (2.0, 2), (4.0, 4)])
def test_router_runs_one_worker_per_whole_vcpu_and_at_least_one(cpu, workers):
    from council.policy import router_workers

    assert router_workers(cpu) == workers
