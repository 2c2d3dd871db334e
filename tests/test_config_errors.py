"""A broken environment file stops synth with one line per problem -- file, field,
what is wrong -- exit code 2 and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, raw_environment


def _dev_with(mutate) -> str:
    data = raw_environment("dev")
    mutate(data)
    return yaml.safe_dump(data, sort_keys=False)


def _set(path: str, value):
    def mutate(data):
        node = data
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node[part]
        last = parts[-1]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value
    return mutate


_DELETE = object()


def _a10_quota_need() -> int:
    """vCPUs dev's NV36ads A10 v5 members reserve at max scale, by Azure ML's documented rule:
    ceil(1.2 x instances) x cores per deployment (how-to-manage-quotas: 10 instances of a
    4-core VM need 48 cores); an NV36ads_A10_v5 has 36 vCPUs (NVadsA10_v5 size page)."""
    members = raw_environment("dev")["members"]
    return sum(-(-12 * m["instances"]["max"] // 10) * 36 for m in members if m["sku"] == "Standard_NV36ads_A10_v5")


def _all(*mutations):
    def mutate(data):
        for m in mutations:
            m(data)
    return mutate

# (case id, file text, the field the message must name, a phrase it must contain[, file stem])
CASES = [
    ("unknown-top-level-key", _dev_with(_set("regoin", "eastus")), "regoin", "unknown key"),
    ("unknown-member-key", _dev_with(_set("members.0.gpu", "A100")), "members[0] (pacer).gpu", "unknown key"),
    ("missing-location", _dev_with(_set("location", _DELETE)), "location", "required field is missing"),
    ("missing-model", _dev_with(_set("members.1.model", _DELETE)), "members[1] (builder).model", "required"),
    ("wrong-type-max", _dev_with(_set("members.2.instances.max", "many")), "members[2] (maven).instances.max", "integer"),
    ("wrong-type-members", _dev_with(_set("members", "pacer")), "members", "tuple"),
    ("scale-to-zero", _dev_with(_set("members.0.instances.min", 0)), "members[0] (pacer).instances.min", "cannot scale to zero"),
    ("bad-cidr", _dev_with(_set("network.apps_subnet", "10.40.0.1/27")), "network.apps_subnet", "host bits"),
    ("unknown-source", _dev_with(_set("members.0.model.source", "s3")), "members[0] (pacer).model", "source"),
    ("duplicate-role", _dev_with(_set("members.1.role", "pacer")), "members", "already used"),
    ("bad-fallback", _dev_with(_set("router.fallbacks.0.to", ["oracle"])), "router.fallbacks[0]", "not a council member"),
    ("request-timeout-over-limit", _dev_with(_set("members.0.request_timeout_seconds", 600)), "members[0] (pacer).request_timeout_seconds", "180"),
    # -- guardrails: plans that parse but would fail on Azure
    ("unknown-region", _dev_with(_set("location", "eastus9")), "location", "not an Azure region"),
    ("retired-sku", _dev_with(_set("members.3.sku", "Standard_NC6s_v3")), "members[3] (guardian).sku", "retired"),
    ("unknown-sku", _dev_with(_set("members.3.sku", "Standard_D4s_v5")), "members[3] (guardian).sku", "not a GPU SKU"),
    ("catalog-disallows-sku", _dev_with(_set("members.0.sku", "Standard_NV36ads_A10_v5")), "members[0] (pacer).sku", "does not allow"),
    ("archived-catalog-model", _dev_with(_all(
        _set("members.2.model", {"source": "catalog", "asset_id": "azureml://registries/azureml/models/Phi-3-mini-128k-instruct/versions/10"}),
        _set("members.2.sku", "Standard_NC24ads_A100_v4"))),
     "members[2] (maven).model.asset_id", "archived"),
    ("model-not-in-catalog", _dev_with(_set("members.4.model.hf_model_id", "acme/secret-sauce-7b")), "members[4] (artisan).model", "not in"),
    ("7b-on-a-t4", _dev_with(_set("members.3.sku", "Standard_NC8as_T4_v3")), "members[3] (guardian).sku", "GPU memory"),
    ("context-too-long-for-gpu", _dev_with(_set("members.2.model.max_model_len", 131072)), "members[2] (maven).sku", "GPU memory"),
    ("context-beyond-model", _dev_with(_all(_set("members.2.model.max_model_len", 200000), _set("members.2.sku", "Standard_NC96ads_A100_v4"))),
     "members[2] (maven).model.max_model_len", "exceeds"),
    ("gated-model-without-token", _dev_with(_set("members.4.model.hf_token_required", False)), "members[4] (artisan).model.hf_token_required", "gated"),
    ("quota-shortfall", _dev_with(_set("quota", {"StandardNVADSA10v5Family": 100})), "quota.StandardNVADSA10v5Family", f"need {_a10_quota_need()} "),
    ("name-too-long", _dev_with(_set("name_suffix", "abcdef")).replace("role: guardian", "role: guardianxyz"),
     "members[3] (guardianxyz).role", "3-32", "staging"),
    ("consumption-only-subnet-too-small", _dev_with(_set("router.environment_type", "consumption-only")), "network.apps_subnet", "/23"),
    ("subnet-outside-vnet", _dev_with(_set("network.private_endpoints_subnet", "10.99.0.0/24")), "network", "not inside"),
    ("subnets-overlap", _dev_with(_set("network.private_endpoints_subnet", "10.40.0.0/24")), "network", "overlaps"),
    ("default-above-max", _dev_with(_set("members.0.instances", {"min": 1, "default": 3, "max": 2})), "members[0] (pacer).instances", "min <= default <= max"),
    ("router-min-negative", _dev_with(_set("router.min_replicas", -1)), "router.min_replicas", "greater than or equal to 0"),
    ("floating-router-image", _dev_with(_set("router.image", "ghcr.io/berriai/litellm:main-latest")), "router.image", "floats"),
    ("malicious-router-image", _dev_with(_set("router.image", "ghcr.io/berriai/litellm:main-v1.82.8")), "router.image", "known-malicious"),
    ("secret-in-server-env", _dev_with(_set("members.2.model.env", {"HF_TOKEN": "hf_abc"})), "members[2] (maven).model.env", "looks like a secret"),
    # -- files that are not environments at all
    ("broken-yaml", "location: [eastus2\n", "line 2", "broken YAML"),
    ("empty-file", "", "(file)", "empty"),
    ("not-a-mapping", "- just\n- a list\n", "(top level)", "mapping"),
]


# Faults repeated in every member (or needing two messages) report more than one line.
MULTI_LINE = {"wrong-type-max", "scale-to-zero"}


def _run_main(env_file: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COUNCIL_ENVIRONMENTS": str(env_file)}
    return subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _run_validate(env_file: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "council.cli", "validate", str(env_file)], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_table_covers_at_least_25_faults():
    assert len(CASES) >= 25 and len({c[0] for c in CASES}) == len(CASES)
    assert MULTI_LINE <= {c[0] for c in CASES}


@pytest.mark.parametrize("command", ["synth", "validate"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_broken_environment_is_refused_with_one_line_per_problem(tmp_path, command, case):
    case_id, text, field, phrase = case[:4]
    env_file = tmp_path / f"{case[4] if len(case) > 4 else 'dev'}.yaml"  # the stem is the stack name
    env_file.write_text(text)
    result = (_run_main if command == "synth" else _run_validate)(env_file)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith(f"error: {env_file}: ") for line in lines), lines
    matching = [line for line in lines if f": {field}" in line and phrase.lower() in line.lower()]
    assert matching, f"no line names {field!r} with {phrase!r}: {lines}"
    # One fault, one problem: nothing else in the file is reported.
    assert len(lines) == 1 or case_id in MULTI_LINE, lines


def test_missing_file_is_one_line(tmp_path):
    result = _run_main(tmp_path / "nope.yaml")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path / 'nope.yaml'}: (file): no such file; pass an environment name or an existing path"]


def test_construct_validation_names_the_environment_file():
    """A name that only breaks Azure's rules once computed is caught at synth, with the file."""
    from council.config import parse_environment
    from council.errors import CouncilError
    from council.synth import build_app

    data = raw_environment("dev")
    env = parse_environment(data, "environments/staging-long.yaml")
    with pytest.raises(CouncilError) as caught:
        build_app([("staging-eu-west", Path("environments/staging-eu-west.yaml"), env)], outdir="/tmp/council-never-written")
    line = caught.value.line()
    assert line.startswith("environments/staging-eu-west.yaml: ")
    # With the 6-character subscription-derived suffix, the workspace name is the first to break.
    assert "ml workspace name" in line and "3-33" in line
