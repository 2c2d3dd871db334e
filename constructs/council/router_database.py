"""RouterDatabase: PostgreSQL for the router's virtual keys, budgets and spend.

LiteLLM keeps teams' virtual keys, their budgets and rate limits, and spend in a
PostgreSQL database it reaches through `DATABASE_URL`; `LITELLM_SALT_KEY` encrypts the
credentials it stores there and must never change once keys exist. Private by default:
an Azure Database for PostgreSQL flexible server with public network access disabled,
reached through a private endpoint (group id `postgresqlServer`) registered in
`privatelink.postgres.database.azure.com`, TLS required (`sslmode=require`).

The administrator password and the salt are generated (random_password) and reach the
router only as Key Vault secrets; both live in Terraform's state, like every key here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_azurerm.postgresql_flexible_server import (
    PostgresqlFlexibleServer,
    PostgresqlFlexibleServerAuthentication,
)
from cdktf_cdktf_provider_azurerm.postgresql_flexible_server_database import PostgresqlFlexibleServerDatabase
from cdktf_cdktf_provider_random.password import Password
from constructs import Construct

from council.diagnostics import DiagnosticSetting, add_diagnostic_setting
from council.errors import PropsError
from council.naming import check
from council.network import SERVICE_PORTS
from council.private_link import PrivateLink, private_endpoint_to

DATABASE_NAME = "litellm"
ADMINISTRATOR_LOGIN = "litellm"
POSTGRES_PORT = SERVICE_PORTS["postgres"]


@dataclass(frozen=True, kw_only=True)
class RouterDatabaseProps:
    name: str
    resource_group_name: str
    location: str
    # The private endpoint's subnet, DNS zone and name (CouncilNetwork.private_link).
    private_link: PrivateLink
    # Burstable 1 vCPU / 2 GiB: virtual keys and spend rows are small and few.
    sku_name: str = "B_Standard_B1ms"
    version: str = "16"
    storage_mb: int = 32768
    backup_retention_days: int = 7
    # Backups copied to the paired region: keys and spend survive a regional outage (flexible
    # server supports it on every tier, Burstable included: PSRule for Azure,
    # Azure.PostgreSQL.GeoRedundantBackup, read 2026-11-27; it can be set only at creation).
    geo_redundant_backup_enabled: bool = True
    # Where the resources' logs and metrics go (council.diagnostics); None: nowhere.
    log_analytics_workspace_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


class RouterDatabase(Construct):
    def __init__(self, scope: Construct, id: str, *, props: RouterDatabaseProps) -> None:
        super().__init__(scope, id)
        check("postgres_server", props.name, field="name")
        if not props.sku_name.startswith(("B_", "GP_", "MO_")):
            raise PropsError(self.node.path, "sku_name", props.sku_name, "a flexible server SKU such as B_Standard_B1ms or GP_Standard_D2ds_v5")
        if not 7 <= props.backup_retention_days <= 35:
            raise PropsError(self.node.path, "backup_retention_days", props.backup_retention_days, "7 to 35")
        # Letters and digits only: the password is part of DATABASE_URL and needs no escaping.
        # Azure requires characters of three of four classes (upper, lower, digit, other); without
        # minimums about 1 in 1,100 random 40-letter-and-digit strings has no digit and the server
        # create fails. The minimums force a new password in hashicorp/random, so a server already
        # created with one (which met the rule) keeps it.
        password = Password(
            self, "administrator-password", length=40, special=False, min_upper=2, min_lower=2, min_numeric=2,
            lifecycle=TerraformResourceLifecycle(ignore_changes=["min_upper", "min_lower", "min_numeric"]),
        )
        salt = Password(self, "salt-key", length=48, special=False)
        self.server = PostgresqlFlexibleServer(
            self,
            "server",
            name=props.name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            version=props.version,
            sku_name=props.sku_name,
            storage_mb=props.storage_mb,
            backup_retention_days=props.backup_retention_days,
            geo_redundant_backup_enabled=props.geo_redundant_backup_enabled,
            public_network_access_enabled=False,
            administrator_login=ADMINISTRATOR_LOGIN,
            administrator_password=password.result,
            authentication=PostgresqlFlexibleServerAuthentication(password_auth_enabled=True, active_directory_auth_enabled=False),
            # Azure picks an availability zone when none is given; do not fight it afterwards.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["zone"]),
            tags=dict(props.tags),
        )
        self.database = PostgresqlFlexibleServerDatabase(
            self, "database", name=DATABASE_NAME, server_id=self.server.id, charset="UTF8", collation="en_US.utf8"
        )
        if props.log_analytics_workspace_id:
            add_diagnostic_setting(self, "diagnostics", resource_type="Microsoft.DBforPostgreSQL/flexibleServers", target_resource_id=self.server.id,
                                   setting=DiagnosticSetting(workspace_resource_id=props.log_analytics_workspace_id))
        # A reader in the VNet can reach the service only once all of reachable_after exist.
        self.private_endpoint, self.reachable_after = private_endpoint_to(
            self,
            "private-endpoint",
            link=props.private_link,
            target_id=self.server.id,
            subresource="postgresqlServer",
            resource_group_name=props.resource_group_name,
            location=props.location,
            tags=props.tags,
        )
        self.reachable_after = (*self.reachable_after, self.database)
        self.database_url: str = (
            f"postgresql://{ADMINISTRATOR_LOGIN}:{password.result}@{self.server.fqdn}:{POSTGRES_PORT}/{DATABASE_NAME}?sslmode=require"
        )
        self.salt_key: str = salt.result
