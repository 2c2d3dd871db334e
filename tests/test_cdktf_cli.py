"""The real cdktf CLI (npm cdktf-cli@0.21.0 from package.json) synthesizes the same
stacks as `python main.py`: `cdktf synth` / `cdktf deploy dev` see what we test."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

CDKTF = ROOT / "node_modules" / ".bin" / "cdktf"


def _stacks(outdir: Path) -> dict[str, dict]:
    return {p.name: json.loads((p / "cdk.tf.json").read_text()) for p in sorted((outdir / "stacks").iterdir())}


@pytest.mark.skipif(not CDKTF.exists() and not os.environ.get("CI"), reason="run `npm ci` to install the cdktf CLI")
def test_npm_run_synth_matches_python_main_and_looks_like_a_success(tmp_path):
    """`npm run synth` (the README's command) on the pinned Node.js 22: the same stacks as
    `python main.py`, and nothing that reads as a failure -- no Node end-of-life banner,
    no checkpoint DNS error, no warning about a TF_CLI_CONFIG_FILE that names no file."""
    assert CDKTF.exists(), "CI must install the cdktf CLI (npm ci)"
    env = {
        **os.environ,
        # A dangling CLI config setting, as on a machine whose profile names a missing file.
        "TF_CLI_CONFIG_FILE": str(tmp_path / "no-such.terraformrc"),
        # cdktf.json runs `python main.py`: make `python` the interpreter running these tests.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    for name in ("COUNCIL_ENVIRONMENTS", "CHECKPOINT_DISABLE", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"):
        env.pop(name, None)
    work = tmp_path / "project"
    shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns("cdktf.out", ".git", "node_modules", ".venv*", "*.tfstate", "__pycache__", ".pytest_cache"))
    (work / "node_modules").symlink_to(ROOT / "node_modules")

    cli = subprocess.run(["npm", "run", "synth", "--", "--output", "cli.out"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    output = cli.stdout + cli.stderr
    assert cli.returncode == 0, output[-3000:]
    assert "Generated Terraform code for the stacks: dev, prod" in output
    for noise in ("end-of-life", "checkpoint-api", "CLI configuration", "Traceback"):
        assert noise not in output, f"{noise!r} in: {output[-3000:]}"
    # The only [ERROR]-tagged lines cdktf shows are the app's own warnings (its stderr).
    tagged = [re.sub(r"\x1b\[[0-9;]*m", "", line).split(" - ", 1)[-1].strip() for line in output.splitlines() if "[ERROR]" in line]
    assert all(message.startswith("warning: ") for message in tagged if message), tagged

    py = subprocess.run([sys.executable, "main.py"], cwd=work, env={**env, "CDKTF_OUTDIR": str(work / "py.out")}, capture_output=True, text=True, timeout=300)
    assert py.returncode == 0, py.stderr[-2000:]
    assert py.stdout.strip().splitlines()[-1].startswith("wrote ")
    from_cli, from_python = _stacks(work / "cli.out"), _stacks(work / "py.out")
    assert set(from_cli) == {p.stem for p in (ROOT / "environments").glob("*.yaml")}
    assert from_cli == from_python


def test_the_pinned_node_is_a_supported_release():
    """jsii supports Node ^22 and ^24 (its banner on Node 20, 2026-11): package.json pins 22 LTS."""
    node = ROOT / "node_modules" / ".bin" / "node"
    if not node.exists():
        pytest.skip("run `npm ci`")
    version = subprocess.run([str(node), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    assert int(version.lstrip("v").split(".")[0]) in (22, 24), version


@pytest.mark.skipif(not CDKTF.exists() and not os.environ.get("CI"), reason="run `npm ci` to install the cdktf CLI")
def test_npm_run_synth_reports_a_broken_file_once_with_exit_2(tmp_path):
    """Through the cdktf CLI every line of the app's stderr came out twice (once more tagged
    [ERROR]) and the exit code was 1: the files are checked before the CLI starts."""
    import yaml

    data = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    data["location"] = "eastus9"
    data["router"]["min_replicas"] = -1
    broken = tmp_path / "dev.yaml"
    broken.write_text(yaml.safe_dump(data, sort_keys=False))
    env = {**os.environ, "COUNCIL_ENVIRONMENTS": str(broken), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["npm", "run", "--silent", "synth"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 2 and all(line.startswith(f"error: {broken}: ") for line in lines), lines
    assert "[ERROR]" not in result.stdout + result.stderr
