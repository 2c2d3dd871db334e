"""`council smoke` during a rollout (issue 24 item 2): each deployment of a member's endpoint is
checked by itself, through the router, and its line says which deployment answered.

The real LiteLLM proxy runs the config rendered from environments/dev.yaml plus rollouts added
here, against fake endpoints (fake_aml.py) that hold both deployments of a member, route a
request that names one in `azureml-model-deployment` to it, and split the others by the traffic
weights the rollout sets. Every expectation (roles, deployment names, weights) comes from the
file and the rollout, through council.config and council.naming, never from a list written here.
"""

from __future__ import annotations

import copy
import os
import secrets
import subprocess
import sys

import httpx
import pytest
import yaml

from conftest import ROLLOUT_SKU, ROOT, raw_environment
from fake_aml import DEPLOYMENT_HEADER, FakeDeployment
from litellm_proxy import LITELLM, answer_of, render, start_router, with_router

pytestmark = pytest.mark.skipif(LITELLM is None and not os.environ.get("CI"), reason="pip install -e '.[test]' for litellm[proxy]")

STAGED_ANSWER = "the staged change"


def with_rollouts(data: dict) -> dict:
    """dev with two members rolling out a bigger SKU of their GPU: the first member's change
    takes 10% of its traffic, the second's none yet (staged, to be checked before it takes any)."""
    out = copy.deepcopy(data)
    first, second = out["members"][:2]
    first["rollout"] = {"sku": ROLLOUT_SKU[first["sku"]], "traffic_percent": 10}
    second["rollout"] = {"sku": ROLLOUT_SKU[second["sku"]]}
    return out


def deployments(env, member) -> tuple[str, str]:
    """(live, staged) deployment names of `member`, as the stack names them (council.naming)."""
    from council.naming import names_for

    names = names_for(env, "dev")
    staged = member.staged()
    return names.online_deployment(member.role, member.sku, member.slot), names.online_deployment(staged.role, staged.sku, staged.slot)


def endpoint_for(env, member) -> FakeDeployment:
    """The member's fake endpoint: one deployment, or both of a rollout split as it says."""
    if member.rollout is None:
        return FakeDeployment(name=member.role, key=secrets.token_urlsafe(32), answer=answer_of(member.role)).start()
    live, staged = deployments(env, member)
    fake = FakeDeployment(name=live, key=secrets.token_urlsafe(32), answer=answer_of(member.role)).start()
    fake.add_deployment(staged, answer=answer_of(f"{member.role} {STAGED_ANSWER}"))
    share = member.rollout.traffic_percent
    fake.traffic = {live: 100 - share, staged: share}
    fake.mirror = {staged: member.rollout.mirror_percent} if member.rollout.mirror_percent else {}
    return fake


@pytest.fixture(scope="module")
def council(tmp_path_factory):
    from council.config import parse_environment

    workdir = tmp_path_factory.mktemp("rollout")
    data = with_rollouts(raw_environment("dev"))
    path = workdir / "dev.yaml"  # what `council smoke` reads: the file with its rollouts
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    env = parse_environment(data, str(path))
    # A member made to fail by one test must serve the next: none is ever cooled down here.
    served = with_router(env.model_copy(update={"members": tuple(m.model_copy(update={"request_timeout_seconds": 5}) for m in env.members)}),
                         allowed_fails=1000)
    fakes = {m.role: endpoint_for(env, m) for m in env.members}
    router = start_router(render(served), [m.role for m in env.members], workdir / "router", fakes=fakes)
    router.extra.update(env=env, path=path, data=data)
    yield router
    router.stop()


def rolling(council) -> list:
    return [m for m in council.extra["env"].members if m.rollout is not None]


def _smoke(council, path=None) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if k != "LITELLM_MASTER_KEY"}, "LITELLM_MASTER_KEY": council.master_key}
    return subprocess.run([sys.executable, "-m", "council.cli", "smoke", str(path or council.extra["path"]), "--router-url", council.base,
                           "--timeout", "30"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def expected_subjects(env) -> list[str]:
    """What each line is about, in order: every role, each followed by its rollout's live and
    staged deployments."""
    out = []
    for member in env.members:
        out.append(member.role)
        if member.rollout is not None:
            live, staged = deployments(env, member)
            out += [f"{member.role} (live {live})", f"{member.role} (staged {staged})"]
    return out


def subject(line: str) -> str:
    return line[6:].split(": ", 1)[0]


# --------------------------------------------------------------------------- the fake endpoint
def test_the_fake_endpoint_routes_by_header_and_splits_the_rest():
    fake = FakeDeployment(name="unit-a", key="k" * 32, answer="from a").start()
    fake.add_deployment("unit-a-g", answer="from g")
    fake.traffic = {"unit-a": 75, "unit-a-g": 25}
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    try:
        with httpx.Client(base_url=fake.base_url, trust_env=False) as client:
            key = {"Authorization": f"Bearer {'k' * 32}"}
            pinned = client.post("/chat/completions", headers={**key, DEPLOYMENT_HEADER: "unit-a-g"}, json=body)
            assert pinned.status_code == 200 and pinned.json()["choices"][0]["message"]["content"] == "from g"
            # A name the endpoint does not have (Azure ML documents no answer; the fake's is 404).
            assert client.post("/chat/completions", headers={**key, DEPLOYMENT_HEADER: "unit-b"}, json=body).status_code == 404
            # The key is the endpoint's, checked before any deployment is chosen.
            assert client.post("/chat/completions", headers={DEPLOYMENT_HEADER: "unit-a-g"}, json=body).status_code == 401
            answers = [client.post("/chat/completions", headers=key, json=body).json()["choices"][0]["message"]["content"] for _ in range(200)]
            assert 25 <= answers.count("from g") <= 75 and answers.count("from a") == 200 - answers.count("from g")
            # Mirrored: a copy goes to the shadow, the answer comes from the live one; never for a named deployment.
            fake.traffic, fake.mirror = {"unit-a": 100, "unit-a-g": 0}, {"unit-a-g": 50}
            before = len(fake.seen)
            assert all(client.post("/chat/completions", headers=key, json=body).json()["choices"][0]["message"]["content"] == "from a"
                       for _ in range(40))
            assert 5 <= sum(1 for s in fake.seen[before:] if s.mirrored) <= 35
            before = len(fake.seen)
            client.post("/chat/completions", headers={**key, DEPLOYMENT_HEADER: "unit-a"}, json=body)
            assert not any(s.mirrored for s in fake.seen[before:])
            # No deployment with a positive weight: the front end's documented 404.
            fake.traffic, fake.mirror = {"unit-a": 0, "unit-a-g": 0}, {}
            empty = client.post("/chat/completions", headers=key, json=body)
            assert empty.status_code == 404 and "No valid deployments to route to" in empty.text
    finally:
        fake.stop()


# --------------------------------------------------------------------------- through the real proxy
def test_the_router_pins_each_deployment_with_azure_mls_header(council):
    """What the router sends for a pinned model reaches the endpoint as `azureml-model-deployment`,
    and that deployment answers; the role itself carries no header and goes by the split."""
    for member in rolling(council):
        fake = council.fakes[member.role]
        for kind, deployment in zip(("live", "staged"), deployments(council.extra["env"], member)):
            before = len(fake.seen)
            response = council.chat(f"{member.role}-{kind}")
            assert response.status_code == 200, response.text
            (seen,) = [s for s in fake.seen[before:] if s.method == "POST"]
            assert seen.deployment == deployment and seen.served_by == deployment
            assert response.json()["choices"][0]["message"]["content"] == fake.deployment(deployment).answer
            assert response.headers["x-litellm-model-id"] == f"{member.role}-{kind}"
            assert response.headers["x-litellm-attempted-fallbacks"] == "0"
        before = len(fake.seen)
        assert council.chat(member.role).status_code == 200
        (seen,) = [s.deployment for s in fake.seen[before:] if s.method == "POST"]
        # With a live share the router splits the role itself, pinning either deployment; staged
        # at 0% the endpoint's traffic rules choose (no header).
        assert seen in deployments(council.extra["env"], member) if member.rollout.traffic_percent else seen is None


def test_the_role_is_split_as_the_rollout_says(council):
    env = council.extra["env"]
    member = next(m for m in rolling(council) if m.rollout.traffic_percent)
    live, staged = deployments(env, member)
    fake = council.fakes[member.role]
    before = {d: len(fake.served(d)) for d in (live, staged)}
    requests = 100
    for _ in range(requests):
        assert council.chat(member.role).status_code == 200
    counts = {d: len(fake.served(d)) - before[d] for d in (live, staged)}
    assert sum(counts.values()) == requests
    # 10% of 100, drawn by the router (LiteLLM's weighted shuffle): some, and far fewer than the
    # live deployment's (none would happen with probability 0.9^100 < 3e-5).
    assert 1 <= counts[staged] <= requests * member.rollout.traffic_percent * 3 // 100 < counts[live]


def test_smoke_checks_each_deployment_by_itself_and_names_it(council):
    result = _smoke(council)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    env = council.extra["env"]
    assert [subject(line) for line in lines] == expected_subjects(env)
    assert all(line.startswith("ok    ") for line in lines), lines
    for member in rolling(council):
        for kind, deployment in zip(("live", "staged"), deployments(env, member)):
            (line,) = [line for line in lines if subject(line) == f"{member.role} ({kind} {deployment})"]
            assert f": answered by {deployment} in " in line
    deployments_checked = 2 * len(rolling(council))
    assert result.stderr.strip().splitlines()[-1] == (
        f"all {len(env.members)} members serving, and {deployments_checked} deployments of rollouts, each by itself")


def test_a_broken_staged_deployment_fails_as_itself_and_the_live_one_passes(council):
    env = council.extra["env"]
    member = next(m for m in rolling(council) if not m.rollout.traffic_percent)  # staged, no traffic yet
    live, staged = deployments(env, member)
    broken = council.fakes[member.role].deployment(staged)
    broken.mode = "fail"
    try:
        result = _smoke(council)
    finally:
        broken.mode = "ok"
    assert result.returncode == 1, result.stdout + result.stderr
    lines = {subject(line): line for line in result.stdout.strip().splitlines()}
    assert lines[f"{member.role} (staged {staged})"].startswith("FAIL  ")
    assert lines[f"{member.role} (live {live})"].startswith(f"ok    {member.role} (live {live}): answered by {live} ")
    assert lines[member.role].startswith("ok    ")  # the role's traffic all goes to the live deployment
    assert [s for s, line in lines.items() if line.startswith("FAIL")] == [f"{member.role} (staged {staged})"]
    assert result.stderr.strip().splitlines()[-1] == f"failed: {member.role} (staged {staged})"
    # The router asked that deployment, and no other answered for it.
    assert council.fakes[member.role].served(staged)


def test_a_rollout_the_router_was_not_deployed_with_fails(council, tmp_path):
    """`--router-url` also checks the rollouts of the file it is given: one the router has no
    pinned model for (not deployed yet) fails, naming its deployments."""
    from council.config import parse_environment

    data = copy.deepcopy(council.extra["data"])
    member = next(m for m in data["members"] if "rollout" not in m)
    member["rollout"] = {"sku": ROLLOUT_SKU[member["sku"]], "traffic_percent": 10}
    path = tmp_path / "dev.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    env = parse_environment(data, str(path))
    result = _smoke(council, path)
    assert result.returncode == 1
    new = next(m for m in env.members if m.role == member["role"])
    live, staged = deployments(env, new)
    lines = {subject(line): line for line in result.stdout.strip().splitlines()}
    for kind, deployment in (("live", live), ("staged", staged)):
        assert lines[f"{new.role} ({kind} {deployment})"].startswith(f"FAIL  {new.role} ({kind} {deployment}): the router answered 400")
    assert lines[new.role].startswith("ok    ")


def test_the_job_finds_the_rollouts_in_the_router(council):
    """The job inside the VNet knows only the roles (SMOKE_ROLES): it asks the router which
    deployments it pins, and prints what `council smoke --router-url` prints."""
    from council.smoke import job_program

    env = council.extra["env"]
    run_env = {**{k: v for k, v in os.environ.items() if k != "LITELLM_MASTER_KEY"}, "ROUTER_URL": council.base,
               "LITELLM_MASTER_KEY": council.master_key, "SMOKE_ROLES": ",".join(m.role for m in env.members), "SMOKE_TIMEOUT": "30"}
    ok = subprocess.run([sys.executable, "-c", job_program()], env=run_env, capture_output=True, text=True, timeout=300, cwd="/")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert [subject(line) for line in ok.stdout.strip().splitlines()[:-1]] == expected_subjects(env)
    member = next(m for m in rolling(council) if not m.rollout.traffic_percent)
    _, staged = deployments(env, member)
    council.fakes[member.role].deployment(staged).mode = "fail"
    try:
        down = subprocess.run([sys.executable, "-c", job_program()], env=run_env, capture_output=True, text=True, timeout=300, cwd="/")
    finally:
        council.fakes[member.role].deployment(staged).mode = "ok"
    assert down.returncode == 1 and down.stderr.strip().splitlines()[-1] == f"failed: {member.role} (staged {staged})"


def test_through_arm_the_failed_deployment_is_named(council, tmp_path):
    """`council smoke ENV` without --router-url prints the job's lines and names what failed: the
    job's own last line, here a staged deployment."""
    from council.smoke import job_program
    from test_smoke import _fake_for_dev, _smoke_through_arm

    env = council.extra["env"]
    member = next(m for m in rolling(council) if not m.rollout.traffic_percent)
    _, staged = deployments(env, member)
    run_env = {**os.environ, "ROUTER_URL": council.base, "LITELLM_MASTER_KEY": council.master_key,
               "SMOKE_ROLES": ",".join(m.role for m in env.members), "SMOKE_TIMEOUT": "30"}
    council.fakes[member.role].deployment(staged).mode = "fail"
    try:
        run = subprocess.run([sys.executable, "-c", job_program()], env=run_env, capture_output=True, text=True, timeout=300, cwd="/")
    finally:
        council.fakes[member.role].deployment(staged).mode = "ok"
    fake = _fake_for_dev(tmp_path)
    fake.log_lines, fake.final_status = run.stdout.strip().splitlines() + run.stderr.strip().splitlines(), "Failed"
    try:
        result = _smoke_through_arm(tmp_path, fake)
    finally:
        fake.stop()
    assert result.returncode == 1, result.stdout + result.stderr
    assert any(line.startswith(f"FAIL  {member.role} (staged {staged}): ") for line in result.stdout.splitlines())
    assert result.stderr.strip().splitlines()[-1] == f"failed: {member.role} (staged {staged})"


# --------------------------------------------------------------------------- the deployed stack
def test_the_router_pins_the_deployments_the_stack_creates(stacks):
    """In a synthesized rollout (conftest's `devrs`: dev's first member staged at 10%), each
    pinned model's header names a deployment of that member's endpoint, live and staged alike."""
    from tf import members_of, vault_secrets

    stack = stacks["devrs"]
    config = yaml.safe_load(vault_secrets(stack)["router-config"][1]["body"]["properties"]["value"])
    pinned = {m["model_name"]: m for m in config["model_list"] if "council_pinned" in m["model_info"]}
    assert pinned, "a rollout pins its deployments"
    created = {}
    for leaf in ("deployment", "deployment-green"):
        for role, resource in members_of(stack, "azapi_resource", leaf).items():
            created.setdefault(role, set()).add(resource["name"])
    for name, model in pinned.items():
        info = model["model_info"]
        assert name == f"{info['council_role']}-{info['council_pinned']}"
        assert model["litellm_params"]["extra_headers"] == {DEPLOYMENT_HEADER: info["council_deployment"]}
    # Both deployments of each rolling member, and only those.
    for role in {m["model_info"]["council_role"] for m in pinned.values()}:
        assert {m["model_info"]["council_deployment"] for m in pinned.values() if m["model_info"]["council_role"] == role} == created[role]


def test_a_client_cannot_pick_a_deployment_with_its_own_headers(council):
    """A request's own `extra_headers` would replace the pinned header (LiteLLM merges the
    request over the model): the router drops them, so the pin holds and a role keeps its split."""
    for member in rolling(council):
        fake = council.fakes[member.role]
        live, staged = deployments(council.extra["env"], member)
        headers = {"Authorization": f"Bearer {council.master_key}"}
        cases = [(f"{member.role}-staged", live, staged)]
        if not member.rollout.traffic_percent:  # the role goes by the endpoint's rules: no header at all
            cases.append((member.role, staged, None))
        for model, other, expected in cases:
            before = len(fake.seen)
            body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "extra_headers": {DEPLOYMENT_HEADER: other}}
            response = council.client.post("/v1/chat/completions", headers=headers, json=body)
            assert response.status_code == 200, response.text
            (seen,) = [s for s in fake.seen[before:] if s.method == "POST"]
            assert seen.deployment == expected
