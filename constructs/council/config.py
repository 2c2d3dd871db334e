"""The typed environment model: what one `environments/<name>.yaml` may say.

Every model forbids unknown keys and is frozen. `load_environment` turns any
problem with a file (missing, empty, broken YAML, unknown key, wrong type) into
one `CouncilError` whose message names the file and the field; the CLI and
main.py print that single line instead of a traceback.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from council.errors import CouncilError
from council.model_source import ModelSource
from council.policy import (
    BUDGET_ACTUAL_THRESHOLDS_PERCENT,
    BUDGET_FORECAST_THRESHOLDS_PERCENT,
    MAX_MIRROR_PERCENT,
    MAX_REQUEST_TIMEOUT_SECONDS,
    ROUTER_TIME_BUDGET_SECONDS,
    SLOTS,
    AlertThresholds,
    AutoscaleRules,
    Instances,
    RouterPolicy,
    Schedule,
    budget_start_problem,
    other_slot,
    replicas_problem,
    schedule_problems,
    subnets_problem,
)
from council.router_image import DEFAULT_ROUTER_IMAGE, check_router_image

ROLE_PATTERN = r"^[a-z][a-z0-9]{1,11}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


# --------------------------------------------------------------------------- backend
class LocalBackend(_Model):
    """State in a local file (the default): `terraform.<stack>.tfstate`."""

    type: Literal["local"] = "local"


class TerraformCloudBackend(_Model):
    """State and runs in Terraform Cloud / Enterprise.

    Without `organization` the synthesized `cloud {}` block leaves it out: Terraform then
    takes TF_CLOUD_ORGANIZATION, and without that `terraform init` (the first step of
    `cdktf deploy`) stops with '"organization" must be set in the cloud configuration or
    as an environment variable: TF_CLOUD_ORGANIZATION.' -- before it touches any state.
    """

    type: Literal["cloud"]
    organization: str | None = Field(default=None, min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    workspace: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]{1,90}$")
    hostname: str = "app.terraform.io"


Backend = Annotated[Union[LocalBackend, TerraformCloudBackend], Field(discriminator="type")]


# --------------------------------------------------------------------------- network
def _network(value: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an IPv4 CIDR with its host bits zero ({exc})") from None


class CreateNetwork(_Model):
    """Create a VNet with an apps subnet and a private-endpoint subnet."""

    mode: Literal["create"]
    address_space: str
    apps_subnet: str
    private_endpoints_subnet: str
    # Where operators work from (a VPN client pool, a peered hub, a jump-box subnet): private
    # CIDRs admitted on 443 to the private endpoints (Key Vaults, the ML workspace, its storage),
    # and VNets whose machines resolve the council's private names (every private DNS zone the
    # stack creates gets a link to each; the peering or VPN itself is the landing zone's).
    # Empty (the default): only the router reaches the private endpoints.
    operator_cidrs: tuple[str, ...] = ()
    operator_vnet_ids: tuple[str, ...] = ()

    @field_validator("address_space", "apps_subnet", "private_endpoints_subnet")
    @classmethod
    def _cidr(cls, value: str) -> str:
        _network(value)
        return value

    @field_validator("operator_cidrs")
    @classmethod
    def _operator_cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            if not _network(cidr).is_private:
                raise ValueError(f"{cidr!r} is not a private range; name the VPN pool or peered network operators work from "
                                 "(e.g. 10.50.0.0/24), never a public one")
        return value

    @field_validator("operator_vnet_ids")
    @classmethod
    def _operator_vnets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for vnet_id in value:
            if not re.match(_VNET_ID, vnet_id):
                raise ValueError(f"{vnet_id!r} is not a virtual network resource id "
                                 "(/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>)")
        return value

    @model_validator(mode="after")
    def _inside(self) -> "CreateNetwork":
        problem = subnets_problem(
            self.address_space, {"apps_subnet": self.apps_subnet, "private_endpoints_subnet": self.private_endpoints_subnet}
        )
        if problem:
            raise ValueError(problem)
        return self


class ExistingPrivateDnsZones(_Model):
    """Ids of the landing zone's private DNS zones (already linked to its VNets)."""

    api_azureml_ms: str
    notebooks_azure_net: str
    vaultcore_azure_net: str
    # privatelink.redis.azure.net: needed while router.shared_state is azure-managed-redis.
    redis_azure_net: str | None = None
    # privatelink.postgres.database.azure.com: needed while router.virtual_keys is on.
    postgres_database_azure_com: str | None = None
    # privatelink.blob/file.core.windows.net for the workspace storage's private endpoints;
    # when not given, the council creates these zones in its own resource group and links them.
    blob_core_windows_net: str | None = None
    file_core_windows_net: str | None = None


_VNET_ID = r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+$"
_SUBNET_ID = r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+/subnets/[^/]+$"
_ZONE_ID = r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/privateDnsZones/[^/]+$"


class ExistingNetwork(_Model):
    """Use a landing zone's subnets and private DNS zones instead of creating them."""

    mode: Literal["existing"]
    apps_subnet_id: str = Field(pattern=_SUBNET_ID)
    private_endpoints_subnet_id: str = Field(pattern=_SUBNET_ID)
    private_dns_zone_ids: ExistingPrivateDnsZones
    # true: a storage zone the landing zone does not give (blob, file) is created in the council's
    # resource group and linked to the landing zone's VNet. Off by default: a landing zone is told.
    create_missing_zones: bool = False

    @model_validator(mode="after")
    def _storage_zones(self) -> "ExistingNetwork":
        missing = [f for f in ("blob_core_windows_net", "file_core_windows_net") if getattr(self.private_dns_zone_ids, f) is None]
        if missing and not self.create_missing_zones:
            raise ValueError(f"private_dns_zone_ids.{missing[0]}: missing; the workspace storage's private endpoints register in "
                             "the landing zone's privatelink.blob/file.core.windows.net zones: give their ids, or set "
                             "network.create_missing_zones: true to have the council create them in its own resource group "
                             "and link them to your VNet")
        return self

    @field_validator("private_dns_zone_ids")
    @classmethod
    def _zones(cls, value: ExistingPrivateDnsZones) -> ExistingPrivateDnsZones:
        for name, zone_id in value.model_dump().items():
            if zone_id is not None and not re.match(_ZONE_ID, zone_id):
                raise ValueError(f"{name} {zone_id!r} is not a private DNS zone resource id")
        return value


Network = Annotated[Union[CreateNetwork, ExistingNetwork], Field(discriminator="mode")]


# --------------------------------------------------------------------------- members



class Rollout(_Model):
    """A change staged beside the live deployment (README "Roll out a change"): a second
    deployment in the member's other slot, with these settings in place of the member's, taking
    `traffic_percent` of the live traffic (100: promoted) or a `mirror_percent` copy of it."""

    model: ModelSource | None = None
    sku: str | None = Field(default=None, pattern=r"^Standard_[A-Za-z0-9_]+$")
    instances: Instances | None = None
    autoscale: AutoscaleRules | None = None
    request_timeout_seconds: int | None = Field(default=None, ge=1, le=MAX_REQUEST_TIMEOUT_SECONDS)
    max_concurrent_requests_per_instance: int | None = Field(default=None, ge=1, le=1000)
    traffic_percent: int = Field(default=0, ge=0, le=100)
    mirror_percent: int = Field(default=0, ge=0, le=MAX_MIRROR_PERCENT)

    @model_validator(mode="after")
    def _one_kind_of_traffic(self) -> "Rollout":
        if self.traffic_percent and self.mirror_percent:
            raise ValueError(f"traffic_percent ({self.traffic_percent}) and mirror_percent ({self.mirror_percent}) are both set; "
                             "Azure ML mirrors only to a deployment without live traffic: mirror first, then set mirror_percent "
                             "to 0 and give it a traffic_percent")
        return self

    @property
    def changes(self) -> dict:
        """The member settings this rollout replaces (the deployment's own settings only)."""
        return {k: v for k, v in self if k not in ("traffic_percent", "mirror_percent") and v is not None}


class Member(_Model):
    """One council member: a role, its model, the GPU SKU and its scaling."""

    role: str = Field(pattern=ROLE_PATTERN)
    alias: str = Field(pattern=r"^[a-z][a-z0-9-]{1,62}$")
    display_name: str = Field(min_length=1, max_length=80)
    description: str = Field(min_length=1, max_length=500)
    model: ModelSource
    sku: str = Field(pattern=r"^Standard_[A-Za-z0-9_]+$")
    sku_reason: str = Field(min_length=1)
    instances: Instances
    autoscale: AutoscaleRules = AutoscaleRules()
    request_timeout_seconds: int = Field(default=90, ge=1, le=MAX_REQUEST_TIMEOUT_SECONDS)
    max_concurrent_requests_per_instance: int = Field(default=8, ge=1, le=1000)
    # Optional router-side limits for this member (requests / tokens per minute).
    rpm: int | None = Field(default=None, ge=1)
    tpm: int | None = Field(default=None, ge=1)
    # This member's key slot, when it must rotate alone (a leaked key); default keys.member_key.
    member_key: Literal["primary", "secondary"] | None = None
    # Blue/green (README "Roll out a change"): the slot these settings run in, and a change
    # staged in the other slot.
    slot: Literal[SLOTS] = "blue"  # type: ignore[valid-type]
    rollout: Rollout | None = None

    def deployments(self) -> "list[Member]":
        """The member as each of its deployments runs it: the live one, then the staged one."""
        staged = self.staged()
        return [self] if staged is None else [self, staged]

    def staged(self) -> "Member | None":
        """The member as its staged deployment runs it (None without a rollout)."""
        if self.rollout is None:
            return None
        return self.model_copy(update={**self.rollout.changes, "slot": other_slot(self.slot), "rollout": None})


# --------------------------------------------------------------------------- router
class Fallback(_Model):
    role: str = Field(pattern=ROLE_PATTERN)
    to: tuple[str, ...] = Field(min_length=1)


_ROUTER = RouterPolicy()


class Router(_Model):
    image: str = DEFAULT_ROUTER_IMAGE
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "ERROR"  # production default: quiet
    # 300: azurerm 4.55's azurerm_container_app limit on max_replicas (Azure itself allows more).
    min_replicas: int = Field(default=1, ge=0, le=300)
    max_replicas: int = Field(default=3, ge=1, le=300)
    cpu: float = Field(default=1.0, gt=0)
    memory: str = Field(default="2Gi", pattern=r"^[0-9.]+Gi$")
    # Requests in flight per replica before the HTTP scale rule adds one; unset: the most one
    # replica's `cpu` carries at worst (council.sizing.router_concurrency_limit).
    concurrent_requests: int | None = Field(default=None, ge=1)
    # Failure policy (defaults and their reasons: council.policy.RouterPolicy).
    # Retries for dropped connections; timeouts and 5xx go to the fallback (timeout_retries,
    # server_error_retries), rate limits to the fallback or back to the client as 429.
    num_retries: int = Field(default=_ROUTER.num_retries, ge=0, le=10)
    timeout_retries: int = Field(default=_ROUTER.timeout_retries, ge=0, le=5)
    server_error_retries: int = Field(default=_ROUTER.server_error_retries, ge=0, le=5)
    timeout_seconds: int = Field(default=_ROUTER.timeout_seconds, ge=1, le=ROUTER_TIME_BUDGET_SECONDS)
    # Failures of one kind per minute before a member is cooled down (skipped) for cooldown_seconds.
    allowed_fails: int = Field(default=_ROUTER.allowed_fails, ge=0)
    cooldown_seconds: int = Field(default=_ROUTER.cooldown_seconds, ge=1)
    fallbacks: tuple[Fallback, ...] = ()
    # State every replica shares (cooldowns, rpm/tpm counters): Azure Managed Redis behind
    # a private endpoint. "none" keeps it per replica (acceptable only with max_replicas 1).
    shared_state: Literal["azure-managed-redis", "none"] = "azure-managed-redis"
    # Virtual keys for teams (budgets, rate limits, spend) in a private PostgreSQL database;
    # without them every client shares the master key.
    virtual_keys: bool = False
    database_sku: str = Field(default="B_Standard_B1ms", pattern=r"^(B|GP|MO)_Standard_[A-Za-z0-9_]+$")
    external_ingress: bool = False
    # Prompts and answers stay out of every log and trace (LiteLLM's turn_off_message_logging)
    # and out of the spend table. True records them: only with the users' consent.
    log_prompts: bool = False
    # workload-profiles: apps subnet >= /27 delegated to Microsoft.App/environments;
    # consumption-only: >= /23, not delegated.
    environment_type: Literal["workload-profiles", "consumption-only"] = "workload-profiles"

    @field_validator("image")
    @classmethod
    def _pinned(cls, value: str) -> str:
        problem = check_router_image(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _replicas(self) -> "Router":
        problem = replicas_problem(self.min_replicas, self.max_replicas)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def private_services(self) -> tuple[str, ...]:
        """The router's own services behind private endpoints, in the one place that decides it:
        "redis" (shared state) and "postgres" (virtual keys). The stack creates them, the
        network opens their ports, and `council describe` prices their endpoints from this."""
        return (("redis",) if self.shared_state == "azure-managed-redis" else ()) + (("postgres",) if self.virtual_keys else ())


# --------------------------------------------------------------------------- money and alerts
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Budget(_Model):
    """A monthly Azure cost budget on the council's resource group, with e-mail alerts."""

    amount_usd: float = Field(gt=0)
    # Leave unset (recommended): the budget starts on the first of the month of the first
    # apply, recorded once by a time_static resource, so it is valid whenever the stack is
    # first applied and never changes afterwards. A date set here must be the first of a
    # month, and Azure refuses a past one outside the current month.
    start_date: date | None = None
    # Percentages of the amount that notify the contacts: actual spend...
    actual_thresholds_percent: tuple[int, ...] = BUDGET_ACTUAL_THRESHOLDS_PERCENT
    # ...and forecast spend (Azure's month-end forecast).
    forecast_thresholds_percent: tuple[int, ...] = BUDGET_FORECAST_THRESHOLDS_PERCENT

    @field_validator("start_date")
    @classmethod
    def _first_of_month(cls, value: date | None) -> date | None:
        problem = budget_start_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _notifications(self) -> "Budget":
        count = len(self.actual_thresholds_percent) + len(self.forecast_thresholds_percent)
        if not 1 <= count <= 5:
            raise ValueError(f"{count} notification thresholds; Azure budgets take 1 to 5")
        for value in (*self.actual_thresholds_percent, *self.forecast_thresholds_percent):
            if not 0 < value <= 1000:
                raise ValueError(f"threshold {value}% is outside 1-1000")
        return self


class WorkspaceSettings(_Model):
    """The Azure ML workspace's managed network."""

    # The Azure Firewall that FQDN outbound rules provision in the managed network. Standard is
    # Azure ML's default; Basic costs about a third (catalog/platform_prices.yaml) and carries
    # 250 Mbps, enough for a dev council's image and weight pulls but slower.
    firewall_sku: Literal["Standard", "Basic"] = "Standard"
    # Where the workspace's container registry keeps a geo-replica of the images Azure ML builds
    # and pulls: unset = the location's paired region (catalog/regions.yaml), a region name, or
    # "none" for no replica (one region's registry outage then stops new instances from starting).
    registry_replica: str | None = None


class Keys(_Model):
    """Key rotation without downtime (README "Rotate keys")."""

    # Which of each member endpoint's two keys the router uses. Switching it regenerates
    # that key, stores it in Key Vault and rolls a router revision that reads it, while
    # the running revision keeps the other key until then.
    member_key: Literal["primary", "secondary"] = "primary"
    # Raise it to give the router a new master key (clients of the master key need it).
    master_key_version: int = Field(default=1, ge=1)


def member_key_slot(member: "Member", keys: Keys) -> str:
    """The endpoint key the router uses for `member`: its own `member_key`, else the file's."""
    return member.member_key or keys.member_key


def keys_version(members: "tuple[Member, ...]", keys: Keys) -> str:
    """Changes whenever a key the router reads changes (its revision must read them again). The
    same as before per-member slots for a file that sets none, so taking this code rolls nothing."""
    own = "".join(f"-{m.role}:{m.member_key}" for m in sorted(members, key=lambda m: m.role) if m.member_key)
    return f"{keys.member_key}-{keys.master_key_version}{own}"


# --------------------------------------------------------------------------- environment
def whole_file_problems(names: list[tuple[int, str | None, str | None]], fallbacks: list[tuple[int, str, tuple[str, ...]]], *,
                        landing_zone: "ExistingPrivateDnsZones | None", shared_state: str, virtual_keys: bool) -> list[tuple[str, str]]:
    """(field, message) for every rule that spans the file: unique member names, fallbacks between
    members, and the landing-zone zones the router's services need. Run by the schema on a valid
    file, and by council.checks on the parts of a file that are valid when something else is not,
    so that one run reports them all."""
    problems: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for index, role, alias in names:
        for name in (n for n in (role, alias) if n is not None):
            if name in seen and seen[name] != index:
                problems.append((f"members[{index}]", f"name {name!r} is already used by members[{seen[name]}]; "
                                                      "roles and aliases must be unique"))
            seen.setdefault(name, index)
    if landing_zone is not None and shared_state == "azure-managed-redis" and landing_zone.redis_azure_net is None:
        problems.append(("network.private_dns_zone_ids.redis_azure_net",
                         "missing; the router's shared state (Azure Managed Redis) is reached through the landing zone's "
                         "privatelink.redis.azure.net zone: give its id, or set router.shared_state: none (only with "
                         "router.max_replicas: 1)"))
    if landing_zone is not None and virtual_keys and landing_zone.postgres_database_azure_com is None:
        problems.append(("network.private_dns_zone_ids.postgres_database_azure_com",
                         "missing; the router's key database is reached through the landing zone's "
                         "privatelink.postgres.database.azure.com zone: give its id, or set router.virtual_keys: false"))
    roles = {role for _, role, _ in names if role is not None}
    if len(roles) < len([role for _, role, _ in names if role is not None]):
        return problems  # two members share a role: which one a fallback means is the same mistake
    for index, role, to in fallbacks:
        for named in (role, *to):
            if named not in roles:
                problems.append((f"router.fallbacks[{index}]", f"{named!r} is not a council member role (members: {', '.join(sorted(roles))})"))
                break
    return problems


class Environment(_Model):
    location: str = Field(pattern=r"^[a-z][a-z0-9]+$")
    name_prefix: str = Field(pattern=r"^[a-z][a-z0-9]{1,7}$")
    # Optional: by default the suffix is derived from the subscription (naming.SUFFIX_LENGTH
    # hex digits of its SHA-1), so the same file deployed into two subscriptions never collides.
    name_suffix: str | None = Field(default=None, pattern=r"^[a-z0-9]{2,6}$")
    subscription_id: str | None = Field(
        default=None, pattern=r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"
    )
    tags: dict[str, str] = {}
    backend: Backend = LocalBackend()
    network: Network
    members: tuple[Member, ...] = Field(min_length=1)
    router: Router = Router()
    # Regional vCPU quota per VM family (e.g. StandardNCADSA100v4Family: 96), when known;
    # validation checks the members' max scale against it.
    quota: dict[str, int] = {}
    # Who hears about budgets and alerts.
    contacts: tuple[Annotated[str, Field(pattern=EMAIL)], ...] = Field(min_length=1)
    budget: Budget
    alerts: AlertThresholds = AlertThresholds()
    keys: Keys = Keys()
    workspace: WorkspaceSettings = WorkspaceSettings()
    # Capacity on a schedule (README "Capacity on a schedule"): recurring weekly windows in which
    # named members keep more instances, rendered as Azure Monitor autoscale profiles. One
    # schedule for the file rather than one per member: the peak it answers is the users' working
    # day, one time zone and one set of hours for every member it reaches, so a window is written
    # once and names each member it raises (`min: {role: N}`). Unset: every member runs its
    # `instances` all week (one `default` profile).
    schedule: Schedule | None = None

    @model_validator(mode="after")
    def _members(self) -> "Environment":
        zones = self.network.private_dns_zone_ids if isinstance(self.network, ExistingNetwork) else None
        problems = whole_file_problems(
            [(index, m.role, m.alias) for index, m in enumerate(self.members)],
            [(index, f.role, f.to) for index, f in enumerate(self.router.fallbacks)],
            landing_zone=zones, shared_state=self.router.shared_state, virtual_keys=self.router.virtual_keys,
        )
        problems += schedule_problems(self.schedule, [(m.role, m.instances) for m in self.members])
        if problems:  # every one, each on its own line naming its field
            raise ValueError("\n".join(f"{field}: {message}" for field, message in problems))
        return self

    @property
    def needs_hf_token(self) -> bool:
        return any(d.model.needs_token for d in self.deployments())

    def deployments(self) -> "list[Member]":
        """Every deployment the council runs, as its member runs it: each member's live one, and
        the staged one of a rollout (quota, router sizing and pulls count both while they overlap)."""
        return [d for m in self.members for d in m.deployments()]


# --------------------------------------------------------------------------- loading
def _field_path(loc: tuple, data: object) -> str:
    """pydantic's location -> `members[2] (maven).model.asset_id` (tagged-union tags removed)."""
    out = ""
    node = data
    for part in loc:
        node = node.get(part) if isinstance(node, dict) and isinstance(part, str) else (
            node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None
        )
        if isinstance(part, int):
            out += f"[{part}]"
            if isinstance(node, dict) and isinstance(node.get("role"), str):
                out += f" ({node['role']})"
        elif part in ("catalog", "container", "create", "existing", "local", "cloud"):
            continue  # discriminator branch names, not fields the user wrote
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _problems(exc: ValidationError, source: str, data: object) -> str:
    """One line per problem: `<file>: <field>: <what is wrong; how to fix>`."""
    problems = []
    errors = exc.errors(include_url=False)
    locations = [tuple(e["loc"]) for e in errors]
    # A misspelt required key is one mistake, not two ("unknown" + "missing"): pair them.
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing" and e["loc"]}
    misspelt: dict[tuple, str] = {}
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden" and loc and isinstance(loc[-1], str):
            siblings = [m[-1] for m in missing if m[:-1] == loc[:-1] and isinstance(m[-1], str)]
            close = difflib.get_close_matches(loc[-1], siblings, n=1, cutoff=0.6)
            if close:
                misspelt[loc] = close[0]
                missing.discard((*loc[:-1], close[0]))
    for error in errors:
        loc = tuple(error["loc"])
        # A container reported as too short only because its items failed: say the items' problems.
        if error["type"] == "too_short" and any(o[: len(loc)] == loc and o != loc for o in locations):
            continue
        if error["type"] == "missing" and loc not in missing:
            continue  # reported with its misspelling
        message = error["msg"].removeprefix("Value error, ")
        if loc in misspelt:
            message = f"unknown key; did you mean {misspelt[loc]!r} (required, and missing)?"
        elif error["type"] == "extra_forbidden":
            message = "unknown key; remove it or check its spelling"
        elif error["type"] == "missing":
            message = "required field is missing; add it"
        elif error["type"] == "string_pattern_mismatch":
            message = f"{error['input']!r} does not have the expected form {error['ctx']['pattern']}"
        elif "input" in error and not isinstance(error["input"], (dict, list)):
            message = f"{message} (got {error['input']!r})"
        field = _field_path(loc, data)
        # A whole-file rule names its own field first ("router.fallbacks[1]: ..."), one per line: use it.
        for line in message.split("\n") if not loc else [message]:
            named = re.match(r"^([a-z_]+(?:\[\d+\])?(?:\.[a-z][a-z0-9_]*(?:\[\d+\])?)*): (.+)$", line, re.S)
            problems.append(f"{source}: {named.group(1)}: {named.group(2)}" if not loc and named else f"{source}: {field}: {line}")
    return "\n".join(dict.fromkeys(problems))


class SchemaError(CouncilError):
    """A file that is YAML but not a valid environment. Keeps the parsed `data` so that
    the guardrails can still check every part that is valid on its own (council.checks):
    one run reports every problem, not only the schema's."""

    def __init__(self, lines: str, data: dict) -> None:
        super().__init__(None, None, lines)
        self.data = data


def parse_environment(data: object, source: str) -> Environment:
    """Validate already-loaded YAML data; `source` names the file in messages."""
    if data is None:
        raise CouncilError(source, "(file)", "the file is empty; start from environments/dev.yaml")
    if not isinstance(data, dict):
        raise CouncilError(source, "(top level)", f"expected a mapping of settings, got {type(data).__name__}")
    try:
        return Environment.model_validate(data)
    except ValidationError as exc:
        raise SchemaError(_problems(exc, source, data), data) from None


def load_environment(path: Path) -> Environment:
    """Read and validate one environment file. Raises CouncilError, never a raw exception."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CouncilError(str(path), "(file)", "no such file; pass an environment name or an existing path") from None
    except UnicodeDecodeError as exc:
        raise CouncilError(str(path), "(file)", f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    except OSError as exc:
        raise CouncilError(str(path), "(file)", f"cannot be read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CouncilError(str(path), where, f"broken YAML: {problem}; fix the syntax there") from None
    return parse_environment(data, str(path))
