"""Blue/green rollouts (issue 24, README "Roll out a change"), walked on the synthesized JSON.

Each step is an environment-file edit (conftest.rollout_steps, on dev's first member); each
apply is planned offline against the previous step's JSON (tf.plan: the providers' documented
replace rules). What must hold at every step, by Terraform's ordering rules:
- creates and updates wait for what they reference or depend on;
- a resource deleted in a step is destroyed after the updates of resources that depended on it
  in the previous state (hashicorp/terraform docs/destroying.md; the traffic PUT depends on
  every deployment it names, so it is re-sent before one of them goes);
- Azure ML answers a deployment create only once its instances are ready (the deployment is
  serving), and refuses to delete a deployment with live traffic.
So the traffic map Azure holds is always the previous PUT's or this step's, and each must name
only deployments that exist then, sum to 100, and never take the live deployment down.
"""

from __future__ import annotations

import pytest

from conftest import ROLLOUT_SKU, as_dev, raw_environment, rollout_steps
from tf import Graph, address, members_of, plan

SLOTS = ("deployment", "deployment-green")


def _stack(stacks: dict, step: str) -> dict:
    """A step's stack as if deployed as `dev`. The board's name is a UUID derived from the stack
    id (a variant artifact: each step here is the same stack): it is given dev's."""
    if step == "dev":
        return stacks["dev"]
    stack = as_dev(stacks[step], step)
    for key, board in stack["resource"].get("azurerm_application_insights_workbook", {}).items():
        board["name"] = stacks["dev"]["resource"]["azurerm_application_insights_workbook"][key]["name"]
    return stack


def _role() -> str:
    return raw_environment("dev")["members"][0]["role"]


def _deployments(stack: dict, role: str) -> dict[str, str]:
    """deployment name -> address, for both slots of `role`."""
    out = {}
    for leaf in SLOTS:
        value = members_of(stack, "azapi_resource", leaf).get(role)
        if value is not None:
            out[value["name"]] = address(stack, "azapi_resource", value)
    return out


def _traffic(stack: dict, role: str) -> tuple[str, dict[str, int], dict[str, int]]:
    action = members_of(stack, "azapi_resource_action", "traffic")[role]
    properties = action["body"]["properties"]
    return address(stack, "azapi_resource_action", action), properties["traffic"], properties.get("mirrorTraffic", {})


def assert_safe_step(before: dict, after: dict, role: str) -> dict[str, str]:
    """Going from `before` to `after` never leaves `role` without a serving deployment."""
    actions = plan(before, after)
    old, new = _deployments(before, role), _deployments(after, role)
    put_before, traffic_before, _ = _traffic(before, role)
    put_after, traffic_after, mirror_after = _traffic(after, role)
    graph_before, graph_after = Graph(before), Graph(after)

    # The new map: whole (sums to 100), naming only deployments that exist after the step, and
    # sent only once each of them is created (a failed create stops the apply before the PUT).
    assert sum(traffic_after.values()) == 100 and any(traffic_after.values())
    assert set(traffic_after) | set(mirror_after) <= set(new)
    for name in set(traffic_after) | set(mirror_after):
        assert graph_after.depends_on(put_after, new[name]), f"the traffic PUT does not wait for {name}"
    assert not set(mirror_after) & {n for n, p in traffic_after.items() if p}, "a deployment is mirrored to and live"
    # A deployment with live traffic is never replaced nor changed in place; it may go only in a
    # step whose new map (sent first, below) gives its share to one that already serves.
    for name, share in traffic_before.items():
        if share > 0:
            assert actions[old[name]] in ("no-op", "delete"), f"{name} carries {share}% and would be {actions[old[name]]}d"
    serving = {n for n, p in traffic_after.items() if p > 0}
    assert all(n in old and actions[old[n]] == "no-op" or n not in old for n in serving)
    # A deployment that goes is out of the new map, and the new PUT is sent before it is destroyed.
    for name, where in old.items():
        if actions[where] in ("delete", "replace"):
            assert name not in traffic_after
            if traffic_before.get(name):
                assert actions[put_after] == "update" and graph_before.depends_on(put_before, where)
    # The destroy-time release (traffic {}) fires only when the member goes: never in a rollout.
    release = address(after, "azapi_resource_action", members_of(after, "azapi_resource_action", "traffic-release")[role])
    assert actions[release] in ("no-op", "update")
    return actions


def _walk(stacks: dict, steps: list[str]) -> list[dict[str, str]]:
    role = _role()
    return [assert_safe_step(_stack(stacks, a), _stack(stacks, b), role) for a, b in zip(steps, steps[1:])]


def test_stable_staged_promoted_cleaned_up(stacks):
    role = _role()
    stable, staged, promoted, cleaned = (_stack(stacks, s) for s in ("dev", "devrs", "devrp", "devrc"))
    to_staged, to_promoted, to_cleaned = _walk(stacks, ["dev", "devrs", "devrp", "devrc"])
    (live,) = _deployments(stable, role)
    (new,) = set(_deployments(staged, role)) - {live}
    # Staged: the new deployment is created beside the live one, which keeps 90%.
    assert _traffic(staged, role)[1] == {live: 90, new: 10}
    created = {a for a, act in to_staged.items() if act == "create"}
    assert _deployments(staged, role)[new] in created
    # ... with its own environment and autoscale, all in the green slot of this member.
    assert all(_path(staged, a).split("/")[-2:][0] == f"member-{role}" and _path(staged, a).endswith("-green") for a in created)
    # Promoted: one more PUT; the old deployment stays, running, at 0%. The router stops splitting
    # the role itself (the endpoint sends it all to the new deployment): its config, and so its
    # revision, change too -- no deployment does.
    assert _traffic(promoted, role)[1] == {live: 0, new: 100}
    changed = {a for a, act in to_promoted.items() if act != "no-op"}
    assert _traffic(promoted, role)[0] in changed
    assert all(a.startswith("azurerm_container_app.") or "secret-router-config" in a or a == _traffic(promoted, role)[0]
               for a in changed), changed
    # Cleaned up: the old deployment (and its autoscale) go; the new one is untouched.
    assert _traffic(cleaned, role)[1] == {new: 100}
    assert _deployments(cleaned, role) == {new: _deployments(staged, role)[new]}
    assert to_cleaned[_deployments(promoted, role)[live]] == "delete"
    assert to_cleaned[_deployments(promoted, role)[new]] == "no-op"


def test_stable_staged_rolled_back(stacks):
    role = _role()
    _, back = _walk(stacks, ["dev", "devrs", "dev"])
    staged = _stack(stacks, "devrs")
    (live,) = _deployments(_stack(stacks, "dev"), role)
    (new,) = set(_deployments(staged, role)) - {live}
    assert back[_deployments(staged, role)[new]] == "delete"
    assert _traffic(_stack(stacks, "dev"), role)[1] == {live: 100}


def test_mirrored_then_given_traffic(stacks):
    role = _role()
    _walk(stacks, ["dev", "devrm", "devrs", "devrp"])
    traffic, mirror = _traffic(_stack(stacks, "devrm"), role)[1:]
    (live,) = _deployments(_stack(stacks, "dev"), role)
    (new,) = set(mirror)
    assert traffic == {live: 100, new: 0} and mirror == {new: 10}


def test_a_promoted_rollout_can_still_go_back(stacks):
    """From 100% on the new deployment, removing the rollout sends everything back to the old
    one (still running at 0%), then deletes the new one."""
    _walk(stacks, ["dev", "devrs", "devrp", "dev"])


def test_nothing_else_changes_during_a_rollout(stacks):
    role = _role()
    for step in ("devrs", "devrp"):
        actions = plan(_stack(stacks, "dev"), _stack(stacks, step))
        changed = {a for a, act in actions.items() if act != "no-op"}
        # The staged deployment, its environment and autoscale, the traffic PUT, and the router's
        # config (its pinned models for the two deployments) -- nothing of another member.
        others = [m["role"] for m in raw_environment("dev")["members"][1:]]
        for other in others:
            assert not any(f"member-{other}" in _path(_stack(stacks, step), a) for a in changed if a in _paths(_stack(stacks, step)))


def _paths(stack: dict) -> dict[str, str]:
    return {f"{t}.{n}": v["//"]["metadata"]["path"] for t, by in stack.get("resource", {}).items() for n, v in by.items()}


def _path(stack: dict, address_: str) -> str:
    return _paths(stack)[address_]


@pytest.mark.parametrize("step", ["devrs", "devrp", "devrm"])
def test_quota_and_cost_count_both_deployments_while_they_overlap(step):
    from council.catalog import load_catalog
    from council.config import parse_environment
    from council.cost import describe
    from council.sizing import quota_needed

    catalog = load_catalog()
    data = raw_environment("dev")
    stable, staged = parse_environment(data, "dev.yaml"), parse_environment(rollout_steps(data)[step], "dev.yaml")
    member = staged.members[0]
    new_sku = catalog.skus[ROLLOUT_SKU[data["members"][0]["sku"]]]
    before, during = quota_needed(stable, catalog), quota_needed(staged, catalog)
    # ceil(1.2 x max) x cores of the staged deployment on top (its family's upgrade reserve applies).
    assert during[new_sku.family] - before.get(new_sku.family, 0) == new_sku.quota_vcpus(member.instances.max)
    rows = describe(staged, "dev", catalog)["members"]
    (extra,) = [r for r in rows if r["role"] == f"{member.role} (staged, green)"]
    assert extra["sku"] == new_sku.name and extra["monthly_min_usd"] == round(new_sku.hourly_usd * 730 * member.instances.min, 2)
    assert describe(staged, "dev", catalog)["totals"]["monthly_min_usd"] == pytest.approx(
        describe(stable, "dev", catalog)["totals"]["monthly_min_usd"] + extra["monthly_min_usd"], abs=0.01)


def test_the_smoke_job_has_time_for_each_deployment_of_a_rollout(stacks):
    """council smoke checks each deployment of a rollout by itself: two more checks, each given
    as long as a role's."""
    (stable,) = stacks["dev"]["resource"]["azurerm_container_app_job"].values()
    (staged,) = _stack(stacks, "devrs")["resource"]["azurerm_container_app_job"].values()
    roles = len(raw_environment("dev")["members"])
    per_check = (stable["replica_timeout_in_seconds"] - 60) / roles
    assert staged["replica_timeout_in_seconds"] == per_check * (roles + 2) + 60
