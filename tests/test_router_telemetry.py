"""Router telemetry with the real LiteLLM proxy: every request leaves one trace, exported
over OTLP (here to a receiver on 127.0.0.1 standing in for the Container Apps managed
OpenTelemetry agent), holding the model group, the member that answered, whether a
fallback answered, latency and status -- and no prompt text, answer or key."""

from __future__ import annotations

import os
import secrets
import time

import pytest
import yaml

from litellm_proxy import LITELLM, dev_environment, render, start_router
from otlp_receiver import OtlpReceiver

pytestmark = pytest.mark.skipif(LITELLM is None and not os.environ.get("CI"), reason="pip install -e '.[test]' for litellm[proxy]")

REQUEST_SPAN = "Received Proxy Server Request"  # one per request the proxy receives
ATTEMPT_SPAN = "litellm_request"  # one per call to a member (a fallback is a second one)


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    from council.router_contract import telemetry_environment

    receiver = OtlpReceiver().start()
    env = dev_environment()
    extra = {
        **telemetry_environment("dev"),  # what RouterApp sets on the container
        # What the managed agent injects; the receiver speaks OTLP/HTTP.
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
    }
    router = start_router(render(env), [m.role for m in env.members], tmp_path_factory.mktemp("router"), extra_env=extra)
    sent = []  # (model asked for, prompt marker, expected answering role, fallback?)
    try:
        for member in env.members:
            marker = f"PROMPT-{secrets.token_hex(8)}"
            assert router.chat(member.role, content=marker).status_code == 200
            sent.append((member.role, marker, member.role, False))
        fallback = env.router.fallbacks[0]
        router.fakes[fallback.role].mode = "fail"
        marker = f"PROMPT-{secrets.token_hex(8)}"
        response = router.chat(fallback.role, content=marker)
        assert response.status_code == 200
        router.fakes[fallback.role].mode = "ok"
        sent.append((fallback.role, marker, fallback.to[0], True))
        deadline = time.monotonic() + 30  # the batch exporter sends every few seconds
        while sum(s.name == REQUEST_SPAN for s in receiver.spans) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.5)
        yield router, receiver, sent, response.json()["choices"][0]["message"]["content"]
    finally:
        router.stop()
        receiver.stop()


def test_one_trace_per_request_with_member_fallback_latency_and_status(traced):
    router, receiver, sent, _ = traced
    requests = [s for s in receiver.spans if s.name == REQUEST_SPAN]
    assert len(requests) == len(sent), [s.name for s in receiver.spans]
    by_trace = {}
    for span in receiver.spans:
        by_trace.setdefault(span.trace_id, []).append(span)
    # Traces in the order the requests were sent (the proxy handles them one at a time here).
    ordered = sorted(requests, key=lambda s: s.start_ns)
    for (asked, _, answered_by, fallback), request in zip(sent, ordered):
        assert request.attributes.get("http.response.status_code") in ("200", 200)
        attempts = sorted((s for s in by_trace[request.trace_id] if s.name == ATTEMPT_SPAN), key=lambda s: s.start_ns)
        groups = [a.attributes["litellm.model_group"] for a in attempts]
        assert groups[0] == asked and groups[-1] == answered_by, groups
        assert attempts[-1].status == "STATUS_CODE_OK" and attempts[-1].duration_ms > 0
        # A fallback is visible: an attempt on the member asked for that failed, then another member.
        assert (len(attempts) > 1) == fallback
        if fallback:
            assert attempts[0].status == "STATUS_CODE_ERROR"
        # Which upstream model (the member's deployment) answered.
        assert attempts[-1].attributes["litellm.provider.model"]
        # What it cost, which the board's spend chart sums by model group (board.SPEND_QUERY): the
        # response time at the member's per-second GPU price, so more than nothing.
        assert float(attempts[-1].attributes["gen_ai.cost.total_cost"]) > 0


def test_no_prompt_answer_or_key_is_exported_or_logged(traced):
    router, receiver, sent, answer = traced
    exported = b"".join(receiver.bodies)
    logged = router.log.read_text()
    keys = [router.master_key, *(f.key for f in router.fakes.values())]
    for text in (marker for _, marker, _, _ in sent):
        assert text.encode() not in exported and text not in logged
    assert answer.encode() not in exported
    for key in keys:
        assert key.encode() not in exported and key not in logged


def test_prompts_are_kept_out_unless_the_environment_opts_in():
    env = dev_environment()
    default = yaml.safe_load(render(env))
    assert default["litellm_settings"]["turn_off_message_logging"] is True
    assert default["general_settings"]["store_prompts_in_spend_logs"] is False
    assert default["litellm_settings"]["json_logs"] is True and "otel" in default["litellm_settings"]["callbacks"]
    opted_in = env.model_copy(update={"router": env.router.model_copy(update={"log_prompts": True})})
    config = yaml.safe_load(render(opted_in))
    assert config["litellm_settings"]["turn_off_message_logging"] is False
    assert config["general_settings"]["store_prompts_in_spend_logs"] is True


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_the_environment_forwards_the_routers_traces_to_application_insights(stacks, stack_name):
    """The Container Apps environment runs the managed OpenTelemetry agent before the router's
    revision starts, and the connection string travels write-only."""
    import json as _json

    from tf import resources

    stack = stacks[stack_name]
    ((update_key, update),) = resources(stack, "azapi_update_resource").items()
    (env_key,) = resources(stack, "azurerm_container_app_environment")
    (insights_key,) = resources(stack, "azurerm_application_insights")
    assert update["type"].startswith("Microsoft.App/managedEnvironments@")
    assert update["resource_id"] == f"${{azurerm_container_app_environment.{env_key}.id}}"
    otel = update["body"]["properties"]["openTelemetryConfiguration"]
    assert otel["tracesConfiguration"]["destinations"] == ["appInsights"] == otel["logsConfiguration"]["destinations"]
    assert "connectionString" not in _json.dumps(update["body"])
    assert update["sensitive_body"]["properties"]["appInsightsConfiguration"]["connectionString"] == (
        f"${{azurerm_application_insights.{insights_key}.connection_string}}"
    )
    (app,) = resources(stack, "azurerm_container_app").values()
    assert f"azapi_update_resource.{update_key}" in app["depends_on"]
    env = {e["name"]: e.get("value") for e in app["template"]["container"][0]["env"]}
    assert env["OTEL_SERVICE_NAME"] and env["OTEL_ENVIRONMENT_NAME"] == stack_name
