"""Spend that adds up, with the real LiteLLM proxy: a self-hosted member has no token price, so
the router books GPU time -- the response time at the member's per-second price
(`input_cost_per_second` = the SKU's hourly list price / 3600 / max_concurrent_requests_per_instance).
The client sees what was booked in `x-litellm-response-cost`, and the trace carries it too (the
board's spend chart, tests/test_router_telemetry.py). The spend row in PostgreSQL is not tested
here: LiteLLM's database path needs Prisma engines this machine cannot download."""

from __future__ import annotations

import os

import pytest
import yaml

from fake_aml import FakeDeployment
from litellm_proxy import LITELLM, answer_of, dev_environment, render, start_router

pytestmark = pytest.mark.skipif(LITELLM is None and not os.environ.get("CI"), reason="pip install -e '.[test]' for litellm[proxy]")

MEMBER_SECONDS = 1.0  # how long every fake member takes to answer


@pytest.fixture(scope="module")
def booked(tmp_path_factory):
    env = dev_environment()
    config = render(env)
    prices = {m["model_name"]: m["litellm_params"]["input_cost_per_second"] for m in yaml.safe_load(config)["model_list"]}
    roles = [m.role for m in env.members]
    fakes = {role: FakeDeployment(name=role, key=f"key-{role}-" + "k" * 32, answer=answer_of(role), latency_seconds=MEMBER_SECONDS).start()
             for role in roles}
    router = start_router(config, roles, tmp_path_factory.mktemp("spend"), fakes=fakes)
    try:
        router.chat(roles[0])  # the first call also pays the proxy's warm-up
        yield {role: router.chat(role) for role in roles}, prices, env
    finally:
        router.stop()


def test_each_member_call_books_its_response_time_at_the_members_gpu_price(booked):
    responses, prices, _ = booked
    for role, response in responses.items():
        assert response.status_code == 200
        seconds = float(response.headers["x-litellm-response-duration-ms"]) / 1000
        assert seconds >= MEMBER_SECONDS
        cost = float(response.headers["x-litellm-response-cost"])
        # The price itself is the SKU's list price per second shared by the instance's slots
        # (tests/test_router_config.py test_spend_means_gpu_time).
        assert cost == pytest.approx(seconds * prices[role], rel=1e-6), role

