"""`council review`: what a change does to every environment's synthesized Terraform, readable."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT


def test_a_changed_leaf_a_changed_text_an_added_and_a_removed_resource():
    from council.review import stack_changes

    config = "model_list:\n  - model_name: pacer\n    input_cost_per_second: 0.1\n"
    base = {"resource": {
        "azapi_resource": {"secret": {"body": {"properties": {"value": config}}, "//": {"metadata": {"path": "x"}}}},
        "azurerm_container_app": {"app": {"template": {"container": [{"env": [{"name": "A", "value": "1"}, {"name": "HASH", "value": "aa"}]}]}}},
        "azurerm_subnet": {"old": {"name": "snet"}},
    }}
    change = {"resource": {
        "azapi_resource": {"secret": {"body": {"properties": {"value": config.replace("0.1", "0.2")}}, "//": {"metadata": {"path": "y"}}}},
        "azurerm_container_app": {"app": {"template": {"container": [{"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"},
                                                                                 {"name": "HASH", "value": "bb"}]}]}}},
        "azurerm_subnet_network_security_group_association": {"new": {"subnet_id": "s"}},
    }}
    lines = stack_changes(base, change)
    text = "\n".join(lines)
    # The config is shown as lines of YAML, not one escaped string; construct metadata is not the plan.
    assert "  ~ azapi_resource.secret" in lines and "body.properties.value (text):" in text
    assert "-    input_cost_per_second: 0.1" in text and "+    input_cost_per_second: 0.2" in text and "\\n" not in text
    assert "metadata" not in text
    # Named list items: adding B changes nothing else in the list.
    assert "template.container[0].env[B].value:" in text and "template.container[0].env[HASH].value:" in text
    assert "env[A]" not in text
    assert "  - azurerm_subnet.old (removed)" in lines and "  + azurerm_subnet_network_security_group_association.new (added)" in lines
    assert stack_changes(base, base) == []


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs git and a git checkout")
def test_a_change_to_prod_only_shows_in_prod_and_reads_as_yaml(tmp_path):
    """Review a commit's working tree that changes only environments/prod.yaml: dev shows no
    change, prod shows the deployment's setting and the router config's line, as text."""
    clone = tmp_path / "checkout"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    if (ROOT / "node_modules").exists():
        (clone / "node_modules").symlink_to(ROOT / "node_modules")
    prod = yaml.safe_load((clone / "environments" / "prod.yaml").read_text())
    member = prod["members"][0]
    slots = member.get("max_concurrent_requests_per_instance", 8)
    member["max_concurrent_requests_per_instance"] = slots - 1
    (clone / "environments" / "prod.yaml").write_text(yaml.safe_dump(prod, sort_keys=False))

    result = subprocess.run([sys.executable, "-m", "council.cli", "review", "--base", "HEAD"], cwd=clone, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    stacks = {p.stem for p in (ROOT / "environments").glob("*.yaml")}
    for name in stacks - {"prod"}:
        assert f"=== {name}: no change" in out, out
    prod_part = out.split("=== prod:", 1)[1]
    assert "blocks changed" in prod_part.splitlines()[0]
    assert "maxConcurrentRequestsPerInstance:" in prod_part and f"- {slots}" in prod_part and f"+ {slots - 1}" in prod_part
    changed = [line.strip() for line in prod_part.splitlines() if "input_cost_per_second:" in line]
    assert any(line.startswith("-") for line in changed) and any(line.startswith("+") for line in changed), prod_part
    assert "\\n" not in out

    bad = subprocess.run([sys.executable, "-m", "council.cli", "review", "--base", "no-such-rev"], cwd=clone, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines() == ["error: --base: 'no-such-rev' is not a commit of " + str(clone) + "; give a branch, tag or commit (e.g. origin/main)"]
