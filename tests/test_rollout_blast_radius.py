"""What a broken staged deployment does to its role under the shipped router policy, measured
with the real LiteLLM proxy and a fake endpoint holding both deployments (fake_aml.py).

Had the endpoint split the role (its traffic rules), the router would see one member: one failure
of the staged share would cool the whole role down for cooldown_seconds (allowed_fails 0) and its
fallback would answer everyone, the live share included -- measured so before the router took the
split over. Now, while a rollout takes a share, the router splits the role between the two
deployments (each pinned by Azure ML's header, weighted by its share, cooled down by its own id):
the failing request goes to the fallback, then the staged deployment is skipped and the live one
takes the whole role -- an automatic rollback for as long as the staged deployment fails.
Expectations come from dev.yaml."""

from __future__ import annotations

import os
import secrets

import pytest

from conftest import ROLLOUT_SKU, raw_environment
from fake_aml import FakeDeployment
from litellm_proxy import LITELLM, answer_of, answered_by, render, start_router

pytestmark = pytest.mark.skipif(LITELLM is None and not os.environ.get("CI"), reason="pip install -e '.[test]' for litellm[proxy]")


@pytest.fixture(scope="module")
def council(tmp_path_factory):
    from council.config import parse_environment
    from council.naming import names_for

    data = raw_environment("dev")
    fallback = data["router"]["fallbacks"][0]
    index = next(i for i, m in enumerate(data["members"]) if m["role"] == fallback["role"])
    member_data = data["members"][index]
    member_data["rollout"] = {"sku": ROLLOUT_SKU[member_data["sku"]], "traffic_percent": 50}
    env = parse_environment(data, "dev.yaml")
    member = env.members[index]
    names, staged = names_for(env, "dev"), member.staged()
    live_name = names.online_deployment(member.role, member.sku, member.slot)
    staged_name = names.online_deployment(staged.role, staged.sku, staged.slot)
    fakes = {m.role: FakeDeployment(name=m.role, key=secrets.token_urlsafe(32), answer=answer_of(m.role)).start()
             for m in env.members if m.role != member.role}
    fake = FakeDeployment(name=live_name, key=secrets.token_urlsafe(32), answer=answer_of(member.role)).start()
    fake.add_deployment(staged_name, answer=answer_of(member.role), mode="fail")
    fake.traffic = {live_name: 50, staged_name: 50}
    fakes[member.role] = fake
    router = start_router(render(env), [m.role for m in env.members], tmp_path_factory.mktemp("blast") / "router", fakes=fakes)
    router.extra.update(member=member, fallback=fallback["to"][0], live=live_name, staged=staged_name)
    yield router
    router.stop()


def test_a_failing_staged_share_is_skipped_and_the_live_deployment_takes_the_role(council):
    member, fallback = council.extra["member"], council.extra["fallback"]
    fake = council.fakes[member.role]
    answers = []
    for _ in range(30):
        answers.append(answered_by(council.chat(member.role)))
        if answers[-1] == fallback:
            break
    assert answers[-1] == fallback, "the router never sent the staged share a request"
    served = [s for s in fake.seen if s.method == "POST"]
    assert served[-1].deployment == council.extra["staged"]  # the router pinned it, by its header
    # Only the staged deployment is cooled down: the live one answers the whole role.
    before = len(fake.seen)
    assert [answered_by(council.chat(member.role)) for _ in range(10)] == [member.role] * 10
    assert {s.deployment for s in fake.seen[before:] if s.method == "POST"} == {council.extra["live"]}
