"""Cloud-specific constants in one table: private DNS zones and built-in role names.

Only Azure public cloud is filled in. A sovereign cloud (US Gov, China) gets its
own entry here; nothing else in the project hard-codes a cloud domain suffix.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CloudProfile:
    name: str
    zone_aml_api: str
    zone_aml_notebooks: str
    zone_key_vault: str
    # Azure Managed Redis (Microsoft.Cache/redisEnterprise, group id redisEnterprise):
    # learn.microsoft.com/azure/private-link/private-endpoint-dns, "Databases" (read 2026-11-27).
    zone_redis: str
    # Azure Database for PostgreSQL flexible server (group id postgresqlServer).
    zone_postgres: str


AZURE_PUBLIC = CloudProfile(
    name="AzureCloud",
    zone_aml_api="privatelink.api.azureml.ms",
    zone_aml_notebooks="privatelink.notebooks.azure.net",
    zone_key_vault="privatelink.vaultcore.azure.net",
    zone_redis="privatelink.redis.azure.net",
    zone_postgres="privatelink.postgres.database.azure.com",
)

ROLE_KEY_VAULT_SECRETS_USER = "Key Vault Secrets User"
ROLE_KEY_VAULT_SECRETS_OFFICER = "Key Vault Secrets Officer"
ROLE_AML_CONNECTION_SECRETS_READER = "Azure Machine Learning Workspace Connection Secrets Reader"
