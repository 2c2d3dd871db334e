"""`council smoke ENV --router-url URL` against the real LiteLLM proxy with fake members:
every member must answer by itself; one that only its fallback answers for has failed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT
from litellm_proxy import LITELLM, dev_environment, render, start_router

pytestmark = pytest.mark.skipif(LITELLM is None and not os.environ.get("CI"), reason="pip install -e '.[test]' for litellm[proxy]")


@pytest.fixture(scope="module")
def council(tmp_path_factory):
    env = dev_environment(timeout=5)
    router = start_router(render(env), [m.role for m in env.members], tmp_path_factory.mktemp("router"))
    router.extra["env"] = env
    yield router
    router.stop()


def _smoke(router, *, key: str | None = "master") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "LITELLM_MASTER_KEY"}
    if key is not None:
        env["LITELLM_MASTER_KEY"] = router.master_key if key == "master" else key
    return subprocess.run([sys.executable, "-m", "council.cli", "smoke", "dev", "--router-url", router.base, "--timeout", "30"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_every_member_serving_exits_0_naming_each(council):
    result = _smoke(council)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    roles = [m.role for m in council.extra["env"].members]
    assert [line.split()[1].rstrip(":") for line in lines] == roles
    assert all(line.startswith("ok ") and "answered by itself" in line and " ms" in line for line in lines), lines
    # Each member was asked exactly once, with its own key (the fakes check it).
    assert all(council.posts(role) >= 1 for role in roles)


def test_a_member_answered_by_its_fallback_has_failed(council):
    env = council.extra["env"]
    fallback = env.router.fallbacks[0]
    down = council.fakes[fallback.role]
    down.mode = "fail"
    try:
        result = _smoke(council)
    finally:
        down.mode = "ok"
    assert result.returncode == 1, result.stdout + result.stderr
    lines = {line.split()[1].rstrip(":"): line for line in result.stdout.strip().splitlines()}
    assert lines[fallback.role].startswith("FAIL") and f"answered by {fallback.to[0]} (fallback)" in lines[fallback.role]
    assert all(line.startswith("ok ") for role, line in lines.items() if role != fallback.role)
    assert result.stderr.strip().splitlines()[-1] == f"failed: {fallback.role}"


def test_wrong_or_missing_master_key_is_one_clear_line(council):
    missing = _smoke(council, key=None)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().splitlines() == [
        "error: LITELLM_MASTER_KEY: not set; export the router's master key (Key Vault secret litellm-master-key)"
    ]
    wrong = _smoke(council, key="sk-wrong")
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    assert all(line.startswith("FAIL") and "answered 40" in line for line in wrong.stdout.strip().splitlines())


def test_the_job_in_the_vnet_runs_the_same_check(council, stacks):
    """The synthesized smoke job's own command, run here against the real proxy with the
    environment the job gives it: the same lines and exit codes as `council smoke`."""
    from tf import resources

    (job,) = resources(stacks["dev"], "azurerm_container_app_job").values()
    (container,) = job["template"]["container"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["SMOKE_ROLES"].split(",") == [m.role for m in council.extra["env"].members]
    assert "${" not in container["command"][2] and "%{" not in container["command"][2], "Terraform would interpolate it"
    # The master key reaches the job only as the router's Key Vault reference, read with the router's identity.
    (secret,) = job["secret"]
    assert secret["name"] == "litellm-master-key" and "key_vault_secret_id" in secret and "value" not in secret
    (app,) = resources(stacks["dev"], "azurerm_container_app").values()
    assert job["identity"]["identity_ids"] == app["identity"]["identity_ids"]
    assert job["manual_trigger_config"]["parallelism"] == 1 and job["replica_retry_limit"] == 0
    run_env = {**{k: v for k, v in os.environ.items() if k != "LITELLM_MASTER_KEY"},
               "ROUTER_URL": council.base, "LITELLM_MASTER_KEY": council.master_key, "SMOKE_ROLES": env["SMOKE_ROLES"], "SMOKE_TIMEOUT": "30"}
    command = [sys.executable if c == "python" else c for c in container["command"]]
    ok = subprocess.run(command, env=run_env, capture_output=True, text=True, timeout=300, cwd="/")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert [line.split()[1].rstrip(":") for line in ok.stdout.strip().splitlines()[:-1]] == env["SMOKE_ROLES"].split(",")
    fallback = council.extra["env"].router.fallbacks[0]
    council.fakes[fallback.role].mode = "fail"
    try:
        down = subprocess.run(command, env=run_env, capture_output=True, text=True, timeout=300, cwd="/")
    finally:
        council.fakes[fallback.role].mode = "ok"
    assert down.returncode == 1 and down.stderr.strip().splitlines()[-1] == f"failed: {fallback.role}"
