"""A staged rollout in an environment file (README "Roll out a change"): refused with one line
per fault, and the staged deployment checked like any member (fit, catalog, SKU).

Facts: Azure ML mirrors at most 50% in all (OnlineEndpointProperties.mirrorTraffic, REST
2025-06-01) and only to a deployment without live traffic (how-to-safely-rollout-online-endpoints)."""

from __future__ import annotations

import pytest

from council.checks import check_environment
from council.config import parse_environment
from council.errors import CouncilError
from unit.unit_data import member_at


def _problems(data: dict):
    return check_environment(parse_environment(data, "dev.yaml"), "dev")


def _refused(data: dict) -> str:
    with pytest.raises(CouncilError) as caught:
        parse_environment(data, "dev.yaml")
    return str(caught.value)


@pytest.mark.parametrize("percent, accepted", [(50, True), (51, False)])
def test_mirroring_takes_at_most_half_the_traffic(dev, percent, accepted):
    dev["members"][0]["rollout"] = {"instances": {"min": 1, "default": 1, "max": 3}, "mirror_percent": percent}
    if accepted:
        assert _problems(dev) == []
    else:
        assert "rollout.mirror_percent" in _refused(dev)


def test_mirroring_and_live_traffic_at_once_is_refused(dev):
    dev["members"][0]["rollout"] = {"instances": {"min": 1, "default": 1, "max": 3}, "mirror_percent": 10, "traffic_percent": 10}
    message = _refused(dev)
    assert "mirror first, then set mirror_percent to 0" in message


@pytest.mark.parametrize("percent", [0, 100])
def test_traffic_percent_is_0_to_100(dev, percent):
    dev["members"][0]["rollout"] = {"instances": {"min": 1, "default": 1, "max": 3}, "traffic_percent": percent}
    assert _problems(dev) == []
    dev["members"][0]["rollout"]["traffic_percent"] = percent + (1 if percent else -1)
    assert "rollout.traffic_percent" in _refused(dev)


def test_a_rollout_that_changes_nothing_is_refused(dev):
    member = dev["members"][0]
    member["rollout"] = {"sku": member["sku"], "traffic_percent": 10}
    (problem,) = _problems(dev)
    assert problem.field == f"{member_at(dev, 0)}.rollout"
    assert problem.message.startswith("changes no setting of the live deployment")


def test_the_staged_deployment_must_fit_its_gpu(dev):
    # A 16-bit Mistral-7B (14.48 GB + 2.1 GB of cache for 16k tokens + 1.5 GB) staged on a T4
    # (14.4 GB usable): the fit check names the rollout's field, and the live deployment is not blamed.
    member = dev["members"][0]
    member["rollout"] = {"sku": "Standard_NC4as_T4_v3", "traffic_percent": 10,
                         "model": {"source": "container", "hf_model_id": "mistralai/Mistral-7B-Instruct-v0.2",
                                   "hf_token_required": True, "max_model_len": 16384}}
    (problem,) = _problems(dev)
    assert problem.field == f"{member_at(dev, 0)}.rollout.sku" and "needs ~18.1 GB" in problem.message


def test_an_unknown_staged_sku_is_refused_under_rollout(dev):
    dev["members"][0]["rollout"] = {"sku": "Standard_NC4as_T4_v9", "traffic_percent": 10}
    (problem,) = _problems(dev)
    assert problem.field == f"{member_at(dev, 0)}.rollout.sku" and "is not a GPU SKU" in problem.message


def test_the_live_deployment_keeps_its_name_and_the_staged_one_gets_the_other_slot(dev):
    from council.naming import names_for

    member = dev["members"][0]
    member["rollout"] = {"sku": "Standard_NC8as_T4_v3", "traffic_percent": 10}
    env = parse_environment(dev, "dev.yaml")
    names = names_for(env, "dev")
    live, staged = env.members[0], env.members[0].staged()
    assert names.online_deployment(live.role, live.sku, live.slot) == names.online_deployment(live.role, live.sku)
    assert staged.slot == "green" and names.online_deployment(staged.role, staged.sku, staged.slot).endswith("-g")
    # Same SKU in both slots still gives two names.
    assert names.online_deployment(live.role, live.sku, "green") != names.online_deployment(live.role, live.sku, "blue")


def test_an_alias_cannot_take_the_routers_name_for_a_rollouts_deployment(dev):
    first, second = dev["members"][:2]
    first["rollout"] = {"instances": {"min": 1, "default": 1, "max": 3}, "traffic_percent": 10}
    second["alias"] = f"{first['role']}-staged"
    (problem,) = _problems(dev)
    assert problem.field == f"{member_at(dev, 1)}.alias" and "during its rollout" in problem.message
    second["alias"] = f"{first['role']}-stage"
    assert _problems(dev) == []


@pytest.mark.parametrize("extra, refused", [(0, False), (1, True)])
def test_the_staged_deployment_waits_no_longer_than_the_router_does(dev, extra, refused):
    member = dev["members"][0]
    live = member.get("request_timeout_seconds", 90)
    member["rollout"] = {"request_timeout_seconds": live + extra, "instances": {"min": 1, "default": 1, "max": 3}}
    problems = _problems(dev)
    assert [p.field for p in problems] == ([f"{member_at(dev, 0)}.rollout.request_timeout_seconds"] if refused else [])
