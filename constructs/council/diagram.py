"""Architecture diagrams of one council, drawn from its environment file alone.

`architecture_mermaid(env, stack)` returns a Mermaid flowchart (for READMEs and
pull requests); `render_diagram(env, stack, output)` writes that Mermaid text
(`.mmd`) or draws the same picture with Azure icons through the `diagrams`
library and Graphviz (`.svg`, `.png`).

Both drawings come from one small model (`_architecture`): groups (VNet, subnets,
the Container Apps environment, the ML workspace, DNS zones), nodes and edges,
named with `Names` exactly as the stack names the resources. Nothing here
synthesizes or touches Azure, and neither cdktf nor (until a picture is asked
for) `diagrams` is imported, so drawing stays fast.
"""

from __future__ import annotations

import base64
import importlib.util
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from council.cloud import AZURE_PUBLIC, ZONE_FILE_FIELDS
from council.config import CreateNetwork, Environment
from council.errors import CouncilError
from council.naming import names_for

REQUEST_LABEL = "POST /v1/chat/completions, master key"
# Said once, in the legend, instead of on every router -> member arrow.
LEGEND = (
    "Solid arrow: a chat request, POST /v1/chat/completions.",
    "The client sends the router's master key; the router calls each member with that member's own key from Key Vault.",
    "Dashed arrow: a private endpoint, private DNS zone, identity or vault link (no request traffic).",
)
FORMATS = (".svg", ".png", ".mmd")


# --------------------------------------------------------------------------- model
@dataclass(frozen=True)
class _Group:
    id: str
    label: str
    parent: str | None = None


@dataclass(frozen=True)
class _Node:
    id: str
    kind: str  # picks the icon (_icons): client, router, member, workspace, key_vault, identity, endpoint, zone, storage, ...
    lines: tuple[str, ...]
    group: str | None = None


@dataclass(frozen=True)
class _Edge:
    source: str
    target: str
    label: str = ""
    dashed: bool = False
    # Draw the arrow to the border of this group (the target node stands for it).
    into_group: str | None = None


@dataclass
class _Architecture:
    title: str
    groups: list[_Group] = field(default_factory=list)
    nodes: list[_Node] = field(default_factory=list)
    edges: list[_Edge] = field(default_factory=list)


def _arm_name(resource_id: str, kind: str) -> str:
    """The name after `/<kind>/` in an Azure resource id (e.g. the VNet of a subnet id)."""
    parts = resource_id.split("/")
    return parts[parts.index(kind) + 1]


# The node a private endpoint leads to, by its name target (cost.private_endpoints).
SERVICE_NODES = {"kvc": "kv", "kvw": "kv_workspace", "mlw": "workspace", "stblob": "storage", "stfile": "storage",
                 "redis": "redis", "psql": "postgres"}


def _zone_label(env: Environment, purpose: str) -> str:
    """The zone a private endpoint for `purpose` registers in: the landing zone's (by name), or
    the one the stack creates."""
    name = AZURE_PUBLIC.zone(purpose)
    if isinstance(env.network, CreateNetwork):
        return name
    given = getattr(env.network.private_dns_zone_ids, ZONE_FILE_FIELDS[purpose], None)
    return f"{_arm_name(given, 'privateDnsZones')} (existing)" if given else f"{name} (created, linked to the landing zone's VNet)"


def _architecture(env: Environment, stack: str) -> _Architecture:
    from council.catalog import load_catalog
    from council.cost import private_endpoints
    from council.egress import required_fqdns

    names = names_for(env, stack)
    # FQDN outbound rules provision the managed network's Azure Firewall (cost.platform_rows).
    firewall_sku = env.workspace.firewall_sku if required_fqdns(env, load_catalog()) else None
    arch = _Architecture(title=f"AI Council: {stack} ({env.location})")
    group, node, edge = arch.groups.append, arch.nodes.append, arch.edges.append

    # Network: created VNet with two subnets, or the landing zone's subnets.
    net = env.network
    if isinstance(net, CreateNetwork):
        group(_Group("vnet", f"VNet {names.vnet()} ({net.address_space})"))
        group(_Group("snet_apps", f"{names.subnet('apps')} {net.apps_subnet}", "vnet"))
        group(_Group("snet_pe", f"{names.subnet('private-endpoints')} {net.private_endpoints_subnet}", "vnet"))
    else:
        group(_Group("vnet", "Landing zone network (existing)"))
        for gid, subnet_id in (("snet_apps", net.apps_subnet_id), ("snet_pe", net.private_endpoints_subnet_id)):
            label = f"{_arm_name(subnet_id, 'subnets')} in {_arm_name(subnet_id, 'virtualNetworks')} (existing)"
            group(_Group(gid, label, "vnet"))

    # Router: LiteLLM on an internal Container App, running as a user-assigned identity.
    group(_Group("cae", f"Container Apps environment {names.container_app_environment()}", "snet_apps"))
    replicas = f"replicas {env.router.min_replicas}-{env.router.max_replicas}"
    node(_Node("router", "router", ("LiteLLM router", names.container_app(), replicas), "cae"))
    node(_Node("router_identity", "identity", ("User-assigned identity", names.identity("router"))))

    # Every private endpoint the stack creates (cost.private_endpoints), the service behind it and
    # the zone it registers in.
    key_vault, workspace_vault = names.key_vault("c"), names.key_vault("w")
    node(_Node("kv", "key_vault", ("Key Vault", key_vault, "member API keys and base URLs")))
    node(_Node("kv_workspace", "key_vault", ("Key Vault (workspace)", workspace_vault)))
    node(_Node("storage", "storage", ("Storage account (workspace)", names.storage_account(), "identity-based access, no public access"), "mlw_deps"))
    node(_Node("registry", "registry", ("Container registry (workspace)", names.container_registry(), "Premium, reached through the managed network"), "mlw_deps"))
    if "redis" in env.router.private_services:
        node(_Node("redis", "redis", ("Azure Managed Redis", names.managed_redis(), "router's shared state")))
    if "postgres" in env.router.private_services:
        node(_Node("postgres", "postgres", ("PostgreSQL flexible server", names.postgres_server(), "router's virtual keys")))
    services = [(target, SERVICE_NODES[target], purposes) for target, purposes in private_endpoints(env)]

    # Private DNS zones: created and linked by the stack, or the landing zone's.
    group(_Group("dns", "Private DNS zones"))
    purposes = sorted({purpose for _, _, purposes in services for purpose in purposes})
    for purpose in purposes:
        node(_Node(f"zone_{purpose}", "zone", (_zone_label(env, purpose),), "dns"))
    cae_zone = f"*.{env.location}.azurecontainerapps.io"
    node(_Node("zone_cae", "zone", ("Container Apps environment zone", f"{cae_zone} (default domain)"), "dns"))
    for target, service, service_purposes in services:
        node(_Node(f"pe_{target}", "endpoint", ("Private endpoint", names.private_endpoint(target)), "snet_pe"))
        edge(_Edge(f"pe_{target}", service, dashed=True, into_group="mlw" if service == "workspace" else None))
        for purpose in service_purposes:
            edge(_Edge(f"zone_{purpose}", f"pe_{target}", dashed=True))

    # Workspace and members.
    group(_Group("mlw", f"Azure ML workspace {names.ml_workspace()} (managed VNet: AllowOnlyApprovedOutbound)"))
    group(_Group("mlw_deps", "The workspace's own resources"))
    node(_Node("workspace", "workspace", ("ML workspace", names.ml_workspace()), "mlw"))
    if firewall_sku is not None:
        node(_Node("firewall", "firewall", (f"Azure Firewall ({firewall_sku})", "the managed network's, for its FQDN outbound rules"), "mlw"))
        edge(_Edge("workspace", "firewall", "outbound (model pulls)", dashed=True))
    client = "Client (internet)" if env.router.external_ingress else "Client (private network)"
    node(_Node("client", "client", (client,)))
    edge(_Edge("client", "router", REQUEST_LABEL))
    for member in env.members:
        model = member.model.label
        instances = f"instances {member.instances.min}-{member.instances.max}"
        lines = (member.role, names.online_endpoint(member.role), member.display_name, model, member.sku, instances)
        node(_Node(f"member_{member.role}", "member", lines, "mlw"))
        edge(_Edge("router", f"member_{member.role}"))

    # Monitoring: where every diagnostic setting, trace and alert goes.
    group(_Group("monitoring", "Monitoring"))
    node(_Node("logs", "logs", ("Log Analytics workspace", names.log_analytics(), "every resource's diagnostic setting"), "monitoring"))
    node(_Node("insights", "insights", ("Application Insights", names.app_insights(), "the router's traces (OpenTelemetry)"), "monitoring"))
    node(_Node("alerts", "monitor", ("Alerts, budget and the board", "metric alerts, action group, workbook"), "monitoring"))
    edge(_Edge("router", "insights", "traces", dashed=True))
    edge(_Edge("insights", "logs", dashed=True))
    edge(_Edge("alerts", "logs", dashed=True))

    edge(_Edge("router", "router_identity", "runs as", dashed=True))
    edge(_Edge("router_identity", "kv", "reads secrets", dashed=True))
    edge(_Edge("workspace", "kv_workspace", dashed=True))
    edge(_Edge("workspace", "storage", dashed=True))
    edge(_Edge("workspace", "registry", dashed=True))
    if "redis" in env.router.private_services:
        edge(_Edge("router", "redis", "shared state", dashed=True))
    if "postgres" in env.router.private_services:
        edge(_Edge("router", "postgres", "keys and spend", dashed=True))
    edge(_Edge("zone_cae", "router", dashed=True))
    return arch


# --------------------------------------------------------------------------- Mermaid
def _mermaid_text(text: str) -> str:
    """Text that is safe inside a quoted Mermaid label (entity codes for # " < >)."""
    for raw, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(raw, code)
    return text


def _mermaid_label(lines: tuple[str, ...] | str) -> str:
    lines = (lines,) if isinstance(lines, str) else lines
    return '"' + "<br/>".join(_mermaid_text(line) for line in lines) + '"'


def architecture_mermaid(env: Environment, stack: str) -> str:
    """A Mermaid flowchart of the council `env` deploys as stack `stack`."""
    arch = _architecture(env, stack)
    out = ["flowchart LR", f"  %% {_mermaid_text(arch.title)}"]

    def emit(parent: str | None, depth: int) -> None:
        pad = "  " * depth
        for node in (n for n in arch.nodes if n.group == parent):
            out.append(f"{pad}{node.id}[{_mermaid_label(node.lines)}]")
        for group in (g for g in arch.groups if g.parent == parent):
            out.append(f"{pad}subgraph {group.id}[{_mermaid_label(group.label)}]")
            emit(group.id, depth + 1)
            out.append(f"{pad}end")

    emit(None, 1)
    out.append(f"  subgraph legend[{_mermaid_label('Legend')}]")
    out.append(f"    legend_text[{_mermaid_label(LEGEND)}]")
    out.append("  end")
    for e in arch.edges:
        arrow = "-.->" if e.dashed else "-->"
        label = f"|{_mermaid_label(e.label)}|" if e.label else ""
        out.append(f"  {e.source} {arrow}{label} {e.target}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- pictures
def _icons() -> dict:
    from diagrams.azure.aimachinelearning import MachineLearning
    from diagrams.azure.compute import ContainerApps
    from diagrams.azure.identity import ManagedIdentities
    from diagrams.azure.ml import MachineLearningServiceWorkspaces
    from diagrams.azure.network import DNSPrivateZones, PrivateEndpoint
    from diagrams.azure.analytics import LogAnalyticsWorkspaces
    from diagrams.azure.compute import ContainerRegistries
    from diagrams.azure.database import CacheForRedis, DatabaseForPostgresqlServers
    from diagrams.azure.devops import ApplicationInsights
    from diagrams.azure.monitor import Monitor
    from diagrams.azure.network import Firewall
    from diagrams.azure.security import KeyVaults
    from diagrams.azure.storage import StorageAccounts
    from diagrams.onprem.client import Users

    return {
        "client": Users,
        "router": ContainerApps,
        "member": MachineLearning,
        "workspace": MachineLearningServiceWorkspaces,
        "key_vault": KeyVaults,
        "identity": ManagedIdentities,
        "endpoint": PrivateEndpoint,
        "zone": DNSPrivateZones,
        "storage": StorageAccounts,
        "registry": ContainerRegistries,
        "firewall": Firewall,
        "redis": CacheForRedis,
        "postgres": DatabaseForPostgresqlServers,
        "logs": LogAnalyticsWorkspaces,
        "insights": ApplicationInsights,
        "monitor": Monitor,
    }


def _dot_text(lines: tuple[str, ...] | str) -> str:
    lines = (lines,) if isinstance(lines, str) else lines
    return "\n".join(line.replace("\\", "\\\\") for line in lines)  # no Graphviz escapes (\N, \l ...)


def _inline_images(svg: Path) -> None:
    """Graphviz links icons by absolute path into site-packages: embed them so the SVG travels."""

    def embed(match: re.Match) -> str:
        icon = Path(match.group(2))
        if not icon.is_file():
            return match.group(0)
        data = base64.b64encode(icon.read_bytes()).decode()
        return f'{match.group(1)}="data:image/png;base64,{data}"'

    svg.write_text(re.sub(r'(xlink:href|href)="([^"]+\.png)"', embed, svg.read_text()))


def _draw(arch: _Architecture, target: Path, outformat: str) -> None:
    """Draw `arch` with the `diagrams` library; Graphviz writes `target` + `.` + `outformat`."""
    from diagrams import Cluster, Diagram, Edge

    icons = _icons()
    drawn: dict = {}

    def emit(parent: str | None) -> None:
        for node in (n for n in arch.nodes if n.group == parent):
            # Stable node ids (diagrams draws random ones): a regenerated picture diffs cleanly.
            drawn[node.id] = icons[node.kind](_dot_text(node.lines), nodeid=node.id)
        for group in (g for g in arch.groups if g.parent == parent):
            with Cluster(_dot_text(group.label)):
                emit(group.id)

    labels = {g.id: g.label for g in arch.groups}
    # The title and the legend under the picture (left-aligned lines: Graphviz's \l).
    legend = "".join(line.replace("\\", "\\\\") + "\\l" for line in (arch.title, "", *LEGEND))
    graph_attr = {"fontsize": "20", "pad": "1.5", "nodesep": "0.6", "ranksep": "1.2", "compound": "true", "label": legend, "labeljust": "l"}
    with Diagram(arch.title, filename=str(target), outformat=outformat, show=False, direction="LR",
                 curvestyle="curved", graph_attr=graph_attr):
        emit(None)
        for e in arch.edges:
            style = {"style": "dashed", "color": "#7B8794"} if e.dashed else {"color": "#2B3A4A", "penwidth": "1.4"}
            if e.into_group:
                style["lhead"] = f"cluster_{_dot_text(labels[e.into_group])}"
            drawn[e.source] >> Edge(label=_dot_text(e.label), **style) >> drawn[e.target]


def render_diagram(env: Environment, stack: str, output: Path) -> None:
    """Write the council's architecture to `output`: `.mmd` (Mermaid), `.svg` or `.png` (Graphviz)."""
    output = Path(output)
    suffix = output.suffix.lower()
    if suffix not in FORMATS:
        raise CouncilError(str(output), None, f"unsupported diagram format {output.suffix or '(none)'}; use .svg, .png or .mmd")
    if suffix == ".mmd":
        output.write_text(architecture_mermaid(env, stack))
        return
    if importlib.util.find_spec("diagrams") is None:
        raise CouncilError(str(output), None, "the `diagrams` package is not installed; `pip install diagrams==0.25.1` or write a .mmd diagram")
    if shutil.which("dot") is None:
        raise CouncilError(
            str(output), None, "Graphviz `dot` was not found; install Graphviz (e.g. `apt-get install graphviz`) or write a .mmd diagram"
        )
    from graphviz import ExecutableNotFound

    arch = _architecture(env, stack)
    # diagrams writes the dot source to `filename` and deletes it afterwards: work in a scratch
    # directory so a file next to `output` named like its stem is never overwritten or removed.
    with tempfile.TemporaryDirectory(prefix="council-diagram-") as scratch:
        target = Path(scratch) / "diagram"  # not output.stem: a stem with dots would lose a part
        try:
            _draw(arch, target, suffix[1:])
        except ExecutableNotFound:
            raise CouncilError(
                str(output), None, "Graphviz `dot` could not run; install Graphviz (e.g. `apt-get install graphviz`) or write a .mmd diagram"
            ) from None
        drawn = Path(scratch) / f"diagram{suffix}"
        if suffix == ".svg":
            _inline_images(drawn)
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(drawn, output)
