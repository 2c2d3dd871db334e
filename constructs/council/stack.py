"""CouncilStack: one environment's whole AI Council, composed from the constructs.

The stack receives an already-validated `Environment` (it never reads files or the
process environment). It only composes: providers, then each construct in dependency
order with props from council.environment_props (pure translation), then the outputs.
Its id is the environment name, so `cdktf deploy dev` deploys `environments/dev.yaml`.
"""

from __future__ import annotations

from cdktf import Aspects, Fn, LocalBackend, TerraformLocal, TerraformOutput, TerraformStack, TerraformVariable
from cdktf_cdktf_provider_azurerm.data_azurerm_client_config import DataAzurermClientConfig
from cdktf_cdktf_provider_azurerm.log_analytics_workspace import LogAnalyticsWorkspace
from cdktf_cdktf_provider_azurerm.provider import (
    AzurermProvider,
    AzurermProviderFeatures,
    AzurermProviderFeaturesKeyVault,
    AzurermProviderFeaturesResourceGroup,
    AzurermProviderFeaturesStorage,
)
from cdktf_cdktf_provider_azurerm.resource_group import ResourceGroup
from cdktf_cdktf_provider_random.provider import RandomProvider
from cdktf_cdktf_provider_time.provider import TimeProvider
from constructs import Construct

from council import environment_props as props
from council.aspects import SecurityAspect
from council.azapi import AzapiProvider
from council.backends import TerraformCloudBlock
from council.catalog import load_catalog
from council.config import Environment, TerraformCloudBackend, member_key_slot
from council.member_endpoint import CouncilMemberEndpoint
from council.monitoring import CouncilMonitoring, MonitoredMember
from council.naming import SUFFIX_LENGTH, names_for
from council.network import CouncilNetwork
from council.router_app import RouterApp
from council.router_config import render_router_config, router_hooks_source, router_members
from council.router_contract import DATABASE_URL_ENV, REDIS_HOST_ENV, REDIS_PASSWORD_ENV, REDIS_PORT_ENV, SALT_KEY_ENV
from council.router_database import RouterDatabase
from council.router_state import RouterState
from council.secret_bundle import BundleSecret, SecretBundle
from council.smoke_job import SmokeJob
from council.workspace import CouncilWorkspace

HF_TOKEN_CONNECTION = "hf-token"
# `sensitive_body` (write-only arguments) needs Terraform 1.11: an older Terraform
# must stop at init with its own clear message, not fail late.
REQUIRED_TERRAFORM_VERSION = ">= 1.11.0"


class CouncilStack(TerraformStack):
    def __init__(self, scope: Construct, id: str, *, env: Environment) -> None:
        super().__init__(scope, id)
        self.add_override("terraform.required_version", REQUIRED_TERRAFORM_VERSION)
        tags = props.tags_for(env, id)
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
                    # (The ML workspace is azapi's: its purge on destroy is a query parameter
                    # of its DELETE, see CouncilWorkspace, not an azurerm feature.)
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
        group = ResourceGroup(self, "resource-group", name=names.resource_group(), location=env.location, tags=tags)
        at = props.Placement(resource_group_name=group.name, resource_group_id=group.id, location=env.location, tags=tags)

        # ------------------------------------------------------------ network, logs, vaults, workspace
        network = CouncilNetwork(self, "network", props=props.network_props(env, names, at))
        logs = LogAnalyticsWorkspace(
            self, "logs", name=names.log_analytics(), resource_group_name=at.resource_group_name, location=at.location,
            sku="PerGB2018", retention_in_days=30, tags=tags,
        )

        def bundle(construct_id: str, purpose: str) -> SecretBundle:
            link = network.private_link("key_vault", endpoint_name=names.private_endpoint(f"kv{purpose}"))
            return SecretBundle(self, construct_id, props=props.bundle_props(
                names, at, purpose=purpose, tenant_id=client.tenant_id, private_link=link, log_analytics_workspace_id=logs.id
            ))

        secrets = bundle("secrets", "c")
        workspace_vault = bundle("workspace-vault", "w")
        workspace = CouncilWorkspace(self, "workspace", props=props.workspace_props(
            env, names, at,
            catalog=load_catalog(),
            log_analytics_workspace_id=logs.id,
            key_vault_id=workspace_vault.key_vault_id,
            private_endpoints_subnet_id=network.private_endpoints_subnet_id,
            api_zone_id=network.zone_id("aml_api"),
            notebooks_zone_id=network.zone_id("aml_notebooks"),
            storage_private_links=tuple(
                (subresource, network.private_link(f"storage_{subresource}", endpoint_name=names.private_endpoint(f"st{subresource}")))
                for subresource in ("blob", "file")
            ),
        ))
        token = self._hf_token(workspace) if env.needs_hf_token else None

        # ------------------------------------------------------------ members
        self.members: list[CouncilMemberEndpoint] = [
            CouncilMemberEndpoint(
                self,
                f"member-{member.role}",  # the role is the member's identity; state addresses follow it
                props=props.member_props(
                    member, names, at,
                    workspace_id=workspace.workspace_id,
                    log_analytics_workspace_id=logs.id,
                    secrets=secrets,
                    token_reference=token.reference if token else None,
                    token_ready=(token.resource,) if token else (),
                    egress_ready=workspace.egress_ready,
                    key_slot=member_key_slot(member, env.keys),
                    schedule=env.schedule,
                ),
            )
            for member in env.members
        ]

        # ------------------------------------------------------------ router
        members = router_members(env)
        self.router_config = render_router_config(env, members)
        secret_env: dict[str, BundleSecret] = {}
        for member, endpoint in zip(members, self.members):
            secret_env[member.api_base_env] = endpoint.api_base_secret
            secret_env[member.api_key_env] = endpoint.key_secret
        plain_env: dict[str, str] = {}
        waits_for: tuple = ()
        if "redis" in env.router.private_services:
            link = network.private_link("redis", endpoint_name=names.private_endpoint("redis"))
            state = RouterState(self, "router-state", props=props.router_state_props(names, at, private_link=link, log_analytics_workspace_id=logs.id))
            secret_env[REDIS_PASSWORD_ENV] = secrets.add_secret("redis-access-key", state.access_key)
            plain_env = {REDIS_HOST_ENV: state.hostname, REDIS_PORT_ENV: state.port}
            waits_for = state.reachable_after
        if "postgres" in env.router.private_services:
            link = network.private_link("postgres", endpoint_name=names.private_endpoint("psql"))
            database = RouterDatabase(self, "router-database", props=props.router_database_props(
                env, names, at, private_link=link, log_analytics_workspace_id=logs.id
            ))
            secret_env[DATABASE_URL_ENV] = secrets.add_secret("litellm-database-url", database.database_url)
            secret_env[SALT_KEY_ENV] = secrets.add_secret("litellm-salt-key", database.salt_key)
            waits_for = (*waits_for, *database.reachable_after)
        self.router = RouterApp(self, "router", props=props.router_props(
            env, names, at,
            apps_subnet_id=network.apps_subnet_id,
            vnet_id=network.vnet_id,
            log_analytics_workspace_id=logs.id,
            secrets=secrets,
            config_yaml=self.router_config,
            hooks_py=router_hooks_source(),
            secret_env=secret_env,
            plain_env=plain_env,
            waits_for=waits_for,
            app_insights_connection_string=workspace.app_insights_connection_string,
            stack=id,
            catalog=load_catalog(),
        ))

        # The post-deploy check, inside the VNet (README "Check a deploy").
        SmokeJob(self, "smoke", props=props.smoke_job_props(
            env, names, at,
            environment_id=self.router.environment.id,
            identity_id=self.router.identity.id,
            secrets=secrets,
            master_key=self.router.master_key_secret,
            router_url=self.router.internal_url,
            waits_for=(self.router.read_grant,),
        ))

        # ------------------------------------------------------------ money and alerts
        monitored = tuple(
            MonitoredMember(role=e.role, endpoint_id=e.endpoint_id, deployment_id=e.deployment_id, max_instances=e.props.instances.max)
            for e in self.members
        )
        CouncilMonitoring(self, "monitoring", props=props.monitoring_props(
            env, names, at, resource_group_id=group.id, members=monitored, router_app_id=self.router.app.id,
            app_insights_id=workspace.app_insights.id, stack=id,
        ))

        # ------------------------------------------------------------ outputs
        TerraformOutput(self, "router_internal_url", value=self.router.internal_url, description="LiteLLM router URL (inside the VNet only)")
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

    def _hf_token(self, workspace: CouncilWorkspace):
        """The Hugging Face token for gated models: a sensitive Terraform variable
        (TF_VAR_hf_token, or a sensitive Terraform Cloud variable) kept in a workspace
        connection; it is in neither the synthesized JSON nor the state."""
        token = TerraformVariable(
            self,
            "hf_token",
            type="string",
            sensitive=True,
            description="Hugging Face access token for gated models (set TF_VAR_hf_token; never commit it)",
        )
        # Ephemeral (Terraform 1.10+, which REQUIRED_TERRAFORM_VERSION covers): "Terraform does not
        # store them in state or plan files" (language/values/variables, Terraform 1.11; read
        # 2026-12-03). Allowed because its one use is azapi's write-only sensitive_body (WriteOnly in
        # azapi 2.5.0's internal/services/azapi_resource.go). cdktf 0.21 has no `ephemeral` option.
        token.add_override("ephemeral", True)
        connection = workspace.add_secret_connection(
            "hf-token-connection", name=HF_TOKEN_CONNECTION, target="https://huggingface.co", key="HF_TOKEN", value=token.string_value
        )
        # The connection was the stack's own child before it moved into the workspace
        # construct: its state address stays `azapi_resource.hf-token-connection`.
        connection.resource.override_logical_id("hf-token-connection")
        return connection
