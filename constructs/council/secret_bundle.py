"""SecretBundle: a private, RBAC-only Key Vault and the secrets the council keeps in it.

Secrets are written through Azure Resource Manager (`Microsoft.KeyVault/vaults/secrets`),
not the vault's data plane: the vault has no public network access, so a Terraform
run outside the VNet (a laptop, a Terraform Cloud agent) could not reach the data
plane, but ARM writes work from anywhere the deployer can reach Azure. Values can be
other resources' outputs (an endpoint key, a generated password); they are never
read back, so a plan never prints them.

ARM defines no DELETE for `vaults/secrets` ("The operation 'delete' on resource type
'vaults/secrets' is disallowed", Azure/terraform-provider-azapi #879), so each secret
is an `azapi_resource_action` that PUTs the secret: it re-writes the value whenever
the value changes and sends nothing on destroy. A removed secret stays in the vault
(and a destroyed vault stays soft-deleted for its retention period): see the README,
"Destroy an environment".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_azurerm.key_vault import KeyVault, KeyVaultNetworkAcls
from cdktf_cdktf_provider_azurerm.role_assignment import RoleAssignment
from constructs import Construct

from council.azapi import AzapiAction
from council.cloud import ROLE_KEY_VAULT_SECRETS_USER
from council.diagnostics import DiagnosticSetting, add_diagnostic_setting
from council.errors import PropsError
from council.naming import check
from council.private_link import PrivateLink, private_endpoint_to




@dataclass(frozen=True, kw_only=True)
class SecretBundleProps:
    """Key Vault settings. Every default is the secure choice; loosen one only on purpose."""

    name: str
    resource_group_name: str
    location: str
    tenant_id: str
    # The private endpoint's subnet, DNS zone and name (CouncilNetwork.private_link).
    private_link: PrivateLink
    sku_name: str = "standard"
    purge_protection_enabled: bool = True
    soft_delete_retention_days: int = 90
    public_network_access_enabled: bool = False
    # Extra IP ranges allowed through the firewall (default deny). Empty: none.
    allowed_ip_ranges: tuple[str, ...] = ()
    # Where the resources' logs and metrics go (council.diagnostics); None: nowhere.
    log_analytics_workspace_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BundleSecret:
    """Metadata of one secret (never its value)."""

    name: str
    versionless_id: str  # https://<vault>.vault.azure.net/secrets/<name>
    resource: AzapiAction


class SecretBundle(Construct):
    """A Key Vault (RBAC, purge protection, private endpoint, default deny) and its secrets."""

    def __init__(self, scope: Construct, id: str, *, props: SecretBundleProps) -> None:
        super().__init__(scope, id)
        check("key_vault", props.name, field="name")
        if not 7 <= props.soft_delete_retention_days <= 90:
            raise PropsError(self.node.path, "soft_delete_retention_days", props.soft_delete_retention_days, "7 to 90")
        if props.sku_name not in ("standard", "premium"):
            raise PropsError(self.node.path, "sku_name", props.sku_name, "'standard' or 'premium'")
        self._props = props
        self._secrets: dict[str, BundleSecret] = {}
        self.vault = KeyVault(
            self,
            "vault",
            name=props.name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            tenant_id=props.tenant_id,
            sku_name=props.sku_name,
            rbac_authorization_enabled=True,
            purge_protection_enabled=props.purge_protection_enabled,
            soft_delete_retention_days=props.soft_delete_retention_days,
            public_network_access_enabled=props.public_network_access_enabled,
            network_acls=KeyVaultNetworkAcls(
                default_action="Deny", bypass="AzureServices", ip_rules=list(props.allowed_ip_ranges)
            ),
            tags=dict(props.tags),
        )
        # Read once: every jsii attribute read is a round trip to the Node process.
        self.key_vault_id: str = self.vault.id
        self.vault_uri: str = self.vault.vault_uri
        if props.log_analytics_workspace_id:
            # Every read and write of a secret, by whom and from where (AuditEvent).
            add_diagnostic_setting(self, "diagnostics", resource_type="Microsoft.KeyVault/vaults", target_resource_id=self.key_vault_id,
                                   setting=DiagnosticSetting(workspace_resource_id=props.log_analytics_workspace_id,
                                                             log_categories=("AuditEvent",), log_groups=()))
        # A reader in the VNet can reach the service only once all of reachable_after exist.
        self.private_endpoint, self.reachable_after = private_endpoint_to(
            self,
            "private-endpoint",
            link=props.private_link,
            target_id=self.key_vault_id,
            subresource="vault",
            resource_group_name=props.resource_group_name,
            location=props.location,
            tags=props.tags,
        )

    @property
    def secret_names(self) -> list[str]:
        return sorted(self._secrets)

    def add_secret(self, name: str, value: str, *, content_type: str = "text/plain") -> BundleSecret:
        """Store `value` (a literal or another resource's output) as secret `name`."""
        if not re.match(r"^[a-z0-9][a-z0-9-]{0,125}[a-z0-9]$", name):
            raise PropsError(self.node.path, "secret name", name, "lowercase letters, digits and - (also a valid Container Apps secret name)")
        if name in self._secrets:
            raise PropsError(self.node.path, "secret name", name, "a name not already in this bundle")
        resource = AzapiAction(
            self,
            f"secret-{name}",
            kind="key_vault_secret",
            resource_id=f"{self.key_vault_id}/secrets/{name}",
            method="PUT",
            body={"properties": {"value": value, "contentType": content_type}},
            response_export_values=["properties.secretUri"],
        )
        secret = BundleSecret(name=name, versionless_id=resource.output("properties.secretUri"), resource=resource)
        self._secrets[name] = secret
        return secret

    def secret(self, name: str) -> BundleSecret:
        if name not in self._secrets:
            raise PropsError(self.node.path, "secret name", name, f"one of {self.secret_names}")
        return self._secrets[name]

    def secret_id(self, name: str) -> str:
        """The versionless secret URI: Container Apps re-reads the latest version from it."""
        return self.secret(name).versionless_id

    def grant_read(self, id: str, principal_id: str, *, principal_type: str = "ServicePrincipal") -> ITerraformDependable:
        """Let `principal_id` read every secret ("Key Vault Secrets User" on the vault).

        Returns the role assignment so a consumer can depend on it: an app that reads
        Key Vault references at creation must be created after the grant exists.
        """
        return RoleAssignment(
            self,
            f"grant-read-{id}",
            scope=self.key_vault_id,
            role_definition_name=ROLE_KEY_VAULT_SECRETS_USER,
            principal_id=principal_id,
            principal_type=principal_type,
        )
