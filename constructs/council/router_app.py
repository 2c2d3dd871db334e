"""RouterApp: the LiteLLM proxy on Azure Container Apps, inside the council's VNet.

- A workload-profiles Container Apps environment on the apps subnet with an
  internal load balancer and public network access disabled, logging to Log
  Analytics, and a private DNS zone for its default domain so the VNet resolves
  the router's internal URL.
- A user-assigned identity granted read on the SecretBundle *before* the app
  exists (a system-assigned identity would not exist yet when the app first
  resolves its Key Vault references).
- The pinned LiteLLM image on port 4000, every secret a Key Vault reference
  through that identity, the rendered config mounted at a path ending in `.yaml`,
  internal ingress, an HTTP scale rule, and probes on LiteLLM's key-less health routes.
- A generated master key (`sk-...`) stored in the bundle.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Mapping

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_azurerm.container_app import (
    ContainerApp,
    ContainerAppIdentity,
    ContainerAppIngress,
    ContainerAppIngressTrafficWeight,
    ContainerAppSecret,
    ContainerAppTemplate,
    ContainerAppTemplateContainer,
    ContainerAppTemplateContainerEnv,
    ContainerAppTemplateContainerLivenessProbe,
    ContainerAppTemplateContainerReadinessProbe,
    ContainerAppTemplateContainerVolumeMounts,
    ContainerAppTemplateHttpScaleRule,
    ContainerAppTemplateVolume,
)
from cdktf_cdktf_provider_azurerm.container_app_environment import (
    ContainerAppEnvironment,
    ContainerAppEnvironmentWorkloadProfile,
)
from cdktf_cdktf_provider_azurerm.private_dns_a_record import PrivateDnsARecord
from cdktf_cdktf_provider_azurerm.private_dns_zone import PrivateDnsZone
from cdktf_cdktf_provider_azurerm.private_dns_zone_virtual_network_link import PrivateDnsZoneVirtualNetworkLink
from cdktf_cdktf_provider_azurerm.user_assigned_identity import UserAssignedIdentity
from cdktf_cdktf_provider_random.password import Password
from constructs import Construct

from council.azapi import AzapiUpdate
from council.diagnostics import DiagnosticSetting, add_diagnostic_setting
from council.errors import PropsError
from council.naming import check
from council.policy import replicas_problem, router_workers
from council.private_link import link_zone_to_vnets
from council.router_contract import (
    CONFIG_MOUNT_PATH,
    CONFIG_SECRET,
    HOOKS_MOUNT_PATH,
    HOOKS_SECRET,
    MASTER_KEY_ENV,
    MASTER_KEY_SECRET,
)
from council.router_image import DEFAULT_ROUTER_IMAGE, check_router_image
from council.secret_bundle import BundleSecret, SecretBundle

LITELLM_PORT = 4000
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# A Key Vault secret value holds at most 25 KB (Key Vault service limits, "Maximum size of
# secret value", learn.microsoft.com/azure/key-vault/general/service-limits; read 2026-11-27).
MAX_MOUNTED_FILE_BYTES = 25 * 1024


@dataclass(frozen=True, kw_only=True)
class RouterAppProps:
    app_name: str
    environment_name: str
    identity_name: str
    resource_group_name: str
    location: str
    apps_subnet_id: str
    vnet_id: str
    # More VNets that resolve the router's internal domain (operators' networks).
    resolver_vnet_ids: tuple[str, ...] = ()
    log_analytics_workspace_id: str
    secrets: SecretBundle
    config_yaml: str
    # Python the router loads beside its config (LiteLLM callbacks the config names), e.g.
    # council.router_config.router_hooks_source(); None: none.
    hooks_py: str | None = None
    # Environment variable -> a secret of `secrets` (besides the master key and the config,
    # which RouterApp adds itself).
    secret_env: Mapping[str, BundleSecret]
    # Environment variables with plain (non-secret) values, e.g. the shared state's host and port.
    plain_env: Mapping[str, str] = field(default_factory=dict)
    # Application Insights that the environment's managed OpenTelemetry agent forwards the
    # router's traces and OTLP logs to; None: no agent (LiteLLM's spans then go nowhere).
    app_insights_connection_string: str | None = None
    # Raise to replace the master key (random_password keepers).
    master_key_version: int = 1
    # Changes whenever a secret the router reads is rotated: it is an environment variable
    # of the revision, so a new value rolls a new revision, and only a new (or restarted)
    # revision reads Key Vault references again ("An updated or deleted secret doesn't
    # automatically affect existing revisions": Container Apps, manage-secrets, read 2026-11-27).
    keys_version: str = "1"
    # What else must exist before a revision starts (e.g. the shared state's private endpoint).
    waits_for: tuple[ITerraformDependable, ...] = ()
    image: str = DEFAULT_ROUTER_IMAGE
    log_level: str = "ERROR"
    min_replicas: int = 1
    max_replicas: int = 3
    cpu: float = 1.0
    memory: str = "2Gi"
    # Requests in flight per replica before the HTTP scale rule adds one. What a replica carries
    # depends on the members behind it: council.sizing derives it for a plan (7 for one vCPU in
    # front of a 7B model on an A100); this default assumes nothing faster.
    concurrent_requests: int = 7
    external_ingress: bool = False
    # True: a workload-profiles environment (Consumption profile); False: consumption-only.
    workload_profiles: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)


class RouterApp(Construct):
    """The council's single front door: LiteLLM on an internal Container App."""

    def __init__(self, scope: Construct, id: str, *, props: RouterAppProps) -> None:
        super().__init__(scope, id)
        self._validate(props)
        tags = dict(props.tags)
        bundle = props.secrets

        self.environment = ContainerAppEnvironment(
            self,
            "environment",
            name=props.environment_name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            infrastructure_subnet_id=props.apps_subnet_id,
            internal_load_balancer_enabled=True,
            public_network_access="Disabled",
            # Console and system logs go through a diagnostic setting (below), like every
            # other resource's: with "log-analytics" they would bypass diagnostic settings.
            logs_destination="azure-monitor",
            workload_profile=[ContainerAppEnvironmentWorkloadProfile(name="Consumption", workload_profile_type="Consumption")]
            if props.workload_profiles
            else None,
            tags=tags,
        )
        # The internal environment's domain resolves only through a private zone.
        zone = PrivateDnsZone(
            self, "environment-zone", name=self.environment.default_domain, resource_group_name=props.resource_group_name, tags=tags
        )
        PrivateDnsZoneVirtualNetworkLink(
            self,
            "environment-zone-link",
            name="link-router",
            resource_group_name=props.resource_group_name,
            private_dns_zone_name=zone.name,
            virtual_network_id=props.vnet_id,
            registration_enabled=False,
            tags=tags,
        )
        link_zone_to_vnets(self, "environment-zone-operators", zone_name=zone.name, vnet_ids=props.resolver_vnet_ids,
                           resource_group_name=props.resource_group_name, tags=tags)
        PrivateDnsARecord(
            self,
            "environment-wildcard",
            name="*",
            zone_name=zone.name,
            resource_group_name=props.resource_group_name,
            ttl=300,
            records=[self.environment.static_ip_address],
            tags=tags,
        )

        environment_logs = DiagnosticSetting(
            workspace_resource_id=props.log_analytics_workspace_id, log_groups=(),
            log_categories=("ContainerAppConsoleLogs", "ContainerAppSystemLogs"),
        )
        add_diagnostic_setting(self, "environment-diagnostics", resource_type="Microsoft.App/managedEnvironments",
                               target_resource_id=self.environment.id, setting=environment_logs)

        # The managed OpenTelemetry agent: it gives every revision OTEL_EXPORTER_OTLP_* variables
        # and forwards what arrives to Application Insights (learn.microsoft.com/azure/container-apps/
        # opentelemetry-agents; the same properties as Azure Verified Modules' managed-environment).
        self.telemetry_agent: AzapiUpdate | None = None
        if props.app_insights_connection_string:
            self.telemetry_agent = AzapiUpdate(
                self, "environment-telemetry", kind="container_apps_environment", resource_id=self.environment.id,
                # "appInsights" is the destination name in Microsoft's page (the REST spec lists none).
                body={"properties": {"openTelemetryConfiguration": {
                    "tracesConfiguration": {"destinations": ["appInsights"]},
                    "logsConfiguration": {"destinations": ["appInsights"]},
                }}},
                # The spec marks the connection string x-ms-secret (never returned): write-only.
                sensitive_body={"properties": {"appInsightsConfiguration": {"connectionString": props.app_insights_connection_string}}},
            )

        self.identity = UserAssignedIdentity(
            self, "identity", name=props.identity_name, resource_group_name=props.resource_group_name, location=props.location, tags=tags
        )
        self.read_grant = bundle.grant_read("router", self.identity.principal_id)

        master = Password(self, "master-key", length=48, special=False, keepers={"version": str(props.master_key_version)})
        master_key = bundle.add_secret(MASTER_KEY_SECRET, f"sk-{master.result}")
        self.master_key_secret: BundleSecret = master_key
        config = bundle.add_secret(CONFIG_SECRET, props.config_yaml, content_type="application/yaml")
        hooks = bundle.add_secret(HOOKS_SECRET, props.hooks_py, content_type="text/x-python") if props.hooks_py else None
        mounted = [(config, CONFIG_MOUNT_PATH), *([(hooks, HOOKS_MOUNT_PATH)] if hooks else [])]

        secret_env = {MASTER_KEY_ENV: master_key.name, **{var: secret.name for var, secret in props.secret_env.items()}}
        secret_names = sorted({*secret_env.values(), *(secret.name for secret, _ in mounted)})
        self.secret_env = secret_env
        # The config and the hooks it loads: a change to either rolls a new revision.
        config_hash = hashlib.sha256((props.config_yaml + (props.hooks_py or "")).encode()).hexdigest()[:16]

        self.app = ContainerApp(
            self,
            "app",
            name=props.app_name,
            resource_group_name=props.resource_group_name,
            container_app_environment_id=self.environment.id,
            revision_mode="Single",
            workload_profile_name="Consumption" if props.workload_profiles else None,
            identity=ContainerAppIdentity(type="UserAssigned", identity_ids=[self.identity.id]),
            secret=[
                ContainerAppSecret(name=name, key_vault_secret_id=bundle.secret_id(name), identity=self.identity.id)
                for name in secret_names
            ],
            ingress=ContainerAppIngress(
                external_enabled=props.external_ingress,
                target_port=LITELLM_PORT,
                transport="http",
                allow_insecure_connections=False,
                traffic_weight=[ContainerAppIngressTrafficWeight(latest_revision=True, percentage=100)],
            ),
            template=ContainerAppTemplate(
                min_replicas=props.min_replicas,
                max_replicas=props.max_replicas,
                http_scale_rule=[
                    ContainerAppTemplateHttpScaleRule(name="http-concurrency", concurrent_requests=str(props.concurrent_requests))
                ],
                volume=[ContainerAppTemplateVolume(name="router-config", storage_type="Secret")],
                container=[
                    ContainerAppTemplateContainer(
                        name="litellm",
                        image=props.image,
                        cpu=props.cpu,
                        memory=props.memory,
                        # The image's entrypoint runs `litellm "$@"`: args are CLI args.
                        # One worker per whole vCPU: each is single-threaded and CPU-bound under load.
                        args=["--config", CONFIG_MOUNT_PATH, "--port", str(LITELLM_PORT), "--num_workers", str(router_workers(props.cpu))],
                        env=[
                            *(ContainerAppTemplateContainerEnv(name=var, secret_name=secret) for var, secret in sorted(secret_env.items())),
                            *(ContainerAppTemplateContainerEnv(name=var, value=value) for var, value in sorted(props.plain_env.items())),
                            # A config change must roll a new revision: secrets alone do not.
                            ContainerAppTemplateContainerEnv(name="ROUTER_CONFIG_HASH", value=config_hash),
                            ContainerAppTemplateContainerEnv(name="ROUTER_KEYS_VERSION", value=props.keys_version),
                            ContainerAppTemplateContainerEnv(name="LITELLM_LOG", value=props.log_level),
                            # Use the bundled price map; do not fetch one from the internet at start.
                            ContainerAppTemplateContainerEnv(name="LITELLM_LOCAL_MODEL_COST_MAP", value="True"),
                        ],
                        # The Secret volume names files after secrets; sub_path places the
                        # config alone at a path ending in .yaml, which LiteLLM requires, and
                        # the hooks beside it, where LiteLLM looks for a callback module.
                        volume_mounts=[
                            ContainerAppTemplateContainerVolumeMounts(name="router-config", path=path, sub_path=secret.name)
                            for secret, path in mounted
                        ],
                        liveness_probe=[ContainerAppTemplateContainerLivenessProbe(
                            transport="HTTP", port=LITELLM_PORT, path="/health/liveliness", initial_delay=10, interval_seconds=15, failure_count_threshold=5
                        )],
                        readiness_probe=[ContainerAppTemplateContainerReadinessProbe(
                            transport="HTTP", port=LITELLM_PORT, path="/health/readiness", initial_delay=5, interval_seconds=10, failure_count_threshold=6
                        )],
                    )
                ],
            ),
            # A revision resolves its Key Vault references when it is created: the identity
            # must hold its grant, and the vault must be reachable privately from the VNet
            # (its private endpoint and the privatelink zone's VNet link) by then.
            # A revision gets the agent's variables when it is created: the agent comes first.
            # ...and every secret it reads is written first, so a new revision reads new values.
            depends_on=[self.read_grant, *bundle.reachable_after, *props.waits_for, *([self.telemetry_agent] if self.telemetry_agent else []),
                        master_key.resource, *(secret.resource for secret, _ in mounted), *(secret.resource for secret in props.secret_env.values())],
            tags=tags,
        )
        # Requests, replicas, restarts, CPU and memory of the app (it has no resource logs).
        add_diagnostic_setting(self, "app-diagnostics", resource_type="Microsoft.App/containerApps", target_resource_id=self.app.id,
                               setting=DiagnosticSetting(workspace_resource_id=props.log_analytics_workspace_id, log_groups=()))

    def _validate(self, props: RouterAppProps) -> None:
        path = self.node.path
        check("container_app", props.app_name, field="app_name")
        check("container_app_environment", props.environment_name, field="environment_name")
        problem = check_router_image(props.image)
        if problem:
            raise PropsError(path, "image", props.image, f"a pinned image ({problem})")
        problem = replicas_problem(props.min_replicas, props.max_replicas)
        if problem:
            raise PropsError(path, "replicas", (props.min_replicas, props.max_replicas), f"0 <= min_replicas <= max_replicas ({problem})")
        for prop, text in (("config_yaml", props.config_yaml), ("hooks_py", props.hooks_py or "")):
            if len(text.encode()) > MAX_MOUNTED_FILE_BYTES:
                raise PropsError(path, prop, f"{len(text.encode())} bytes", f"at most {MAX_MOUNTED_FILE_BYTES} bytes (a Key Vault secret's limit)")
        if props.log_level not in LOG_LEVELS:
            raise PropsError(path, "log_level", props.log_level, f"one of {LOG_LEVELS}")
        foreign = [var for var, secret in props.secret_env.items()
                   if secret.name not in props.secrets.secret_names or props.secrets.secret(secret.name) is not secret]
        if foreign:
            raise PropsError(path, "secret_env", foreign, "secrets of props.secrets (bundle.add_secret)")
        overlap = set(props.secret_env) & set(props.plain_env)
        if overlap:
            raise PropsError(path, "plain_env", sorted(overlap), "names not already in secret_env")
        for var in [*props.secret_env, *props.plain_env]:
            if not re.match(r"^[A-Z_][A-Z0-9_]*$", var):
                raise PropsError(path, "secret_env", var, "UPPER_SNAKE_CASE environment variable names")

    @property
    def internal_url(self) -> str:
        """`https://<app>.<environment default domain>`: reachable only inside the VNet."""
        return f"https://{self.app.ingress.fqdn}"

    @property
    def principal_id(self) -> str:
        return self.identity.principal_id
