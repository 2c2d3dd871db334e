"""Capacity on a schedule: recurring windows in an environment file become Azure Monitor
autoscale profiles, checked against Microsoft's schema of the request azurerm sends, hour by
hour over a week, and priced by `council describe`.

Facts the expectations come from (sources and dates beside them in council.policy):
- a recurring profile starts at its recurrence and lasts until the next recurring profile starts
  (Azure Monitor "Autoscale with multiple profiles"); the default profile applies only when no
  recurring one does;
- azurerm 4.55 sends capacity as strings, `frequency: Week`, one hour and one minute per
  recurrence, days Monday..Sunday, and a time zone from its fixed list (council.time_zones);
- a month is 730 hours: a window of N hours a week is N x 730/168 hours a month.
Every expectation is derived from the environment file in use (prod.yaml, or dev.yaml with a
window added here), never from a list of roles written in this file.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
from jsonschema import validators

from conftest import ROOT, raw_environment
from tf import members_of

SPEC = ROOT / "tests" / "rest_specs" / "autoscale" / "Microsoft.Insights_autoscalesettings@2022-10-01.json"
EXAMPLE = ROOT / "tests" / "rest_specs" / "autoscale" / "examples" / \
    "Microsoft.Insights_autoscalesettings@2022-10-01.createOrUpdateAutoscaleSetting.body.json"
MINUTES_PER_WEEK = 7 * 24 * 60


# --------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def spec() -> dict:
    return json.loads(SPEC.read_text())


def schema_errors(spec: dict, body: dict) -> list[str]:
    schema = spec["schema"]
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validators.validator_for(schema)(schema).iter_errors(body)]
    for pointer in spec["readOnly"]:
        if pointer.strip("/") in body:
            problems.append(f"{pointer}: read-only property sent")
    return problems


def rest_body(setting: dict) -> dict:
    """The PUT body azurerm 4.55 builds from an azurerm_monitor_autoscale_setting
    (resourceMonitorAutoScaleSettingCreateUpdate and the expand* functions in
    internal/services/monitor/monitor_autoscale_setting_resource.go at v4.55.0): capacity through
    strconv.Itoa, `frequency` always Week, the rule fields renamed, notifications [] when none."""
    def rule(r: dict) -> dict:
        trigger, action = r["metric_trigger"], r["scale_action"]
        return {
            "metricTrigger": {
                "metricName": trigger["metric_name"], "metricNamespace": trigger.get("metric_namespace", ""),
                "metricResourceUri": trigger["metric_resource_id"], "timeGrain": trigger["time_grain"],
                "statistic": trigger["statistic"], "timeWindow": trigger["time_window"],
                "timeAggregation": trigger["time_aggregation"], "operator": trigger["operator"],
                "threshold": float(trigger["threshold"]), "dimensions": [],
                "dividePerInstance": trigger.get("divide_by_instance_count", False),
            },
            "scaleAction": {"direction": action["direction"], "type": action["type"], "value": str(action["value"]),
                            "cooldown": action["cooldown"]},
        }

    def profile(p: dict) -> dict:
        cap = p["capacity"]
        out = {"name": p["name"], "capacity": {k: str(cap[k]) for k in ("minimum", "maximum", "default")},
               "rules": [rule(r) for r in p.get("rule", [])]}
        if "recurrence" in p:
            r = p["recurrence"]
            out["recurrence"] = {"frequency": "Week", "schedule": {
                "timeZone": r.get("timezone", "UTC"), "days": r["days"], "hours": r["hours"], "minutes": r["minutes"]}}
        return out

    return {"location": setting["location"], "tags": setting.get("tags", {}), "properties": {
        "enabled": setting.get("enabled", True), "profiles": [profile(p) for p in setting["profile"]],
        "notifications": [], "targetResourceUri": setting["target_resource_id"]}}


def starts(profiles: list[dict]) -> list[tuple[int, dict]]:
    """(minute of the week, profile) of every start of every recurring profile (Monday 00:00 = 0)."""
    from council.policy import WEEKDAYS

    out = []
    for p in profiles:
        r = p.get("recurrence")
        if r:
            ((hour,), (minute,)) = (r["hours"], r["minutes"])
            out += [(WEEKDAYS.index(day) * 1440 + hour * 60 + minute, p) for day in r["days"]]
    return sorted(out, key=lambda s: s[0])


def active(profiles: list[dict], minute: int) -> dict:
    """The profile Azure Monitor applies at `minute` of the week: the recurring profile that
    started last (a week wraps around: Monday morning continues last Friday evening's), else the
    default one."""
    begun = starts(profiles)
    if not begun:
        (default,) = [p for p in profiles if "recurrence" not in p]
        return default
    before = [p for at, p in begun if at <= minute]
    return before[-1] if before else begun[-1][1]


def expected_minimum(env, role: str, minute: int) -> int:
    """The minimum the file asks of `role` at `minute`: a window's that names it, else its own."""
    member = next(m for m in env.members if m.role == role)
    for _, window in (env.schedule.windows_of(role) if env.schedule else []):
        if any(start <= minute < end for start, end in window.occurrences()):
            return window.min[role]
    return member.instances.min


def with_schedule(schedule: dict, data: dict | None = None) -> dict:
    out = copy.deepcopy(data or raw_environment("dev"))
    out["schedule"] = schedule
    return out


def first_roles(data: dict, count: int = 1) -> list[str]:
    return [m["role"] for m in data["members"][:count]]


def raised(data: dict, role: str, by: int = 1) -> int:
    """A window minimum `by` above `role`'s min, raising its max in `data` if needed."""
    instances = next(m for m in data["members"] if m["role"] == role)["instances"]
    level = instances.get("min", 1) + by
    instances["max"] = max(instances.get("max", 2), level)
    return level


def parse(data: dict):
    from council.config import parse_environment

    return parse_environment(data, "sched.yaml")


def problem_lines(data: dict) -> list[str]:
    from council.errors import CouncilError

    with pytest.raises(CouncilError) as caught:
        parse(data)
    return caught.value.line().splitlines()


def _council(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "council.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


# --------------------------------------------------------------------------- the synthesized stacks
def test_prod_has_a_schedule_that_raises_some_members_and_not_others(environments):
    env = environments["prod"]
    assert env.schedule is not None
    named = {role for w in env.schedule.windows for role in w.min}
    assert named and named < {m.role for m in env.members}, "prod shows both: members with and without a window"


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_every_autoscale_setting_is_a_body_azure_monitors_schema_accepts(stacks, spec, name):
    from council.policy import MAX_AUTOSCALE_PROFILES, WEEKDAYS
    from council.time_zones import AUTOSCALE_TIME_ZONES

    settings = members_of(stacks[name], "azurerm_monitor_autoscale_setting", "autoscale")
    assert settings
    for role, setting in settings.items():
        body = rest_body(setting)
        assert schema_errors(spec, body) == [], role
        profiles = body["properties"]["profiles"]
        assert len(profiles) <= MAX_AUTOSCALE_PROFILES
        assert len({p["name"] for p in profiles}) == len(profiles), f"{role}: profile names repeat"
        for p in profiles:
            cap = {k: int(v) for k, v in p["capacity"].items()}
            assert 1 <= cap["minimum"] <= cap["default"] <= cap["maximum"] <= 1000, (role, p["name"])  # azurerm: 0-1000
            if "recurrence" in p:
                schedule = p["recurrence"]["schedule"]
                assert p["recurrence"]["frequency"] == "Week"
                assert schedule["timeZone"] in AUTOSCALE_TIME_ZONES
                assert schedule["days"] and set(schedule["days"]) <= set(WEEKDAYS) and len(set(schedule["days"])) == len(schedule["days"])
                assert len(schedule["hours"]) == 1 and 0 <= schedule["hours"][0] <= 23  # azurerm: MaxItems 1, 0-23
                assert len(schedule["minutes"]) == 1 and 0 <= schedule["minutes"][0] <= 59


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_a_member_in_no_window_keeps_exactly_todays_default_profile(stacks, environments, name):
    env = environments[name]
    settings = members_of(stacks[name], "azurerm_monitor_autoscale_setting", "autoscale")
    for member in env.members:
        profiles = settings[member.role]["profile"]
        default = profiles[0]
        assert default["name"] == "default" and "recurrence" not in default
        assert default["capacity"] == {"minimum": member.instances.min, "default": member.instances.default, "maximum": member.instances.max}
        windows = env.schedule.windows_of(member.role) if env.schedule else []
        if not windows:
            assert len(profiles) == 1, member.role
        for p in profiles[1:]:  # the same rules in every profile: only the capacity follows the clock
            assert p["rule"] == default["rule"], (member.role, p["name"])
            assert p["capacity"]["maximum"] == member.instances.max


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_hour_by_hour_the_profiles_keep_each_window_and_nothing_else(stacks, environments, name):
    """Every minute of a week: the profile Azure Monitor applies has the minimum the file asks for."""
    env = environments[name]
    settings = members_of(stacks[name], "azurerm_monitor_autoscale_setting", "autoscale")
    for member in env.members:
        profiles = settings[member.role]["profile"]
        for minute in range(MINUTES_PER_WEEK):
            applied = active(profiles, minute)["capacity"]
            assert applied["minimum"] == expected_minimum(env, member.role, minute), (member.role, minute)
            assert applied["maximum"] == member.instances.max


def test_prods_windows_start_and_end_where_the_file_says(stacks, environments):
    """Each window of prod is one profile at its start and one at its end, in the file's time zone."""
    env = environments["prod"]
    settings = members_of(stacks["prod"], "azurerm_monitor_autoscale_setting", "autoscale")
    for window in env.schedule.windows:
        for role, level in window.min.items():
            by_name = {p["name"]: p for p in settings[role]["profile"]}
            start, end = by_name[window.name], by_name[f"after {window.name}"]
            assert start["capacity"]["minimum"] == level
            assert start["recurrence"] == {"timezone": env.schedule.time_zone, "days": list(window.week_days),
                                           "hours": [window.start_minute // 60], "minutes": [window.start_minute % 60]}
            assert end["recurrence"]["hours"] == [window.end_minute // 60] and end["recurrence"]["minutes"] == [window.end_minute % 60]


def test_microsofts_example_validates_and_the_schema_refuses_what_azure_would(spec):
    """Guard the guard: the vendored schema accepts Microsoft's own request and refuses a number
    for a capacity (azurerm must send strings), an unknown field, and a 21st profile."""
    example = json.loads(EXAMPLE.read_text())
    assert schema_errors(spec, example) == []
    numbers = copy.deepcopy(example)
    numbers["properties"]["profiles"][0]["capacity"]["minimum"] = 1
    assert any("capacity/minimum" in e for e in schema_errors(spec, numbers))
    unknown = copy.deepcopy(example)
    unknown["properties"]["profiles"][1]["recurrence"]["schedule"]["timezone"] = "UTC"
    assert any("timezone" in e for e in schema_errors(spec, unknown))
    many = copy.deepcopy(example)
    many["properties"]["profiles"] = [copy.deepcopy(example["properties"]["profiles"][1]) for _ in range(21)]
    assert any("too long" in e for e in schema_errors(spec, many))


# --------------------------------------------------------------------------- rendering, without synth
def _profiles_of(env, role: str) -> list[dict]:
    """What member_endpoint renders for `role`, as cdk.tf.json has it (no synth)."""
    from council.policy import scheduled_profiles

    member = next(m for m in env.members if m.role == role)
    i = member.instances
    out = [{"name": "default", "capacity": {"minimum": i.min, "default": i.default, "maximum": i.max}}]
    for p in scheduled_profiles(role, i, env.schedule):
        out.append({"name": p.name, "capacity": {"minimum": p.minimum, "default": p.default, "maximum": p.maximum},
                    "recurrence": {"timezone": env.schedule.time_zone, "days": list(p.days), "hours": [p.hour], "minutes": [p.minute]}})
    return out


def _covers_the_week(env) -> None:
    for member in env.members:
        profiles = _profiles_of(env, member.role)
        for minute in range(0, MINUTES_PER_WEEK, 5):
            assert active(profiles, minute)["capacity"]["minimum"] == expected_minimum(env, member.role, minute), (member.role, minute)


def test_back_to_back_windows_hand_over_without_a_gap():
    """A window ending when the next begins: no profile back to normal between them that day."""
    data = raw_environment("dev")
    (role,) = first_roles(data)
    low, high = raised(data, role, 1), raised(data, role, 2)
    env = parse(with_schedule({"time_zone": "UTC", "windows": [
        {"name": "morning", "days": ["Monday", "Tuesday"], "start": "08:00", "end": "12:00", "min": {role: low}},
        {"name": "afternoon", "days": ["Monday"], "start": "12:00", "end": "18:00", "min": {role: high}},
    ]}, data))
    by_name = {p["name"]: p for p in _profiles_of(env, role)}
    assert by_name["after morning"]["recurrence"]["days"] == ["Tuesday"]  # Monday 12:00 is the afternoon's start
    assert by_name["after afternoon"]["recurrence"]["days"] == ["Monday"]
    _covers_the_week(env)


def test_a_window_to_midnight_ends_at_00_00_the_next_day_and_sunday_wraps_to_monday():
    data = raw_environment("dev")
    (role,) = first_roles(data)
    level = raised(data, role)
    env = parse(with_schedule({"time_zone": "W. Europe Standard Time", "windows": [
        {"name": "evening", "days": ["Friday", "Sunday"], "start": "18:00", "end": "24:00", "min": {role: level}},
    ]}, data))
    after = {p["name"]: p for p in _profiles_of(env, role)}["after evening"]["recurrence"]
    assert (after["days"], after["hours"], after["minutes"]) == (["Monday", "Saturday"], [0], [0])
    _covers_the_week(env)


def test_a_window_naming_several_members_gives_each_its_own_profiles():
    data = raw_environment("dev")
    roles = first_roles(data, 2)
    levels = {role: raised(data, role) for role in roles}
    env = parse(with_schedule({"time_zone": "Tokyo Standard Time", "windows": [
        {"name": "day", "days": ["Wednesday"], "start": "09:15", "end": "17:45", "min": levels}]}, data))
    for role in roles:
        names = [p["name"] for p in _profiles_of(env, role)]
        assert names == ["default", "day", "after day"]
    others = [m.role for m in env.members if m.role not in roles]
    assert all(len(_profiles_of(env, role)) == 1 for role in others)
    _covers_the_week(env)


def test_the_member_construct_refuses_a_schedule_it_cannot_run(tmp_path):
    """CouncilMemberEndpoint checks its props itself: a window above its max is a PropsError."""
    from test_constructs import _bundle, _member, _stack  # the bare-stack helpers of the construct tests

    from council.errors import PropsError
    from council.policy import Instances, Schedule

    app, stack = _stack(tmp_path)
    schedule = Schedule(time_zone="UTC", windows=[{"name": "peak", "days": ["Monday"], "start": "08:00", "end": "09:00", "min": {"unit": 5}}])
    with pytest.raises(PropsError) as caught:
        _member(stack, instances=Instances(min=1, default=1, max=2), schedule=schedule)
    line = caught.value.line()
    assert "schedule" in line and "5 is above instances.max (2)" in line, line


# --------------------------------------------------------------------------- mistakes: one line each
def _one_window(data: dict, **window) -> dict:
    (role,) = first_roles(data)
    base = {"name": "peak", "days": ["Monday"], "start": "08:00", "end": "19:00", "min": {role: raised(data, role)}}
    base.update(window)
    return with_schedule({"time_zone": "Eastern Standard Time", "windows": [base]}, data)


def _mistakes() -> list[tuple[str, object, str, str]]:
    """(case, how to make it from dev.yaml's data, field, words the line must carry)."""
    def role(data):
        return first_roles(data)[0]

    def member(data):
        return next(m for m in data["members"] if m["role"] == role(data))

    return [
        ("unknown day", lambda d: _one_window(d, days=["Monday", "Thurs"]), "schedule.windows[0].days",
         "'Thurs' is not a day of the week; did you mean 'Thursday'?"),
        ("day twice", lambda d: _one_window(d, days=["Monday", "Monday"]), "schedule.windows[0].days", "Monday listed more than once"),
        ("bad time", lambda d: _one_window(d, start="8am"), "schedule.windows[0].start", "'8am' is not a time of day; write HH:MM"),
        ("hour 24 as a start", lambda d: _one_window(d, start="24:00"), "schedule.windows[0].start", "00:00 to 23:59"),
        ("unquoted 19:00", lambda d: _one_window(d, end=1140), "schedule.windows[0].end", 'an unquoted "19:00"?'),
        ("end before start", lambda d: _one_window(d, start="19:00", end="08:00"), "schedule.windows[0]",
         "end 08:00 is not after start 19:00"),
        ("end equals start", lambda d: _one_window(d, start="08:00", end="08:00"), "schedule.windows[0]", "is not after start"),
        ("unknown time zone", lambda d: {**_one_window(d), "schedule": {**_one_window(d)["schedule"], "time_zone": "Eastern Time"}},
         "schedule.time_zone", "did you mean 'Eastern Standard Time'?"),
        ("IANA time zone", lambda d: {**_one_window(d), "schedule": {**_one_window(d)["schedule"], "time_zone": "America/New_York"}},
         "schedule.time_zone", "IANA name; Azure Monitor takes Windows time zone ids"),
        ("lower-case time zone", lambda d: {**_one_window(d), "schedule": {**_one_window(d)["schedule"], "time_zone": "utc"}},
         "schedule.time_zone", "did you mean 'UTC'?"),
        ("unknown role", lambda d: _one_window(d, min={role(d) + "x": 2}), f"schedule.windows[0].min.ROLEx",
         "is not a council member role; did you mean 'ROLE'?"),
        ("above max", lambda d: _one_window(d, min={role(d): member(d)["instances"]["max"] + 1}), "schedule.windows[0].min.ROLE",
         "is above members[0] (ROLE).instances.max"),
        ("below min", lambda d: (member(d)["instances"].update(min=2, default=2, max=3), _one_window(d, min={role(d): 1}))[1],
         "schedule.windows[0].min.ROLE", "1 is below members[0] (ROLE).instances.min (2)"),
        ("named default", lambda d: _one_window(d, name="default"), "schedule.windows[0].name", "the name of the profile outside every window"),
        ("same name twice", lambda d: with_schedule({"time_zone": "UTC", "windows": [_one_window(d)["schedule"]["windows"][0]] * 2}, d),
         "schedule", "windows[1] is named 'peak' like windows[0]"),
        ("overlap", lambda d: with_schedule({"time_zone": "UTC", "windows": [
            {**_one_window(d)["schedule"]["windows"][0], "name": "day"},
            {**_one_window(d)["schedule"]["windows"][0], "name": "lunch", "start": "12:00", "end": "14:00"}]}, d),
         "schedule.windows[1]", "window 'lunch' (Monday 12:00-14:00) overlaps window 'day' (Monday 08:00-19:00) for ROLE"),
        ("no window", lambda d: with_schedule({"time_zone": "UTC", "windows": []}, d), "schedule.windows", "at least 1 item"),
    ]


MISTAKES = _mistakes()


@pytest.mark.parametrize("case, make, field, words", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_schedule_mistake_is_one_line_naming_file_field_problem_and_fix(case, make, field, words):
    data = raw_environment("dev")
    (role,) = first_roles(data)
    broken = make(data)
    lines = problem_lines(broken)
    field, words = field.replace("ROLE", role), words.replace("ROLE", role)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"sched.yaml: {field}: "), lines[0]
    assert words in lines[0], lines[0]


def test_more_profiles_than_azure_monitor_takes_is_refused():
    from council.policy import MAX_AUTOSCALE_PROFILES

    data = raw_environment("dev")
    (role,) = first_roles(data)
    level = raised(data, role)
    # Ten one-hour windows on Monday, an hour apart: 1 + 2 x 10 = 21 profiles.
    windows = [{"name": f"w{i}", "days": ["Monday"], "start": f"{2 * i:02d}:00", "end": f"{2 * i + 1:02d}:00", "min": {role: level}}
               for i in range(10)]
    (line,) = problem_lines(with_schedule({"time_zone": "UTC", "windows": windows}, data))
    assert line.startswith("sched.yaml: schedule.windows: ") and f"{role} would get 21 autoscale profiles" in line
    assert f"at most {MAX_AUTOSCALE_PROFILES} per autoscale setting" in line
    parse(with_schedule({"time_zone": "UTC", "windows": windows[:9]}, data))  # 19: accepted


def test_every_schedule_mistake_in_one_file_comes_out_in_one_run():
    data = raw_environment("dev")
    (role,) = first_roles(data)
    level = raised(data, role)
    broken = with_schedule({"time_zone": "UTC", "windows": [
        {"name": "a", "days": ["Mon"], "start": "08:00", "end": "09:00", "min": {role: level}},
        {"name": "b", "days": ["Monday"], "start": "7:61", "end": "09:00", "min": {role: level}},
    ]}, data)
    lines = problem_lines(broken)
    assert [line.split(": ")[1] for line in lines] == ["schedule.windows[0].days", "schedule.windows[1].start"]


def test_council_validate_prints_a_schedule_mistake_as_one_line_and_exits_2(tmp_path):
    import yaml

    data = _one_window(raw_environment("dev"), days=["Funday"])
    path = tmp_path / "dev.yaml"
    path.write_text(yaml.safe_dump(data))
    result = _council("validate", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {path}: schedule.windows[0].days: 'Funday' is not a day of the week")


def test_unquoted_times_in_a_yaml_file_are_explained():
    """YAML 1.1 (PyYAML) reads 19:00 unquoted as 1140 and 08:00 as text: the file says what happened."""
    import yaml

    (role,) = first_roles(raw_environment("dev"))
    text = (ROOT / "environments" / "dev.yaml").read_text() + (
        f"\nschedule:\n  time_zone: UTC\n  windows:\n    - {{name: day, days: [Monday], start: 08:00, end: 19:00, min: {{{role}: 2}}}}\n")
    data = yaml.safe_load(text)
    assert data["schedule"]["windows"][0]["start"] == "08:00" and data["schedule"]["windows"][0]["end"] == 1140
    lines = problem_lines(data)
    assert any('schedule.windows[0].end: 1140 is a number (an unquoted "19:00"?)' in line and 'quote the time' in line for line in lines), lines


# --------------------------------------------------------------------------- what it costs
def _hourly(env, role: str) -> float:
    from council.catalog import load_catalog

    return load_catalog().skus[next(m for m in env.members if m.role == role).sku].hourly_usd


def test_a_window_of_n_hours_a_week_adds_n_x_730_over_168_hours_at_its_extra_instances():
    from council.cost import describe

    data = raw_environment("dev")
    (role,) = first_roles(data)
    level = raised(data, role, 2)
    env = parse(with_schedule({"time_zone": "UTC", "windows": [
        {"name": "day", "days": ["Monday", "Tuesday", "Thursday"], "start": "06:30", "end": "18:00", "min": {role: level}}]}, data))
    n = 3 * 11.5  # three days of 06:30-18:00
    member = next(m for m in env.members if m.role == role)
    added = n * 730 / 168 * (level - member.instances.min) * _hourly(env, role)
    described = describe(env, "dev")
    row = next(m for m in described["schedule"]["members"] if m["role"] == role)
    assert row["above_min_usd"] == round(added, 2)
    assert row["hours_per_month"] == [{"instances": member.instances.min, "hours": round((168 - n) * 730 / 168, 2)},
                                      {"instances": level, "hours": round(n * 730 / 168, 2)}]
    totals = described["totals"]
    assert totals["monthly_schedule_usd"] == pytest.approx(totals["monthly_min_usd"] + added, abs=0.011)
    # The maximum is the maximum: a schedule changes only the floor.
    assert totals["monthly_max_usd"] == describe(parse(data), "dev")["totals"]["monthly_max_usd"]


def test_prods_schedule_is_priced_from_its_windows(environments):
    from council.cost import describe

    env = environments["prod"]
    described = describe(env, "prod")
    rows = {m["role"]: m for m in described["schedule"]["members"]}
    assert set(rows) == {m.role for m in env.members}
    added_total = 0.0
    for member in env.members:
        row = rows[member.role]
        added = sum(len(w.days) * (w.end_minute - w.start_minute) / 60 * 730 / 168 * (w.min[member.role] - member.instances.min)
                    * _hourly(env, member.role) for _, w in env.schedule.windows_of(member.role))
        added_total += added
        assert row["above_min_usd"] == round(added, 2)
        assert sum(h["hours"] for h in row["hours_per_month"]) == pytest.approx(730, abs=0.02)
        assert row["windows"] == [w.name for _, w in env.schedule.windows_of(member.role)]
    assert described["totals"]["monthly_schedule_usd"] == pytest.approx(described["totals"]["monthly_min_usd"] + added_total, abs=0.011)
    assert described["schedule"]["time_zone"] == env.schedule.time_zone


def test_without_a_schedule_describe_is_what_it_was(environments):
    from council.cost import describe, minimum_monthly_cost

    described = describe(environments["dev"], "dev")
    assert "schedule" not in described and set(described["totals"]) == {"monthly_min_usd", "monthly_max_usd", "hourly_min_usd"}
    assert minimum_monthly_cost(environments["dev"], "dev") == described["totals"]["monthly_min_usd"]


def test_the_budget_floor_is_the_scheduled_minimum():
    from council.checks import check_environment
    from council.cost import describe, minimum_monthly_cost

    data = raw_environment("dev")
    (role,) = first_roles(data)
    level = raised(data, role, 1)
    scheduled = with_schedule({"time_zone": "UTC", "windows": [
        {"name": "day", "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], "start": "08:00", "end": "18:00",
         "min": {role: level}}]}, data)
    totals = describe(parse(scheduled), "dev")["totals"]
    assert minimum_monthly_cost(parse(scheduled), "dev") == totals["monthly_schedule_usd"] > totals["monthly_min_usd"]
    # A budget between the two floors: enough without the schedule, not with it.
    scheduled["budget"]["amount_usd"] = round((totals["monthly_min_usd"] + totals["monthly_schedule_usd"]) / 2, 2)
    problems = [p for p in check_environment(parse(scheduled), "dev") if p.field == "budget.amount_usd"]
    assert len(problems) == 1 and f"{totals['monthly_schedule_usd']:,.2f} USD" in problems[0].message
    without = copy.deepcopy(scheduled)
    del without["schedule"]
    assert not [p for p in check_environment(parse(without), "dev") if p.field == "budget.amount_usd"]


def test_council_describe_prints_hours_at_each_level_and_monthly_at_schedule(environments):
    env = environments["prod"]
    table = _council("describe", "prod").stdout
    data = json.loads(_council("describe", "prod", "--format", "json").stdout)
    assert f"schedule ({env.schedule.time_zone})" in table
    for window in env.schedule.windows:
        assert f"window {window.name}: {window.summary()}" in table
    for row in data["schedule"]["members"]:
        line = next(l for l in table.splitlines() if l.strip().startswith(f"{row['role']}:"))
        for level in row["hours_per_month"]:
            assert f"{level['instances']} x {level['hours']:,.2f} h" in line
        assert f"${row['monthly_usd']:,.2f}" in line
    assert f"monthly@schedule: ${data['totals']['monthly_schedule_usd']:,.2f}" in table


# --------------------------------------------------------------------------- the README says what the code does
def _readme_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("### Capacity on a schedule\n", 1)[1].split("\n## ", 1)[0]


def test_the_readmes_schedule_is_prods():
    import re

    import yaml

    section = _readme_section()
    (block,) = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    assert yaml.safe_load(block)["schedule"] == raw_environment("prod")["schedule"]


def test_the_readmes_example_error_is_what_validation_prints():
    import re

    data = raw_environment("prod")
    window = data["schedule"]["windows"][0]
    role = next(iter(window["min"]))
    member = next(m for m in data["members"] if m["role"] == role)
    window["min"][role] = member["instances"]["max"] + 1
    from council.config import parse_environment
    from council.errors import CouncilError

    with pytest.raises(CouncilError) as caught:
        parse_environment(data, "environments/prod.yaml")
    lines = [line.removeprefix("error: ") for line in re.findall(r"^error: .*$", _readme_section(), flags=re.M)]
    assert lines == [caught.value.line()]
