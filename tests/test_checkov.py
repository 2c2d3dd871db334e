"""checkov (its own virtual environment, pinned) finds zero failed checks on every
synthesized stack; every skip is listed with its reason in tests/checkov/skips.yaml."""

from __future__ import annotations

import json
import os
import subprocess
import venv

import pytest
import yaml

from conftest import ROOT
from tf import resources

CHECKOV_DIR = ROOT / "tests" / "checkov"
CHECKOV_VENV = ROOT / ".venv-checkov"
CHECKOV = CHECKOV_VENV / "bin" / "checkov"


@pytest.fixture(scope="session")
def checkov() -> str:
    """checkov cannot share a venv with litellm[proxy] (boto3 pins clash): give it its own."""
    requirements = CHECKOV_DIR / "requirements.txt"
    stamp = CHECKOV_VENV / "requirements.installed"
    if not CHECKOV.exists() or not stamp.exists() or stamp.read_text() != requirements.read_text():
        venv.EnvBuilder(with_pip=True, clear=True).create(CHECKOV_VENV)
        subprocess.run(
            [str(CHECKOV_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(requirements)],
            check=True, timeout=1200,
        )
        stamp.write_text(requirements.read_text())
    return str(CHECKOV)


@pytest.fixture(scope="session")
def skips() -> dict[str, str]:
    return yaml.safe_load((CHECKOV_DIR / "skips.yaml").read_text())


def test_every_skip_has_a_reason(skips):
    assert skips, "an empty skip list would make this file pointless"
    for check_id, reason in skips.items():
        assert isinstance(reason, str) and len(reason.split()) >= 10, f"{check_id} needs a real reason"


def _scannable_copy(stack: dict, directory) -> str:
    """The stack as checkov 3.3.30 can parse it: `terraform.required_version` makes it
    report a parsing error and check nothing (bridgecrewio/checkov #7454, reproduced
    2026-11-27), so the copy leaves that one key out. Every resource stays as synthesized."""
    assert stack["terraform"]["required_version"], "the stack must pin Terraform's version"
    copy = json.loads(json.dumps(stack))
    del copy["terraform"]["required_version"]
    directory.mkdir()
    (directory / "cdk.tf.json").write_text(json.dumps(copy))
    return str(directory)


def _scan(checkov: str, stack: dict, directory, *selection: str) -> tuple[int, dict]:
    """checkov's exit code and JSON report for one stack, with `selection` (--check / --skip-check ...)."""
    result = subprocess.run(
        [checkov, "-d", _scannable_copy(stack, directory), "--framework", "terraform_json", "--skip-download", "-o", "json", *selection],
        capture_output=True, text=True, timeout=600, env={**os.environ, "LOG_LEVEL": "ERROR"},
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    return result.returncode, report[0] if isinstance(report, list) else report


@pytest.mark.parametrize("name", ["dev", "prod", "lz", "tfc", "open"])
def test_checkov_finds_no_failed_check(checkov, skips, stacks, tmp_path, name):
    returncode, report = _scan(checkov, stacks[name], tmp_path / name, "--skip-check", ",".join(skips))
    summary, results = report["summary"], report["results"]
    assert summary["parsing_errors"] == 0
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in results.get("failed_checks", [])]
    assert failed == [], "\n".join(failed)
    assert returncode == 0
    # checkov can pass silently when it parses nothing: it must have checked these resources.
    checked = {c["resource"] for kind in ("passed_checks", "failed_checks") for c in results.get(kind, [])}
    expected = {
        f"{rtype}.{key}"
        for rtype in ("azurerm_key_vault", "azurerm_storage_account", "azurerm_subnet")
        for key in resources(stacks[name], rtype)
    }
    assert len(expected) >= (3 if name == "lz" else 5)
    assert expected <= checked, f"not checked: {sorted(expected - checked)}"
    assert summary["passed"] >= 20


def test_no_skip_is_stale(checkov, skips, stacks, tmp_path):
    """Every skipped check still fails somewhere without its skip: a check the stacks now pass
    must leave the skip list (and its reason with it)."""
    failing: set[str] = set()
    for name in ("dev", "prod"):
        _, report = _scan(checkov, stacks[name], tmp_path / name, "--check", ",".join(skips))
        failing |= {c["check_id"] for c in report["results"].get("failed_checks", [])}
    assert set(skips) <= failing, f"stale skips (the stacks pass them now): {sorted(set(skips) - failing)}"
