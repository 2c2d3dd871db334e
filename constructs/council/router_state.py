"""RouterState: the state every router replica shares, on Azure Managed Redis.

LiteLLM keeps cooldowns, allowed-fails counters and rpm/tpm counters in its router cache;
with Redis configured every replica reads and writes the same ones (cooldown keys
`deployment:<id>:cooldown`, counters `<id>:<model>:rpm:<minute>`; litellm 1.108.5
router_utils/cooldown_cache.py, router_strategy/lowest_tpm_rpm_v2.py). Private by default:
public network access disabled, TLS only, reached through a private endpoint
(group id `redisEnterprise`) registered in `privatelink.redis.azure.net`.

Facts (azurerm 4.55.0 managed_redis resource and docs, read 2026-11-27): clients connect on
port 10000 with TLS (client_protocol Encrypted, the default); access keys are off by
default and are turned on here, because azurerm 4.55 cannot assign a Redis data access
policy to an identity (azurerm_managed_redis_access_policy_assignment arrives in 4.60);
clustering_policy defaults to OSSCluster, which needs a cluster-aware client --
EnterpriseCluster presents one endpoint that LiteLLM's plain redis client can use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from cdktf import Token
from cdktf_cdktf_provider_azurerm.managed_redis import ManagedRedis, ManagedRedisDefaultDatabase
from constructs import Construct

from council.diagnostics import DiagnosticSetting, add_diagnostic_setting
from council.errors import PropsError
from council.naming import check
from council.private_link import PrivateLink, private_endpoint_to



@dataclass(frozen=True, kw_only=True)
class RouterStateProps:
    name: str
    resource_group_name: str
    location: str
    # The private endpoint's subnet, DNS zone and name (CouncilNetwork.private_link).
    private_link: PrivateLink
    # Balanced_B0: 0.5 GB, 2 vCPUs, 15,000 connections -- ample for counters and cooldowns.
    sku_name: str = "Balanced_B0"
    high_availability_enabled: bool = True
    # Where the resources' logs and metrics go (council.diagnostics); None: nowhere.
    log_analytics_workspace_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


class RouterState(Construct):
    def __init__(self, scope: Construct, id: str, *, props: RouterStateProps) -> None:
        super().__init__(scope, id)
        check("managed_redis", props.name, field="name")
        if not props.sku_name.startswith(("Balanced_", "ComputeOptimized_", "MemoryOptimized_", "FlashOptimized_")):
            raise PropsError(self.node.path, "sku_name", props.sku_name, "an Azure Managed Redis SKU such as Balanced_B0")
        self.redis = ManagedRedis(
            self,
            "redis",
            name=props.name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            sku_name=props.sku_name,
            high_availability_enabled=props.high_availability_enabled,
            public_network_access="Disabled",
            default_database=ManagedRedisDefaultDatabase(
                access_keys_authentication_enabled=True,
                client_protocol="Encrypted",
                clustering_policy="EnterpriseCluster",
                eviction_policy="VolatileLRU",
            ),
            tags=dict(props.tags),
        )
        self.hostname: str = self.redis.hostname
        if props.log_analytics_workspace_id:
            # Connection logs are the database's, metrics the cluster's (catalog/diagnostics.yaml).
            add_diagnostic_setting(self, "diagnostics", resource_type="Microsoft.Cache/redisEnterprise/databases", target_resource_id=f"{self.redis.id}/databases/default",
                                   setting=DiagnosticSetting(workspace_resource_id=props.log_analytics_workspace_id, metric_categories=()))
            add_diagnostic_setting(self, "cluster-diagnostics", resource_type="Microsoft.Cache/redisEnterprise", target_resource_id=self.redis.id,
                                   setting=DiagnosticSetting(workspace_resource_id=props.log_analytics_workspace_id, log_groups=()))
        # A reader in the VNet can reach the service only once all of reachable_after exist.
        self.private_endpoint, self.reachable_after = private_endpoint_to(
            self,
            "private-endpoint",
            link=props.private_link,
            target_id=self.redis.id,
            subresource="redisEnterprise",
            resource_group_name=props.resource_group_name,
            location=props.location,
            tags=props.tags,
        )

    @property
    def port(self) -> str:
        """The database's client port (10000 on Azure Managed Redis), as Azure reports it."""
        return Token.as_string(self.redis.default_database.port)

    @property
    def access_key(self) -> str:
        """The primary access key (sensitive in Terraform): store it, never print it."""
        return self.redis.default_database.primary_access_key
