"""The LiteLLM router config: rendered by Jinja from the environment's members.

The variables it reads (`<ROLE>_API_BASE`, `<ROLE>_API_KEY`, `LITELLM_MASTER_KEY`, ...)
are named in council.router_contract; the stack feeds each from a bundle secret and
RouterApp wires exactly these into the container app.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from council.catalog import load_catalog
from council.config import Environment, Member
from council.errors import CouncilError
from council.naming import names_for
from council.policy import RATE_LIMITER_CALLBACK, ROUTER_TIME_BUDGET_SECONDS, TELEMETRY_CALLBACK, UNCLASSIFIED_ALLOWED_FAILS

from council.router_contract import (
    DATABASE_URL_ENV,
    HOOKS_CALLBACK,
    MASTER_KEY_ENV,
    REDIS_HOST_ENV,
    REDIS_PASSWORD_ENV,
    REDIS_PORT_ENV,
    api_base_env,
    api_key_env,
)

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "litellm"
TEMPLATE_NAME = "router-config.yaml.j2"
HOOKS_FILE = TEMPLATE_DIR / "council_hooks.py"


def router_hooks_source() -> str:
    """The hooks module the router loads beside its config (litellm/council_hooks.py)."""
    return HOOKS_FILE.read_text()


# Azure ML sends a request that names a deployment in this header to that deployment, past the
# endpoint's traffic rules: "If you want to use a REST client to invoke the deployment directly
# without going through traffic rules, set the following HTTP header: `azureml-model-deployment:
# <deployment-name>`" -- also a deployment with 0% traffic or a mirror (shadow) one, and a request
# that names a deployment is never mirrored (learn.microsoft.com/azure/machine-learning/
# how-to-safely-rollout-online-endpoints, "Test the new deployment" and "Test the deployment with
# mirrored traffic"; MicrosoftDocs/azure-ai-docs 96b17518, ms.date 2026-02-08, read 2026-12-03).
# LiteLLM 1.108.5 sends a model's `litellm_params.extra_headers` with every request to it: the
# router passes the model's litellm_params into the call (router.py `_acompletion`), the OpenAI
# branch keeps them (main.py `_complete_custom_openai`: optional_params["extra_headers"]) and
# the client sends them as request options (llms/openai/openai.py `_request_without_sdk_transform`);
# read 2026-12-03 in the installed package, measured with the real proxy (tests/test_rollout_smoke.py).
# A request's own `extra_headers` (in its body) would replace them, the request's kwargs coming
# after the model's: the council's hooks drop them (litellm/council_hooks.py async_pre_call_hook).
# (The proxy adds one only to forward a traceparent, and only with
# litellm.forward_traceparent_to_llm_provider, False by default.)
DEPLOYMENT_HEADER = "azureml-model-deployment"
# The two deployments of a member with a rollout: the one its own settings run (`live`, its
# `slot`) and the staged change (`staged`, the other slot; council.config.Member.staged).
PINNED_KINDS = ("live", "staged")


def pinned_model_name(role: str, kind: str) -> str:
    """The router's model that reaches only one deployment of `role`: `<role>-live`, `<role>-staged`.
    Named after the role, not the alias: the role is the member's one name inside the router (an
    alias becomes its role as a request arrives), and a role has no `-`, so no role is ever a
    pinned name (an alias could be: render_router_config refuses that)."""
    return f"{role}-{kind}"


def pinned_alias_clashes(env: Environment) -> list[tuple[str, str]]:
    """(field, message) for each alias that is the router's name for a deployment of a rollout:
    refused by the checks and, for a config rendered without them, by render_router_config."""
    pinned = {pinned_model_name(m.role, kind): (m.role, kind) for m in env.members if m.rollout is not None for kind in PINNED_KINDS}
    return [(f"members[{index}] ({member.role}).alias",
             f"{member.alias!r} is the router's model for the {pinned[member.alias][1]} deployment of {pinned[member.alias][0]} "
             "during its rollout (README \"Roll out a change\"); choose another alias")
            for index, member in enumerate(env.members) if member.alias in pinned]


@dataclass(frozen=True)
class PinnedDeployment:
    """One deployment of a member's endpoint, reached through the router by its own model name
    (`model`), every request carrying DEPLOYMENT_HEADER: for `council smoke` and operators to check
    each deployment of a rollout by itself. Never in a fallback, never cooled down."""

    model: str  # the router's model name, pinned_model_name(role, kind)
    role: str
    kind: str  # "live" | "staged"
    slot: str  # "blue" | "green"
    deployment: str  # the Azure ML deployment name (council.naming.Names.online_deployment)
    upstream_model: str
    timeout: int
    cost_per_second: float | None = None

    @property
    def api_base_env(self) -> str:  # the role's endpoint: both deployments sit behind it
        return api_base_env(self.role)

    @property
    def api_key_env(self) -> str:
        return api_key_env(self.role)


@dataclass(frozen=True)
class RouterMember:
    role: str
    alias: str
    description: str
    upstream_model: str
    timeout: int
    # Spend for a self-hosted model: the GPU's list price per second, divided among the
    # requests one instance serves at once (LiteLLM books response time x this rate).
    cost_per_second: float | None = None
    rpm: int | None = None
    tpm: int | None = None
    # A member with a rollout: its live and staged deployments, each pinned (empty otherwise).
    pinned: tuple[PinnedDeployment, ...] = ()
    # A rollout with a share of live traffic (1-99%): the role itself is split here, in the router,
    # as (pinned deployment, weight, id) -- not by the endpoint -- so that a failing deployment is
    # cooled down alone and the other takes its share (an automatic rollback while it fails).
    # Empty otherwise: the endpoint's traffic rules choose (and mirror, which skips pinned requests).
    shares: tuple[tuple[PinnedDeployment, int, str], ...] = ()

    @property
    def api_base_env(self) -> str:
        return api_base_env(self.role)

    @property
    def api_key_env(self) -> str:
        return api_key_env(self.role)


def _cost_per_second(member: Member, skus: dict) -> float | None:
    if member.sku not in skus:
        return None
    return float(f"{skus[member.sku].hourly_usd / 3600 / member.max_concurrent_requests_per_instance:.8g}")


# A deployment's name is scoped to its endpoint and carries neither the prefix, the stack nor the
# suffix (council.naming.Names.online_deployment: `<role>-<sku>`, `-g` in the green slot), so any
# stack name gives the names the stack creates; tests/unit/test_router_config_render.py and
# tests/test_rollout_smoke.py compare them with the synthesized deployments.
_ANY_STACK = "router"


def pinned_deployments(env: Environment, member: Member) -> tuple[PinnedDeployment, ...]:
    """The live and staged deployments of `member`, when it has a rollout (else none)."""
    staged = member.staged()
    if staged is None:
        return ()
    names = names_for(env, _ANY_STACK)
    skus = load_catalog().skus
    return tuple(
        PinnedDeployment(
            model=pinned_model_name(member.role, kind),
            role=member.role,
            kind=kind,
            slot=runs.slot,
            deployment=names.online_deployment(runs.role, runs.sku, runs.slot),
            upstream_model=runs.model.upstream_model,
            timeout=runs.request_timeout_seconds,
            cost_per_second=_cost_per_second(runs, skus),
        )
        for kind, runs in zip(PINNED_KINDS, (member, staged))
    )


def router_members(env: Environment) -> list[RouterMember]:
    """The router's view of each member. The role's own model names no deployment: the
    endpoint's traffic rules choose (100% to its one deployment, or the split of a rollout), so a
    SKU change (a new deployment) leaves it untouched. A member with a rollout also gets a model
    per deployment (PinnedDeployment)."""
    skus = load_catalog().skus
    members = []
    for m in env.members:
        pinned = pinned_deployments(env, m)
        members.append(
            RouterMember(
                role=m.role,
                alias=m.alias,
                description=m.description,
                upstream_model=m.model.upstream_model,
                timeout=m.request_timeout_seconds,
                cost_per_second=_cost_per_second(m, skus),
                rpm=m.rpm,
                tpm=m.tpm,
                pinned=pinned,
                shares=_shares(m, pinned),
            )
        )
    return members


def _shares(member: Member, pinned: tuple[PinnedDeployment, ...]) -> tuple[tuple[PinnedDeployment, int, str], ...]:
    """The role's split, done by the router, while a rollout takes a share of live traffic. LiteLLM
    1.108.5 picks a deployment of a model group at random by its litellm_params `weight`
    (router_strategy/simple_shuffle.py) and cools deployments down by their model_info id, so each
    share has its own id: the live one keeps the role's (`<role>`), the staged one `<role>-staged-share`."""
    rollout = member.rollout
    if rollout is None or not 0 < rollout.traffic_percent < 100:
        return ()
    live, staged = pinned
    return ((live, 100 - rollout.traffic_percent, member.role), (staged, rollout.traffic_percent, f"{member.role}-staged-share"))


def _allowed_fails_policy(timeouts: int, fast_failures: int) -> dict[str, int]:
    """Failures a member may have (within cooldown_seconds) before it is cooled down, per
    LiteLLM error type: timeouts; 503, 502 and a wrong member key (fast failures); the
    member's own 429 and errors no field names effectively never (see UNCLASSIFIED_ALLOWED_FAILS).
    A 500 is counted by the council's hooks instead (litellm/council_hooks.py `_failure_kind`),
    against the fast-failure allowance: LiteLLM reports a connection the member dropped as a 500
    too, and one dropped pooled connection must not cool down a healthy member."""
    return {
        "TimeoutErrorAllowedFails": timeouts,
        "InternalServerErrorAllowedFails": UNCLASSIFIED_ALLOWED_FAILS,
        "ServiceUnavailableErrorAllowedFails": fast_failures,
        "BadGatewayErrorAllowedFails": fast_failures,
        "AuthenticationErrorAllowedFails": fast_failures,
        "RateLimitErrorAllowedFails": UNCLASSIFIED_ALLOWED_FAILS,
    }


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    loader = jinja2.FileSystemLoader(str(TEMPLATE_DIR))
    environment = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    return environment.get_template(TEMPLATE_NAME)


def render_router_config(env: Environment, members: list[RouterMember], *, redis_tls: bool = True) -> str:
    """The LiteLLM config. `redis_tls=False` only for a local redis-server in tests: Azure
    Managed Redis accepts TLS connections only (client_protocol Encrypted)."""
    router = env.router
    limited = any(m.rpm or m.tpm for m in members)
    pinned = [p for m in members for p in m.pinned]
    for field, message in pinned_alias_clashes(env)[:1]:  # council.checks reports them all before synth
        raise CouncilError(None, field, message)
    return _template().render(
        members=members,
        pinned=pinned,
        deployment_header=DEPLOYMENT_HEADER,
        master_key_env=MASTER_KEY_ENV,
        database_url_env=DATABASE_URL_ENV if router.virtual_keys else None,
        # rpm/tpm limits: a model-capacity limiter that counts in the shared Redis; and telemetry.
        # The council's own hooks (litellm/council_hooks.py) come first.
        callbacks=[HOOKS_CALLBACK, *([RATE_LIMITER_CALLBACK] if limited else []), TELEMETRY_CALLBACK],
        log_prompts=router.log_prompts,
        router={
            # Each role has one deployment: nothing to balance, so the cheapest strategy.
            "routing_strategy": "simple-shuffle",
            "num_retries": router.num_retries,
            "timeout": router.timeout_seconds,
            # Per error type (council.policy.RouterPolicy): a member that times out, answers 5xx
            # or cannot be reached is not asked again; its fallback answers. DefaultRetries covers
            # what no field names (connection errors, 502, a member's 422).
            "retry_policy": {
                "TimeoutErrorRetries": router.timeout_retries,
                "InternalServerErrorRetries": router.server_error_retries,
                "ServiceUnavailableErrorRetries": router.server_error_retries,
                "RateLimitErrorRetries": 0,
                "AuthenticationErrorRetries": 0,
                "BadRequestErrorRetries": 0,
                "ContentPolicyViolationErrorRetries": 0,
                "NotFoundErrorRetries": 0,
                "DefaultRetries": router.num_retries,
            },
            "allowed_fails": UNCLASSIFIED_ALLOWED_FAILS,
            # Named per error type so that LiteLLM cools single-deployment groups down too
            # (litellm/router.py get_allowed_fails_from_policy): timeouts, 500, 502, 503, 401.
            "allowed_fails_policy": _allowed_fails_policy(router.allowed_fails, router.allowed_fails),
            # A role without a fallback: its fast failures are not counted (see the template).
            "lone_roles": sorted({m.role for m in members} - {f.role for f in router.fallbacks}),
            "lone_allowed_fails_policy": _allowed_fails_policy(router.allowed_fails, UNCLASSIFIED_ALLOWED_FAILS),
            # A pinned deployment is never cooled down: a check must reach it every time, and a
            # failure of one deployment must not keep requests from the other (nothing falls back).
            "pinned_allowed_fails_policy": _allowed_fails_policy(UNCLASSIFIED_ALLOWED_FAILS, UNCLASSIFIED_ALLOWED_FAILS),
            "cooldown_time": router.cooldown_seconds,
            # An alias is its role: the proxy rewrites the requested name before any limit,
            # route, fallback or cooldown sees it (litellm_settings.model_alias_map); the
            # group alias only lists it in /v1/models.
            "model_group_alias": {m.alias: m.role for m in members},
            "fallbacks": [{"role": f.role, "to": list(f.to)} for f in router.fallbacks],
            "request_timeout": ROUTER_TIME_BUDGET_SECONDS,
            "redis": None if router.shared_state == "none" else {
                "host_env": REDIS_HOST_ENV, "port_env": REDIS_PORT_ENV, "password_env": REDIS_PASSWORD_ENV, "tls": redis_tls,
            },
        },
    )
