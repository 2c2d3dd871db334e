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
from council.config import Environment
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

    @property
    def api_base_env(self) -> str:
        return api_base_env(self.role)

    @property
    def api_key_env(self) -> str:
        return api_key_env(self.role)


def router_members(env: Environment) -> list[RouterMember]:
    """The router's view of each member. No deployment name: each endpoint sends 100% of
    its traffic to its one deployment, so a SKU change (a new deployment) leaves the
    router config untouched."""
    skus = load_catalog().skus
    members = []
    for m in env.members:
        members.append(
            RouterMember(
                role=m.role,
                alias=m.alias,
                description=m.description,
                upstream_model=m.model.upstream_model,
                timeout=m.request_timeout_seconds,
                cost_per_second=(
                    float(f"{skus[m.sku].hourly_usd / 3600 / m.max_concurrent_requests_per_instance:.8g}") if m.sku in skus else None
                ),
                rpm=m.rpm,
                tpm=m.tpm,
            )
        )
    return members


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
    return _template().render(
        members=members,
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
