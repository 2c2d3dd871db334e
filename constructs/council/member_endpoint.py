"""CouncilMemberEndpoint: one council member on an Azure ML managed online endpoint.

Creates, in order: the online endpoint (Key auth, public network access disabled),
its managed deployment on a GPU SKU, 100% traffic to that deployment once it
exists, Azure Monitor autoscale on the deployment, and -- handed to a SecretBundle --
the endpoint key (from the `listKeys` action, sensitive) and its OpenAI-style base
URL. Azure ML has no azurerm resource for online endpoints: they go through azapi.

Lifecycle (each rule is tested on the synthesized dependency graph):
- Traffic is written by a whole-endpoint PUT (`azapi_resource_action`), never by
  `azapi_update_resource`, which merges maps and would send {old: 100, new: 100} after
  a SKU change (Azure ML requires traffic to sum to 100). After creation that PUT is
  the endpoint's only writer (the endpoint resource ignores body changes), so no write
  can leave traffic out.
- A SKU change is a new deployment (`<role>-<sku>`, create_before_destroy): Terraform
  creates it, re-sends the traffic PUT that depends on it, then destroys the old one
  (hashicorp/terraform docs/destroying.md: dependents update before a CBD destroy).
- "You cannot delete a deployment that has live traffic allocated to it" (Azure ML docs,
  how-to-safely-rollout-online-endpoints, read 2026-11-27): a destroy-time PUT sets the
  endpoint's traffic to {} before the deployment is deleted (member removed, destroy).

Two model sources (council.model_source, the same classes the environment file uses):
- `CatalogModel`: a model asset from an Azure ML registry (the model catalog).
- `ContainerModel`: an OpenAI-compatible server image (a council.serving runtime, TGI
  by default) that pulls a Hugging Face model at start; a gated model's token comes from
  the workspace connection named by `token_connection` through secret injection and
  never appears in the synthesized JSON.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Mapping

from cdktf import Fn, ITerraformDependable
from cdktf_cdktf_provider_azurerm.monitor_autoscale_setting import (
    MonitorAutoscaleSetting,
    MonitorAutoscaleSettingProfile,
    MonitorAutoscaleSettingProfileCapacity,
    MonitorAutoscaleSettingProfileRecurrence,
    MonitorAutoscaleSettingProfileRule,
    MonitorAutoscaleSettingProfileRuleMetricTrigger,
    MonitorAutoscaleSettingProfileRuleScaleAction,
)
from constructs import Construct

from council.azapi import AzapiAction, AzapiActionRead, AzapiResource, Timeouts
from council.diagnostics import DiagnosticSetting, add_diagnostic_setting
from council.errors import PropsError
from council.policy import (
    DEFAULT_PROFILE_NAME,
    MAX_MIRROR_PERCENT,
    MAX_REQUEST_TIMEOUT_SECONDS,
    SLOTS,
    AutoscaleRules,
    Instances,
    Schedule,
    member_schedule_problems,
    other_slot,
    request_timeout_problem,
    scheduled_profiles,
)
from council.metrics import metric_problem
from council.model_source import CatalogModel, ContainerModel
from council.naming import check
from council.secret_bundle import BundleSecret, SecretBundle

DEPLOYMENT_METRIC_NAMESPACE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
# "Creating the deployment can take up to 15 minutes, depending on whether the
# underlying environment or image is being built for the first time" (Azure ML docs,
# how-to-deploy-online-endpoints, read 2026-11-27). GPU allocation and multi-GB image
# and weight pulls are not bounded by any document, so the azapi timeout doubles the
# documented creation time plus the longest the readiness probe may keep failing.
DOCUMENTED_CREATION_SECONDS = 15 * 60
TIMEOUT_SAFETY_FACTOR = 2
DEPLOYMENT_DELETE_TIMEOUT = "45m"


@dataclass(frozen=True, kw_only=True)
class ProbeTimings:
    """Probe settings sized for multi-minute model downloads and loads."""

    liveness_initial_delay_seconds: int = 900
    readiness_initial_delay_seconds: int = 120
    period_seconds: int = 10
    timeout_seconds: int = 10
    # readiness may fail this many periods (default 90 x 10 s = 15 min) before the deployment fails.
    readiness_failure_threshold: int = 90
    liveness_failure_threshold: int = 30

    @property
    def readiness_window_seconds(self) -> int:
        """Longest a starting server may stay unready before Azure ML fails the deployment."""
        return self.readiness_initial_delay_seconds + self.period_seconds * self.readiness_failure_threshold

    def body(self, initial_delay_seconds: int, failure_threshold: int) -> dict:
        """A ProbeSettings body (ISO-8601 durations) for the REST API."""
        return {
            "initialDelay": _duration(initial_delay_seconds),
            "period": _duration(self.period_seconds),
            "timeout": _duration(self.timeout_seconds),
            "failureThreshold": failure_threshold,
            "successThreshold": 1,
        }


@dataclass(frozen=True, kw_only=True)
class StagedDeployment:
    """A change staged beside the live deployment, in the member's other slot (README "Roll out a
    change"): its own deployment, environment and autoscale, taking `traffic_percent` of the
    endpoint's traffic (100: promoted; the live one keeps running at 0) or a `mirror_percent` copy."""

    deployment_name: str
    model: CatalogModel | ContainerModel
    instance_type: str
    instances: Instances = Instances()
    autoscale: AutoscaleRules = AutoscaleRules()
    request_timeout_seconds: int = 90
    max_concurrent_requests_per_instance: int = 8
    traffic_percent: int = 0
    mirror_percent: int = 0


@dataclass(frozen=True)
class _Spec:
    """What one deployment runs (the live one from the props, or the staged one)."""

    slot: str
    deployment_name: str
    model: CatalogModel | ContainerModel
    instance_type: str
    instances: Instances
    autoscale: AutoscaleRules
    schedule: Schedule | None
    request_timeout_seconds: int
    max_concurrent_requests_per_instance: int


@dataclass(frozen=True, kw_only=True)
class CouncilMemberEndpointProps:
    role: str
    endpoint_name: str
    deployment_name: str
    workspace_id: str
    resource_group_name: str
    location: str
    model: CatalogModel | ContainerModel
    instance_type: str
    secrets: SecretBundle
    description: str = ""
    instances: Instances = Instances()
    autoscale: AutoscaleRules = AutoscaleRules()
    # Recurring windows of raised minimum instances (council.policy.Schedule); the windows that
    # name this role become recurring autoscale profiles beside `default`. None: `default` only.
    schedule: Schedule | None = None
    probes: ProbeTimings = ProbeTimings()
    request_timeout_seconds: int = 90
    max_concurrent_requests_per_instance: int = 8
    auth_mode: str = "Key"
    public_network_access: str = "Disabled"
    app_insights_enabled: bool = True
    # Where the resources' logs and metrics go (council.diagnostics); None: nowhere.
    log_analytics_workspace_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    # Which of the endpoint's two keys the router uses; switching it rotates that key first.
    key_slot: str = "primary"
    # `azureml://connections/<name>/credentials/<key>` of the workspace connection holding
    # the Hugging Face token: required when the model needs one (CouncilWorkspace.hf_token_reference).
    token_reference: str | None = None
    # Resources the deployment must wait for (e.g. the connection holding its token).
    deployment_depends_on: tuple[ITerraformDependable, ...] = ()
    # The managed network's outbound rules that image and weight pulls need: the
    # environment version and the deployment are created only after all of them.
    egress_ready: tuple[ITerraformDependable, ...] = ()
    # Blue/green: the slot the deployment above runs in (its resources' construct ids: blue keeps
    # the ids of a member without rollouts), and a change staged in the other slot.
    slot: str = "blue"
    staged: StagedDeployment | None = None


def deployment_timeout(probes: ProbeTimings) -> str:
    """azapi create/update timeout of a deployment: 2 x (documented creation time + the
    readiness window), rounded up to 10 minutes. Too short leaves a half-created
    deployment that the next apply cannot create again ("already exists")."""
    seconds = TIMEOUT_SAFETY_FACTOR * (DOCUMENTED_CREATION_SECONDS + probes.readiness_window_seconds)
    return f"{math.ceil(seconds / 600) * 10}m"


def _duration(seconds: int) -> str:
    return f"PT{seconds}S"


class CouncilMemberEndpoint(Construct):
    """A managed online endpoint + deployment + traffic + autoscale, keys in a SecretBundle."""

    def __init__(self, scope: Construct, id: str, *, props: CouncilMemberEndpointProps) -> None:
        super().__init__(scope, id)
        self._validate(props)
        self.props = props
        self.role = props.role
        self.endpoint_name = props.endpoint_name
        self.deployment_name = props.deployment_name
        tags = dict(props.tags)
        needs_token = props.model.needs_token or (props.staged is not None and props.staged.model.needs_token)

        endpoint_properties: dict = {
            "authMode": props.auth_mode,
            "publicNetworkAccess": props.public_network_access,
            "description": props.description or f"AI Council member {props.role}",
        }
        if needs_token:
            # Secret injection: the system-assigned identity may read the workspace's connections.
            endpoint_properties["properties"] = {"enforce_access_to_default_secret_stores": "enabled"}
        self.endpoint = AzapiResource(
            self,
            "endpoint",
            kind="online_endpoint",
            name=props.endpoint_name,
            parent_id=props.workspace_id,
            location=props.location,
            identity_type="SystemAssigned",
            body={"properties": endpoint_properties, "tags": tags},
            response_export_values=["properties.scoringUri"],
            # After creation the traffic PUT below writes the whole endpoint (these
            # properties and tags included): one writer, so traffic is never left out.
            ignore_changes=["body"],
        )

        live = _Spec(props.slot, props.deployment_name, props.model, props.instance_type, props.instances, props.autoscale,
                     props.schedule, props.request_timeout_seconds, props.max_concurrent_requests_per_instance)
        self.environment_version, self.deployment = self._deployment(live)
        self.staged_deployment: AzapiResource | None = None
        self.staged_environment_version: AzapiResource | None = None
        staged = props.staged
        if staged is not None:
            spec = _Spec(other_slot(props.slot), staged.deployment_name, staged.model, staged.instance_type,
                         staged.instances, staged.autoscale, None, staged.request_timeout_seconds,
                         staged.max_concurrent_requests_per_instance)
            self.staged_environment_version, self.staged_deployment = self._deployment(spec)
        deployments = [d for d in (self.deployment, self.staged_deployment) if d is not None]

        def endpoint_put(traffic: dict[str, int], mirror: dict[str, int] | None = None) -> dict:
            """The whole endpoint as a PUT body (replace semantics): what Azure keeps."""
            properties = {**endpoint_properties, "traffic": traffic}
            if mirror:
                properties["mirrorTraffic"] = mirror
            return {
                "location": props.location,
                "identity": {"type": "SystemAssigned"},
                "properties": properties,
                "tags": tags,
            }

        # Traffic can only point at a deployment that exists: set it afterwards, once every
        # deployment it names has been created (a staged one that fails to come up stops the
        # apply before this PUT, so the live deployment keeps its share).
        self.traffic = AzapiAction(
            self,
            "traffic",
            kind="online_endpoint",
            resource_id=self.endpoint.id,
            method="PUT",
            body=endpoint_put(*self.traffic_split),
            depends_on=deployments,
        )
        # Destroy-time only: take the traffic away so Azure ML lets the deployment go.
        self.traffic_release = AzapiAction(
            self,
            "traffic-release",
            kind="online_endpoint",
            resource_id=self.endpoint.id,
            method="PUT",
            body=endpoint_put({}),
            when="destroy",
            depends_on=deployments,
        )
        if props.log_analytics_workspace_id:
            # Traffic: one record per scoring request; console: the server's stdout/stderr;
            # event: the deployment's lifecycle (pulls, probes, restarts).
            add_diagnostic_setting(self, "diagnostics", resource_type="Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
                                   target_resource_id=self.endpoint.id, setting=DiagnosticSetting(
                                       workspace_resource_id=props.log_analytics_workspace_id, log_groups=(),
                                       log_categories=("AmlOnlineEndpointTrafficLog", "AmlOnlineEndpointConsoleLog", "AmlOnlineEndpointEventLog")))
        # Key rotation (README "Rotate keys"): the router uses one of the endpoint's two keys
        # (key_slot). That key is regenerated when the slot is chosen -- so switching slots
        # rotates the key not in use, then points the router at it, while the old revision
        # keeps the other key until the new one serves. (regenerateKeys: POST with keyType
        # Primary|Secondary; Azure ML REST, online endpoints, 2025-06-01.)
        key_type = props.key_slot.capitalize()
        self.regenerate_key = AzapiAction(
            self,
            "regenerate-key",
            kind="online_endpoint",
            resource_id=self.endpoint.id,
            action="regenerateKeys",
            method="POST",
            body={"keyType": key_type},
        )
        # Read at every plan (current keys), and after a regeneration when there is one.
        self.keys = AzapiActionRead(
            self,
            "keys",
            kind="online_endpoint",
            resource_id=self.endpoint.id,
            action="listKeys",
            sensitive_response_export_values=[f"{props.key_slot}Key"],
            depends_on=[self.regenerate_key],
        )
        self.key_secret: BundleSecret = props.secrets.add_secret(
            f"{props.role}-api-key", self.keys.sensitive_output(f"{props.key_slot}Key")
        )
        self.api_base_secret: BundleSecret = props.secrets.add_secret(f"{props.role}-api-base", self.api_base)

    # ------------------------------------------------------------------ attributes
    @property
    def traffic_split(self) -> tuple[dict[str, int], dict[str, int]]:
        """(traffic, mirrorTraffic) the endpoint is given: all to the live deployment, or the
        staged deployment's share taken from it (100: promoted, the live one at 0 but running)."""
        staged = self.props.staged
        if staged is None:
            return {self.props.deployment_name: 100}, {}
        traffic = {self.props.deployment_name: 100 - staged.traffic_percent, staged.deployment_name: staged.traffic_percent}
        return traffic, ({staged.deployment_name: staged.mirror_percent} if staged.mirror_percent else {})

    @property
    def endpoint_id(self) -> str:
        return self.endpoint.id

    @property
    def deployment_id(self) -> str:
        return self.deployment.id

    @property
    def scoring_uri(self) -> str:
        """`https://<endpoint>.<region>.inference.ml.azure.com/score`, as Azure reports it."""
        return self.endpoint.output("properties.scoringUri")

    @property
    def api_base(self) -> str:
        """The OpenAI-compatible base URL (`https://<host>/v1`) derived from the scoring URI."""
        return f"{Fn.regex('^https://[^/]+', self.scoring_uri)}/v1"

    # ------------------------------------------------------------------ parts
    def _validate(self, props: CouncilMemberEndpointProps) -> None:
        path = self.node.path
        check("online_endpoint", props.endpoint_name, field="endpoint_name")
        check("online_deployment", props.deployment_name, field="deployment_name")
        # instances and autoscale are policy models: they were checked when they were made.
        problem = metric_problem(DEPLOYMENT_METRIC_NAMESPACE, props.autoscale.metric)
        if problem:
            raise PropsError(path, "autoscale.metric", props.autoscale.metric, f"a published deployment metric ({problem})")
        for field_name, problem in member_schedule_problems(props.role, props.instances, props.schedule)[:1]:
            raise PropsError(path, "schedule", field_name, f"windows Azure Monitor can run for instances {props.instances.min}-"
                                                           f"{props.instances.max} ({problem})")
        problem = request_timeout_problem(props.request_timeout_seconds)
        if problem:
            raise PropsError(path, "request_timeout_seconds", props.request_timeout_seconds, f"1 to {MAX_REQUEST_TIMEOUT_SECONDS} ({problem})")
        if props.model.needs_token and not (props.token_reference or "").startswith("azureml://connections/"):
            raise PropsError(path, "token_reference", props.token_reference,
                             f"azureml://connections/<name>/credentials/<key> of the connection holding the token {props.model.hf_model_id} needs")
        if props.key_slot not in ("primary", "secondary"):
            raise PropsError(path, "key_slot", props.key_slot, "'primary' or 'secondary'")
        if props.auth_mode not in ("Key", "AADToken"):
            raise PropsError(path, "auth_mode", props.auth_mode, "'Key' or 'AADToken'")
        if props.public_network_access not in ("Enabled", "Disabled"):
            raise PropsError(path, "public_network_access", props.public_network_access, "'Enabled' or 'Disabled'")
        if not props.instance_type.startswith("Standard_"):
            raise PropsError(path, "instance_type", props.instance_type, "an Azure VM SKU such as Standard_NC24ads_A100_v4")
        if props.slot not in SLOTS:
            raise PropsError(path, "slot", props.slot, "'blue' or 'green'")
        staged = props.staged
        if staged is None:
            return
        check("online_deployment", staged.deployment_name, field="staged.deployment_name")
        if staged.deployment_name == props.deployment_name:
            raise PropsError(path, "staged.deployment_name", staged.deployment_name, "a name other than the live deployment's")
        if not 0 <= staged.traffic_percent <= 100:
            raise PropsError(path, "staged.traffic_percent", staged.traffic_percent, "0 to 100")
        if not 0 <= staged.mirror_percent <= MAX_MIRROR_PERCENT or (staged.mirror_percent and staged.traffic_percent):
            raise PropsError(path, "staged.mirror_percent", staged.mirror_percent,
                             f"0 to {MAX_MIRROR_PERCENT}, and 0 while the staged deployment takes live traffic")
        if not staged.instance_type.startswith("Standard_"):
            raise PropsError(path, "staged.instance_type", staged.instance_type, "an Azure VM SKU such as Standard_NC24ads_A100_v4")
        if staged.model.needs_token and not (props.token_reference or "").startswith("azureml://connections/"):
            raise PropsError(path, "token_reference", props.token_reference,
                             f"azureml://connections/<name>/credentials/<key> of the connection holding the token {staged.model.hf_model_id} needs")

    @staticmethod
    def _id(base: str, slot: str) -> str:
        """A slot's construct id: blue keeps the ids a member without rollouts always had."""
        return base if slot == "blue" else f"{base}-{slot}"

    def _deployment(self, spec: _Spec) -> tuple[AzapiResource | None, AzapiResource]:
        """One slot's deployment (and, for a container, its environment version) with its autoscale."""
        props = self.props
        deployment_properties: dict = {
            "endpointComputeType": "Managed",
            "instanceType": spec.instance_type,
            "scaleSettings": {"scaleType": "Default"},
            "appInsightsEnabled": props.app_insights_enabled,
            "requestSettings": {
                "requestTimeout": _duration(spec.request_timeout_seconds),
                "maxConcurrentRequestsPerInstance": spec.max_concurrent_requests_per_instance,
            },
            "livenessProbe": props.probes.body(
                props.probes.liveness_initial_delay_seconds, props.probes.liveness_failure_threshold
            ),
            "readinessProbe": props.probes.body(
                props.probes.readiness_initial_delay_seconds, props.probes.readiness_failure_threshold
            ),
        }
        environment_version: AzapiResource | None = None
        if isinstance(spec.model, CatalogModel):  # Azure ML serves a registry asset itself
            deployment_properties["model"] = spec.model.asset_id
        else:
            environment_version = self._server_environment(spec)
            deployment_properties["environmentId"] = environment_version.id
            deployment_properties["environmentVariables"] = self._server_variables(spec)

        deployment = AzapiResource(
            self,
            self._id("deployment", spec.slot),
            kind="online_deployment",
            name=spec.deployment_name,
            parent_id=self.endpoint.id,
            location=props.location,
            body={
                "sku": {"name": "Default", "capacity": spec.instances.default},
                "properties": deployment_properties,
                "tags": dict(props.tags),
            },
            # Autoscale owns the instance count after creation.
            ignore_changes=["body.sku.capacity"],
            # instanceType is create-only: a new SKU is a new deployment (its name
            # carries the SKU), created before the old one goes so traffic can move.
            replace_triggers=[spec.instance_type],
            create_before_destroy=True,
            depends_on=(*props.deployment_depends_on, *props.egress_ready),
            timeouts=Timeouts(
                create=deployment_timeout(props.probes),
                update=deployment_timeout(props.probes),
                delete=DEPLOYMENT_DELETE_TIMEOUT,
            ),
        )
        self._autoscale(spec, deployment)
        return environment_version, deployment

    def _server_environment(self, spec: _Spec) -> AzapiResource:
        """An environment version for the server image, with its health and scoring routes."""
        source = spec.model
        assert isinstance(source, ContainerModel)
        server = source.server
        properties = {
            "image": source.image,
            "osType": "Linux",
            "inferenceConfig": {
                "livenessRoute": {"port": source.port, "path": server.health_path},
                "readinessRoute": {"port": source.port, "path": server.health_path},
                # Requests pass through with their path: POST /v1/chat/completions reaches the server.
                "scoringRoute": {"port": source.port, "path": server.scoring_path},
            },
        }
        # Environment versions are immutable: a changed image gets a new version name.
        version = hashlib.sha256(json.dumps(properties, sort_keys=True).encode()).hexdigest()[:12]
        return AzapiResource(
            self,
            self._id("server-environment", spec.slot),
            kind="environment_version",
            name=version,
            # One environment per slot: both slots may run the same image at once.
            parent_id=f"{self.props.workspace_id}/environments/{self._id(f'{self.props.role}-server', spec.slot)}",
            body={"properties": properties},
            depends_on=self.props.egress_ready,
            # The swagger gives Route.path the pattern [a-zA-Z0-9_], which "/" fails, and azapi
            # enforces swagger patterns at plan. The service accepts "/" (Azure ML CLI YAML
            # `scoring_route: {port: 8000, path: /}` in Microsoft's vLLM-on-managed-endpoints
            # walkthrough, csiebler.github.io 2024-10-09, calls reaching /v1/completions). The
            # test suite checks this is the body's only deviation from the vendored spec.
            schema_validation_enabled=False,
        )

    def _server_variables(self, spec: _Spec) -> dict[str, str]:
        source = spec.model
        assert isinstance(source, ContainerModel)
        variables = source.environment(spec.instance_type)
        if source.needs_token:
            # `$${` is Terraform's escape for a literal `${`: Azure ML receives
            # ${{azureml://connections/...}} and injects the secret at container start.
            variables[source.server.token_variable] = f"$${{{{{self.props.token_reference}}}}}"
        return variables

    def _autoscale(self, spec: _Spec, deployment: AzapiResource) -> MonitorAutoscaleSetting:
        props = self.props
        rules = spec.autoscale

        def rule(operator: str, threshold: float, direction: str, cooldown: int) -> MonitorAutoscaleSettingProfileRule:
            return MonitorAutoscaleSettingProfileRule(
                metric_trigger=MonitorAutoscaleSettingProfileRuleMetricTrigger(
                    metric_name=rules.metric,
                    metric_namespace=DEPLOYMENT_METRIC_NAMESPACE,
                    metric_resource_id=deployment.id,
                    operator=operator,
                    statistic="Average",
                    threshold=threshold,
                    time_aggregation="Average",
                    time_grain="PT1M",
                    time_window=f"PT{rules.window_minutes}M",
                ),
                scale_action=MonitorAutoscaleSettingProfileRuleScaleAction(
                    direction=direction, type="ChangeCount", value=1, cooldown=f"PT{cooldown}M"
                ),
            )

        def profile(name: str, minimum: int, default: int, maximum: int,
                    recurrence: MonitorAutoscaleSettingProfileRecurrence | None = None) -> MonitorAutoscaleSettingProfile:
            return MonitorAutoscaleSettingProfile(
                name=name,
                capacity=MonitorAutoscaleSettingProfileCapacity(default=default, minimum=minimum, maximum=maximum),
                recurrence=recurrence,
                rule=[
                    rule("GreaterThan", rules.scale_out_above, "Increase", rules.scale_out_cooldown_minutes),
                    rule("LessThan", rules.scale_in_below, "Decrease", rules.scale_in_cooldown_minutes),
                ],
            )

        instances = spec.instances
        # `default` first and unchanged; then, for each window naming this role, a recurring profile
        # at its start and one at its end (council.policy: a recurring profile lasts until the next
        # one starts, so the end is a profile of its own). Same rules in every profile.
        profiles = [profile(DEFAULT_PROFILE_NAME, instances.min, instances.default, instances.max)]
        for scheduled in scheduled_profiles(props.role, instances, spec.schedule):
            assert spec.schedule is not None
            profiles.append(profile(
                scheduled.name, scheduled.minimum, scheduled.default, scheduled.maximum,
                MonitorAutoscaleSettingProfileRecurrence(timezone=spec.schedule.time_zone, days=list(scheduled.days),
                                                         hours=[scheduled.hour], minutes=[scheduled.minute]),
            ))
        return MonitorAutoscaleSetting(
            self,
            self._id("autoscale", spec.slot),
            name=self._id(f"autoscale-{props.endpoint_name}", spec.slot),
            resource_group_name=props.resource_group_name,
            location=props.location,
            target_resource_id=deployment.id,
            profile=profiles,
            tags=dict(props.tags),
        )
