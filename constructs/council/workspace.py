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
from cdktf_cdktf_provider_azurerm.container_registry import ContainerRegistry, ContainerRegistryGeoreplications
from cdktf_cdktf_provider_azurerm.role_assignment import RoleAssignment
from cdktf import ITerraformDependable
from cdktf_cdktf_provider_azurerm.storage_account import (
    StorageAccount,
    StorageAccountBlobProperties,
    StorageAccountBlobPropertiesContainerDeleteRetentionPolicy,
    StorageAccountBlobPropertiesDeleteRetentionPolicy,
    StorageAccountSasPolicy,
)
from constructs import Construct

from council.azapi import AzapiAction, AzapiResource, Timeouts
from council.diagnostics import DiagnosticSetting, add_diagnostic_setting
from council.errors import PropsError
from council.naming import check
from council.private_link import PrivateLink, private_endpoint, private_endpoint_to

ISOLATION_MODES = ("AllowOnlyApprovedOutbound", "AllowInternetOutbound")


@dataclass(frozen=True)
class SecretConnection:
    resource: AzapiResource  # what a deployment reading it must wait for
    reference: str  # azureml://connections/<name>/credentials/<key>
# Provisioning the managed network (provisionManagedNetwork) takes "about 30 minutes" for
# automatic network provisioning, and "the first FQDN rule adds around 10 minutes" (Azure ML
# docs, how-to-managed-network, read 2026-11-27); azapi's default timeout is 30 minutes.
NETWORK_PROVISION_TIMEOUT = "90m"


@dataclass(frozen=True, kw_only=True)
class CouncilWorkspaceProps:
    name: str
    resource_group_name: str
    # The workspace is created in the group by ARM id (azapi's parent_id).
    resource_group_id: str
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
    # The region of the registry's geo-replica (None: no replica). Azure ML's high-availability
    # guide asks for one in the paired region.
    registry_replica_location: str | None = None
    # Zone-redundant replica (needs availability zones in the replica's region).
    registry_replica_zone_redundant: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)


def outbound_rules(fqdns: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The managed network's user-defined FQDN rules, keyed by a name derived from the FQDN."""
    rules = {}
    for fqdn in sorted(set(fqdns)):
        slug = fqdn.replace(".", "-").replace("*", "any")
        rules[f"allow-{slug}"[:64]] = {"type": "FQDN", "destination": fqdn, "category": "UserDefined"}
    return rules


class CouncilWorkspace(Construct):
    """An Azure ML workspace closed to the public, with its managed network."""

    def __init__(self, scope: Construct, id: str, *, props: CouncilWorkspaceProps) -> None:
        super().__init__(scope, id)
        check("ml_workspace", props.name, field="name")
        check("storage_account", props.storage_account_name, field="storage_account_name")
        check("container_registry", props.container_registry_name, field="container_registry_name")
        if props.firewall_sku not in ("Standard", "Basic"):
            raise PropsError(self.node.path, "firewall_sku", props.firewall_sku, "'Standard' or 'Basic'")
        if props.registry_replica_location == props.location:
            raise PropsError(self.node.path, "registry_replica_location", props.registry_replica_location,
                             "a region other than the registry's own location, or None")
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
            # No shared keys: the account accepts only Entra ID, so a leaked key or account SAS
            # opens nothing. The workspace below is created with identity-based system datastores,
            # Microsoft's documented way to use such an account (how-to-disable-local-auth-storage).
            # azurerm itself needs no key here: it makes only ARM calls (data plane off, above).
            shared_access_key_enabled=False,
            default_to_oauth_authentication=True,
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
            # Layers come from the registry's own regional data host, not a shared one. Azure turns
            # this on anyway for a registry with a private endpoint, which the managed network gives
            # it: "If a registry has at least one private endpoint configured, dedicated data
            # endpoints are automatically enabled" (container-registry-dedicated-data-endpoints,
            # ms.date 2026-06-15, read 2026-11-28).
            data_endpoint_enabled=True,
            # A replica keeps images pullable through a regional registry outage (new instances and
            # scale-outs pull). Created with the registry, before the workspace and its managed
            # private endpoint, which then covers the replica's data endpoint too ("exposes several
            # virtual network private IPs that cover all of the registry's endpoint surfaces",
            # container-registry-geo-replication, ms.date 2026-08-13).
            georeplications=[ContainerRegistryGeoreplications(location=props.registry_replica_location,
                                                              zone_redundancy_enabled=props.registry_replica_zone_redundant, tags=tags)]
            if props.registry_replica_location else None,
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
        # azapi, not azurerm: azurerm 4.55 cannot create a workspace whose system datastores use
        # its identity (hashicorp/terraform-provider-azurerm#22150, open), and Microsoft documents
        # the keyless account only that way: "create an Azure Storage account, disable shared key
        # access, and use it during workspace creation" with systemDatastoresAuthMode identity
        # (learn.microsoft.com/azure/machine-learning/how-to-disable-local-auth-storage, "Create a
        # new workspace", read 2026-11-28; the feature is marked preview there). 2025-06-01 is the
        # newest stable api-version azapi 2.5.0 embeds, and the only one of them with both
        # systemDatastoresAuthMode and managedNetwork.firewallSku (tests/rest_specs).
        self.workspace = AzapiResource(
            self,
            "workspace",
            kind="ml_workspace",
            name=props.name,
            parent_id=props.resource_group_id,
            location=props.location,
            identity_type="SystemAssigned",
            body={
                "kind": "Default",
                "sku": {"name": "Basic", "tier": "Basic"},
                "properties": {
                    "storageAccount": self.storage.id,
                    "keyVault": props.key_vault_id,
                    "applicationInsights": self.app_insights.id,
                    "containerRegistry": self.container_registry.id,
                    "publicNetworkAccess": "Enabled" if props.public_network_access_enabled else "Disabled",
                    # Azure ML reaches its storage with Entra identities, never the account key.
                    # Online endpoints' system identities get their storage role from Azure ML
                    # ("automatically assigned the role when provisioned", same page).
                    "systemDatastoresAuthMode": "Identity",
                    "v1LegacyMode": False,
                    "managedNetwork": {
                        "isolationMode": props.isolation_mode,
                        "firewallSku": props.firewall_sku,
                        # In the workspace's own body: one writer, so no rule is lost to
                        # concurrent writes (Azure/terraform-provider-azapi #453) or dropped by a
                        # later PUT of the workspace that does not list it.
                        "outboundRules": outbound_rules(props.outbound_fqdns),
                    },
                },
                "tags": tags,
            },
            # What azurerm makes ForceNew: Azure ML cannot move a workspace to other dependents.
            replace_triggers=[self.storage.id, props.key_vault_id, self.app_insights.id, self.container_registry.id],
            # The service may answer "identity" for "Identity" (Azure/terraform-provider-azapi #807).
            ignore_casing=True,
            # A soft-deleted workspace keeps its name for 14 days, and a create with that name fails
            # ("Soft-deleted workspace exists. Please purge or recover it"): destroy purges it, so the
            # environment can be created again (Workspaces_Delete's forceToPurge query parameter,
            # which azurerm sends for purge_soft_deleted_workspace_on_destroy: its 2025-06-01
            # workspaces client, DeleteOperationOptions.ForceToPurge). The council keeps no data in
            # the workspace; its endpoints are deleted before it anyway.
            delete_query_parameters={"forceToPurge": ["true"]},
        )
        # Read once: every jsii attribute read is a round trip to the Node process.
        self.workspace_id: str = self.workspace.id
        # Where the router's OpenTelemetry traces go too (RouterApp); Microsoft: "the
        # connection string ... is not considered a secret" (Container Apps OpenTelemetry agents).
        self.app_insights_connection_string: str = self.app_insights.connection_string
        # Build the managed network (and its firewall, for FQDN rules) now rather than on the
        # first deployment, which would time out waiting for it; `az ml workspace provision-network`
        # sends the same request (Workspaces_ProvisionManagedNetwork). Deployments that pull
        # through the egress wait for it (`egress_ready`).
        self.network_provisioned = AzapiAction(
            self,
            "provision-network",
            kind="ml_workspace",
            resource_id=self.workspace_id,
            action="provisionManagedNetwork",
            body={"includeSpark": False},
            depends_on=[self.workspace],
            timeouts=Timeouts(create=NETWORK_PROVISION_TIMEOUT),
        )
        self.egress_ready: tuple[ITerraformDependable, ...] = (self.network_provisioned,)
        self._diagnostics(props.log_analytics_workspace_id)
        # The storage is reachable only privately, from the council's network too (Azure ML itself
        # uses the managed network's own private endpoints to it).
        # Studio reads that storage through these endpoints in the workspace's name: "If the workspace
        # associated Azure storage account has public network access disabled, ensure the private
        # endpoint created in the client virtual network is granted the Reader role to your workspace
        # managed identity. This applies to both blob and file storage private endpoints"
        # (learn.microsoft.com/azure/machine-learning/how-to-managed-network, "Azure Machine Learning
        # studio"; read 2026-12-03). Not needed for the managed network's own endpoints.
        for subresource, link in props.storage_private_links:
            endpoint, _ = private_endpoint_to(self, f"storage-{subresource}-endpoint", link=link, target_id=self.storage.id,
                                              subresource=subresource, resource_group_name=props.resource_group_name,
                                              location=props.location, tags=props.tags)
            RoleAssignment(self, f"storage-{subresource}-endpoint-reader", scope=endpoint.id, role_definition_name="Reader",
                           principal_id=self.principal_id, principal_type="ServicePrincipal")
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
        return self.workspace.principal_id

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
