"""CouncilStack: one environment's whole AI Council, composed from the constructs.

The stack receives an already-validated `Environment` (it never reads files or the
process environment) and maps it onto the constructs' props. Its id is the
environment name, so `cdktf deploy dev` deploys `environments/dev.yaml`.
"""

from __future__ import annotations

from cdktf import Aspects, Fn, LocalBackend, TerraformLocal, TerraformOutput, TerraformStack, TerraformVariable
from cdktf_cdktf_provider_azurerm.data_azurerm_client_config import DataAzurermClientConfig
from cdktf_cdktf_provider_azurerm.log_analytics_workspace import LogAnalyticsWorkspace
from cdktf_cdktf_provider_azurerm.provider import (
    AzurermProvider,
    AzurermProviderFeatures,
    AzurermProviderFeaturesKeyVault,
    AzurermProviderFeaturesMachineLearning,
    AzurermProviderFeaturesResourceGroup,
    AzurermProviderFeaturesStorage,
)
from cdktf_cdktf_provider_azurerm.resource_group import ResourceGroup
from cdktf_cdktf_provider_random.provider import RandomProvider
from cdktf_cdktf_provider_time.provider import TimeProvider
from constructs import Construct

from council.aspects import SecurityAspect
from council.azapi import AzapiProvider, AzapiResource
from council.backends import TerraformCloudBlock
from council.cloud import AZURE_PUBLIC
from council.config import CatalogModel, CreateNetwork, Environment, TerraformCloudBackend
from council.member_endpoint import (
    CatalogSource,
    ContainerSource,
    CouncilMemberEndpoint,
    CouncilMemberEndpointProps,
    InstanceCounts,
)
from council.monitoring import CouncilMonitoring, CouncilMonitoringProps, MonitoredMember
from council.policy import AlertThresholds, AutoscaleRules
from council.catalog import load_catalog
from council.egress import required_fqdns
from council.naming import SUFFIX_LENGTH, names_for
from council.network import CouncilNetwork, ExistingNetworkProps, NewNetworkProps
from council.router_app import RouterApp, RouterAppProps
from council.router_config import (
    DATABASE_URL_ENV,
    DATABASE_URL_SECRET,
    REDIS_HOST_ENV,
    REDIS_PASSWORD_ENV,
    REDIS_PASSWORD_SECRET,
    REDIS_PORT_ENV,
    SALT_KEY_ENV,
    SALT_KEY_SECRET,
    member_secret_environment,
    render_router_config,
    router_members,
)
from council.router_database import RouterDatabase, RouterDatabaseProps
from council.router_state import RouterState, RouterStateProps
from council.secret_bundle import SecretBundle, SecretBundleProps
from council.workspace import CouncilWorkspace, CouncilWorkspaceProps

HF_TOKEN_CONNECTION = "hf-token"
# `sensitive_body` (write-only arguments) needs Terraform 1.11: an older Terraform
# must stop at init with its own clear message, not fail late.
REQUIRED_TERRAFORM_VERSION = ">= 1.11.0"


class CouncilStack(TerraformStack):
    def __init__(self, scope: Construct, id: str, *, env: Environment) -> None:
        super().__init__(scope, id)
        self.add_override("terraform.required_version", REQUIRED_TERRAFORM_VERSION)
        tags = {"workload": "ai-council", "environment": id, **env.tags}
        location = env.location
        self._backend(id, env)
        # Security invariants hold for the whole tree, whatever it is composed of.
        Aspects.of(self).add(SecurityAspect(allow_external_ingress=env.router.external_ingress))

        AzurermProvider(
            self,
            "azurerm",
            features=[
                AzurermProviderFeatures(
                    # Purge-protected vaults cannot be purged; re-creating a destroyed
                    # environment recovers them (same name) instead of failing.
                    key_vault=[AzurermProviderFeaturesKeyVault(purge_soft_delete_on_destroy=False, recover_soft_deleted_key_vaults=True)],
                    # The resource group is the council's own, and Azure adds resources to it by
                    # itself: Application Insights creates an "Application Insights Smart
                    # Detection" action group and a "Failure Anomalies" rule that Terraform never
                    # manages. With the check on, destroy stops at the resource group
                    # (terraform-provider-azurerm #18026, PR #22163; read 2026-11-27).
                    resource_group=[AzurermProviderFeaturesResourceGroup(prevent_deletion_if_contains_resources=False)],
                    # The workspace storage is private: azurerm's post-create blob data-plane
                    # poll would get 403 and fail the create. Nothing here needs the data plane.
                    storage=[AzurermProviderFeaturesStorage(data_plane_available=False)],
                    # A soft-deleted workspace keeps its name for 14 days and a create with
                    # that name fails ("Soft-deleted workspace exists. Please purge or recover
                    # it"): destroy purges it so the environment can be created again. The
                    # council keeps no data in the workspace (endpoints are hard-deleted anyway).
                    machine_learning=[AzurermProviderFeaturesMachineLearning(purge_soft_deleted_workspace_on_destroy=True)],
                )
            ],
            subscription_id=env.subscription_id,
            storage_use_azuread=True,
        )
        AzapiProvider(self, "azapi")
        RandomProvider(self, "random")
        TimeProvider(self, "time")
        client = DataAzurermClientConfig(self, "client")
        suffix_token = None
        if not env.name_suffix and not env.subscription_id:
            # Known at plan (a data source): names show in the plan, and stay put.
            suffix = TerraformLocal(self, "name_suffix", Fn.substr(Fn.sha1(Fn.lower(client.subscription_id)), 0, SUFFIX_LENGTH))
            suffix_token = suffix.as_string
        names = names_for(env, id, suffix_token=suffix_token)
        catalog = load_catalog()

        group = ResourceGroup(self, "resource-group", name=names.resource_group(), location=location, tags=tags)
        rg = group.name

        # ------------------------------------------------------------ network
        if isinstance(env.network, CreateNetwork):
            network_props: NewNetworkProps | ExistingNetworkProps = NewNetworkProps(
                resource_group_name=rg,
                location=location,
                vnet_name=names.vnet(),
                apps_subnet_name=names.subnet("apps"),
                private_endpoints_subnet_name=names.subnet("private-endpoints"),
                address_space=env.network.address_space,
                apps_subnet_cidr=env.network.apps_subnet,
                private_endpoints_subnet_cidr=env.network.private_endpoints_subnet,
                delegate_apps_subnet=env.router.environment_type == "workload-profiles",
                cloud=AZURE_PUBLIC,
                tags=tags,
            )
        else:
            zones = env.network.private_dns_zone_ids
            network_props = ExistingNetworkProps(
                apps_subnet_id=env.network.apps_subnet_id,
                private_endpoints_subnet_id=env.network.private_endpoints_subnet_id,
                private_dns_zone_ids={
                    "aml_api": zones.api_azureml_ms,
                    "aml_notebooks": zones.notebooks_azure_net,
                    "key_vault": zones.vaultcore_azure_net,
                    **({"redis": zones.redis_azure_net} if zones.redis_azure_net else {}),
                    **({"postgres": zones.postgres_database_azure_com} if zones.postgres_database_azure_com else {}),
                },
            )
        network = CouncilNetwork(self, "network", props=network_props)

        logs = LogAnalyticsWorkspace(
            self, "logs", name=names.log_analytics(), resource_group_name=rg, location=location, sku="PerGB2018", retention_in_days=30, tags=tags
        )

        def bundle(construct_id: str, purpose: str) -> SecretBundle:
            return SecretBundle(
                self,
                construct_id,
                props=SecretBundleProps(
                    name=names.key_vault(purpose),
                    resource_group_name=rg,
                    location=location,
                    tenant_id=client.tenant_id,
                    private_link=network.private_link("key_vault", endpoint_name=names.private_endpoint(f"kv{purpose}")),
                    tags=tags,
                ),
            )

        secrets = bundle("secrets", "c")
        workspace_vault = bundle("workspace-vault", "w")

        workspace = CouncilWorkspace(
            self,
            "workspace",
            props=CouncilWorkspaceProps(
                name=names.ml_workspace(),
                resource_group_name=rg,
                location=location,
                storage_account_name=names.storage_account(),
                container_registry_name=names.container_registry(),
                app_insights_name=names.app_insights(),
                log_analytics_workspace_id=logs.id,
                key_vault_id=workspace_vault.key_vault_id,
                private_endpoints_subnet_id=network.private_endpoints_subnet_id,
                private_endpoint_name=names.private_endpoint("mlw"),
                api_zone_id=network.zone_id("aml_api"),
                notebooks_zone_id=network.zone_id("aml_notebooks"),
                outbound_fqdns=required_fqdns(env, catalog),
                tags=tags,
            ),
        )

        token_connection = self._hf_token_connection(workspace.workspace_id) if env.needs_hf_token else None

        # ------------------------------------------------------------ members
        self.members: list[CouncilMemberEndpoint] = []
        for member in env.members:
            if isinstance(member.model, CatalogModel):
                source: CatalogSource | ContainerSource = CatalogSource(asset_id=member.model.asset_id)
            else:
                source = ContainerSource(
                    image=member.model.image,
                    hf_model_id=member.model.hf_model_id,
                    max_model_len=member.model.max_model_len,
                    port=member.model.port,
                    env=dict(member.model.env),
                    hf_token_connection=HF_TOKEN_CONNECTION if member.model.hf_token_required else None,
                )
            endpoint = CouncilMemberEndpoint(
                self,
                f"member-{member.role}",  # the role is the member's identity; state addresses follow it
                props=CouncilMemberEndpointProps(
                    role=member.role,
                    endpoint_name=names.online_endpoint(member.role),
                    deployment_name=names.online_deployment(member.role, member.sku),
                    workspace_id=workspace.workspace_id,
                    resource_group_name=rg,
                    location=location,
                    model=source,
                    instance_type=member.sku,
                    secrets=secrets,
                    description=f"{member.display_name}: {member.description}",
                    instances=InstanceCounts(
                        minimum=member.instances.min, default=member.instances.default, maximum=member.instances.max
                    ),
                    autoscale=AutoscaleRules(**member.autoscale.model_dump()),
                    request_timeout_seconds=member.request_timeout_seconds,
                    max_concurrent_requests_per_instance=member.max_concurrent_requests_per_instance,
                    tags=tags,
                    deployment_depends_on=(token_connection,) if token_connection and source.needs_token else (),
                    egress_ready=workspace.egress_ready,
                ),
            )
            self.members.append(endpoint)

        # ------------------------------------------------------------ router
        members = router_members(env)
        self.router_config = render_router_config(env, members)
        secret_env = member_secret_environment(members)
        plain_env: dict[str, str] = {}
        waits_for: tuple = ()
        if env.router.shared_state == "azure-managed-redis":
            state = RouterState(
                self,
                "router-state",
                props=RouterStateProps(
                    name=names.managed_redis(),
                    resource_group_name=rg,
                    location=location,
                    private_link=network.private_link(
                        "redis", endpoint_name=names.private_endpoint("redis"), zone_name=AZURE_PUBLIC.zone_redis, resource_group_name=rg, tags=tags
                    ),
                    tags=tags,
                ),
            )
            secrets.add_secret(REDIS_PASSWORD_SECRET, state.access_key)
            secret_env[REDIS_PASSWORD_ENV] = REDIS_PASSWORD_SECRET
            plain_env = {REDIS_HOST_ENV: state.hostname, REDIS_PORT_ENV: state.port}
            waits_for = state.reachable_after
        if env.router.virtual_keys:
            database = RouterDatabase(
                self,
                "router-database",
                props=RouterDatabaseProps(
                    name=names.postgres_server(),
                    resource_group_name=rg,
                    location=location,
                    private_link=network.private_link(
                        "postgres", endpoint_name=names.private_endpoint("psql"), zone_name=AZURE_PUBLIC.zone_postgres, resource_group_name=rg, tags=tags
                    ),
                    sku_name=env.router.database_sku,
                    tags=tags,
                ),
            )
            secrets.add_secret(DATABASE_URL_SECRET, database.database_url)
            secrets.add_secret(SALT_KEY_SECRET, database.salt_key)
            secret_env[DATABASE_URL_ENV] = DATABASE_URL_SECRET
            secret_env[SALT_KEY_ENV] = SALT_KEY_SECRET
            waits_for = (*waits_for, *database.reachable_after)
        router = RouterApp(
            self,
            "router",
            props=RouterAppProps(
                app_name=names.container_app(),
                environment_name=names.container_app_environment(),
                identity_name=names.identity("router"),
                resource_group_name=rg,
                location=location,
                apps_subnet_id=network.apps_subnet_id,
                vnet_id=network.vnet_id,
                log_analytics_workspace_id=logs.id,
                secrets=secrets,
                config_yaml=self.router_config,
                secret_env=secret_env,
                plain_env=plain_env,
                waits_for=waits_for,
                image=env.router.image,
                log_level=env.router.log_level,
                min_replicas=env.router.min_replicas,
                max_replicas=env.router.max_replicas,
                cpu=env.router.cpu,
                memory=env.router.memory,
                concurrent_requests=env.router.concurrent_requests,
                external_ingress=env.router.external_ingress,
                workload_profiles=env.router.environment_type == "workload-profiles",
                tags=tags,
            ),
        )
        self.router = router

        # ------------------------------------------------------------ money and alerts
        CouncilMonitoring(
            self,
            "monitoring",
            props=CouncilMonitoringProps(
                name=names.monitoring(),
                resource_group_name=rg,
                resource_group_id=group.id,
                contacts=env.contacts,
                budget_amount_usd=env.budget.amount_usd,
                budget_start=env.budget.start_date,
                actual_thresholds_percent=env.budget.actual_thresholds_percent,
                forecast_thresholds_percent=env.budget.forecast_thresholds_percent,
                members=tuple(
                    MonitoredMember(
                        role=endpoint.role,
                        endpoint_id=endpoint.endpoint_id,
                        deployment_id=endpoint.deployment_id,
                        max_instances=endpoint.props.instances.maximum,
                    )
                    for endpoint in self.members
                ),
                router_app_id=router.app.id,
                thresholds=AlertThresholds(**env.alerts.model_dump()),
                tags=tags,
            ),
        )

        # ------------------------------------------------------------ outputs
        TerraformOutput(self, "router_internal_url", value=router.internal_url, description="LiteLLM router URL (inside the VNet only)")
        TerraformOutput(self, "key_vault_uri", value=secrets.vault_uri, description="Key Vault holding every council key")
        for endpoint in self.members:
            TerraformOutput(self, f"{endpoint.role}_endpoint_name", value=endpoint.endpoint_name)
            TerraformOutput(self, f"{endpoint.role}_scoring_uri", value=endpoint.scoring_uri)

    def _backend(self, id: str, env: Environment) -> None:
        if isinstance(env.backend, TerraformCloudBackend):
            TerraformCloudBlock(
                self, hostname=env.backend.hostname, organization=env.backend.organization, workspace=env.backend.workspace
            )
        else:
            LocalBackend(self, path=f"terraform.{id}.tfstate")

    def _hf_token_connection(self, workspace_id: str) -> AzapiResource:
        """A CustomKeys workspace connection holding the Hugging Face token.

        The token is a sensitive Terraform variable (TF_VAR_hf_token, or a sensitive
        Terraform Cloud variable); it reaches Azure only through the write-only
        `sensitive_body`, so it is in neither the synthesized JSON nor the state.
        """
        token = TerraformVariable(
            self,
            "hf_token",
            type="string",
            sensitive=True,
            description="Hugging Face access token for gated models (set TF_VAR_hf_token; never commit it)",
        )
        return AzapiResource(
            self,
            "hf-token-connection",
            kind="workspace_connection",
            name=HF_TOKEN_CONNECTION,
            parent_id=workspace_id,
            body={
                "properties": {
                    "category": "CustomKeys",
                    "authType": "CustomKeys",
                    "target": "https://huggingface.co",
                    "isSharedToAll": False,
                }
            },
            sensitive_body={"properties": {"credentials": {"keys": {"HF_TOKEN": token.string_value}}}},
            sensitive_body_version={"properties.credentials.keys.HF_TOKEN": "1"},
        )
