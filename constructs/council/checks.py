"""Guardrails: every plan Azure would reject (or accept and then fail) is refused here.

`check_environment` runs after an environment file parsed cleanly and returns every
problem (not only the first) as `<field>: <what is wrong; how to fix>`. main.py
(synth) and `council validate` both run it, so a plan that fails here never synthesizes.
"""

from __future__ import annotations

import difflib
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import TypeAdapter, ValidationError

from council.catalog import NO_REPLICA, Catalog, load_catalog
from council.config import (
    CreateNetwork,
    Environment,
    ExistingNetwork,
    Fallback,
    Member,
    Network,
    Router,
    SchemaError,
    load_environment,
    whole_file_problems,
)
from council.cost import minimum_monthly_cost
from council.egress import unknown_sources
from council.errors import CouncilError
from council.naming import names_for
from council.sizing import (
    GPU_MEMORY_HEADROOM,
    GPU_RUNTIME_OVERHEAD_GB,
    gpu_need,
    max_tokens_fitting,
    member_slots,
    quota_needed,
    router_concurrency_limit,
    router_concurrent_requests,
    router_load,
    router_replicas_needed,
)
from council.policy import (
    APPS_SUBNET_MAX_PREFIX,
    INGRESS_REQUEST_TIMEOUT_SECONDS,
    ROUTER_CPU_TARGET,
    ROUTER_TIME_BUDGET_SECONDS,
)



@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def line(self, source: str) -> str:
        return f"{source}: {self.field}: {self.message}"


def check_environment(env: Environment, stack: str, catalog: Catalog | None = None) -> list[Problem]:
    catalog = catalog or load_catalog()
    problems: list[Problem] = []
    problems += _check_region(env.location, catalog)
    problems += _check_registry_replica(env.location, env.workspace.registry_replica, catalog)
    problems += _check_names(env, stack)
    problems += _check_network(env.network, env.router.environment_type)
    member_problems = [p for index, member in enumerate(env.members)
                       for p in _check_member(member, f"members[{index}] ({member.role})", catalog)]
    problems += member_problems
    problems += _check_egress(env, catalog)
    problems += _check_router_time_budget(env)
    problems += _check_rollouts(env)
    problems += _check_router_capacity(env, catalog, members_valid=not member_problems)
    problems += _check_quota(env, catalog)
    if not problems:  # cost needs a valid plan (known SKUs) to mean anything
        problems += _check_budget(env, stack, catalog)
    return problems


def notices(env: Environment, source: str) -> list[str]:
    """Not errors (synth goes on), but what must be done before `cdktf deploy`."""
    found = []
    backend = env.backend
    if getattr(backend, "type", None) == "cloud" and not backend.organization:
        found.append(
            f"{source}: backend.organization: not set; before `cdktf deploy` set it to your Terraform Cloud organization "
            "(or export TF_CLOUD_ORGANIZATION) and run `terraform login`; until then terraform init stops"
        )
    # Not a mistake (the maximum is a ceiling autoscale may never reach), but a month at it would
    # pass the budget: say so before a bill does.
    try:
        from council.cost import describe

        cost = describe(env, Path(source).stem)
        ceiling = cost["totals"]["monthly_max_usd"]
        if ceiling > env.budget.amount_usd:
            found.append(f"{source}: budget.amount_usd: {env.budget.amount_usd:,.2f} USD is below the council's cost at max scale, "
                         f"{ceiling:,.2f} USD a month (`council describe`): a month at max would pass the budget")
    except CouncilError:
        pass  # an unpriced plan is reported by the checks
    return found


def check_parts(data: dict, catalog: Catalog | None = None) -> list[Problem]:
    """The guardrails for every part of a file that is valid on its own when the whole is
    not (a schema error elsewhere): the region, each member, the network. Checks that need
    the whole plan (names, fallbacks, quota, budget) wait for a file that parses."""
    catalog = catalog or load_catalog()
    problems: list[Problem] = []
    location = _valid(Environment.model_fields["location"].annotation, data.get("location"), Environment.model_fields["location"])
    if location is not None:
        problems += _check_region(location, catalog)
    members = data.get("members")
    for index, raw in enumerate(members if isinstance(members, list) else []):
        member = _valid(Member, raw)
        if member is not None:
            problems += _check_member(member, f"members[{index}] ({member.role})", catalog)
    network, router = _valid(Network, data.get("network")), _valid(Router, data.get("router", {}))
    if network is not None and router is not None:
        problems += _check_network(network, router.environment_type)
    # The rules across members and fallbacks, on every name the file gives.
    raw_members = members if isinstance(members, list) else []
    text = lambda value: value if isinstance(value, str) else None  # noqa: E731
    names = [(index, text(m.get("role")), text(m.get("alias"))) for index, m in enumerate(raw_members) if isinstance(m, dict)]
    raw_router = data.get("router") if isinstance(data.get("router"), dict) else {}
    raw_fallbacks = raw_router.get("fallbacks") if isinstance(raw_router.get("fallbacks"), list) else []
    fallbacks = [(index, f.role, f.to) for index, f in enumerate(_valid(Fallback, raw) for raw in raw_fallbacks) if f is not None]
    if not raw_members or len(names) < len(raw_members) or any(role is None for _, role, _ in names):
        fallbacks = []  # a member whose role cannot be read would make every fallback to it look wrong
    problems += [Problem(field, message) for field, message in whole_file_problems(
        names, fallbacks, landing_zone=network.private_dns_zone_ids if isinstance(network, ExistingNetwork) else None,
        shared_state=router.shared_state if router else "none", virtual_keys=bool(router and router.virtual_keys))]
    return problems


def _valid(kind, value, field_info=None):
    """`value` validated as `kind` (a model, or an annotated type), or None if it is not valid."""
    try:
        if field_info is not None:
            return TypeAdapter(Annotated[kind, field_info]).validate_python(value)
        return TypeAdapter(kind).validate_python(value)
    except ValidationError:
        return None


def load_checked(path: Path, stack: str) -> Environment:
    """Read one environment file and run every guardrail on it; raise one CouncilError
    with every problem found, schema errors and guardrails of the valid parts together."""
    try:
        env = load_environment(path)
    except SchemaError as error:
        # Line by line: a rule the schema reported may be found again among the valid parts.
        found = [*error.problem.splitlines(), *(p.line(str(path)) for p in check_parts(error.data))]
        raise CouncilError(None, None, "\n".join(dict.fromkeys(found))) from None
    raise_if_problems(env, stack, str(path))
    return env


def raise_if_problems(env: Environment, stack: str, source: str) -> None:
    problems = check_environment(env, stack)
    if problems:
        raise CouncilError(None, None, "\n".join(p.line(source) for p in problems))


# --------------------------------------------------------------------------- region
def _check_region(location: str, catalog: Catalog) -> list[Problem]:
    if location in catalog.regions:
        return []
    return [Problem("location", f"{location!r} is not an Azure region name; {_did_you_mean(location, catalog.regions)}use one such as "
                                "eastus2 or swedencentral (`az account list-locations --query [].name`)")]


def _check_registry_replica(location: str, chosen: str | None, catalog: Catalog) -> list[Problem]:
    field = "workspace.registry_replica"
    if chosen is None:
        if location in catalog.region_pairs or location not in catalog.regions:
            return []
        return [Problem(field, f"not set, and {location!r} has no unrestricted paired region to put the registry's geo-replica in; "
                               f"name a region (e.g. one near {location}) or 'none' for a single-region registry")]
    if chosen == NO_REPLICA or chosen in catalog.regions and chosen != location:
        return []
    if chosen == location:
        return [Problem(field, f"{chosen!r} is the council's own location; a geo-replica needs another region, or 'none'")]
    return [Problem(field, f"{chosen!r} is not an Azure region name; {_did_you_mean(chosen, catalog.regions)}name another region, "
                           "or 'none' for no replica")]


def _did_you_mean(value: str, known) -> str:
    close = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.8)
    return f"did you mean {close[0]}? otherwise " if close else ""


# --------------------------------------------------------------------------- names
def _check_names(env: Environment, stack: str) -> list[Problem]:
    names = names_for(env, stack)
    computations = [
        ("name_prefix", names.resource_group),
        ("name_prefix", names.ml_workspace),
        ("name_prefix", lambda: names.key_vault("c")),
        ("name_prefix", names.storage_account),
        ("name_prefix", names.container_registry),
        ("name_prefix", names.managed_redis),
        ("name_prefix", names.postgres_server),
        ("name_prefix", names.container_app),
        ("name_prefix", names.container_app_environment),
    ]
    for index, member in enumerate(env.members):
        computations.append((f"members[{index}] ({member.role}).role", lambda role=member.role: names.online_endpoint(role)))
        for deployment in member.deployments():
            computations.append((f"members[{index}] ({member.role}).role",
                                 lambda d=deployment: names.online_deployment(d.role, d.sku, d.slot)))
    problems = []
    for field, compute in computations:
        try:
            compute()
        except CouncilError as error:
            # The stack name, which every name contains, is the file's name: say so.
            problems.append(Problem(field, f"{error.problem}, or the file's name (stack {stack!r}, in every name)"))
    return problems


# --------------------------------------------------------------------------- network
def _check_network(network: CreateNetwork | ExistingNetwork, kind: str) -> list[Problem]:
    if not isinstance(network, CreateNetwork):
        return []
    apps = ipaddress.ip_network(network.apps_subnet)
    limit = APPS_SUBNET_MAX_PREFIX[kind]
    if apps.prefixlen > limit:
        return [Problem("network.apps_subnet", f"{apps} is smaller than /{limit}, the minimum for a {kind} Container Apps "
                                               f"environment (router.environment_type); use a /{limit} or larger")]
    return []


# --------------------------------------------------------------------------- members
def _check_member(member: Member, where: str, catalog: Catalog) -> list[Problem]:
    """The member's live deployment and, with a rollout, the staged one (`<where>.rollout`)."""
    problems = _check_deployment(member, where, catalog)
    staged = member.staged()
    if staged is not None:
        changed = [k for k in member.rollout.changes if getattr(staged, k) != getattr(member, k)]
        if not changed:
            problems.append(Problem(f"{where}.rollout", "changes no setting of the live deployment; give the staged deployment what "
                                                        "changes (model, sku, instances, autoscale, request_timeout_seconds, "
                                                        "max_concurrent_requests_per_instance), or remove rollout"))
        else:  # the staged deployment must fit and be servable like any member
            problems += _check_deployment(staged, f"{where}.rollout", catalog)
    return problems


def _check_deployment(member: Member, where: str, catalog: Catalog) -> list[Problem]:
    problems = []
    sku = catalog.skus.get(member.sku)
    if sku is None:
        current = [s for s, f in catalog.skus.items() if not f.retired]
        # Suggest only current SKUs: a retired one would be refused as soon as it is taken.
        problems.append(Problem(f"{where}.sku", f"{member.sku!r} is not a GPU SKU managed online endpoints offer; "
                                               f"{_did_you_mean(member.sku, current)}use one of {', '.join(current)}"))
    elif sku.retired:
        problems.append(Problem(f"{where}.sku", f"{member.sku} ({sku.gpu}) was retired on {sku.retired}; "
                                               "choose a current SKU such as Standard_NC24ads_A100_v4 or Standard_NV36ads_A10_v5"))
    source = member.model
    model = source.facts(catalog)
    if model is None:
        problems.append(Problem(f"{where}.model", f"{source.ident[1]!r} is not in constructs/council/catalog/models.yaml, so its GPU fit "
                                                  "cannot be checked; add its parameters, dtype, layers, KV heads and head size there"))
        return problems
    current_sku = sku is not None and not sku.retired  # a missing or retired SKU is already refused: one fault, one message
    problems += [Problem(f"{where}.{field}", message) for field, message in source.problems(model, member.sku if current_sku else None, catalog)]
    if current_sku:
        tokens = source.served_tokens(model)
        needed = gpu_need(model, tokens)
        usable = sku.total_gpu_memory_gb * GPU_MEMORY_HEADROOM
        if needed > usable:
            fitting = max_tokens_fitting(model, usable)
            room = (f"; {fitting} tokens would fit" if fitting >= 512 and source.smaller_fit_hint else "")
            problems.append(Problem(
                f"{where}.sku",
                f"{model.key} needs ~{needed:.1f} GB of GPU memory ({model.weights_explained} + "
                f"{model.kv_cache_gb(tokens):.1f} GB KV cache for {tokens} tokens + {GPU_RUNTIME_OVERHEAD_GB} GB runtime) but "
                f"{member.sku} offers {usable:.1f} GB usable ({sku.gpus}x {sku.gpu} {sku.gpu_memory_gb:g} GB at "
                f"{GPU_MEMORY_HEADROOM:.0%}){room}; choose a larger GPU{source.smaller_fit_hint}",
            ))
    return problems


# --------------------------------------------------------------------------- rollouts
def _check_rollouts(env: Environment) -> list[Problem]:
    """What a staged rollout needs of the rest of the file: the router's names for its two
    deployments (`<role>-live`, `<role>-staged`) free, and a request timeout the router keeps."""
    from council.router_config import pinned_alias_clashes

    problems = [Problem(field, message) for field, message in pinned_alias_clashes(env)]
    for index, member in enumerate(env.members):
        staged = member.staged()
        if staged is not None and staged.request_timeout_seconds > member.request_timeout_seconds:
            # The router waits request_timeout_seconds of the role for either deployment the split picks.
            problems.append(Problem(f"members[{index}] ({member.role}).rollout.request_timeout_seconds",
                                    f"{staged.request_timeout_seconds} s is longer than the {member.request_timeout_seconds} s the router "
                                    f"waits for {member.role}, whichever deployment answers; raise the member's own "
                                    "request_timeout_seconds first (an in-place change), or keep the rollout's at most that"))
    return problems


# --------------------------------------------------------------------------- router
def router_worst_case_seconds(env: Environment) -> dict[str, tuple[int, str]]:
    """role -> (longest a request for it can spend in the router, how that adds up): every
    attempt on the member and on each fallback in turn timing out (LiteLLM tries a model
    group's fallbacks in order and does not follow a fallback's own fallbacks)."""
    timeouts = {m.role: m.request_timeout_seconds for m in env.members}
    attempts = 1 + env.router.timeout_retries
    chains = {f.role: f.to for f in env.router.fallbacks}
    out = {}
    for role in timeouts:
        path = [role, *chains.get(role, ())]
        total = sum(attempts * timeouts[r] for r in path)
        out[role] = (total, " + ".join(f"{r} {attempts} x {timeouts[r]} s" for r in path))
    return out


def _check_router_time_budget(env: Environment) -> list[Problem]:
    problems = []
    fallback_index = {f.role: i for i, f in enumerate(env.router.fallbacks)}
    member_index = {m.role: i for i, m in enumerate(env.members)}
    for role, (total, how) in router_worst_case_seconds(env).items():
        if total <= ROUTER_TIME_BUDGET_SECONDS:
            continue
        field = (f"router.fallbacks[{fallback_index[role]}]" if role in fallback_index
                 else f"members[{member_index[role]}] ({role}).request_timeout_seconds")
        problems.append(Problem(field, (
            f"a request for {role!r} can take {total} s ({how}), past the {ROUTER_TIME_BUDGET_SECONDS} s the router may use "
            f"(Container Apps ingress ends requests at {INGRESS_REQUEST_TIMEOUT_SECONDS} s); shorten the fallback chain, "
            "lower request_timeout_seconds or router.timeout_retries"
        )))
    return problems


def _check_router_capacity(env: Environment, catalog: Catalog, *, members_valid: bool) -> list[Problem]:
    """A replica must carry its scale rule's requests, and the replicas every member slot's (judged
    only for valid members: a refused SKU is one fault, one message)."""
    router, load = env.router, router_load(env, catalog)
    limit = router_concurrency_limit(env, catalog)
    why = f"{load.explain()}; measured by bench/router_bench.py"
    if router.concurrent_requests and router.concurrent_requests > limit:
        return [Problem("router.concurrent_requests", (
            f"{router.concurrent_requests} requests in flight per replica can need {router.concurrent_requests * load.vcpu:.2f} "
            f"vCPU of LiteLLM ({why}), more than {ROUTER_CPU_TARGET:.0%} of router.cpu ({router.cpu:g}); set it to {limit} or "
            "less (or leave it unset), or raise router.cpu"
        ))]
    needed = router_replicas_needed(env, catalog)
    if not members_valid or router.max_replicas >= needed:
        return []
    per_replica = router_concurrent_requests(env, catalog)
    return [Problem("router.max_replicas", (
        f"{router.max_replicas} replicas of {per_replica} requests each cannot hold the {member_slots(env)} requests the members "
        f"take at their max scale (instances.max x max_concurrent_requests_per_instance): the router, not the GPUs, would limit "
        f"the council; raise max_replicas to {needed}, or raise router.cpu so that a replica takes more"
    ))]


# --------------------------------------------------------------------------- egress
def _check_egress(env: Environment, catalog: Catalog) -> list[Problem]:
    return [
        Problem(
            f"members[{u.member_index}] ({env.members[u.member_index].role}).{u.field}",
            f"no outbound rules are known for {u.value!r}: the managed network (AllowOnlyApprovedOutbound) would block its "
            f"pulls mid-deploy; add the hosts it needs under {u.table} in constructs/council/catalog/egress.yaml, with their source",
        )
        for u in unknown_sources(env, catalog)
    ]


# --------------------------------------------------------------------------- quota
def _check_quota(env: Environment, catalog: Catalog) -> list[Problem]:
    problems = []
    families = sorted({sku.family for sku in catalog.skus.values()})
    for family in sorted(set(env.quota) - set(families)):
        # A misspelt family would otherwise check nothing, silently.
        problems.append(Problem(f"quota.{family}", f"not a VM family of a GPU SKU; {_did_you_mean(family, families)}"
                                                   f"use the family name `az vm list-usage` shows, one of {', '.join(families)}"))
    for family, needed in quota_needed(env, catalog).items():
        declared = env.quota.get(family)
        if declared is not None and declared < needed:
            problems.append(Problem(f"quota.{family}", f"declared quota is {declared} vCPUs but the members need {needed} at max scale "
                                                       "(per deployment ceil(1.2 x instances) x cores where Azure ML's 20% upgrade reserve applies); request more "
                                                       "quota or lower instances.max"))
    return problems


# --------------------------------------------------------------------------- budget
def _check_budget(env: Environment, stack: str, catalog: Catalog) -> list[Problem]:
    floor = minimum_monthly_cost(env, stack, catalog)
    if env.budget.amount_usd < floor:
        return [Problem("budget.amount_usd", f"{env.budget.amount_usd:,.2f} USD is below the council's minimum monthly cost of "
                                             f"{floor:,.2f} USD (every member at min instances"
                                             f"{', raised in the schedule windows' if env.schedule else ''}, router at min replicas); the budget "
                                             "would alert every month: raise it or shrink the council")]
    return []
