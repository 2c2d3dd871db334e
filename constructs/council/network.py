"""CouncilNetwork: the private network the council lives in.

Either creates a VNet with two subnets (apps: delegated to Container Apps
workload-profiles environments; private endpoints) and the private DNS zones the
council needs, linked to the VNet -- or adopts a landing zone's existing subnets
and zones by id. Everyone else reads subnet and zone ids from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from cdktf import ITerraformDependable, Token
from cdktf_cdktf_provider_azurerm.network_security_group import NetworkSecurityGroup
from cdktf_cdktf_provider_azurerm.network_security_rule import NetworkSecurityRule
from cdktf_cdktf_provider_azurerm.private_dns_zone import PrivateDnsZone
from cdktf_cdktf_provider_azurerm.private_dns_zone_virtual_network_link import PrivateDnsZoneVirtualNetworkLink
from cdktf_cdktf_provider_azurerm.subnet import Subnet, SubnetDelegation, SubnetDelegationServiceDelegation
from cdktf_cdktf_provider_azurerm.subnet_network_security_group_association import (
    SubnetNetworkSecurityGroupAssociation,
)
from cdktf_cdktf_provider_azurerm.virtual_network import VirtualNetwork
from cdktf_cdktf_provider_time.sleep import Sleep
from constructs import Construct

from council.azapi import AzapiRead
from council.cloud import AZURE_PUBLIC, CloudProfile
from council.errors import PropsError
from council.policy import APPS_SUBNET_RELEASE_WAIT, subnets_problem
from council.private_link import PrivateLink, link_zone_to_vnets

# Zone purposes every council needs; values are looked up in the CloudProfile.
ZONE_PURPOSES = ("aml_api", "aml_notebooks", "key_vault")


@dataclass(frozen=True, kw_only=True)
class NewNetworkProps:
    resource_group_name: str
    location: str
    vnet_name: str
    apps_subnet_name: str
    private_endpoints_subnet_name: str
    address_space: str
    apps_subnet_cidr: str
    private_endpoints_subnet_cidr: str
    # Workload-profiles Container Apps environments need the apps subnet delegated;
    # consumption-only ones need it undelegated.
    delegate_apps_subnet: bool = True
    # TCP ports the apps subnet may reach on the private endpoints (Key Vault and Azure ML
    # 443, Redis 10000, PostgreSQL 5432): nothing else may reach them.
    private_endpoint_ports: tuple[int, ...] = (443,)
    # Operators' machines: source CIDRs admitted on 443 to the private endpoints, and VNets every
    # private DNS zone of this network is also linked to (config.CreateNetwork).
    operator_cidrs: tuple[str, ...] = ()
    operator_vnet_ids: tuple[str, ...] = ()
    cloud: CloudProfile = AZURE_PUBLIC
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ExistingNetworkProps:
    apps_subnet_id: str
    private_endpoints_subnet_id: str
    # What the Container Apps environment needs of the landing zone's apps subnet, checked at
    # plan (the subnet is read; a wrong one stops the plan before anything is created): delegated
    # to Microsoft.App/environments (workload profiles), and at least this large.
    apps_subnet_delegated: bool = True
    apps_subnet_max_prefix: int = 27
    # purpose (ZONE_PURPOSES) -> private DNS zone resource id
    private_dns_zone_ids: Mapping[str, str]
    # A zone the landing zone does not give (the optional ones: storage, Redis, PostgreSQL) is
    # created in this group, named from `cloud`, and linked to the VNet, when a private link
    # needs it; None: every zone a link needs must be given.
    zone_resource_group_name: str | None = None
    cloud: CloudProfile = AZURE_PUBLIC
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NsgRule:
    subnet: str  # "apps" or "private-endpoints"
    name: str
    priority: int
    access: str
    protocol: str
    source: str | tuple[str, ...]  # a prefix or service tag, or several prefixes
    destination: str
    ports: tuple[str, ...]
    why: str


# Client ports of the services behind the council's private endpoints: Key Vault and Azure ML
# (HTTPS), Azure Managed Redis (10000, TLS; see router_state) and PostgreSQL flexible server.
HTTPS_PORT = 443
SERVICE_PORTS = {"redis": 10000, "postgres": 5432}


def nsg_rules(apps_cidr: str, endpoints_cidr: str, endpoint_ports: tuple[int, ...], operator_cidrs: tuple[str, ...] = ()) -> list[NsgRule]:
    """Inbound rules of both subnets. The apps subnet's follow Microsoft's table for an
    internal workload-profiles Container Apps environment (learn.microsoft.com/azure/
    container-apps/firewall-integration, "Inbound", ms.date 2026-04-01): clients to 80/31080
    and 443/31443, Azure Load Balancer probes to 30000-32767; plus the environment's own
    traffic inside its subnet, and no inbound from the internet. The private endpoints may
    be reached only from the apps subnet, on the ports of the services behind them, and from
    the operators' networks on 443 (Key Vault, Azure ML, storage), when the file names them.
    Outbound stays open: the router's image comes from ghcr.io, which no service tag covers."""
    ports = tuple(str(p) for p in sorted(set(endpoint_ports)))
    return [
        NsgRule("apps", "allow-vnet-clients", 100, "Allow", "Tcp", "VirtualNetwork", apps_cidr, ("80", "443", "31080", "31443"),
                "clients in the network reach the router's internal ingress"),
        NsgRule("apps", "allow-load-balancer-probes", 110, "Allow", "Tcp", "AzureLoadBalancer", apps_cidr, ("30000-32767",),
                "Azure Load Balancer probes the environment's backend pools"),
        NsgRule("apps", "allow-environment-internal", 120, "Allow", "*", apps_cidr, apps_cidr, ("*",),
                "the Container Apps environment's own traffic inside its subnet"),
        NsgRule("apps", "deny-internet", 4000, "Deny", "*", "Internet", "*", ("*",), "nothing inbound from the internet"),
        NsgRule("private-endpoints", "allow-apps-to-services", 100, "Allow", "Tcp", apps_cidr, endpoints_cidr, ports,
                "the router reaches Key Vault, Azure ML, Redis and PostgreSQL through their private endpoints"),
        *([NsgRule("private-endpoints", "allow-operators-https", 110, "Allow", "Tcp", tuple(operator_cidrs), endpoints_cidr,
                   (str(HTTPS_PORT),), "operators reach the Key Vaults, the ML workspace and its storage (network.operator_cidrs)")]
          if operator_cidrs else []),
        NsgRule("private-endpoints", "deny-everything-else", 4096, "Deny", "*", "*", "*", ("*",),
                "nothing else reaches the private endpoints"),
    ]


class CouncilNetwork(Construct):
    """Subnets and private DNS zones for the council (created or adopted)."""

    apps_subnet_id: str
    private_endpoints_subnet_id: str
    vnet_id: str

    def __init__(self, scope: Construct, id: str, *, props: NewNetworkProps | ExistingNetworkProps) -> None:
        super().__init__(scope, id)
        self._zone_ids: dict[str, str] = {}
        self._zone_links: dict[str, ITerraformDependable] = {}
        # Where zones this network still lacks are created, and under what names.
        self._cloud = props.cloud
        self._zone_group = props.zone_resource_group_name if isinstance(props, ExistingNetworkProps) else props.resource_group_name
        self._tags = dict(props.tags)
        # A landing zone links its own zones to whatever it wants; a created network links its
        # zones to the operators' VNets too.
        self._operator_vnet_ids = () if isinstance(props, ExistingNetworkProps) else props.operator_vnet_ids
        if isinstance(props, ExistingNetworkProps):
            self._adopt(props)
        else:
            self._create(props)

    def _adopt(self, props: ExistingNetworkProps) -> None:
        missing = [p for p in ZONE_PURPOSES if p not in props.private_dns_zone_ids]
        if missing:
            raise PropsError(self.node.path, "private_dns_zone_ids", sorted(props.private_dns_zone_ids), f"ids for {missing}")
        output = "self.output.properties"
        prefix = f"tonumber(split(\"/\", try({output}.addressPrefix, {output}.addressPrefixes[0]))[1])"
        checks = [(f"${{{prefix} <= {props.apps_subnet_max_prefix}}}",
                   f"network.apps_subnet_id: the landing zone's apps subnet is smaller than the /{props.apps_subnet_max_prefix} "
                   "its Container Apps environment needs; give a larger subnet")]
        if props.apps_subnet_delegated:
            checks.append((
                f"${{contains([for d in try({output}.delegations, []) : d.properties.serviceName], \"Microsoft.App/environments\")}}",
                "network.apps_subnet_id: the landing zone's apps subnet is not delegated to Microsoft.App/environments, which a "
                "workload-profiles Container Apps environment needs; add the delegation to the subnet"))
        subnet = AzapiRead(self, "apps-subnet", kind="subnet", resource_id=props.apps_subnet_id,
                           response_export_values=["properties.addressPrefix", "properties.addressPrefixes", "properties.delegations"],
                           postconditions=checks)
        self.apps_subnet_check = subnet
        self.apps_subnet_id = subnet.id  # whatever goes into the subnet waits for its check
        self.private_endpoints_subnet_id = props.private_endpoints_subnet_id
        # The VNet is the subnet id's parent; needed to link zones the council creates itself.
        self.vnet_id = props.apps_subnet_id.rsplit("/subnets/", 1)[0]
        self._zone_ids.update(props.private_dns_zone_ids)

    def _create(self, props: NewNetworkProps) -> None:
        subnets = {"apps_subnet_cidr": props.apps_subnet_cidr, "private_endpoints_subnet_cidr": props.private_endpoints_subnet_cidr}
        problem = subnets_problem(props.address_space, subnets)
        if problem:
            raise PropsError(self.node.path, "subnets", subnets, f"subnets inside address_space that do not overlap ({problem})")
        vnet = VirtualNetwork(
            self,
            "vnet",
            name=props.vnet_name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            address_space=[props.address_space],
            tags=dict(props.tags),
        )
        apps = Subnet(
            self,
            "apps-subnet",
            name=props.apps_subnet_name,
            resource_group_name=props.resource_group_name,
            virtual_network_name=vnet.name,
            address_prefixes=[props.apps_subnet_cidr],
            delegation=[
                SubnetDelegation(
                    name="container-apps",
                    service_delegation=SubnetDelegationServiceDelegation(
                        name="Microsoft.App/environments",
                        actions=["Microsoft.Network/virtualNetworks/subnets/join/action"],
                    ),
                )
            ]
            if props.delegate_apps_subnet
            else None,
        )
        endpoints = Subnet(
            self,
            "private-endpoints-subnet",
            name=props.private_endpoints_subnet_name,
            resource_group_name=props.resource_group_name,
            virtual_network_name=vnet.name,
            address_prefixes=[props.private_endpoints_subnet_cidr],
            private_endpoint_network_policies="Enabled",
        )
        # Every subnet gets an NSG whose rules say which flows the council needs.
        nsgs = {}
        for purpose, subnet in (("apps", apps), ("private-endpoints", endpoints)):
            nsg = NetworkSecurityGroup(
                self,
                f"{purpose}-nsg",
                name=f"nsg-{purpose}-{props.vnet_name}",
                resource_group_name=props.resource_group_name,
                location=props.location,
                tags=dict(props.tags),
            )
            SubnetNetworkSecurityGroupAssociation(
                self, f"{purpose}-nsg-association", subnet_id=subnet.id, network_security_group_id=nsg.id
            )
            nsgs[purpose] = nsg
        for rule in nsg_rules(props.apps_subnet_cidr, props.private_endpoints_subnet_cidr, props.private_endpoint_ports,
                              props.operator_cidrs):
            several = isinstance(rule.source, tuple)
            NetworkSecurityRule(
                self, f"{rule.subnet}-nsg-{rule.name}", resource_group_name=props.resource_group_name,
                network_security_group_name=nsgs[rule.subnet].name, name=rule.name, priority=rule.priority, direction="Inbound",
                access=rule.access, protocol=rule.protocol, source_address_prefix=None if several else rule.source,
                source_address_prefixes=list(rule.source) if several else None, source_port_range="*",
                destination_address_prefix=rule.destination,
                destination_port_range=rule.ports[0] if len(rule.ports) == 1 else None,
                destination_port_ranges=list(rule.ports) if len(rule.ports) > 1 else None,
                description=rule.why,
            )
        # Destroy: Azure keeps the Container Apps environment's service association link
        # (legionservicelink) on the delegated subnet for a while after the environment is deleted,
        # and deleting the subnet fails meanwhile (InUseSubnetCannotBeDeleted; azurerm does not
        # retry). Whatever is placed in the subnet takes its id through this sleep, so destroy
        # deletes the environment, waits, then the subnet (policy.APPS_SUBNET_RELEASE_WAIT).
        release = Sleep(self, "apps-subnet-release", destroy_duration=APPS_SUBNET_RELEASE_WAIT, triggers={"subnet_id": apps.id})
        self.apps_subnet_release = release
        self.vnet_id = vnet.id
        self.apps_subnet_id = Token.as_string(release.interpolation_for_attribute("triggers.subnet_id"))
        self.private_endpoints_subnet_id = endpoints.id
        for purpose in ZONE_PURPOSES:
            zone_name = props.cloud.zone(purpose)
            self._zone_ids[purpose] = self.add_private_zone(
                purpose, zone_name, resource_group_name=props.resource_group_name, tags=props.tags
            )

    def add_private_zone(
        self, purpose: str, zone_name: str, *, resource_group_name: str, tags: Mapping[str, str] = {}
    ) -> str:
        """Create a private DNS zone linked to this network's VNet; returns its id."""
        zone = PrivateDnsZone(
            self, f"zone-{purpose}", name=zone_name, resource_group_name=resource_group_name, tags=dict(tags)
        )
        self._zone_links[purpose] = PrivateDnsZoneVirtualNetworkLink(
            self,
            f"zone-{purpose}-link",
            name=f"link-{purpose.replace('_', '-')}",
            resource_group_name=resource_group_name,
            private_dns_zone_name=zone.name,
            virtual_network_id=self.vnet_id,
            registration_enabled=False,
            tags=dict(tags),
        )
        # Operators' VNets resolve the zone too.
        link_zone_to_vnets(self, f"zone-{purpose.replace('_', '-')}-operators", zone_name=zone.name, vnet_ids=self._operator_vnet_ids,
                           resource_group_name=resource_group_name, tags=tags)
        self._zone_ids[purpose] = zone.id
        return zone.id

    def zone_ready(self, purpose: str) -> tuple[ITerraformDependable, ...]:
        """What must exist before the VNet resolves names in the zone for `purpose`: the
        zone's VNet link when this network created it; nothing for an adopted zone (the
        landing zone links its zones)."""
        self.zone_id(purpose)  # validates the purpose
        link = self._zone_links.get(purpose)
        return (link,) if link is not None else ()

    def private_link(self, purpose: str, *, endpoint_name: str) -> PrivateLink:
        """Where a private endpoint for `purpose` (a zone purpose of the cloud profile) goes. A zone
        this network lacks (neither created nor given by the landing zone) is created and linked."""
        if purpose not in self._zone_ids:
            if purpose not in self._cloud.zones:
                raise PropsError(self.node.path, "purpose", purpose, f"one of {sorted(self._cloud.zones)}")
            if self._zone_group is None:
                raise PropsError(self.node.path, "zone_resource_group_name", None,
                                 f"a resource group to create the missing {purpose} zone in, or its id in private_dns_zone_ids")
            self.add_private_zone(purpose, self._cloud.zone(purpose), resource_group_name=self._zone_group, tags=self._tags)
        return PrivateLink(
            subnet_id=self.private_endpoints_subnet_id,
            zone_id=self.zone_id(purpose),
            endpoint_name=endpoint_name,
            network_dependencies=self.zone_ready(purpose),
        )

    def zone_id(self, purpose: str) -> str:
        """The private DNS zone id for a purpose in ZONE_PURPOSES."""
        if purpose not in self._zone_ids:
            raise PropsError(self.node.path, "purpose", purpose, f"one of {sorted(self._zone_ids)}")
        return self._zone_ids[purpose]
