"""Physical names: computed here and nowhere else.

Construct ids (state addresses) never depend on these values; physical names do
depend on the environment's prefix, stack name and suffix so that two councils
never collide. Each rule is Azure's published naming rule for that resource.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from council.errors import CouncilError

# resource kind -> (regex, description of the rule for the message)
RULES: dict[str, tuple[str, str]] = {
    "resource_group": (r"^[-\w.()]{1,89}[-\w()]$", "1-90 letters, digits, -_.() not ending in ."),
    "online_endpoint": (r"^[a-zA-Z][a-zA-Z0-9-]{2,31}$", "3-32 letters, digits and -, starting with a letter"),
    "online_deployment": (r"^[a-zA-Z][a-zA-Z0-9-]{2,31}$", "3-32 letters, digits and -, starting with a letter"),
    "key_vault": (r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$", "3-24 letters, digits and -, letter first, no --"),
    "storage_account": (r"^[a-z0-9]{3,24}$", "3-24 lowercase letters and digits"),
    "ml_workspace": (r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$", "3-33 letters, digits, _ and -"),
    "container_app": (r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$", "2-32 lowercase letters, digits and -, letter first"),
    "container_app_environment": (r"^[a-z][a-z0-9-]{0,58}[a-z0-9]$", "2-60 lowercase letters, digits and -"),
    "generic": (r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9_]$", "2-64 letters, digits, -_."),
}


def check(kind: str, name: str, *, field: str = "name") -> str:
    pattern, rule = RULES[kind]
    if not re.match(pattern, name):
        raise CouncilError(
            None, field, f"computed {kind.replace('_', ' ')} name {name!r} breaks Azure's rule ({rule}); "
            "shorten name_prefix, name_suffix or the member role"
        )
    return name


@dataclass(frozen=True)
class Names:
    """Every physical name of one council, from its prefix, stack and suffix."""

    prefix: str
    stack: str
    suffix: str

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
        return check("resource_group", f"rg-{self._base}")

    def vnet(self) -> str:
        return check("generic", f"vnet-{self._base}")

    def subnet(self, purpose: str) -> str:
        return check("generic", f"snet-{purpose}")

    def key_vault(self, purpose: str) -> str:
        # Key Vault names are global and at most 24 characters: compact form.
        return check("key_vault", self._global(f"kv{purpose}-", 24), field="key_vault")

    def storage_account(self) -> str:
        return check("storage_account", self._global("st", 24), field="storage_account")

    def ml_workspace(self) -> str:
        return check("ml_workspace", f"mlw-{self._base}")

    def online_endpoint(self, role: str) -> str:
        # Regional DNS label <name>.<region>.inference.ml.azure.com: unique across customers.
        return check("online_endpoint", f"{self.prefix}-{role}-{self.stack}-{self.suffix}", field=f"members.{role}")

    def online_deployment(self, role: str, instance_type: str) -> str:
        """`<role>-<sku>`: instanceType cannot change in place, so a new SKU is a new
        deployment (created before the old one is destroyed, traffic moved between)."""
        sku = re.sub(r"[^a-z0-9]", "", instance_type.lower().removeprefix("standard_"))
        return check("online_deployment", f"{role}-{sku}"[:32].rstrip("-"), field=f"members.{role}")


    def container_app(self) -> str:
        return check("container_app", f"ca-{self.prefix}-router-{self.stack}"[:32].rstrip("-"))

    def container_app_environment(self) -> str:
        return check("container_app_environment", f"cae-{self._base}")

    def log_analytics(self) -> str:
        return check("generic", f"log-{self._base}")

    def app_insights(self) -> str:
        return check("generic", f"appi-{self._base}")

    def identity(self, purpose: str) -> str:
        return check("generic", f"id-{purpose}-{self._base}")

    def private_endpoint(self, target: str) -> str:
        return check("generic", f"pe-{target}-{self._base}")

    def monitoring(self) -> str:
        """Base of budget, action group and alert names."""
        return check("generic", self._base)
