"""Two router replicas share one Redis: a member cooled down by one is skipped by the
other, and an rpm limit holds across both. Real redis-server (Debian package) and two
real LiteLLM proxies on 127.0.0.1, started and stopped here, against the same fakes.

Azure Managed Redis takes TLS connections only; the local redis-server here speaks plain
TCP, so the config is rendered with `redis_tls=False` -- the one difference.
"""

from __future__ import annotations

import os
import secrets
import time

import pytest

from fake_aml import FakeDeployment
from litellm_proxy import LITELLM, REDIS_SERVER, answer_of, answered_by, dev_environment, render, start_redis, start_router

pytestmark = [
    pytest.mark.skipif(LITELLM is None and not os.environ.get("CI"), reason="pip install -e '.[test]' for litellm[proxy]"),
    pytest.mark.skipif(REDIS_SERVER is None and not os.environ.get("CI"), reason="apt-get install redis-server (.ci/run does)"),
]
TIMEOUT = 3
PACE_SECONDS = 0.3


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


def _env(**member_updates):
    env = dev_environment(timeout=TIMEOUT, **member_updates)
    assert env.router.shared_state == "azure-managed-redis", "the shipped router shares its state"
    return env


RPM = 2


@pytest.fixture(scope="module")
def replicas(redis_server, tmp_path_factory):
    """Two proxies with the same config and the same Redis, in front of the same fakes. One
    member without fallbacks carries an rpm limit; the others keep the shipped policy."""
    base = _env()
    limited = next(m.role for m in base.members if m.role not in {f.role for f in base.router.fallbacks})
    env = _env(**{limited: {"rpm": RPM}})
    config = render(env, redis_tls=False)
    roles = [m.role for m in env.members]
    fakes = {role: FakeDeployment(name=role, key=secrets.token_urlsafe(32), answer=answer_of(role)).start() for role in roles}
    redis_env = redis_server.env
    workdir = tmp_path_factory.mktemp("replicas")
    first = start_router(config, roles, workdir / "a", extra_env=redis_env, fakes=fakes)
    try:
        second = start_router(config, roles, workdir / "b", extra_env=redis_env, fakes=fakes)
    except Exception:
        first.stop()
        raise
    yield {"first": first, "second": second, "env": env, "limited": limited}
    first.stop(fakes=False)
    second.stop()


def test_a_member_cooled_down_by_one_replica_is_skipped_by_the_other(replicas):
    env, first, second = replicas["env"], replicas["first"], replicas["second"]
    failing, fallback = next((f.role, f.to[0]) for f in env.router.fallbacks if replicas["limited"] not in (f.role, *f.to))
    first.fakes[failing].mode = "fail"
    try:
        for _ in range(env.router.allowed_fails + 1):  # enough failures on replica A to cool it down
            assert answered_by(first.chat(failing)) == fallback
        hits = first.posts(failing)
        for _ in range(3):
            assert answered_by(second.chat(failing)) == fallback
        assert first.posts(failing) == hits, "replica B called a member that replica A had cooled down"
    finally:
        first.fakes[failing].mode = "ok"


def test_an_rpm_limit_holds_across_replicas(replicas):
    """The limit is counted in the shared Redis: requests for the role and for its alias,
    spread over both replicas, are admitted exactly rpm times a minute."""
    first, second, limited, env = replicas["first"], replicas["second"], replicas["limited"], replicas["env"]
    alias = next(m.alias for m in env.members if m.role == limited)
    if time.time() % 60 > 45:  # counters are per clock minute: do not straddle one
        time.sleep(61 - time.time() % 60)
    before = first.posts(limited)
    statuses = []
    for router, model in ((first, limited), (second, alias), (first, alias), (second, limited), (first, limited), (second, alias)):
        statuses.append(router.chat(model).status_code)
        time.sleep(PACE_SECONDS)
    assert first.posts(limited) - before == RPM, statuses
    assert statuses.count(200) == RPM and statuses.count(429) == 6 - RPM, statuses
