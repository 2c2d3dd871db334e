"""One private endpoint with its DNS zone group: the only way the council reaches PaaS."""

from __future__ import annotations

from typing import Mapping

from cdktf_cdktf_provider_azurerm.private_endpoint import (
    PrivateEndpoint,
    PrivateEndpointPrivateDnsZoneGroup,
    PrivateEndpointPrivateServiceConnection,
)
from constructs import Construct


def private_endpoint(
    scope: Construct,
    id: str,
    *,
    name: str,
    resource_group_name: str,
    location: str,
    subnet_id: str,
    target_id: str,
    subresource: str,
    zone_ids: list[str],
    tags: Mapping[str, str],
) -> PrivateEndpoint:
    """A private endpoint to `target_id`'s `subresource`, registering its A records in `zone_ids`."""
    return PrivateEndpoint(
        scope,
        id,
        name=name,
        resource_group_name=resource_group_name,
        location=location,
        subnet_id=subnet_id,
        private_service_connection=PrivateEndpointPrivateServiceConnection(
            name=f"{name}-connection",
            private_connection_resource_id=target_id,
            subresource_names=[subresource],
            is_manual_connection=False,
        ),
        private_dns_zone_group=PrivateEndpointPrivateDnsZoneGroup(name="default", private_dns_zone_ids=zone_ids),
        tags=dict(tags),
    )
