"""Cloud-specific constants in one table: private DNS zones and built-in role names.

Only Azure public cloud is filled in. A sovereign cloud (US Gov, China) gets its
own entry here; nothing else in the project hard-codes a cloud domain suffix.
"""

from __future__ import annotations

from dataclasses import dataclass


# Private DNS zones, one row per purpose (the key the constructs use):
# purpose -> the environment file's field under network.private_dns_zone_ids (existing network).
ZONE_FILE_FIELDS = {
    "aml_api": "api_azureml_ms",
    "aml_notebooks": "notebooks_azure_net",
    "key_vault": "vaultcore_azure_net",
    "redis": "redis_azure_net",
    "postgres": "postgres_database_azure_com",
    "storage_blob": "blob_core_windows_net",
    "storage_file": "file_core_windows_net",
}


@dataclass(frozen=True)
class CloudProfile:
    name: str
    zones: dict[str, str]  # purpose -> private DNS zone name

    def zone(self, purpose: str) -> str:
        return self.zones[purpose]


AZURE_PUBLIC = CloudProfile(
    name="AzureCloud",
    zones={
        "aml_api": "privatelink.api.azureml.ms",
        "aml_notebooks": "privatelink.notebooks.azure.net",
        "key_vault": "privatelink.vaultcore.azure.net",
        # Azure Managed Redis (Microsoft.Cache/redisEnterprise, group id redisEnterprise):
        # learn.microsoft.com/azure/private-link/private-endpoint-dns, "Databases" (read 2026-11-27).
        "redis": "privatelink.redis.azure.net",
        # Azure Database for PostgreSQL flexible server (group id postgresqlServer).
        "postgres": "privatelink.postgres.database.azure.com",
        # The workspace storage account's blob and file services (group ids blob, file):
        # private-endpoint-dns, "Storage" (read 2026-11-27).
        "storage_blob": "privatelink.blob.core.windows.net",
        "storage_file": "privatelink.file.core.windows.net",
    },
)

ROLE_KEY_VAULT_SECRETS_USER = "Key Vault Secrets User"
