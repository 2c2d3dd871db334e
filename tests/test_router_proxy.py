"""The rendered dev router config, loaded by the real LiteLLM proxy, routes every role
and alias to the right Azure ML-style upstream with that member's key -- and falls
back when a member fails. One proxy for the whole module; fakes stand in for Azure."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import ENV_DIR, raw_environment
from litellm_proxy import LITELLM, dev_environment, render, start_router, write_config

pytestmark = pytest.mark.skipif(LITELLM is None and not os.environ.get("CI"), reason="pip install -e '.[test]' for litellm[proxy]")
# Roles come from dev.yaml's fallbacks: the first one fails, another one hangs.
_FALLBACKS = raw_environment("dev")["router"]["fallbacks"]
FAILING_ROLE, FAILING_FALLBACK = _FALLBACKS[0]["role"], _FALLBACKS[0]["to"][0]
# Its timeout is shortened so the hang case takes seconds, not 90; its fallback is not the
# failing member (cooled down by then).
SHORT_TIMEOUT_ROLE, SHORT_TIMEOUT_FALLBACK = next(
    (f["role"], f["to"][0]) for f in _FALLBACKS[1:] if FAILING_ROLE not in (f["role"], f["to"][0])
)
ANY_ROLE = raw_environment("dev")["members"][0]["role"]


def _dev_for_proxy():
    return dev_environment(**{SHORT_TIMEOUT_ROLE: {"request_timeout_seconds": 3}})


@pytest.fixture(scope="module")
def council(tmp_path_factory):
    env = _dev_for_proxy()
    router = start_router(render(env), [m.role for m in env.members], tmp_path_factory.mktemp("router"))
    router.extra["env"] = env
    yield router
    router.stop()


def test_liveliness_needs_no_key(council):
    assert council.client.get("/health/liveliness").status_code == 200


def test_every_role_and_alias_reaches_its_member_with_its_key(council):
    for member in council.extra["env"].members:
        fake = council.fakes[member.role]
        for model in (member.role, member.alias):
            before = len(fake.seen)
            response = council.chat(model)
            assert response.status_code == 200, response.text
            assert response.json()["choices"][0]["message"]["content"] == f"answer from {member.role}"
            seen = [s for s in fake.seen[before:] if s.method == "POST"]  # LiteLLM also probes GET /v1/models
            assert len(seen) == 1, f"{model}: {len(seen)} upstream calls"
            assert seen[0].method == "POST" and seen[0].path == "/v1/chat/completions"
            assert seen[0].authorization == f"Bearer {fake.key}"
            # The endpoint's traffic rule (100% to its one deployment) picks the deployment.
            assert seen[0].deployment is None
    # No member ever saw another member's traffic or a wrong key.
    for role, fake in council.fakes.items():
        assert all(s.authorization == f"Bearer {fake.key}" for s in fake.seen)


def test_missing_or_wrong_key_is_refused_before_any_upstream(council):
    counts = {role: len(f.seen) for role, f in council.fakes.items()}
    missing = council.chat(ANY_ROLE, key=None)
    assert missing.status_code == 401 and missing.json()["error"]["type"] == "auth_error"
    # A key that is not the master key: without a database LiteLLM cannot look it up
    # as a virtual key and answers 400 "No connected db" -- refused all the same.
    for wrong in ("sk-" + secrets.token_hex(24), council.fakes[ANY_ROLE].key):
        response = council.chat(ANY_ROLE, key=wrong)
        assert response.status_code in (400, 401), response.text
        assert response.json()["error"]["type"] in ("auth_error", "no_db_connection")
    assert {role: len(f.seen) for role, f in council.fakes.items()} == counts


def test_failing_member_is_answered_by_its_fallback(council):
    failing, fallback = council.fakes[FAILING_ROLE], council.fakes[FAILING_FALLBACK]
    failing.mode = "fail"
    try:
        before = len(fallback.seen)
        response = council.chat(FAILING_ROLE)
        assert response.status_code == 200, response.text
        assert response.json()["choices"][0]["message"]["content"] == f"answer from {FAILING_FALLBACK}"
        assert len(fallback.seen) > before
        assert any(s.path == "/v1/chat/completions" for s in failing.seen)
    finally:
        failing.mode = "ok"


def test_hanging_member_times_out_into_its_fallback(council):
    hanging = council.fakes[SHORT_TIMEOUT_ROLE]
    hanging.mode, hanging.hang_seconds = "hang", 20
    try:
        started = time.monotonic()
        response = council.chat(SHORT_TIMEOUT_ROLE)
        elapsed = time.monotonic() - started
        assert response.status_code == 200, response.text
        assert response.json()["choices"][0]["message"]["content"] == f"answer from {SHORT_TIMEOUT_FALLBACK}"
        assert elapsed < 19, "the member's timeout, not the hang, ended the first attempt"
    finally:
        hanging.mode = "ok"


def _validate(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LITELLM, "--config", str(config), "--validate_config"],
        env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}, capture_output=True, text=True, timeout=180,
    )


def test_validate_config_reports_every_member(tmp_path):
    from council.cli import main as council_main

    config = write_config(tmp_path, "")
    with config.open("w") as handle:
        old, sys.stdout = sys.stdout, handle
        try:
            assert council_main(["render-router-config", str(ENV_DIR / "dev.yaml")]) == 0
        finally:
            sys.stdout = old
    result = _validate(config)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    output = result.stdout + result.stderr
    rendered = yaml.safe_load(config.read_text())
    # LiteLLM counts each model group and each model_group_alias: every role and alias loaded.
    assert f"config OK ({len(rendered['model_list']) + len(rendered['router_settings']['model_group_alias'])} models)" in output
    for model in yaml.safe_load(config.read_text())["model_list"]:
        assert model["model_name"] in output


def test_hostile_description_renders_and_loads_with_the_same_members(tmp_path):
    hostile = 'Says "hi": {x}, #not-a-comment\n  - model_name: injected\n\'quoted\' & <b> ${HOME} os.environ/EVIL'
    env = _dev_for_proxy()
    members = tuple(m.model_copy(update={"description": hostile}) for m in env.members)
    text = render(env.model_copy(update={"members": members}))
    parsed = yaml.safe_load(text)
    assert [m["model_name"] for m in parsed["model_list"]] == [m.role for m in env.members]
    assert parsed["router_settings"]["model_group_alias"] == {m.alias: m.role for m in env.members}
    assert all(m["model_info"]["description"] == hostile for m in parsed["model_list"])
    config = write_config(tmp_path, text)
    result = _validate(config)
    assert result.returncode == 0 and f"config OK ({2 * len(env.members)} models)" in result.stdout + result.stderr
