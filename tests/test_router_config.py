"""The router config and the container app agree: every `os.environ/X` the config
reads is set by the app (from a Key Vault-backed secret), nothing set is unused,
and one LiteLLM version serves both the image and the tests."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest
import yaml

from conftest import ROOT, raw_environment
from tf import resources, vault_secrets

# Plain (non-secret) variables the app may set that LiteLLM itself reads, plus the
# config hash that rolls a new revision when the config changes.
OPERATIONAL_ENV = {"LITELLM_LOG", "LITELLM_LOCAL_MODEL_COST_MAP", "ROUTER_CONFIG_HASH"}


def _config(stack: dict) -> str:
    return vault_secrets(stack)["router-config"][1]["body"]["properties"]["value"]


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_config_references_match_the_container_app_environment(stacks, name):
    config = _config(stacks[name])
    referenced = set(re.findall(r"os\.environ/([A-Z0-9_]+)", config))
    ((_, app),) = resources(stacks[name], "azurerm_container_app").items()
    (container,) = app["template"]["container"]
    from_secrets = {e["name"]: e["secret_name"] for e in container["env"] if "secret_name" in e}
    plain = {e["name"] for e in container["env"] if "secret_name" not in e}
    assert referenced == set(from_secrets), "config and app disagree on the router's variables"
    assert plain <= OPERATIONAL_ENV, f"unused plain variables: {plain - OPERATIONAL_ENV}"
    app_secrets = {s["name"]: s for s in app["secret"]}
    for var, secret_name in from_secrets.items():
        assert "key_vault_secret_id" in app_secrets[secret_name], f"{var} is not Key Vault-backed"
    # Every secret the config needs is written to the vault, and the deployed config is this config.
    assert "ROUTER_CONFIG_HASH" in plain


def test_config_hash_changes_with_the_config(stacks):
    hashes = {}
    for name in ("dev", "prod"):
        ((_, app),) = resources(stacks[name], "azurerm_container_app").items()
        (container,) = app["template"]["container"]
        hashes[name] = next(e["value"] for e in container["env"] if e["name"] == "ROUTER_CONFIG_HASH")
    assert _config(stacks["dev"]) != _config(stacks["prod"])
    assert hashes["dev"] != hashes["prod"]


def test_prod_router_is_quiet_by_default(stacks, environments):
    assert "log_level" not in raw_environment("prod")["router"]
    ((_, app),) = resources(stacks["prod"], "azurerm_container_app").items()
    (container,) = app["template"]["container"]
    assert {"name": "LITELLM_LOG", "value": "ERROR"} in container["env"]
    assert "set_verbose" not in _config(stacks["prod"]) and "debug" not in _config(stacks["prod"]).lower()


def test_routing_policy_comes_from_the_environment(stacks, environments):
    config = yaml.safe_load(_config(stacks["prod"]))
    router = environments["prod"].router
    settings = config["router_settings"]
    assert settings["num_retries"] == router.num_retries
    assert settings["timeout"] == router.timeout_seconds
    assert settings["allowed_fails"] == router.allowed_fails
    assert settings["cooldown_time"] == router.cooldown_seconds
    assert settings["fallbacks"] == [{f.role: list(f.to)} for f in router.fallbacks]
    assert config["litellm_settings"]["drop_params"] is True
    timeouts = {m["model_name"]: m["litellm_params"]["timeout"] for m in config["model_list"]}
    for member in environments["prod"].members:
        assert timeouts[member.role] == timeouts[member.alias] == member.request_timeout_seconds


def test_one_litellm_version_for_image_and_tests(environments):
    from council.router_image import DEFAULT_ROUTER_IMAGE

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    (pin,) = [d for d in extras if d.startswith("litellm[proxy]==")]
    tested = pin.split("==")[1]
    images = {DEFAULT_ROUTER_IMAGE} | {env.router.image for env in environments.values()}
    for image in images:
        assert re.search(r":v(\d+\.\d+\.\d+)$", image).group(1) == tested, image
    import importlib.metadata

    assert importlib.metadata.version("litellm") == tested


@pytest.mark.parametrize(
    "image,phrase",
    [
        ("ghcr.io/berriai/litellm:main-latest", "floats"),
        ("ghcr.io/berriai/litellm:main-stable", "floats"),
        ("ghcr.io/berriai/litellm:lts", "floats"),
        ("ghcr.io/berriai/litellm", "no tag"),
        ("ghcr.io/berriai/litellm:main-v1.82.7", "known-malicious"),
        ("ghcr.io/berriai/litellm:v1.82.8-stable", "known-malicious"),
    ],
)
def test_unpinned_or_known_bad_router_image_is_refused(image, phrase):
    from council.config import parse_environment
    from council.errors import CouncilError

    data = raw_environment("dev")
    data["router"]["image"] = image
    with pytest.raises(CouncilError) as caught:
        parse_environment(data, "environments/dev.yaml")
    (line,) = caught.value.line().splitlines()
    assert line.startswith("environments/dev.yaml: router.image: ") and phrase in line


def test_render_router_config_cli(tmp_path):
    council = [sys.executable, "-m", "council.cli"]
    ok = subprocess.run([*council, "render-router-config", "dev"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert len(yaml.safe_load(ok.stdout)["model_list"]) == 10
    missing = subprocess.run([*council, "render-router-config", "staging"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().splitlines() == [f"error: {ROOT / 'environments' / 'staging.yaml'}: (file): no such file; pass an environment name or an existing path"]


def test_optional_member_rate_limits_reach_litellm():
    from council.config import parse_environment
    from council.naming import names_for
    from council.router_config import render_router_config, router_members

    data = raw_environment("dev")
    data["members"][0]["rpm"] = 120
    data["members"][0]["tpm"] = 90000
    env = parse_environment(data, "dev.yaml")
    names = names_for(env, "dev")
    config = yaml.safe_load(render_router_config(env, router_members(env)))
    limits = {m["model_name"]: (m["litellm_params"].get("rpm"), m["litellm_params"].get("tpm")) for m in config["model_list"]}
    assert limits["pacer"] == limits["pacer-mistral-7b"] == (120, 90000)
    assert limits["builder"] == (None, None)
