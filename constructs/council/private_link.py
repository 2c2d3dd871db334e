"""One private endpoint with its DNS zone group: the only way the council reaches PaaS."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Mapping

from cdktf_cdktf_provider_azurerm.private_endpoint import (
    PrivateEndpoint,
    PrivateEndpointPrivateDnsZoneGroup,
    PrivateEndpointPrivateServiceConnection,
)
from cdktf import ITerraformDependable
from cdktf_cdktf_provider_azurerm.private_dns_zone_virtual_network_link import PrivateDnsZoneVirtualNetworkLink
from constructs import Construct


@dataclass(frozen=True, kw_only=True)
class PrivateLink:
    """Where a service's private endpoint goes: the council's private-endpoint subnet, the
    private DNS zone it registers in, its physical name, and what a reader inside the VNet
    must wait for besides the endpoint (the zone's VNet link when the council created it)."""

    subnet_id: str
    zone_id: str
    endpoint_name: str
    network_dependencies: tuple[ITerraformDependable, ...] = ()


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


def private_endpoint_to(
    scope: Construct,
    id: str,
    *,
    link: PrivateLink,
    target_id: str,
    subresource: str,
    resource_group_name: str,
    location: str,
    tags: Mapping[str, str],
) -> tuple[PrivateEndpoint, tuple[ITerraformDependable, ...]]:
    """The private endpoint for `link`, and everything a VNet reader must wait for."""
    endpoint = private_endpoint(
        scope,
        id,
        name=link.endpoint_name,
        resource_group_name=resource_group_name,
        location=location,
        subnet_id=link.subnet_id,
        target_id=target_id,
        subresource=subresource,
        zone_ids=[link.zone_id],
        tags=tags,
    )
    return endpoint, (endpoint, *link.network_dependencies)


def link_zone_to_vnets(scope: Construct, id: str, *, zone_name: str, vnet_ids: tuple[str, ...], resource_group_name: str,
                       tags: Mapping[str, str]) -> None:
    """Link a private DNS zone to more VNets (operators' networks), so machines there resolve its
    names. Each link's construct id and name follow its VNet, not its place in the list."""
    for vnet_id in vnet_ids:
        tag = hashlib.sha1(vnet_id.lower().encode()).hexdigest()[:8]
        PrivateDnsZoneVirtualNetworkLink(
            scope, f"{id}-{tag}", name=f"link-{id}-{tag}", resource_group_name=resource_group_name,
            private_dns_zone_name=zone_name, virtual_network_id=vnet_id, registration_enabled=False, tags=dict(tags),
        )
