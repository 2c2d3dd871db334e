"""A small typed wrapper over cdktf's generic provider/resource for Azure/azapi.

No prebuilt Python bindings exist for azapi, so this module is the only place
that knows its resource types, argument names and api-versions. Bodies are plain
HCL objects (azapi 2.x), never ARM template expressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from cdktf import ITerraformDependable, TerraformDataSource, TerraformProvider, TerraformProviderGeneratorMetadata, TerraformResource, Token
from constructs import Construct

AZAPI_SOURCE = "Azure/azapi"
# 2.5.0: sensitive_body (write-only, 2.4.0) with sensitive_body_version, and
# sensitive_response_export_values on actions (2.3.0).
AZAPI_VERSION = "2.5.0"

# One table: resource type -> "type@api-version". Every entry has Microsoft's request
# body schema vendored in tests/rest_specs/ (source and date there); the tests validate
# every body the stacks send against it, so a new entry needs its schema vendored too.
API_VERSIONS: dict[str, str] = {
    "online_endpoint": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints@2025-06-01",
    "online_deployment": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments@2025-06-01",
    "environment_version": "Microsoft.MachineLearningServices/workspaces/environments/versions@2024-10-01",
    "workspace_connection": "Microsoft.MachineLearningServices/workspaces/connections@2024-10-01",
    # Written through ARM so a private (no public access) vault can still be filled.
    "key_vault_secret": "Microsoft.KeyVault/vaults/secrets@2023-07-01",
    # Only the managed OpenTelemetry agent (appInsightsConfiguration, openTelemetryConfiguration),
    # which azurerm 4.55's container_app_environment does not manage, is written this way. No
    # stable api-version has those properties (stable 2022-03-01 to 2026-01-01 checked against
    # the REST spec, 2026-11-27). 2025-02-02-preview has both and is the newest azapi 2.5.0
    # embeds: with a version it does not embed (2025-10-02-preview, before), azapi_update_resource
    # PUTs the whole GET response back, read-only fields included and unvalidated
    # (tests/rest_specs/azapi-embedded-api-versions.json; issue 21).
    "container_apps_environment": "Microsoft.App/managedEnvironments@2025-02-02-preview",
    # The workspace itself (azurerm 4.55 cannot set systemDatastoresAuthMode) and its
    # provisionManagedNetwork action. 2025-06-01: the newest stable api-version embedded in azapi
    # 2.5.0 (which checks azapi_resource bodies against it at plan), and the only one of those
    # with systemDatastoresAuthMode and managedNetwork.firewallSku (tests/rest_specs, vendored
    # from azapi's own types).
    "ml_workspace": "Microsoft.MachineLearningServices/workspaces@2025-06-01",
    # Read only: a landing zone's apps subnet, checked at plan (delegation and size). 2024-05-01:
    # the newest stable Microsoft.Network version azapi 2.5.0 embeds.
    "subnet": "Microsoft.Network/virtualNetworks/subnets@2024-05-01",
}



@dataclass(frozen=True, kw_only=True)
class Timeouts:
    """azapi's `timeouts` block (Go durations such as "70m"); None keeps azapi's default.

    azapi 2.5.0 defaults: create/update/delete 30m, read 5m (internal/services/azapi_resource.go).
    `azapi_resource_action` applies its *create* timeout to every run, also on update and
    destroy (azapi_resource_action_resource.go, Action()).
    """

    create: str | None = None
    update: str | None = None
    delete: str | None = None
    read: str | None = None

    def block(self) -> dict[str, str]:
        return {k: v for k, v in (("create", self.create), ("update", self.update), ("delete", self.delete), ("read", self.read)) if v}


_METADATA = TerraformProviderGeneratorMetadata(provider_name="azapi", provider_version_constraint=AZAPI_VERSION)


class AzapiProvider(TerraformProvider):
    """`provider "azapi" {}` pinned to AZAPI_VERSION (credentials come from ARM_* like azurerm)."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(
            scope,
            id,
            terraform_resource_type="azapi",
            terraform_generator_metadata=_METADATA,
            terraform_provider_source=AZAPI_SOURCE,
        )


def _api_type(kind: str) -> str:
    """`type@api-version` for `kind` from the one table."""
    if kind not in API_VERSIONS:
        raise KeyError(f"no api-version registered for {kind!r}; add it to API_VERSIONS")
    return API_VERSIONS[kind]


class _References:
    """What an azapi element synthesizes, kept Python-side (`attributes`, read by the security
    Aspect with no round trip to the jsii process), and attribute references made once each:
    every token costs a jsii round trip."""

    def _set(self, key: str, value: Any) -> None:
        self.attributes[key] = value
        self.add_override(key, value)

    def _reference(self, attribute: str) -> str:
        cache = self.__dict__.setdefault("_reference_cache", {})
        if attribute not in cache:
            cache[attribute] = Token.as_string(self.interpolation_for_attribute(attribute))
        return cache[attribute]

    @property
    def id(self) -> str:
        return self._reference("id")

    def output(self, path: str) -> str:
        """A reference to `output.<path>`; `path` must be listed in response_export_values."""
        return self._reference(f"output.{path}")


class _AzapiBase(_References, TerraformResource):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        resource_type: str,
        kind: str,
        depends_on: Sequence[ITerraformDependable] = (),
        timeouts: Timeouts | None = None,
    ) -> None:
        azapi_type = _api_type(kind)
        super().__init__(
            scope,
            id,
            terraform_resource_type=resource_type,
            terraform_generator_metadata=_METADATA,
            depends_on=list(depends_on) or None,
        )
        self.azapi_type = azapi_type
        self.resource_type = resource_type
        # What this resource synthesizes, kept Python-side so that readers (the
        # security Aspect) need no round trip to the jsii process.
        self.attributes: dict[str, Any] = {}
        self._set("type", self.azapi_type)
        if timeouts is not None and timeouts.block():
            self._set("timeouts", timeouts.block())


class AzapiResource(_AzapiBase):
    """`azapi_resource`: create/read/update/delete one ARM resource from a body."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        kind: str,
        name: str,
        parent_id: str,
        body: Mapping[str, Any],
        location: str | None = None,
        identity_type: str | None = None,
        response_export_values: Sequence[str] = (),
        sensitive_body: Mapping[str, Any] | None = None,
        sensitive_body_version: Mapping[str, str] | None = None,
        ignore_changes: Sequence[str] = (),
        replace_triggers: Sequence[str] = (),
        create_before_destroy: bool = False,
        depends_on: Sequence[ITerraformDependable] = (),
        timeouts: Timeouts | None = None,
        schema_validation_enabled: bool = True,
        ignore_casing: bool = False,
        delete_query_parameters: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(scope, id, resource_type="azapi_resource", kind=kind, depends_on=depends_on, timeouts=timeouts)
        if not schema_validation_enabled:
            # azapi checks bodies against its embedded copy of the REST spec at plan; turn
            # that off only where the spec is known to be stricter than the service.
            self._set("schema_validation_enabled", False)
        if ignore_casing:
            # azapi 2.5.0 then keeps a configured string value when Azure returns it in another
            # case (utils/json.go UpdateObject: strings.EqualFold), instead of diffing every plan.
            self._set("ignore_casing", True)
        if delete_query_parameters:
            # Sent with the DELETE only (azapi 2.5.0 azapi_resource.go: client.Delete(..., DeleteQueryParameters)).
            self._set("delete_query_parameters", {k: list(v) for k, v in delete_query_parameters.items()})
        self.body = dict(body)
        self._set("name", name)
        self._set("parent_id", parent_id)
        if location is not None:
            self._set("location", location)
        if identity_type is not None:
            self._set("identity", [{"type": identity_type}])
        self._set("body", self.body)
        # Always export what others read (output is otherwise only read-only fields).
        if response_export_values:
            self._set("response_export_values", list(response_export_values))
        if sensitive_body is not None:
            self._set("sensitive_body", dict(sensitive_body))
            if sensitive_body_version:
                self._set("sensitive_body_version", dict(sensitive_body_version))
        if replace_triggers:
            # Values whose change means a new resource (create-only properties).
            self._set("replace_triggers_external_values", list(replace_triggers))
        lifecycle: dict[str, Any] = {}
        if ignore_changes:
            lifecycle["ignore_changes"] = list(ignore_changes)
        if create_before_destroy:
            lifecycle["create_before_destroy"] = True
        if lifecycle:
            self._set("lifecycle", lifecycle)

    @property
    def principal_id(self) -> str:
        """The system-assigned identity's principal id (needs identity_type SystemAssigned)."""
        return self._reference("identity[0].principal_id")


class AzapiUpdate(_AzapiBase):
    """`azapi_update_resource`: sets properties on a resource that another provider manages.

    azapi 2.5.0 GETs the resource, merges `body` into it and PUTs the result
    (internal/services/azapi_update_resource.go); destroy only forgets it (the properties
    stay until the resource goes). Use it only for properties the managing provider does
    not know, or the two would fight over them.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        kind: str,
        resource_id: str,
        body: Mapping[str, Any],
        sensitive_body: Mapping[str, Any] | None = None,
        depends_on: Sequence[ITerraformDependable] = (),
        timeouts: Timeouts | None = None,
    ) -> None:
        super().__init__(scope, id, resource_type="azapi_update_resource", kind=kind, depends_on=depends_on, timeouts=timeouts)
        self.body = dict(body)
        self._set("resource_id", resource_id)
        self._set("body", self.body)
        if sensitive_body is not None:
            # Write-only (merged into the request, kept out of state), like azapi_resource's.
            self._set("sensitive_body", dict(sensitive_body))


class AzapiAction(_AzapiBase):
    """`azapi_resource_action`: one ARM request, re-sent whenever its body changes.

    Facts from azapi 2.5.0 (internal/services/azapi_resource_action_resource.go, read 2026-11-27):
    - `action=""` sends the request to `resource_id` itself (resource_client.go), so
      `method="PUT"` writes a whole resource with *replace* semantics -- unlike
      `azapi_update_resource`, which GETs and merges maps before its PUT.
    - A changed `body` or `method` is an in-place update that sends the request again;
      a changed `type`, `resource_id` or `action` replaces the resource.
    - With `when="apply"` (default) destroy sends nothing: right for ARM types that
      define no DELETE (Key Vault secrets). With `when="destroy"` create sends nothing
      and destroy sends the request with the values in state.
    - The create timeout applies to every run (see Timeouts).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        kind: str,
        resource_id: str,
        method: str = "POST",
        action: str = "",
        body: Mapping[str, Any] | None = None,
        response_export_values: Sequence[str] = (),
        sensitive_response_export_values: Sequence[str] = (),
        when: str = "apply",
        depends_on: Sequence[ITerraformDependable] = (),
        timeouts: Timeouts | None = None,
    ) -> None:
        if method not in ("POST", "PUT", "PATCH", "GET", "DELETE", "HEAD"):
            raise ValueError(f"method {method!r}: azapi_resource_action takes POST, PUT, PATCH, GET, DELETE or HEAD")
        if when not in ("apply", "destroy"):
            raise ValueError(f"when {when!r}: 'apply' or 'destroy'")
        super().__init__(scope, id, resource_type="azapi_resource_action", kind=kind, depends_on=depends_on, timeouts=timeouts)
        self.body = dict(body) if body is not None else None
        self._set("resource_id", resource_id)
        if action:
            self._set("action", action)
        self._set("method", method)
        if self.body is not None:
            self._set("body", self.body)
        if response_export_values:
            self._set("response_export_values", list(response_export_values))
        if sensitive_response_export_values:
            self._set("sensitive_response_export_values", list(sensitive_response_export_values))
        if when != "apply":
            self._set("when", when)

    def sensitive_output(self, path: str) -> str:
        """A reference to `sensitive_output.<path>` (listed in sensitive_response_export_values)."""
        return self._reference(f"sensitive_output.{path}")


class _AzapiData(_References, TerraformDataSource):
    """An azapi data source on one ARM resource: its `type@api-version` and `resource_id`."""

    def __init__(self, scope: Construct, id: str, *, resource_type: str, kind: str, resource_id: str,
                 depends_on: Sequence[ITerraformDependable] = ()) -> None:
        super().__init__(scope, id, terraform_resource_type=resource_type, terraform_generator_metadata=_METADATA,
                         depends_on=list(depends_on) or None)
        self.attributes: dict[str, Any] = {}
        self._set("type", _api_type(kind))
        self._set("resource_id", resource_id)


class AzapiActionRead(_AzapiData):
    """`data "azapi_resource_action"`: a read-only ARM action (e.g. `listKeys`), run at every
    plan, so what it returns is current. Terraform defers the read to apply when a resource
    it depends on has changes (e.g. the key regeneration before it), so it then returns what
    that change produced. Its sensitive outputs stay out of the plan's display."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        kind: str,
        resource_id: str,
        action: str,
        method: str = "POST",
        sensitive_response_export_values: Sequence[str] = (),
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        super().__init__(scope, id, resource_type="azapi_resource_action", kind=kind, resource_id=resource_id, depends_on=depends_on)
        self._set("action", action)
        self._set("method", method)
        if sensitive_response_export_values:
            self._set("sensitive_response_export_values", list(sensitive_response_export_values))

    def sensitive_output(self, path: str) -> str:
        return self._reference(f"sensitive_output.{path}")


class AzapiRead(_AzapiData):
    """`data "azapi_resource"`: read one existing ARM resource at plan. `postconditions` are
    (condition, error message) pairs over `self.output` that stop the plan when false -- before
    anything is created."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        kind: str,
        resource_id: str,
        response_export_values: Sequence[str],
        postconditions: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(scope, id, resource_type="azapi_resource", kind=kind, resource_id=resource_id)
        self._set("response_export_values", list(response_export_values))
        if postconditions:
            self._set("lifecycle", {"postcondition": [{"condition": c, "error_message": m} for c, m in postconditions]})
