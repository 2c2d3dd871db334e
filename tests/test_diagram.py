"""Architecture diagrams: the Mermaid text names what the stack deploys; pictures render.

The .svg/.png tests need Graphviz `dot`: they skip without it on a workstation
and fail without it in CI (CI set), where a missing Graphviz is a setup bug.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from conftest import EXISTING_NETWORK, ROOT, raw_environment

from council.config import parse_environment
from council.diagram import LEGEND, REQUEST_LABEL, _mermaid_text, architecture_mermaid, render_diagram
from council.errors import CouncilError
from council.naming import names_for

LABEL = r'\["[^"]*"\]'
ID = r"[A-Za-z_][A-Za-z0-9_]*"
BODY_LINE = re.compile(
    rf"^(%%.*|end|subgraph {ID}{LABEL}|{ID}{LABEL}|{ID} (-->|-\.->)(\|\"[^\"]*\"\|)? {ID})$"
)


def names(env, stack: str):
    return names_for(env, stack)


def need_dot() -> None:
    if shutil.which("dot") is None and not os.environ.get("CI"):
        pytest.skip("Graphviz `dot` is not installed: apt-get install graphviz (in CI this fails instead)")


def check_structure(text: str) -> None:
    """Light parse: a flowchart header, known line forms, balanced subgraphs, edges between declared ids."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[0] == "flowchart LR"
    declared, depth = set(), 0
    for line in lines[1:]:
        assert BODY_LINE.match(line), f"not a Mermaid flowchart line: {line!r}"
        if line.startswith("subgraph "):
            depth += 1
        elif line == "end":
            depth -= 1
            assert depth >= 0, "`end` without a subgraph"
        elif "[" in line and " -" not in line:
            declared.add(line.split("[", 1)[0])
    assert depth == 0, "unclosed subgraph"
    for source, target in re.findall(rf"^\s*({ID}) -\.?-?>(?:\|[^|]*\|)? ({ID})$", text, re.M):
        assert {source, target} <= declared, f"edge {source} -> {target} uses an undeclared node"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_mermaid_names_the_architecture(environments, stack):
    env = environments[stack]
    text = architecture_mermaid(env, stack)
    n = names(env, stack)
    for member in env.members:
        for expected in (member.role, n.online_endpoint(member.role), member.sku, member.display_name):
            assert expected in text, f"{expected} missing from the {stack} diagram"
        # One unlabelled arrow per member: what it carries is said once, in the legend.
        assert f"router --> member_{member.role}" in text.splitlines() or f"  router --> member_{member.role}" in text.splitlines()
    for expected in (n.container_app(), n.key_vault("c"), n.ml_workspace(), n.vnet(), n.identity("router"),
                     "privatelink.api.azureml.ms", "privatelink.notebooks.azure.net",
                     "privatelink.vaultcore.azure.net", "azurecontainerapps.io", "AllowOnlyApprovedOutbound",
                     f"replicas {env.router.min_replicas}-{env.router.max_replicas}"):
        assert expected in text, f"{expected} missing from the {stack} diagram"
    assert f'client -->|"{REQUEST_LABEL}"| router' in text
    assert text.count("/v1/chat/completions") == 2  # the client's arrow and the legend, not once per member
    assert all(_mermaid_text(line) in text for line in LEGEND)
    check_structure(text)


def test_mermaid_existing_network_shows_landing_zone():
    data = raw_environment("dev")
    data["network"] = EXISTING_NETWORK
    text = architecture_mermaid(parse_environment(data, "lz.yaml"), "lz")
    assert "snet-apps in vnet-hub (existing)" in text and "snet-pe in vnet-hub (existing)" in text
    assert "privatelink.api.azureml.ms (existing)" in text
    assert "VNet vnet-" not in text  # nothing created
    check_structure(text)


def test_mermaid_labels_are_escaped(environments):
    env = environments["dev"]
    member = env.members[0].model_copy(update={"display_name": 'Say "hi" <b>#1</b>'})
    text = architecture_mermaid(env.model_copy(update={"members": (member, *env.members[1:])}), "dev")
    assert "Say #quot;hi#quot; #lt;b#gt;#35;1#lt;/b#gt;" in text
    check_structure(text)


def test_mmd_file(environments, tmp_path):
    out = tmp_path / "arch.mmd"
    render_diagram(environments["dev"], "dev", out)
    assert out.read_text() == architecture_mermaid(environments["dev"], "dev")


def test_svg(environments, tmp_path):
    need_dot()
    env = environments["dev"]
    sibling = tmp_path / "arch.v1"  # diagrams' scratch dot file would have this name: it must survive
    sibling.write_text("keep")
    out = tmp_path / "arch.v1.svg"
    render_diagram(env, "dev", out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arch.v1", "arch.v1.svg"]
    assert sibling.read_text() == "keep"
    root = ET.parse(out).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = " ".join(root.itertext())
    for expected in (*(m.role for m in env.members), *(m.sku for m in env.members), names(env, "dev").container_app()):
        assert expected in text
    # The legend is part of the picture, and the request path is labelled once, not per member.
    assert "Dashed arrow" in text and "Solid arrow" in text
    assert text.count("/v1/chat/completions") == 2
    # Icons are embedded, not linked to files inside the virtualenv.
    hrefs = [v for e in root.iter() for k, v in e.attrib.items() if k.endswith("href")]
    assert hrefs and all(h.startswith("data:image/png;base64,") for h in hrefs)


def test_png(environments, tmp_path):
    need_dot()
    out = tmp_path / "nested" / "arch.png"
    render_diagram(environments["dev"], "dev", out)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 50_000


def test_unsupported_format(environments, tmp_path):
    out = tmp_path / "arch.gif"
    with pytest.raises(CouncilError) as caught:
        render_diagram(environments["dev"], "dev", out)
    assert caught.value.line() == f"{out}: unsupported diagram format .gif; use .svg, .png or .mmd"
    assert not out.exists()


def test_missing_graphviz(environments, tmp_path, monkeypatch):
    import council.diagram

    monkeypatch.setattr(council.diagram.shutil, "which", lambda name: None)
    with pytest.raises(CouncilError) as caught:
        render_diagram(environments["dev"], "dev", tmp_path / "arch.svg")
    line = caught.value.line()
    assert "\n" not in line and "apt-get install graphviz" in line and ".mmd" in line


def test_import_is_light():
    """Neither cdktf nor diagrams is imported until a picture is drawn."""
    code = "import sys, council.diagram; print(sorted(m for m in ('cdktf', 'diagrams') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_svg_is_deterministic(tmp_path, environments):
    """Regenerating the README's picture from an unchanged environment changes nothing."""
    if shutil.which("dot") is None and not os.environ.get("CI"):
        pytest.skip("Graphviz `dot` is not installed: apt-get install graphviz")
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    render_diagram(environments["dev"], "dev", first)
    render_diagram(environments["dev"], "dev", second)
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("stack", ["dev", "prod", "lz"])
def test_the_diagram_shows_what_the_stack_synthesizes(stacks, stack):
    """Every private endpoint and every private DNS zone of the synthesized stack, and the
    services behind them, are in the picture; so are the registry, the managed network's firewall
    when the workspace has FQDN outbound rules, and where monitoring goes."""
    from conftest import _variants
    from tf import ml_workspace, resources

    data = _variants()["lz"] if stack == "lz" else raw_environment(stack)
    env = parse_environment(data, f"{stack}.yaml")
    text = architecture_mermaid(env, stack)
    synthesized = stacks[stack]
    shown = lambda name: re.sub(r"-[0-9a-f]{6}$|[0-9a-f]{6}$", "", name)  # noqa: E731 (the suffix is computed at plan)
    for endpoint in resources(synthesized, "azurerm_private_endpoint").values():
        assert shown(endpoint["name"]).split("${")[0].rstrip("-") in text, endpoint["name"]
    for zone in resources(synthesized, "azurerm_private_dns_zone").values():
        if "${" not in zone["name"]:  # the Container Apps environment's own zone is named at apply
            assert zone["name"] in text, zone["name"]
    n = names(env, stack)
    for rtype, name in (("azurerm_storage_account", n.storage_account()), ("azurerm_container_registry", n.container_registry()),
                        ("azurerm_managed_redis", n.managed_redis()), ("azurerm_log_analytics_workspace", n.log_analytics()),
                        ("azurerm_application_insights", n.app_insights()), ("azurerm_postgresql_flexible_server", n.postgres_server())):
        assert (name in text) == bool(resources(synthesized, rtype)), rtype
    _, workspace = ml_workspace(synthesized)
    fqdn_rules = any(rule.get("type") == "FQDN" for rule in (workspace["body"]["properties"]["managedNetwork"].get("outboundRules") or {}).values())
    assert ("Azure Firewall" in text) == fqdn_rules
    check_structure(text)
