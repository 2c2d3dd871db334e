"""Physical names: computed here and nowhere else.

Construct ids (state addresses) never depend on these values; physical names do
depend on the environment's prefix, stack name and suffix so that two councils
never collide. Each rule is Azure's published naming rule for that resource.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from council.errors import CouncilError

if TYPE_CHECKING:
    from council.config import Environment

# resource kind -> (regex, description of the rule for the message)
RULES: dict[str, tuple[str, str]] = {
    "resource_group": (r"^[-\w.()]{0,89}[-\w()]$", "1-90 letters, digits, -_.() not ending in ."),
    "online_endpoint": (r"^[a-zA-Z][a-zA-Z0-9-]{2,31}$", "3-32 letters, digits and -, starting with a letter"),
    "online_deployment": (r"^[a-zA-Z][a-zA-Z0-9-]{2,31}$", "3-32 letters, digits and -, starting with a letter"),
    "key_vault": (r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$", "3-24 letters, digits and -, letter first, no --"),
    "storage_account": (r"^[a-z0-9]{3,24}$", "3-24 lowercase letters and digits"),
    "container_registry": (r"^[a-zA-Z0-9]{5,50}$", "5-50 letters and digits"),
    # <name>.postgres.database.azure.com: 3-63 lowercase letters, digits and -.
    "postgres_server": (r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$", "3-63 lowercase letters, digits and -, no --"),
    # <name>.<region>.redis.azure.net: 1-60 letters, digits and -, letter first, no --.
    "managed_redis": (r"^[a-zA-Z]((?!.*--)[a-zA-Z0-9-]{0,58}[a-zA-Z0-9])?$", "1-60 letters, digits and -, letter first, no --"),
    "ml_workspace": (r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$", "3-33 letters, digits, _ and -"),
    # Container Apps: "lower case alphanumeric characters or '-', start with an alphabetic
    # character, and end with an alphanumeric character and cannot have '--'".
    "container_app": (r"^[a-z](?!.*--)[a-z0-9-]{0,30}[a-z0-9]$", "2-32 lowercase letters, digits and -, letter first, no --"),
    "container_app_environment": (r"^[a-z](?!.*--)[a-z0-9-]{0,58}[a-z0-9]$", "2-60 lowercase letters, digits and -, no --"),
    "generic": (r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9_]$", "2-64 letters, digits, -_."),
}


# When no name_suffix is given, the suffix is the first SUFFIX_LENGTH hex digits of the
# SHA-1 of the (lowercased) subscription id: two teams deploying the same file into
# different subscriptions get different global names, and nobody edits a file. Terraform
# computes the same value at plan from the provider's subscription when the environment
# file does not name one (`substr(sha1(lower(<subscription id>)), 0, 6)`).
SUFFIX_LENGTH = 6
# Stands for that not-yet-known suffix in validation and in `council describe`: the same
# length and alphabet as the real suffix, so every name-length check stays exact.
PENDING_SUFFIX = "x" * SUFFIX_LENGTH


def subscription_suffix(subscription_id: str) -> str:
    return hashlib.sha1(subscription_id.lower().encode()).hexdigest()[:SUFFIX_LENGTH]


def is_token(value: str) -> bool:
    """A value Terraform computes at plan (`${...}`): it cannot be checked at synth."""
    return "${" in value


def names_for(env: "Environment", stack: str, *, suffix_token: str | None = None) -> "Names":
    """The names of environment `env` deployed as stack `stack`."""
    return Names.of(prefix=env.name_prefix, stack=stack, name_suffix=env.name_suffix, subscription_id=env.subscription_id, suffix_token=suffix_token)


def check(kind: str, name: str, *, field: str = "name") -> str:
    if is_token(name):
        return name  # computed at plan; Names checks its form with PENDING_SUFFIX instead
    pattern, rule = RULES[kind]
    if not re.match(pattern, name):
        raise CouncilError(
            None, field, f"computed {kind.replace('_', ' ')} name {name!r} breaks Azure's rule ({rule}); "
            "shorten name_prefix, name_suffix or the member role"
        )
    return name


@dataclass(frozen=True)
class Names:
    """Every physical name of one council, from its prefix, stack and suffix.

    `suffix` is always a literal (the environment's name_suffix, the subscription-derived
    suffix, or PENDING_SUFFIX); every rule is checked on it. `suffix_token`, when given,
    is the Terraform expression that replaces PENDING_SUFFIX in the names emitted.
    Every name that holds the suffix ends with it.
    """

    prefix: str
    stack: str
    suffix: str
    suffix_token: str | None = None

    @classmethod
    def of(cls, *, prefix: str, stack: str, name_suffix: str | None, subscription_id: str | None, suffix_token: str | None = None) -> "Names":
        """The names of one environment: an explicit name_suffix wins, then a suffix derived
        from a known subscription id, else one Terraform derives at plan (`suffix_token`)."""
        if name_suffix:
            return cls(prefix=prefix, stack=stack, suffix=name_suffix)
        if subscription_id:
            return cls(prefix=prefix, stack=stack, suffix=subscription_suffix(subscription_id))
        return cls(prefix=prefix, stack=stack, suffix=PENDING_SUFFIX, suffix_token=suffix_token)

    def _emit(self, name: str) -> str:
        """The checked name as Terraform gets it: the pending suffix becomes its expression."""
        if self.suffix_token is not None and name.endswith(PENDING_SUFFIX):
            return name[: -len(PENDING_SUFFIX)] + self.suffix_token
        return name

    @property
    def _base(self) -> str:
        return f"{self.prefix}-{self.stack}-{self.suffix}"

    def _global(self, head: str, limit: int) -> str:
        """`head` + prefix + stack, cut to fit, then the full suffix: when a globally
        unique name must be shortened, the suffix (the part that makes it ours) stays."""
        middle = re.sub(r"[^a-z0-9]", "", f"{self.prefix}{self.stack}".lower())
        suffix = re.sub(r"[^a-z0-9]", "", self.suffix.lower())
        return f"{head}{middle}"[: limit - len(suffix)] + suffix

    def resource_group(self) -> str:
        return self._emit(check("resource_group", f"rg-{self._base}"))

    def vnet(self) -> str:
        return self._emit(check("generic", f"vnet-{self._base}"))

    def subnet(self, purpose: str) -> str:
        return check("generic", f"snet-{purpose}")

    def key_vault(self, purpose: str) -> str:
        # Key Vault names are global and at most 24 characters: compact form.
        return self._emit(check("key_vault", self._global(f"kv{purpose}-", 24), field="key_vault"))

    def storage_account(self) -> str:
        return self._emit(check("storage_account", self._global("st", 24), field="storage_account"))

    def container_registry(self) -> str:
        return self._emit(check("container_registry", self._global("cr", 50), field="container_registry"))

    def postgres_server(self) -> str:
        return self._emit(check("postgres_server", f"psql-{self._base}", field="name_prefix"))

    def managed_redis(self) -> str:
        return self._emit(check("managed_redis", f"redis-{self._base}", field="name_prefix"))

    def ml_workspace(self) -> str:
        return self._emit(check("ml_workspace", f"mlw-{self._base}"))

    def online_endpoint(self, role: str) -> str:
        # Regional DNS label <name>.<region>.inference.ml.azure.com: unique across customers.
        return self._emit(check("online_endpoint", f"{self.prefix}-{role}-{self.stack}-{self.suffix}", field=f"members.{role}"))

    def online_deployment(self, role: str, instance_type: str, slot: str = "blue") -> str:
        """`<role>-<sku>`, and `<role>-<sku>-g` in the green slot: instanceType cannot change in
        place, so a new SKU is a new deployment (created before the old one is destroyed, traffic
        moved between); the slot keeps a staged change (README "Roll out a change") apart from the
        live deployment when both run the same SKU."""
        sku = re.sub(r"[^a-z0-9]", "", instance_type.lower().removeprefix("standard_"))
        suffix = "" if slot == "blue" else "-g"
        return check("online_deployment", f"{role}-{sku}"[:32 - len(suffix)].rstrip("-") + suffix, field=f"members.{role}")

    def container_app(self) -> str:
        return check("container_app", f"ca-{self.prefix}-router-{self.stack}"[:32].rstrip("-"))

    def smoke_job(self) -> str:
        """The post-deploy check's Container Apps job (same name rules as a container app)."""
        return check("container_app", f"caj-{self.prefix}-smoke-{self.stack}"[:32].rstrip("-"))

    def container_app_environment(self) -> str:
        return self._emit(check("container_app_environment", f"cae-{self._base}"))

    def log_analytics(self) -> str:
        return self._emit(check("generic", f"log-{self._base}"))

    def app_insights(self) -> str:
        return self._emit(check("generic", f"appi-{self._base}"))

    def identity(self, purpose: str) -> str:
        return self._emit(check("generic", f"id-{purpose}-{self._base}"))

    def private_endpoint(self, target: str) -> str:
        return self._emit(check("generic", f"pe-{target}-{self._base}"))

    def monitoring(self) -> str:
        """Base of budget, action group and alert names."""
        return self._emit(check("generic", self._base))
