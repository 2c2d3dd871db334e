"""What the LiteLLM router container reads: environment variable names, the config's
mount path and the names of the secrets RouterApp creates itself.

The rendered config (router_config) refers to these variables and the RouterApp
construct sets them; both import them from here, so neither depends on the other
(and the construct does not depend on the environment file's schema). Pure.
"""

from __future__ import annotations

# LiteLLM treats a --config path not ending in .yaml/.yml as a JSON string.
CONFIG_MOUNT_PATH = "/etc/litellm/config.yaml"
MASTER_KEY_ENV = "LITELLM_MASTER_KEY"
# Secrets RouterApp adds to the bundle itself.
MASTER_KEY_SECRET = "litellm-master-key"
CONFIG_SECRET = "router-config"
# The council's LiteLLM hooks (litellm/council_hooks.py): mounted beside the config, because
# LiteLLM loads a callback module from the config file's folder; named in the config's callbacks.
HOOKS_SECRET = "router-hooks"
HOOKS_MOUNT_PATH = "/etc/litellm/council_hooks.py"
HOOKS_CALLBACK = "council_hooks.council_hooks"
# Secrets that carry files the router mounts (their values are text the stack renders, not
# references to other resources).
MOUNTED_FILE_SECRETS = (CONFIG_SECRET, HOOKS_SECRET)
# Shared router state (Azure Managed Redis). Host and port are not secret and come as plain values.
REDIS_HOST_ENV = "REDIS_HOST"
REDIS_PORT_ENV = "REDIS_PORT"
REDIS_PASSWORD_ENV = "REDIS_PASSWORD"
# Virtual keys: the database LiteLLM keeps keys, budgets and spend in, and its salt.
DATABASE_URL_ENV = "DATABASE_URL"
SALT_KEY_ENV = "LITELLM_SALT_KEY"


def api_base_env(role: str) -> str:
    return f"{role.upper()}_API_BASE"


def api_key_env(role: str) -> str:
    return f"{role.upper()}_API_KEY"


# Telemetry (council.policy.TELEMETRY_CALLBACK): LiteLLM's OpenTelemetry callback reads the
# standard OTEL_EXPORTER_OTLP_ENDPOINT / _PROTOCOL that the Container Apps managed
# OpenTelemetry agent provides to the app; OTEL_EXPORTER is LiteLLM's own fallback for the
# protocol when none is given (litellm/integrations/opentelemetry.py: OTEL_EXPORTER_OTLP_PROTOCOL,
# else OTEL_EXPORTER, else "console"). The agent's endpoint speaks OTLP/gRPC (port 4317).
TELEMETRY_SERVICE_NAME = "ai-council-router"


def telemetry_environment(environment: str) -> dict[str, str]:
    """Plain (non-secret) variables RouterApp sets for telemetry."""
    return {"OTEL_SERVICE_NAME": TELEMETRY_SERVICE_NAME, "OTEL_ENVIRONMENT_NAME": environment, "OTEL_EXPORTER": "otlp_grpc"}
