"""CouncilWorkspace: the Azure ML workspace that owns the council's online endpoints.

Private by default: public network access off, a workspace-managed virtual network
that allows only approved outbound traffic, a private endpoint (`amlworkspace`) in
the council's subnet registered in the `api.azureml.ms` and `notebooks` zones. Its
storage account, Application Insights and Key Vault (a SecretBundle of its own) are
created with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from cdktf_cdktf_provider_azurerm.application_insights import ApplicationInsights
from cdktf_cdktf_provider_azurerm.container_registry import ContainerRegistry
from cdktf import ITerraformDependable
from cdktf_cdktf_provider_azurerm.machine_learning_workspace import (
    MachineLearningWorkspace,
    MachineLearningWorkspaceIdentity,
    MachineLearningWorkspaceManagedNetwork,
    MachineLearningWorkspaceTimeouts,
)
from cdktf_cdktf_provider_azurerm.machine_learning_workspace_network_outbound_rule_fqdn import (
    MachineLearningWorkspaceNetworkOutboundRuleFqdn,
)
from cdktf_cdktf_provider_azurerm.storage_account import (
    StorageAccount,
    StorageAccountBlobProperties,
    StorageAccountBlobPropertiesContainerDeleteRetentionPolicy,
    StorageAccountBlobPropertiesDeleteRetentionPolicy,
    StorageAccountSasPolicy,
)
from constructs import Construct

from council.azapi import AzapiResource, AzapiUpdate
from council.diagnostics import DiagnosticSetting, add_diagnostic_setting
from council.errors import PropsError
from council.naming import check
from council.private_link import PrivateLink, private_endpoint, private_endpoint_to

ISOLATION_MODES = ("AllowOnlyApprovedOutbound", "AllowInternetOutbound")


@dataclass(frozen=True)
class SecretConnection:
    resource: AzapiResource  # what a deployment reading it must wait for
    reference: str  # azureml://connections/<name>/credentials/<key>
# provision_on_creation builds the managed network while the workspace is created:
# "about 30 minutes" for automatic network provisioning, and "the first FQDN rule adds
# around 10 minutes" (Azure ML docs, how-to-managed-network, read 2026-11-27). azurerm's
# default create timeout is 30 minutes; a timed-out create leaves a workspace behind.
WORKSPACE_CREATE_TIMEOUT = "90m"


@dataclass(frozen=True, kw_only=True)
class CouncilWorkspaceProps:
    name: str
    resource_group_name: str
    location: str
    storage_account_name: str
    container_registry_name: str
    app_insights_name: str
    log_analytics_workspace_id: str
    key_vault_id: str
    private_endpoints_subnet_id: str
    private_endpoint_name: str
    # Zone ids: privatelink.api.azureml.ms and privatelink.notebooks.azure.net.
    api_zone_id: str
    notebooks_zone_id: str
    isolation_mode: str = "AllowOnlyApprovedOutbound"
    public_network_access_enabled: bool = False
    # FQDNs the managed network may reach (AllowOnlyApprovedOutbound only), e.g. the
    # container registry and Hugging Face hosts that container-served members pull from.
    outbound_fqdns: tuple[str, ...] = ()
    # Geo-redundant by default: the workspace's artifacts survive a regional outage.
    storage_replication: str = "GRS"
    # Private endpoints for the workspace storage in the council's network: storage
    # subresource ("blob", "file") -> where it goes (CouncilNetwork.private_link).
    storage_private_links: tuple[tuple[str, PrivateLink], ...] = ()
    # The Azure Firewall that FQDN outbound rules provision in the managed network: Standard
    # (Azure ML's default) or Basic.
    firewall_sku: str = "Standard"
    # Zone-redundant registry (Premium; needs a region with availability zones).
    zone_redundant_registry: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)


class CouncilWorkspace(Construct):
    """An Azure ML workspace closed to the public, with its managed network."""

    def __init__(self, scope: Construct, id: str, *, props: CouncilWorkspaceProps) -> None:
        super().__init__(scope, id)
        check("ml_workspace", props.name, field="name")
        check("storage_account", props.storage_account_name, field="storage_account_name")
        check("container_registry", props.container_registry_name, field="container_registry_name")
        if props.firewall_sku not in ("Standard", "Basic"):
            raise PropsError(self.node.path, "firewall_sku", props.firewall_sku, "'Standard' or 'Basic'")
        if props.isolation_mode not in ISOLATION_MODES:
            raise PropsError(self.node.path, "isolation_mode", props.isolation_mode, f"one of {ISOLATION_MODES}")
        if props.outbound_fqdns and props.isolation_mode != "AllowOnlyApprovedOutbound":
            raise PropsError(
                self.node.path, "outbound_fqdns", props.outbound_fqdns, "no FQDN rules unless isolation_mode is AllowOnlyApprovedOutbound"
            )
        tags = dict(props.tags)
        self.storage = StorageAccount(
            self,
            "storage",
            name=props.storage_account_name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            account_tier="Standard",
            account_replication_type=props.storage_replication,
            min_tls_version="TLS1_2",
            https_traffic_only_enabled=True,
            allow_nested_items_to_be_public=False,
            public_network_access_enabled=False,
            infrastructure_encryption_enabled=True,
            # Nothing here needs the blob/queue data plane, which a private account
            # answers with 403: the stack turns azurerm's data-plane calls off
            # (features.storage.data_plane_available = false). blob_properties go
            # through ARM's BlobServices API; queue_properties and static_website
            # would need the data plane and must not be set.
            # Azure ML's system datastores authenticate with the account key; azurerm 4.55
            # cannot switch the workspace to identity-based datastore access.
            shared_access_key_enabled=True,
            # Deleted blobs and containers stay recoverable for 14 days.
            blob_properties=StorageAccountBlobProperties(
                delete_retention_policy=StorageAccountBlobPropertiesDeleteRetentionPolicy(days=14),
                container_delete_retention_policy=StorageAccountBlobPropertiesContainerDeleteRetentionPolicy(days=14),
            ),
            # Any SAS issued on the account expires within a day.
            sas_policy=StorageAccountSasPolicy(expiration_period="01.00:00:00", expiration_action="Log"),
            tags=tags,
        )
        # The workspace's own registry, Premium so that Azure ML's managed network can reach
        # it through a private endpoint (which it creates by itself in AllowOnlyApprovedOutbound
        # mode). Azure ML's guide to secure online endpoints asks for exactly this: "set the
        # workspace container registry to Premium, needed to provide access to the registry via
        # a private endpoint" (how-to-secure-online-endpoint, "Prepare your system"; required
        # rules: how-to-managed-network; both read 2026-11-27). Without one, Azure ML would
        # create a Basic registry on first need, which no private endpoint can reach.
        self.container_registry = ContainerRegistry(
            self,
            "container-registry",
            name=props.container_registry_name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            sku="Premium",
            admin_enabled=False,
            anonymous_pull_enabled=False,
            public_network_access_enabled=False,
            # Untagged manifests go after a week (Premium only).
            retention_policy_in_days=7,
            zone_redundancy_enabled=props.zone_redundant_registry,
            tags=tags,
        )
        self.app_insights = ApplicationInsights(
            self,
            "app-insights",
            name=props.app_insights_name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            application_type="web",
            workspace_id=props.log_analytics_workspace_id,
            # Ingestion stays reachable: managed deployments send telemetry with the
            # connection string and there is no Azure Monitor private link scope here.
            tags=tags,
        )
        self.workspace = MachineLearningWorkspace(
            self,
            "workspace",
            name=props.name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            application_insights_id=self.app_insights.id,
            key_vault_id=props.key_vault_id,
            storage_account_id=self.storage.id,
            container_registry_id=self.container_registry.id,
            identity=MachineLearningWorkspaceIdentity(type="SystemAssigned"),
            public_network_access_enabled=props.public_network_access_enabled,
            managed_network=MachineLearningWorkspaceManagedNetwork(
                isolation_mode=props.isolation_mode,
                # Provision the managed VNet now, not on the first deployment (which would time out waiting).
                provision_on_creation_enabled=True,
            ),
            sku_name="Basic",
            timeouts=MachineLearningWorkspaceTimeouts(create=WORKSPACE_CREATE_TIMEOUT),
            tags=tags,
        )
        # Read once: every jsii attribute read is a round trip to the Node process.
        self.workspace_id: str = self.workspace.id
        # Where the router's OpenTelemetry traces go too (RouterApp); Microsoft: "the
        # connection string ... is not considered a secret" (Container Apps OpenTelemetry agents).
        self.app_insights_connection_string: str = self.app_insights.connection_string
        # Written one after another: concurrent writes to a workspace's outbound rules
        # lose rules (Azure/terraform-provider-azapi #453), and azurerm 4.55 takes no lock
        # on them. Pulls that need the egress wait for every rule (`egress_ready`).
        # A non-default firewall SKU is set before the first FQDN rule, which provisions the firewall.
        self.firewall_sku: AzapiUpdate | None = None
        if props.firewall_sku != "Standard":
            self.firewall_sku = AzapiUpdate(self, "firewall-sku", kind="ml_workspace", resource_id=self.workspace_id,
                                            body={"properties": {"managedNetwork": {"firewallSku": props.firewall_sku}}})
        rules: list[MachineLearningWorkspaceNetworkOutboundRuleFqdn] = []
        first_waits_for = [self.firewall_sku] if self.firewall_sku else []
        for fqdn in sorted(set(props.outbound_fqdns)):
            slug = fqdn.replace(".", "-").replace("*", "any")
            rules.append(
                MachineLearningWorkspaceNetworkOutboundRuleFqdn(
                    self,
                    f"outbound-{slug}",  # keyed by the FQDN itself: reordering the list moves nothing
                    name=f"allow-{slug}"[:64],
                    workspace_id=self.workspace_id,
                    destination_fqdn=fqdn,
                    depends_on=rules[-1:] or first_waits_for or None,
                )
            )
        self.egress_ready: tuple[ITerraformDependable, ...] = tuple(rules)
        self._diagnostics(props.log_analytics_workspace_id)
        # The storage is reachable only privately, from the council's network too (Azure ML itself
        # uses the managed network's own private endpoints to it).
        for subresource, link in props.storage_private_links:
            private_endpoint_to(self, f"storage-{subresource}-endpoint", link=link, target_id=self.storage.id, subresource=subresource,
                                resource_group_name=props.resource_group_name, location=props.location, tags=props.tags)
        self.private_endpoint = private_endpoint(
            self,
            "private-endpoint",
            name=props.private_endpoint_name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            subnet_id=props.private_endpoints_subnet_id,
            target_id=self.workspace_id,
            subresource="amlworkspace",
            zone_ids=[props.api_zone_id, props.notebooks_zone_id],
            tags=tags,
        )

    def _diagnostics(self, workspace_id: str) -> None:
        """The workspace's own logs, its registry's pushes and logins, blob reads and writes
        of its storage, and every resource's metrics, to the environment's Log Analytics."""
        everything = DiagnosticSetting(workspace_resource_id=workspace_id)
        storage_id = self.storage.id
        for key, rtype, target, setting in (
            ("workspace", "Microsoft.MachineLearningServices/workspaces", self.workspace_id, everything),
            ("registry", "Microsoft.ContainerRegistry/registries", self.container_registry.id, everything),
            ("storage", "Microsoft.Storage/storageAccounts", storage_id,
             DiagnosticSetting(workspace_resource_id=workspace_id, log_groups=(), metric_categories=("Transaction",))),
            ("blob", "Microsoft.Storage/storageAccounts/blobServices", f"{storage_id}/blobServices/default",
             DiagnosticSetting(workspace_resource_id=workspace_id, log_groups=("allLogs",), metric_categories=("Transaction",))),
        ):
            add_diagnostic_setting(self, f"diagnostics-{key}", resource_type=rtype, target_resource_id=target, setting=setting)

    @property
    def principal_id(self) -> str:
        return self.workspace.identity.principal_id

    def add_secret_connection(self, id: str, *, name: str, target: str, key: str, value: str) -> "SecretConnection":
        """A CustomKeys workspace connection holding one secret (e.g. a Hugging Face token),
        for deployments to read through secret injection (`SecretConnection.reference`).

        `value` should be a sensitive Terraform variable: it reaches Azure only through the
        write-only `sensitive_body`, so it is in neither the synthesized JSON nor the state.
        """
        resource = AzapiResource(
            self,
            id,
            kind="workspace_connection",
            name=name,
            parent_id=self.workspace_id,
            body={"properties": {"category": "CustomKeys", "authType": "CustomKeys", "target": target, "isSharedToAll": False}},
            sensitive_body={"properties": {"credentials": {"keys": {key: value}}}},
            # Bump to re-send the value (write-only arguments are not compared).
            sensitive_body_version={f"properties.credentials.keys.{key}": "1"},
        )
        return SecretConnection(resource=resource, reference=f"azureml://connections/{name}/credentials/{key}")
