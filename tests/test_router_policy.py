"""The router fails well: measured with the real LiteLLM proxy against fake members that
hang, fail and stream, using the dev environment's own members and fallbacks.

Members' timeouts are shortened to a few seconds so a hang costs seconds; everything else
is the config `council render-router-config dev` renders.
"""

from __future__ import annotations

import os
import time

import pytest

from litellm_proxy import LITELLM, answered_by, dev_environment, render, start_router

pytestmark = pytest.mark.skipif(LITELLM is None and not os.environ.get("CI"), reason="pip install -e '.[test]' for litellm[proxy]")
TIMEOUT = 3  # seconds, every member (the shipped 90 s would make a hang test take minutes)


def _env(**member_updates):
    return dev_environment(timeout=TIMEOUT, **member_updates)


def _pick_fallback_pairs(env) -> tuple[tuple[str, str], tuple[str, str]]:
    """Two members with fallbacks, neither being the other's fallback target: one to hang, one to fail."""
    chains = [(f.role, f.to[0]) for f in env.router.fallbacks]
    for first in chains:
        for second in chains:
            if len({first[0], first[1], second[0]}) == 3 and second[1] != first[0]:
                return first, second
    pytest.skip("the dev environment needs two members with fallbacks that do not point at each other")


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    env = _env()
    # At dev's log level (INFO), the chattiest an environment file sets.
    running = start_router(render(env), [m.role for m in env.members], tmp_path_factory.mktemp("policy"),
                           extra_env={"LITELLM_LOG": env.router.log_level})
    running.extra["env"] = env
    yield running
    running.stop()


def test_first_streamed_chunk_is_immediate_for_every_member(router):
    """LiteLLM would first fetch a Hugging Face tokenizer for llama-3 names (about 24 s)."""
    for member in router.extra["env"].members:
        for attempt in range(2):  # the first request to a fresh proxy warms its clients up
            started = time.monotonic()
            first = None
            with router.client.stream("POST", "/v1/chat/completions", headers={"Authorization": f"Bearer {router.master_key}"},
                                      json={"model": member.role, "stream": True, "messages": [{"role": "user", "content": "hi"}]}) as response:
                assert response.status_code == 200, member.role
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        first = time.monotonic() - started
                        break
            assert first is not None, f"{member.role}: no chunk"
        assert first < 1.0, f"{member.role}: first chunk after {first:.2f} s"


def test_a_hung_member_costs_one_timeout_then_is_skipped(router):
    (hung, fallback), _ = _pick_fallback_pairs(router.extra["env"])
    router.fakes[hung].mode, router.fakes[hung].hang_seconds = "hang", 60
    before = router.posts(hung)
    try:
        timings = []
        for _ in range(3):
            started = time.monotonic()
            assert answered_by(router.chat(hung)) == fallback
            timings.append(time.monotonic() - started)
        # One timeout, not one per retry (LiteLLM's default would be 3 attempts): well under
        # two timeouts, and within the goal of timeout + 30 s.
        assert timings[0] < 2 * TIMEOUT and timings[0] <= TIMEOUT + 30, timings
        # After allowed_fails timeouts the member is cooled down: its fallback answers at once.
        assert timings[-1] < 1.0, timings
        assert router.posts(hung) - before <= router.extra["env"].router.allowed_fails + 1
    finally:
        router.fakes[hung].mode = "ok"


def test_eight_calls_to_a_failing_member_all_answered_by_its_fallback(router):
    _, (failing, fallback) = _pick_fallback_pairs(router.extra["env"])
    router.fakes[failing].mode = "fail"
    try:
        before = router.posts(failing)
        answers = [answered_by(router.chat(failing)) for _ in range(8)]
        assert answers == [fallback] * 8
        # No retries on a 5xx, then a cooldown: at most one hit per call, in practice two.
        assert router.posts(failing) - before <= 8
        assert router.posts(failing) - before <= router.extra["env"].router.allowed_fails + 1
    finally:
        router.fakes[failing].mode = "ok"


def test_an_alias_behaves_like_its_role(router):
    """Same model group: the cooldown of the previous test holds for the alias, and the
    alias has its role's fallbacks."""
    env = router.extra["env"]
    _, (failing, fallback) = _pick_fallback_pairs(env)
    alias = next(m.alias for m in env.members if m.role == failing)
    router.fakes[failing].mode = "fail"
    try:
        before = router.posts(failing)
        assert answered_by(router.chat(alias)) == fallback
        assert router.posts(failing) == before, "the role is cooled down, so is its alias"
    finally:
        router.fakes[failing].mode = "ok"


def test_a_cooled_down_member_does_not_cool_down_its_healthy_fallback(router):
    """LiteLLM charges a cooled-down group's 'no deployments' error to the fallback that
    answers; counted, it cooled the fallback down in cascade (measured before the fix)."""
    env = router.extra["env"]
    _, (failing, fallback) = _pick_fallback_pairs(env)
    router.fakes[failing].mode = "fail"
    try:
        for _ in range(12):
            assert answered_by(router.chat(failing)) == fallback
        assert answered_by(router.chat(fallback)) == fallback
    finally:
        router.fakes[failing].mode = "ok"


def test_an_rpm_limit_is_enforced(tmp_path):
    env = _env()
    limited = next(m.role for m in env.members if m.role not in {f.role for f in env.router.fallbacks})
    env = _env(**{limited: {"rpm": 2}})
    running = start_router(render(env), [m.role for m in env.members], tmp_path)
    try:
        if time.time() % 60 > 45:  # counters are per clock minute: do not straddle one
            time.sleep(61 - time.time() % 60)
        statuses = []
        for _ in range(6):
            statuses.append(running.chat(limited).status_code)
        assert statuses.count(200) == 2 and statuses.count(429) == 4, statuses
        assert running.posts(limited) == 2
    finally:
        running.stop()


def test_errors_reveal_no_member_url_or_key(router):
    """What a client sees when a member fails carries neither its private URL nor a key."""
    env = router.extra["env"]
    lonely = [m.role for m in env.members if m.role not in {f.role for f in env.router.fallbacks}]
    if not lonely:
        pytest.skip("every member has a fallback")
    role = lonely[0]
    router.fakes[role].mode = "fail"
    try:
        response = router.chat(role)
        assert response.status_code >= 500
        fake = router.fakes[role]
        for secret in (fake.key, fake.base_url, fake.base_url.split("//", 1)[1].split("/", 1)[0], router.master_key):
            assert secret not in response.text, f"response reveals {secret[:12]}..."
    finally:
        router.fakes[role].mode = "ok"


def test_router_logs_hold_no_key(router):
    """After every test above (failures, hangs, fallbacks, streaming), the proxy's own log
    holds neither a member's key nor the master key."""
    log = router.log.read_text()
    assert log, "the proxy wrote no log at all: the check would be empty"
    for role, fake in router.fakes.items():
        assert fake.key not in log, f"{role}'s endpoint key is in the router log"
    assert router.master_key not in log
