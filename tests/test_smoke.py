"""`council smoke ENV --router-url URL` against the real LiteLLM proxy with fake members:
every member must answer by itself; one that only its fallback answers for has failed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT
from litellm_proxy import LITELLM, dev_environment, render, start_router, with_router

pytestmark = pytest.mark.skipif(LITELLM is None and not os.environ.get("CI"), reason="pip install -e '.[test]' for litellm[proxy]")


@pytest.fixture(scope="module")
def council(tmp_path_factory):
    # The smoke check is under test here, not the cooldown policy (tests/router_clients.py):
    # a member made to fail by one test must serve the next, so none is ever cooled down.
    env = with_router(dev_environment(timeout=5), allowed_fails=1000)
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


SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"


def _job_lines(council, stacks, *, down: str | None = None) -> list[str]:
    """What the smoke job prints (stdout and stderr, as its console log holds them), produced by
    the synthesized job's program against the real proxy."""
    from tf import resources

    (job,) = resources(stacks["dev"], "azurerm_container_app_job").values()
    (container,) = job["template"]["container"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    run_env = {**os.environ, "ROUTER_URL": council.base, "LITELLM_MASTER_KEY": council.master_key, "SMOKE_ROLES": env["SMOKE_ROLES"], "SMOKE_TIMEOUT": "30"}
    if down:
        council.fakes[down].mode = "fail"
    try:
        run = subprocess.run([sys.executable, "-c", container["command"][2]], env=run_env, capture_output=True, text=True, timeout=300, cwd="/")
    finally:
        if down:
            council.fakes[down].mode = "ok"
    return run.stdout.strip().splitlines() + run.stderr.strip().splitlines()


def _smoke_through_arm(tmp_path, fake, *extra: str) -> subprocess.CompletedProcess:
    from fake_arm import fake_az

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ARM_", "LITELLM_MASTER_KEY"))}
    env.update({
        "PATH": f"{fake_az(tmp_path)}{os.pathsep}{env['PATH']}",
        "AZURE_TOKEN_CREDENTIALS": "AzureCliCredential",  # azure-identity: use only the Azure CLI sign-in
        "REQUESTS_CA_BUNDLE": str(fake.cert),  # trust the fake's self-signed certificate
    })
    return subprocess.run([sys.executable, "-m", "council.cli", "smoke", "dev", "--subscription", SUBSCRIPTION, "--arm-url", fake.url,
                           "--logs-url", fake.url, "--poll-seconds", "0.1", *extra], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def _fake_for_dev(tmp_path):
    from conftest import raw_environment
    from council.config import parse_environment
    from council.naming import names_for
    from fake_arm import FakeAzure

    env = parse_environment({**raw_environment("dev"), "subscription_id": SUBSCRIPTION}, "dev.yaml")
    names = names_for(env, "dev")
    group = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{names.resource_group()}/providers/Microsoft.App"
    return FakeAzure(job_path=f"{group}/jobs/{names.smoke_job()}",
                     environment_id=f"{group}/managedEnvironments/{names.container_app_environment()}").start(tmp_path)


def test_without_a_router_url_the_job_runs_inside_the_vnet_through_arm(council, stacks, tmp_path):
    fake = _fake_for_dev(tmp_path)
    fake.log_lines = _job_lines(council, stacks)
    try:
        result = _smoke_through_arm(tmp_path, fake)
    finally:
        fake.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    roles = [m.role for m in council.extra["env"].members]
    assert [line.split()[1].rstrip(":") for line in result.stdout.strip().splitlines() if line.startswith(("ok", "FAIL"))] == roles
    methods = [(m, p.split("?")[0].rsplit("/", 1)[-1]) for m, p in fake.requests]
    assert methods[0] == ("POST", "start") and ("GET", fake.execution) in methods and methods[-1][1] == "query"
    assert "Running" in result.stderr and "Succeeded" in result.stderr  # progress while it waits


def test_a_failed_job_names_the_member_that_is_down(council, stacks, tmp_path):
    fallback = council.extra["env"].router.fallbacks[0]
    fake = _fake_for_dev(tmp_path)
    fake.log_lines, fake.final_status = _job_lines(council, stacks, down=fallback.role), "Failed"
    try:
        result = _smoke_through_arm(tmp_path, fake)
    finally:
        fake.stop()
    assert result.returncode == 1, result.stdout + result.stderr
    assert any(line.startswith("FAIL") and fallback.role in line for line in result.stdout.splitlines())
    assert result.stderr.strip().splitlines()[-1] == f"failed: {fallback.role}"


def test_no_subscription_is_one_clear_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ARM_"))}
    result = subprocess.run([sys.executable, "-m", "council.cli", "smoke", "dev"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: --subscription: not given;")
