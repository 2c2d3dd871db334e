"""The pipeline a team runs (.github/workflows/council.yml): its shape, and its scripts run for
real here, with the one call that reaches Terraform Cloud (`npm run deploy`) stubbed."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "council.yml"


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _readme_test_setup() -> str:
    """The README's second set-up command, without its last part (running the tests)."""
    text = (ROOT / "README.md").read_text()
    blocks = [b.split("```", 1)[0].strip() for b in text.split("```bash\n")[1:3]]
    return blocks[1].removesuffix(" && python -m pytest")


def test_pull_requests_are_checked_and_main_is_deployed_after_its_checks():
    workflow = _workflow()
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as true
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read"}
    check, deploy = workflow["jobs"]["check"], workflow["jobs"]["deploy"]
    assert check["steps"][0]["uses"].startswith("actions/checkout@") and check["steps"][0]["with"]["fetch-depth"] == 0
    assert deploy["needs"] == "check" and deploy["environment"] == "prod" and deploy["concurrency"]
    assert "github.event_name == 'push'" in deploy["if"] and "refs/heads/main" in deploy["if"]
    assert deploy["steps"][-1]["env"]["TF_API_TOKEN"] == "${{ secrets.TF_API_TOKEN }}"
    for job in (check, deploy):
        runs = [step["run"] for step in job["steps"] if "run" in step]
        assert runs[0] == _readme_test_setup(), "install as the README does"
        for run in runs[1:]:
            script = run.removeprefix(". .venv/bin/activate && sh ").split()[0]
            assert run.startswith(". .venv/bin/activate && sh tools/ci/") and (ROOT / script).exists(), run
        assert all("@" in step["uses"] for step in job["steps"] if "uses" in step), "actions are pinned"


def _clone(tmp_path: Path) -> Path:
    clone = tmp_path / "checkout"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    for path in ("tools/ci/check.sh", "tools/ci/deploy.sh"):  # the scripts as they are in this checkout
        (clone / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, clone / path)
    if (ROOT / "node_modules").exists():
        (clone / "node_modules").symlink_to(ROOT / "node_modules")
    return clone


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("COUNCIL_ENVIRONMENTS", "CDKTF_OUTDIR", "TF_API_TOKEN")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # the venv, as activated
    return {**env, **extra}


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists() or not (ROOT / "node_modules").exists(),
                    reason="needs git, a git checkout and npm ci")
def test_the_check_script_validates_synthesizes_and_reviews_a_pull_request(tmp_path):
    clone = _clone(tmp_path)
    prod = yaml.safe_load((clone / "environments" / "prod.yaml").read_text())
    prod["alerts"] = {**prod.get("alerts", {}), "latency_p99_ms": 12345}
    (clone / "environments" / "prod.yaml").write_text(yaml.safe_dump(prod, sort_keys=False))
    result = subprocess.run(["sh", "tools/ci/check.sh"], cwd=clone, env=_env(COUNCIL_CI_SKIP_CHECKOV="1", COUNCIL_REVIEW_BASE="HEAD"),
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "ok: " in result.stdout and "Generated Terraform code for the stacks" in result.stdout
    review = (clone / "council-review.txt").read_text()
    assert "=== prod:" in review and "12345" in review and "=== dev: no change" in review


def test_the_check_script_stops_at_a_broken_file_with_its_lines(tmp_path):
    clone = _clone(tmp_path)
    dev = yaml.safe_load((clone / "environments" / "dev.yaml").read_text())
    dev["location"] = "eastus9"
    (clone / "environments" / "dev.yaml").write_text(yaml.safe_dump(dev, sort_keys=False))
    result = subprocess.run(["sh", "tools/ci/check.sh"], cwd=clone, env=_env(COUNCIL_CI_SKIP_CHECKOV="1"), capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert any(line.startswith("error: ") and ": location: 'eastus9'" in line for line in result.stderr.splitlines())


def _fake_npm(bin_dir: Path, record: Path) -> None:
    """`npm` that records how it was called (the deploy's one call to Terraform Cloud)."""
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" > "{record}"\nprintf "COUNCIL_ENVIRONMENTS=%s\\n" "$COUNCIL_ENVIRONMENTS" >> "{record}"\n')
    npm.chmod(npm.stat().st_mode | stat.S_IXUSR)


def test_the_deploy_script_logs_in_to_terraform_cloud_and_deploys_one_environment(tmp_path):
    record, home = tmp_path / "npm-call", tmp_path / "home"
    _fake_npm(tmp_path / "bin", record)
    env = _env(HOME=str(home), TF_API_TOKEN="fake-token-for-the-test", PATH=f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(["sh", "tools/ci/deploy.sh", "prod"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert record.read_text().splitlines() == ["run deploy -- prod --auto-approve", "COUNCIL_ENVIRONMENTS=prod"]
    credentials = home / ".terraform.d" / "credentials.tfrc.json"
    import json

    assert json.loads(credentials.read_text()) == {"credentials": {"app.terraform.io": {"token": "fake-token-for-the-test"}}}
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600

    env.pop("TF_API_TOKEN")
    record.unlink()
    result = subprocess.run(["sh", "tools/ci/deploy.sh", "prod"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and not record.exists()
    assert result.stderr.strip().splitlines() == [
        "error: TF_API_TOKEN: not set; add a Terraform Cloud team token as the repository secret TF_API_TOKEN"]
