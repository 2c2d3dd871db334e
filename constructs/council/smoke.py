"""`council smoke`: is every member serving, through the router, right now?

One chat request per member role through the LiteLLM router, with the master key. A
member passes only if the router answered 200 *and the member itself answered*: LiteLLM
says which model group served a request and whether it fell back (response headers
`x-litellm-model-group` and `x-litellm-attempted-fallbacks`, litellm/proxy/
common_request_processing.py, 1.108.5), so an answer from a fallback is a failure of the
member asked for -- a fallback must never hide an outage.

During a rollout (README "Roll out a change") a member's endpoint runs two deployments, and
the role's own request lands on either, as the endpoint's traffic split decides. So each
deployment is also checked by itself, through the router's model that pins it (`<role>-live`,
`<role>-staged`: council.router_config.PinnedDeployment, whose every request carries Azure ML's
`azureml-model-deployment` header), and its line names it: a broken staged deployment fails as
`pacer (staged pacer-nc8ast4v3-g)` while `pacer (live ...)` still passes. The pinned models are
the router's own (its `/v1/model/info`, model_info `council_pinned`), so the job inside the VNet,
which knows only the roles, checks them too; `council smoke --router-url` also asks for the ones
its environment file expects, so a router not yet redeployed with the rollout fails there.
No mode reaches a member directly: the endpoints are private and the check holds only the
router's master key.

Pure HTTP (httpx): the same check runs from a laptop against a reachable router
(`--router-url`), and inside the VNet where the router is internal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

PROMPT = "Reply with the single word: ready"
FALLBACK_HEADER = "x-litellm-attempted-fallbacks"
MODEL_GROUP_HEADER = "x-litellm-model-group"
# The model entry (model_info.id) that served the request (common_request_processing.py
# get_custom_headers, LiteLLM 1.108.5): a pinned model's id is its own name.
MODEL_ID_HEADER = "x-litellm-model-id"
# model_info keys of a pinned model (litellm/router-config.yaml.j2), as /v1/model/info lists them.
PINNED_INFO, ROLE_INFO, DEPLOYMENT_INFO = "council_pinned", "council_role", "council_deployment"
PINNED_ORDER = ("live", "staged")


def _subject(role: str, pinned: str | None, deployment: str | None) -> str:
    """What a check is about: `pacer`, or `pacer (staged pacer-nc8ast4v3-g)`."""
    return role if pinned is None else f"{role} ({pinned} {deployment})"


@dataclass(frozen=True)
class Target:
    """What one request checks: a role (`model` = the role), or one deployment of a role's
    rollout through the router's model that pins it."""

    model: str
    role: str
    pinned: str | None = None  # "live" | "staged"
    deployment: str | None = None

    @property
    def subject(self) -> str:
        return _subject(self.role, self.pinned, self.deployment)


@dataclass(frozen=True)
class MemberCheck:
    role: str
    ok: bool
    answered_by: str | None
    latency_ms: float
    tokens: int | None
    problem: str | None
    pinned: str | None = None
    deployment: str | None = None

    @property
    def subject(self) -> str:
        return _subject(self.role, self.pinned, self.deployment)

    def line(self) -> str:
        if self.ok:
            tokens = f", {self.tokens} tokens" if self.tokens is not None else ""
            by = "itself" if self.pinned is None else self.deployment
            return f"ok    {self.subject}: answered by {by} in {self.latency_ms:.0f} ms{tokens}"
        return f"FAIL  {self.subject}: {self.problem}"


def check_target(client: httpx.Client, target: Target, master_key: str, *, max_tokens: int = 8) -> MemberCheck:
    """One request for `target`. It passes only if the router answered 200 from the model asked
    for, without a fallback: for a pinned model, from that one deployment (the router sent it
    Azure ML's deployment header; a pinned model has no fallback)."""
    def result(ok: bool, by: str | None, latency: float, tokens: int | None, problem: str | None) -> MemberCheck:
        return MemberCheck(target.role, ok, by, latency, tokens, problem, target.pinned, target.deployment)

    started = time.monotonic()
    try:
        response = client.post(
            "/v1/chat/completions",
            headers={"Authorization": f"Bearer {master_key}"},
            json={"model": target.model, "messages": [{"role": "user", "content": PROMPT}], "max_tokens": max_tokens},
        )
    except httpx.HTTPError as error:
        return result(False, None, (time.monotonic() - started) * 1000, None, f"no answer from the router ({error})")
    latency = (time.monotonic() - started) * 1000
    if response.status_code != 200:
        detail = response.text[:200].replace("\n", " ")
        return result(False, None, latency, None, f"the router answered {response.status_code}: {detail}")
    group = response.headers.get(MODEL_GROUP_HEADER)
    fallbacks = int(response.headers.get(FALLBACK_HEADER) or 0)
    tokens = (response.json().get("usage") or {}).get("total_tokens")
    if fallbacks or (group is not None and group != target.model):
        by = group or "a fallback"
        return result(False, by, latency, tokens, f"answered by {by} (fallback) in {latency:.0f} ms: {target.subject} itself is not serving")
    served = response.headers.get(MODEL_ID_HEADER)
    if target.pinned is not None and served is not None and served != target.model:
        return result(False, served, latency, tokens, f"answered by the router's model {served}, not {target.model}")
    return result(True, target.deployment or group or target.role, latency, tokens, None)


def check_member(client: httpx.Client, role: str, master_key: str, *, max_tokens: int = 8) -> MemberCheck:
    return check_target(client, Target(role, role), master_key, max_tokens=max_tokens)


def pinned_targets(client: httpx.Client, master_key: str, roles: list[str]) -> list[Target]:
    """The router's pinned models of `roles` (every rollout it was deployed with), from its
    /v1/model/info (master key). Raises httpx.HTTPError when the router cannot list them."""
    response = client.get("/v1/model/info", headers={"Authorization": f"Bearer {master_key}"})
    response.raise_for_status()
    found = []
    for entry in response.json().get("data") or []:
        info = entry.get("model_info") or {}
        if info.get(PINNED_INFO) in PINNED_ORDER and info.get(ROLE_INFO) in roles:
            found.append(Target(entry["model_name"], info[ROLE_INFO], info[PINNED_INFO], info.get(DEPLOYMENT_INFO)))
    return list(dict.fromkeys(found))


def smoke(router_url: str, master_key: str, roles: list[str], *, timeout: float = 120.0,
          expected: list[Target] | None = None) -> list[MemberCheck]:
    """Check every role in turn (one request each, so a slow member does not hide another), each
    followed by the deployments of its rollout, if any: those the router pins, and those in
    `expected` (from the environment file) that it should."""
    with httpx.Client(base_url=router_url.rstrip("/"), timeout=timeout, trust_env=False) as client:
        try:
            pinned = pinned_targets(client, master_key, roles)
            listed = None
        except (httpx.HTTPError, ValueError) as error:
            pinned, listed = [], error
        for target in expected or ():
            if target.model not in {p.model for p in pinned}:
                pinned.append(target)
        results = []
        for role in roles:
            results.append(check_member(client, role, master_key))
            mine = sorted((p for p in pinned if p.role == role), key=lambda p: PINNED_ORDER.index(p.pinned))
            results += [check_target(client, target, master_key) for target in mine]
        if listed is not None:
            status = getattr(getattr(listed, "response", None), "status_code", None)
            why = f"the router answered {status}" if status else f"no answer from the router ({listed})"
            results.append(MemberCheck("rollouts", False, None, 0.0, None,
                                       f"could not list the router's models to find the deployments of rollouts: {why}"))
        return results


def summary(results: list[MemberCheck]) -> tuple[str, bool]:
    """The last line (`failed: ...` naming each check that failed, or how many passed) and
    whether anything failed."""
    failed = [r.subject for r in results if not r.ok]
    if failed:
        return f"failed: {', '.join(failed)}", True
    members = sum(1 for r in results if r.pinned is None)
    deployments = len(results) - members
    return f"all {members} members serving" + (f", and {deployments} deployments of rollouts, each by itself" if deployments else ""), False


def main_from_environment() -> int:
    """What the smoke job runs (this file is its whole program, `python -c`): ROUTER_URL,
    LITELLM_MASTER_KEY and SMOKE_ROLES (comma-separated) come from the job's environment."""
    import os
    import sys

    roles = [r for r in os.environ["SMOKE_ROLES"].split(",") if r]
    results = smoke(os.environ["ROUTER_URL"], os.environ["LITELLM_MASTER_KEY"], roles, timeout=float(os.environ.get("SMOKE_TIMEOUT", "120")))
    for result in results:
        print(result.line(), flush=True)
    last, failed = summary(results)
    print(last, file=sys.stderr if failed else sys.stdout, flush=True)
    return 1 if failed else 0


def job_program() -> str:
    """This module's source: the smoke job's program, so the job and `council smoke` are one check."""
    from pathlib import Path

    return Path(__file__).read_text(encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main_from_environment())
