"""main.py synthesizes the code of the checkout it lives in, from any directory, and says
what it wrote; `council` finds the project from anywhere inside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT


def test_main_synthesizes_its_own_checkout_from_any_directory(tmp_path):
    """The README's 'diff two commits' workflow: a detached worktree's main.py must use the
    worktree's code, not the editable install of this checkout."""
    worktree = tmp_path / "base"
    subprocess.run(["git", "worktree", "add", "--detach", str(worktree), "HEAD"], cwd=ROOT, check=True, capture_output=True)
    try:
        policy = worktree / "constructs" / "council" / "policy.py"
        text = policy.read_text()
        default = "scale_out_above: float = Field(default=70,"
        assert default in text
        policy.write_text(text.replace(default, default.replace("70", "71")))
        env = {**os.environ, "COUNCIL_ENVIRONMENTS": "dev"}
        env.pop("CDKTF_OUTDIR", None)
        result = subprocess.run([sys.executable, str(worktree / "main.py")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        written = worktree / "cdktf.out" / "stacks" / "dev" / "cdk.tf.json"
        assert result.stdout.strip().splitlines()[-1] == f"wrote {os.path.relpath(written, tmp_path)}"
        # dev keeps its state in a local file, inside cdktf.out: synth says where.
        import yaml

        if yaml.safe_load((worktree / "environments" / "dev.yaml").read_text()).get("backend", {}).get("type", "local") == "local":
            state = os.path.relpath(written.parent / "terraform.dev.tfstate", tmp_path)
            assert f"dev: Terraform state is the local file {state}; it holds every key" in result.stdout
        stack = json.loads(written.read_text())
        thresholds = {rule["metric_trigger"]["threshold"] for a in stack["resource"]["azurerm_monitor_autoscale_setting"].values()
                      for rule in a["profile"][0]["rule"] if rule["scale_action"]["direction"] == "Increase"}
        assert thresholds == {71}, "the worktree's main.py synthesized another checkout's code"
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, capture_output=True)


def test_council_finds_the_project_from_a_subdirectory():
    result = subprocess.run([sys.executable, "-m", "council.cli", "validate"], cwd=ROOT / "tests", capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert {line.split()[1] for line in result.stdout.splitlines() if line.startswith("ok:")} == {
        str(p) for p in sorted((ROOT / "environments").glob("*.yaml"))
    }
