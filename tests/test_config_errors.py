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

# (case id, file text, the field the message must name, a phrase it must contain)
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
    ("broken-yaml", "location: [eastus2\n", "line 2", "broken YAML"),
    ("empty-file", "", "(file)", "empty"),
    ("not-a-mapping", "- just\n- a list\n", "(top level)", "mapping"),
]


def _run_main(env_file: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COUNCIL_ENVIRONMENTS": str(env_file)}
    return subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case_id,text,field,phrase", CASES, ids=[c[0] for c in CASES])
def test_broken_environment_stops_synth_with_one_line(tmp_path, case_id, text, field, phrase):
    env_file = tmp_path / "broken.yaml"
    env_file.write_text(text)
    result = _run_main(env_file)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith(f"error: {env_file}: ") for line in lines), lines
    matching = [line for line in lines if f": {field}" in line and phrase.lower() in line.lower()]
    assert matching, f"no line names {field!r} with {phrase!r}: {lines}"
    assert not (ROOT / "cdktf.out" / "stacks" / "broken").exists()


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
    assert "online endpoint name" in line and "3-32" in line
