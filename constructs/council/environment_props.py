"""From an environment file to construct props: pure functions, no construct is made here.

Each function takes the validated `Environment` (or one member), the computed physical
`Names`, and the references the props need from constructs built before (ids, bundles,
dependables), and returns frozen props. CouncilStack calls them in order and only
composes; a change to how a setting reaches a construct is made here, and can be
tested without building a tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from cdktf import ITerraformDependable

from council.catalog import Catalog, registry_replica
from council.cloud import AZURE_PUBLIC, ZONE_FILE_FIELDS
from council.config import CreateNetwork, Environment, Member, keys_version
from council.egress import required_fqdns
from council.member_endpoint import CouncilMemberEndpointProps, StagedDeployment
from council.monitoring import CouncilMonitoringProps, MonitoredMember
from council.naming import Names
from council.network import HTTPS_PORT, SERVICE_PORTS, ExistingNetworkProps, NewNetworkProps
from council.private_link import PrivateLink
from council.router_app import RouterAppProps
from council.router_contract import telemetry_environment
from council.router_database import RouterDatabaseProps
from council.router_state import RouterStateProps
from council.policy import APPS_SUBNET_MAX_PREFIX, ROUTER_TIME_BUDGET_SECONDS, Schedule
from council.secret_bundle import BundleSecret, SecretBundle, SecretBundleProps
from council.sizing import router_concurrent_requests
from council.smoke_job import SmokeJobProps
from council.workspace import CouncilWorkspaceProps


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Where every resource of one environment goes."""

    resource_group_name: str
    location: str
    tags: Mapping[str, str]
    # The group's ARM id: the parent of what azapi creates directly in it.
    resource_group_id: str


def tags_for(env: Environment, stack: str) -> dict[str, str]:
    return {"workload": "ai-council", "environment": stack, **env.tags}


def network_props(env: Environment, names: Names, at: Placement) -> NewNetworkProps | ExistingNetworkProps:
    if isinstance(env.network, CreateNetwork):
        return NewNetworkProps(
            resource_group_name=at.resource_group_name,
            location=at.location,
            vnet_name=names.vnet(),
            apps_subnet_name=names.subnet("apps"),
            private_endpoints_subnet_name=names.subnet("private-endpoints"),
            address_space=env.network.address_space,
            apps_subnet_cidr=env.network.apps_subnet,
            private_endpoints_subnet_cidr=env.network.private_endpoints_subnet,
            delegate_apps_subnet=env.router.environment_type == "workload-profiles",
            # Key Vault and Azure ML (443), and the router's own services when it has them.
            private_endpoint_ports=(HTTPS_PORT, *(SERVICE_PORTS[service] for service in env.router.private_services)),
            operator_cidrs=env.network.operator_cidrs,
            operator_vnet_ids=env.network.operator_vnet_ids,
            cloud=AZURE_PUBLIC,
            tags=at.tags,
        )
    zones = env.network.private_dns_zone_ids
    return ExistingNetworkProps(
        apps_subnet_id=env.network.apps_subnet_id,
        private_endpoints_subnet_id=env.network.private_endpoints_subnet_id,
        apps_subnet_delegated=env.router.environment_type == "workload-profiles",
        apps_subnet_max_prefix=APPS_SUBNET_MAX_PREFIX[env.router.environment_type],
        private_dns_zone_ids={
            purpose: getattr(zones, field) for purpose, field in ZONE_FILE_FIELDS.items() if getattr(zones, field) is not None
        },
        # Zones the landing zone does not give are created in the council's own group, when the
        # file says so (network.create_missing_zones); otherwise every zone must be given.
        zone_resource_group_name=at.resource_group_name if env.network.create_missing_zones else None,
        cloud=AZURE_PUBLIC,
        tags=at.tags,
    )


def bundle_props(
    names: Names, at: Placement, *, purpose: str, tenant_id: str, private_link: PrivateLink, log_analytics_workspace_id: str
) -> SecretBundleProps:
    return SecretBundleProps(
        log_analytics_workspace_id=log_analytics_workspace_id,
        name=names.key_vault(purpose),
        resource_group_name=at.resource_group_name,
        location=at.location,
        tenant_id=tenant_id,
        private_link=private_link,
        tags=at.tags,
    )


def workspace_props(
    env: Environment,
    names: Names,
    at: Placement,
    *,
    catalog: Catalog,
    log_analytics_workspace_id: str,
    key_vault_id: str,
    private_endpoints_subnet_id: str,
    api_zone_id: str,
    notebooks_zone_id: str,
    storage_private_links: tuple[tuple[str, PrivateLink], ...] = (),
) -> CouncilWorkspaceProps:
    """The workspace from the file: its egress (the hosts the members pull from), firewall SKU
    and registry replica (the file's region, or the location's pair; zone-redundant where that
    region has zones)."""
    replica = registry_replica(catalog, env.location, env.workspace.registry_replica)
    return CouncilWorkspaceProps(
        name=names.ml_workspace(),
        resource_group_name=at.resource_group_name,
        resource_group_id=at.resource_group_id,
        location=at.location,
        storage_account_name=names.storage_account(),
        container_registry_name=names.container_registry(),
        app_insights_name=names.app_insights(),
        log_analytics_workspace_id=log_analytics_workspace_id,
        key_vault_id=key_vault_id,
        private_endpoints_subnet_id=private_endpoints_subnet_id,
        private_endpoint_name=names.private_endpoint("mlw"),
        api_zone_id=api_zone_id,
        notebooks_zone_id=notebooks_zone_id,
        outbound_fqdns=required_fqdns(env, catalog),
        firewall_sku=env.workspace.firewall_sku,
        registry_replica_location=replica,
        registry_replica_zone_redundant=replica in catalog.zonal_regions,
        storage_private_links=storage_private_links,
        tags=at.tags,
    )


def member_props(
    member: Member,
    names: Names,
    at: Placement,
    *,
    workspace_id: str,
    log_analytics_workspace_id: str,
    secrets: SecretBundle,
    token_reference: str | None,
    token_ready: tuple[ITerraformDependable, ...],
    egress_ready: tuple[ITerraformDependable, ...],
    key_slot: str = "primary",
    schedule: Schedule | None = None,
) -> CouncilMemberEndpointProps:
    staged = member.staged()
    needs_token = any(d.model.needs_token for d in member.deployments())
    return CouncilMemberEndpointProps(
        role=member.role,
        endpoint_name=names.online_endpoint(member.role),
        deployment_name=names.online_deployment(member.role, member.sku, member.slot),
        slot=member.slot,
        staged=None if staged is None else StagedDeployment(
            deployment_name=names.online_deployment(staged.role, staged.sku, staged.slot),
            model=staged.model,
            instance_type=staged.sku,
            instances=staged.instances,
            autoscale=staged.autoscale,
            request_timeout_seconds=staged.request_timeout_seconds,
            max_concurrent_requests_per_instance=staged.max_concurrent_requests_per_instance,
            traffic_percent=member.rollout.traffic_percent,
            mirror_percent=member.rollout.mirror_percent,
        ),
        workspace_id=workspace_id,
        log_analytics_workspace_id=log_analytics_workspace_id,
        resource_group_name=at.resource_group_name,
        location=at.location,
        model=member.model,
        instance_type=member.sku,
        secrets=secrets,
        description=f"{member.display_name}: {member.description}",
        instances=member.instances,
        autoscale=member.autoscale,
        schedule=schedule,
        request_timeout_seconds=member.request_timeout_seconds,
        max_concurrent_requests_per_instance=member.max_concurrent_requests_per_instance,
        tags=at.tags,
        token_reference=token_reference if needs_token else None,
        key_slot=key_slot,
        deployment_depends_on=token_ready if needs_token else (),
        egress_ready=egress_ready,
    )


def router_state_props(names: Names, at: Placement, *, private_link: PrivateLink, log_analytics_workspace_id: str) -> RouterStateProps:
    return RouterStateProps(
        name=names.managed_redis(), resource_group_name=at.resource_group_name, location=at.location, private_link=private_link,
        log_analytics_workspace_id=log_analytics_workspace_id, tags=at.tags,
    )


def router_database_props(
    env: Environment, names: Names, at: Placement, *, private_link: PrivateLink, log_analytics_workspace_id: str
) -> RouterDatabaseProps:
    return RouterDatabaseProps(
        log_analytics_workspace_id=log_analytics_workspace_id,
        name=names.postgres_server(),
        resource_group_name=at.resource_group_name,
        location=at.location,
        private_link=private_link,
        sku_name=env.router.database_sku,
        tags=at.tags,
    )


def router_props(
    env: Environment,
    names: Names,
    at: Placement,
    *,
    apps_subnet_id: str,
    vnet_id: str,
    log_analytics_workspace_id: str,
    secrets: SecretBundle,
    config_yaml: str,
    hooks_py: str,
    secret_env: Mapping[str, BundleSecret],
    plain_env: Mapping[str, str],
    waits_for: tuple[ITerraformDependable, ...],
    app_insights_connection_string: str,
    stack: str,
    catalog: Catalog,
) -> RouterAppProps:
    router = env.router
    return RouterAppProps(
        app_name=names.container_app(),
        environment_name=names.container_app_environment(),
        identity_name=names.identity("router"),
        resource_group_name=at.resource_group_name,
        location=at.location,
        apps_subnet_id=apps_subnet_id,
        vnet_id=vnet_id,
        resolver_vnet_ids=env.network.operator_vnet_ids if isinstance(env.network, CreateNetwork) else (),
        log_analytics_workspace_id=log_analytics_workspace_id,
        secrets=secrets,
        config_yaml=config_yaml,
        hooks_py=hooks_py,
        secret_env=secret_env,
        plain_env={**plain_env, **telemetry_environment(stack)},
        waits_for=waits_for,
        app_insights_connection_string=app_insights_connection_string,
        master_key_version=env.keys.master_key_version,
        # A new value rolls a new revision, which reads the Key Vault references again.
        keys_version=keys_version(env.members, env.keys),
        image=router.image,
        log_level=router.log_level,
        min_replicas=router.min_replicas,
        max_replicas=router.max_replicas,
        cpu=router.cpu,
        memory=router.memory,
        concurrent_requests=router_concurrent_requests(env, catalog),
        external_ingress=router.external_ingress,
        workload_profiles=router.environment_type == "workload-profiles",
        tags=at.tags,
    )


def smoke_job_props(
    env: Environment, names: Names, at: Placement, *, environment_id: str, identity_id: str, secrets: SecretBundle,
    master_key: BundleSecret, router_url: str, waits_for: tuple[ITerraformDependable, ...],
) -> SmokeJobProps:
    return SmokeJobProps(
        name=names.smoke_job(),
        resource_group_name=at.resource_group_name,
        location=at.location,
        environment_id=environment_id,
        identity_id=identity_id,
        secrets=secrets,
        master_key=master_key,
        router_url=router_url,
        roles=tuple(m.role for m in env.members),
        extra_checks=sum(len(m.deployments()) for m in env.members if m.rollout is not None),
        image=env.router.image,
        # Longer than any path through the router may take (council.policy).
        member_timeout_seconds=ROUTER_TIME_BUDGET_SECONDS + 10,
        workload_profiles=env.router.environment_type == "workload-profiles",
        waits_for=waits_for,
        tags=at.tags,
    )


def monitoring_props(
    env: Environment, names: Names, at: Placement, *, resource_group_id: str, members: tuple[MonitoredMember, ...], router_app_id: str,
    app_insights_id: str, stack: str,
) -> CouncilMonitoringProps:
    return CouncilMonitoringProps(
        location=at.location,
        app_insights_id=app_insights_id,
        board_title=f"AI Council: {stack} ({env.location})",
        name=names.monitoring(),
        resource_group_name=at.resource_group_name,
        resource_group_id=resource_group_id,
        contacts=env.contacts,
        budget_amount_usd=env.budget.amount_usd,
        budget_start=env.budget.start_date,
        actual_thresholds_percent=env.budget.actual_thresholds_percent,
        forecast_thresholds_percent=env.budget.forecast_thresholds_percent,
        members=members,
        router_app_id=router_app_id,
        thresholds=env.alerts,
        tags=at.tags,
    )
