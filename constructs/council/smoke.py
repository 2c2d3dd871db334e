"""`council smoke`: is every member serving, through the router, right now?

One chat request per member role through the LiteLLM router, with the master key. A
member passes only if the router answered 200 *and the member itself answered*: LiteLLM
says which model group served a request and whether it fell back (response headers
`x-litellm-model-group` and `x-litellm-attempted-fallbacks`, litellm/proxy/
common_request_processing.py, 1.108.5), so an answer from a fallback is a failure of the
member asked for -- a fallback must never hide an outage.

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


@dataclass(frozen=True)
class MemberCheck:
    role: str
    ok: bool
    answered_by: str | None
    latency_ms: float
    tokens: int | None
    problem: str | None

    def line(self) -> str:
        if self.ok:
            tokens = f", {self.tokens} tokens" if self.tokens is not None else ""
            return f"ok    {self.role}: answered by itself in {self.latency_ms:.0f} ms{tokens}"
        return f"FAIL  {self.role}: {self.problem}"


def check_member(client: httpx.Client, role: str, master_key: str, *, max_tokens: int = 8) -> MemberCheck:
    started = time.monotonic()
    try:
        response = client.post(
            "/v1/chat/completions",
            headers={"Authorization": f"Bearer {master_key}"},
            json={"model": role, "messages": [{"role": "user", "content": PROMPT}], "max_tokens": max_tokens},
        )
    except httpx.HTTPError as error:
        return MemberCheck(role, False, None, (time.monotonic() - started) * 1000, None, f"no answer from the router ({error})")
    latency = (time.monotonic() - started) * 1000
    if response.status_code != 200:
        detail = response.text[:200].replace("\n", " ")
        return MemberCheck(role, False, None, latency, None, f"the router answered {response.status_code}: {detail}")
    group = response.headers.get(MODEL_GROUP_HEADER)
    fallbacks = int(response.headers.get(FALLBACK_HEADER) or 0)
    tokens = (response.json().get("usage") or {}).get("total_tokens")
    if fallbacks or (group is not None and group != role):
        by = group or "a fallback"
        return MemberCheck(role, False, by, latency, tokens,
                           f"answered by {by} (fallback) in {latency:.0f} ms: {role} itself is not serving")
    return MemberCheck(role, True, group or role, latency, tokens, None)


def smoke(router_url: str, master_key: str, roles: list[str], *, timeout: float = 120.0) -> list[MemberCheck]:
    """Check every role in turn (one request each, so a slow member does not hide another)."""
    with httpx.Client(base_url=router_url.rstrip("/"), timeout=timeout, trust_env=False) as client:
        return [check_member(client, role, master_key) for role in roles]


def main_from_environment() -> int:
    """What the smoke job runs (this file is its whole program, `python -c`): ROUTER_URL,
    LITELLM_MASTER_KEY and SMOKE_ROLES (comma-separated) come from the job's environment."""
    import os
    import sys

    roles = [r for r in os.environ["SMOKE_ROLES"].split(",") if r]
    results = smoke(os.environ["ROUTER_URL"], os.environ["LITELLM_MASTER_KEY"], roles, timeout=float(os.environ.get("SMOKE_TIMEOUT", "120")))
    for result in results:
        print(result.line(), flush=True)
    failed = [r.role for r in results if not r.ok]
    print(f"failed: {', '.join(failed)}" if failed else f"all {len(results)} members serving", file=sys.stderr if failed else sys.stdout, flush=True)
    return 1 if failed else 0


def job_program() -> str:
    """This module's source: the smoke job's program, so the job and `council smoke` are one check."""
    from pathlib import Path

    return Path(__file__).read_text(encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main_from_environment())
