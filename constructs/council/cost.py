"""`council describe`: the council's shape, GPU headroom, cost and quota, before deploying.

Everything is computed from the environment and the catalog (prices with their
as-of date); nothing calls Azure. Totals are the sums of the rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from council.catalog import Catalog, load_catalog
from council.config import Environment
from council.egress import required_fqdns
from council.naming import names_for
from council.policy import day_span, scheduled_hours_per_week
from council.sizing import gpu_need_gb, quota_needed

HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
HOURS_PER_WEEK = 7 * 24
# A schedule repeats weekly: a month of 730 hours is 730/168 = 4.345 weeks, so a window of N hours
# a week is N x 730/168 hours a month.
WEEKS_PER_MONTH = HOURS_PER_MONTH / HOURS_PER_WEEK
# What describe does not price, each with why: it depends on use (per GB, per operation), on
# what Azure ML decides, or no list price has been checked into catalog/platform_prices.yaml yet
# (a guessed price would make the total look surer than it is).
NOT_COUNTED = (
    "storage (workspace storage account, Key Vault operations): billed per GB and per operation, by use",
    "network egress, and data processed by the firewall and the private endpoints: billed per GB, by use",
    "the private endpoints Azure ML creates inside the workspace's managed network: their number follows its outbound rules",
    "logs and metrics (Log Analytics ingestion, Application Insights): billed per GB ingested, by use",
    "the workspace's Premium container registry and its geo-replica (a second Premium registry fee): no checked list price "
    "in catalog/platform_prices.yaml yet",
    "the router's shared state (Azure Managed Redis, Balanced_B0 with high availability): no checked list price in "
    "catalog/platform_prices.yaml yet",
    "taxes, reservations, savings plans and enterprise discounts",
)


@dataclass(frozen=True)
class MemberRow:
    role: str
    model: str
    source: str
    endpoint: str
    sku: str
    gpu: str
    gpu_memory_needed_gb: float | None
    gpu_memory_available_gb: float | None
    instances_min: int
    instances_default: int
    instances_max: int
    hourly_usd: float | None
    monthly_min_usd: float
    monthly_max_usd: float


@dataclass(frozen=True)
class RouterRow:
    name: str
    cpu: float
    memory_gib: float
    replicas_min: int
    replicas_max: int
    hourly_usd_per_replica: float
    monthly_min_usd: float
    monthly_max_usd: float


@dataclass(frozen=True)
class PlatformRow:
    name: str
    count: int
    hourly_usd: float  # all `count` together
    monthly_usd: float
    source: str


@dataclass(frozen=True)
class QuotaRow:
    family: str
    vcpus_needed_at_max: int
    declared: int | None
    upgrade_reserve: bool


def _round(value: float) -> float:
    return round(value, 2)


def describe(env: Environment, stack: str, catalog: Catalog | None = None) -> dict:
    catalog = catalog or load_catalog()
    names = names_for(env, stack)
    members = []
    # A staged rollout (README "Roll out a change") runs beside the live deployment: its own row.
    for member, deployment in ((m, d) for m in env.members for d in m.deployments()):
        sku = catalog.skus.get(deployment.sku)
        hourly = sku.hourly_usd if sku else None
        needed = gpu_need_gb(deployment, catalog)
        facts = deployment.model.facts(catalog)
        quantized = f", {facts.quantization.label}" if facts is not None and facts.quantization is not None else ""
        members.append(
            MemberRow(
                role=member.role if deployment is member else f"{member.role} (staged, {deployment.slot})",
                model=member.display_name,
                source=deployment.model.kind + quantized,
                endpoint=names.online_endpoint(member.role),
                sku=deployment.sku,
                gpu=f"{sku.gpus}x {sku.gpu}" if sku else "unknown",
                gpu_memory_needed_gb=None if needed is None else round(needed, 1),
                gpu_memory_available_gb=sku.total_gpu_memory_gb if sku else None,
                instances_min=deployment.instances.min,
                instances_default=deployment.instances.default,
                instances_max=deployment.instances.max,
                hourly_usd=hourly,
                monthly_min_usd=_round((hourly or 0) * HOURS_PER_MONTH * deployment.instances.min),
                monthly_max_usd=_round((hourly or 0) * HOURS_PER_MONTH * deployment.instances.max),
            )
        )
    prices = catalog.container_apps
    memory_gib = float(env.router.memory.removesuffix("Gi"))
    per_second = env.router.cpu * prices.vcpu_second_usd + memory_gib * prices.gib_second_usd
    router = RouterRow(
        name=names.container_app(),
        cpu=env.router.cpu,
        memory_gib=memory_gib,
        replicas_min=env.router.min_replicas,
        replicas_max=env.router.max_replicas,
        hourly_usd_per_replica=round(per_second * 3600, 4),
        monthly_min_usd=_round(per_second * SECONDS_PER_MONTH * env.router.min_replicas),
        monthly_max_usd=_round(per_second * SECONDS_PER_MONTH * env.router.max_replicas),
    )
    platform = platform_rows(env, catalog)
    quota = [
        QuotaRow(
            family=family,
            vcpus_needed_at_max=needed,
            declared=env.quota.get(family),
            upgrade_reserve=any(s.upgrade_reserve for s in catalog.skus.values() if s.family == family),
        )
        for family, needed in sorted(quota_needed(env, catalog).items())
    ]
    fixed_monthly = sum(p.monthly_usd for p in platform)
    totals = {
        "monthly_min_usd": _round(sum(m.monthly_min_usd for m in members) + router.monthly_min_usd + fixed_monthly),
        "monthly_max_usd": _round(sum(m.monthly_max_usd for m in members) + router.monthly_max_usd + fixed_monthly),
        "hourly_min_usd": _round(sum((m.hourly_usd or 0) * m.instances_min for m in members) + router.hourly_usd_per_replica * router.replicas_min
                                 + sum(p.hourly_usd for p in platform)),
    }
    schedule = schedule_section(env, catalog)
    if schedule is not None:
        staged = sum(row.monthly_min_usd for row in members if " (staged, " in row.role)  # not in any window
        totals["monthly_schedule_usd"] = _round(sum(m["monthly_usd"] for m in schedule["members"]) + staged + router.monthly_min_usd
                                                + fixed_monthly)
    return {
        "environment": stack,
        "location": env.location,
        "members": [asdict(m) for m in members],
        "router": asdict(router),
        "platform": [asdict(p) for p in platform],
        "totals": totals,
        "budget_usd": env.budget.amount_usd,
        "quota": [asdict(q) for q in quota],
        **({"schedule": schedule} if schedule is not None else {}),
        "prices": {
            "as_of": catalog.as_of,
            "region": catalog.price_region,
            "container_apps_as_of": prices.as_of,
            "hours_per_month": HOURS_PER_MONTH,
        },
        "not_counted": [*NOT_COUNTED, *(
            [f"the router's key database (Azure Database for PostgreSQL flexible server, {env.router.database_sku}, with its storage "
             "and geo-redundant backups): no checked list price in catalog/platform_prices.yaml yet"] if env.router.virtual_keys else [])],
    }


def private_endpoints(env: Environment) -> list[tuple[str, tuple[str, ...]]]:
    """(name target for Names.private_endpoint, zone purposes) of every private endpoint the stack
    creates (stack.py): both Key Vaults, the workspace, the workspace storage's blob and file
    services, plus the router's Redis and PostgreSQL when the environment has them. Priced here,
    drawn by council.diagram."""
    return [("kvc", ("key_vault",)), ("kvw", ("key_vault",)), ("mlw", ("aml_api", "aml_notebooks")),
            ("stblob", ("storage_blob",)), ("stfile", ("storage_file",)),
            *([("redis", ("redis",))] if "redis" in env.router.private_services else []),
            *([("psql", ("postgres",))] if "postgres" in env.router.private_services else [])]


def private_endpoint_count(env: Environment) -> int:
    return len(private_endpoints(env))


def platform_rows(env: Environment, catalog: Catalog) -> list[PlatformRow]:
    prices = catalog.platform
    rows = []
    if required_fqdns(env, catalog):  # FQDN outbound rules provision the managed firewall
        sku = env.workspace.firewall_sku
        hourly = prices.firewall_hourly_usd[sku]
        rows.append(PlatformRow(f"managed network firewall ({sku})", 1, hourly, _round(hourly * HOURS_PER_MONTH), prices.firewall_source))
    count = private_endpoint_count(env)
    hourly = count * prices.private_endpoint_hourly_usd
    rows.append(PlatformRow("private endpoints", count, round(hourly, 4), _round(hourly * HOURS_PER_MONTH), prices.private_endpoint_source))
    return rows


def schedule_section(env: Environment, catalog: Catalog) -> dict | None:
    """What the environment's schedule costs (None without one): per window its hours; per member
    the hours a month at each minimum instance count (its windows' at their minimum, the rest of
    the week at instances.min) and what those hours cost at its SKU's hourly price. Autoscale
    may add instances above these minimums under load; they are the floor, not a forecast."""
    if env.schedule is None:
        return None
    windows = [{
        "name": w.name, "days": list(w.week_days), "start": w.start, "end": w.end, "min": dict(w.min),
        "hours_per_week": w.hours_per_week, "hours_per_month": _round(w.hours_per_week * WEEKS_PER_MONTH),
    } for w in env.schedule.windows]
    members = []
    for member in env.members:
        sku = catalog.skus.get(member.sku)
        hourly = sku.hourly_usd if sku else 0.0
        weekly = scheduled_hours_per_week(member.role, member.instances, env.schedule)
        monthly = sum(level * hours for level, hours in weekly.items()) * WEEKS_PER_MONTH * hourly
        members.append({
            "role": member.role,
            "windows": [w.name for _, w in env.schedule.windows_of(member.role)],
            "hours_per_month": [{"instances": level, "hours": _round(hours * WEEKS_PER_MONTH)} for level, hours in weekly.items()],
            "monthly_usd": _round(monthly),
            "above_min_usd": _round(monthly - hourly * HOURS_PER_MONTH * member.instances.min),
        })
    return {"time_zone": env.schedule.time_zone, "weeks_per_month": round(WEEKS_PER_MONTH, 4), "windows": windows, "members": members}


def minimum_monthly_cost(env: Environment, stack: str, catalog: Catalog | None = None) -> float:
    """The least the council costs a month: every member at min instances -- or, with a schedule,
    at its scheduled minimum hour by hour -- the router at min replicas, and the platform. The
    budget check compares the budget with this."""
    totals = describe(env, stack, catalog)["totals"]
    return totals.get("monthly_schedule_usd", totals["monthly_min_usd"])


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"${value:,.2f}"


def format_table(data: dict) -> str:
    header = ("role", "model", "source", "sku", "gpu", "gpu mem need/have", "inst min/def/max", "hourly", "monthly@min", "monthly@max")
    rows = [header]
    for m in data["members"]:
        need = "?" if m["gpu_memory_needed_gb"] is None else f"{m['gpu_memory_needed_gb']:.1f}"
        have = "?" if m["gpu_memory_available_gb"] is None else f"{m['gpu_memory_available_gb']:g}"
        rows.append((
            m["role"], m["model"], m["source"], m["sku"], m["gpu"], f"{need}/{have} GB",
            f"{m['instances_min']}/{m['instances_default']}/{m['instances_max']}",
            _money(m["hourly_usd"]), _money(m["monthly_min_usd"]), _money(m["monthly_max_usd"]),
        ))
    r = data["router"]
    rows.append((
        "router", "LiteLLM", "Container Apps", f"{r['cpu']:g} vCPU/{r['memory_gib']:g} GiB", "-", "-",
        f"{r['replicas_min']}/-/{r['replicas_max']}", _money(r["hourly_usd_per_replica"]),
        _money(r["monthly_min_usd"]), _money(r["monthly_max_usd"]),
    ))
    for p in data.get("platform", []):
        rows.append((p["name"], "", "", f"x{p['count']}", "-", "-", "-", _money(p["hourly_usd"]), _money(p["monthly_usd"]), _money(p["monthly_usd"])))
    t = data["totals"]
    rows.append(("TOTAL", "", "", "", "", "", "", _money(t["hourly_min_usd"]) + " @min", _money(t["monthly_min_usd"]), _money(t["monthly_max_usd"])))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    lines = [f"AI Council '{data['environment']}' in {data['location']}"]
    for index, row in enumerate(rows):
        lines.append("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index in (0, len(rows) - 2):
            lines.append("  ".join("-" * w for w in widths))
    lines.append(f"budget: {_money(data['budget_usd'])} per month")
    if "schedule" in data:
        lines += _schedule_lines(data)
    lines.append("")
    lines.append("quota (vCPUs per VM family at max scale; (+20%): ceil(1.2 x instances) x cores per deployment):")
    for q in data["quota"]:
        declared = "not declared" if q["declared"] is None else f"declared {q['declared']}"
        status = "" if q["declared"] is None else ("  OK" if q["declared"] >= q["vcpus_needed_at_max"] else "  SHORT")
        lines.append(f"  {q['family']}: need {q['vcpus_needed_at_max']}{' (+20%)' if q['upgrade_reserve'] else ''}, {declared}{status}")
    p = data["prices"]
    lines.append("")
    elsewhere = "" if data["location"] == p["region"] else f" (the council is in {data['location']}: prices there may differ)"
    lines.append(f"prices: list pay-as-you-go, {p['region']}{elsewhere}, as of {p['as_of']} ({p['hours_per_month']} h/month); "
                 "check the Azure pricing calculator")
    lines.append("not counted:")
    lines += [f"  - {item}" for item in data["not_counted"]]
    return "\n".join(lines) + "\n"


def _schedule_lines(data: dict) -> list[str]:
    schedule = data["schedule"]
    lines = ["", f"schedule ({schedule['time_zone']}): minimum instances by the hour; a month is "
                 f"{data['prices']['hours_per_month']} h = {schedule['weeks_per_month']:.2f} weeks"]
    for w in schedule["windows"]:
        raised = ", ".join(f"{role} {n}" for role, n in w["min"].items())
        lines.append(f"  window {w['name']}: {day_span(tuple(w['days']))} {w['start']}-{w['end']}, {w['hours_per_week']:g} h a week "
                     f"= {w['hours_per_month']:,.2f} h a month; min {raised}")
    width = max(len(m["role"]) for m in schedule["members"]) + 1
    for m in schedule["members"]:
        hours = " + ".join(f"{h['instances']} x {h['hours']:,.2f} h" for h in m["hours_per_month"])
        extra = f" (+{_money(m['above_min_usd'])} on monthly@min)" if m["windows"] else " (no window)"
        lines.append(f"  {(m['role'] + ':').ljust(width)} {hours} a month = {_money(m['monthly_usd'])}{extra}")
    t = data["totals"]
    lines.append(f"monthly@schedule: {_money(t['monthly_schedule_usd'])} (every member at its scheduled minimum, the router at min "
                 f"replicas, the platform; monthly@min {_money(t['monthly_min_usd'])}): the floor the budget is checked against")
    return lines
