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
# Read by LiteLLM itself, not through the config: logging, the price map, the revision roll,
# and OpenTelemetry (router_contract.telemetry_environment).
OPERATIONAL_ENV = {"LITELLM_LOG", "LITELLM_LOCAL_MODEL_COST_MAP", "ROUTER_CONFIG_HASH", "ROUTER_KEYS_VERSION",
                   "OTEL_SERVICE_NAME", "OTEL_ENVIRONMENT_NAME", "OTEL_EXPORTER"}


def _config(stack: dict) -> str:
    return vault_secrets(stack)["router-config"][1]["body"]["properties"]["value"]


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_config_references_match_the_container_app_environment(stacks, name):
    config = _config(stacks[name])
    referenced = set(re.findall(r"os\.environ/([A-Z0-9_]+)", config))
    ((_, app),) = resources(stacks[name], "azurerm_container_app").items()
    (container,) = app["template"]["container"]
    from_secrets = {e["name"]: e["secret_name"] for e in container["env"] if "secret_name" in e}
    plain = {e["name"]: e["value"] for e in container["env"] if "secret_name" not in e}
    # Every variable the config reads is set, from Key Vault unless it is not a secret (the
    # shared state's host and port, read from the Redis resource itself).
    # LiteLLM reads LITELLM_SALT_KEY from the environment itself (encrypt_decrypt_utils.get_salt_key).
    implicit = {"LITELLM_SALT_KEY"} & set(from_secrets)
    if implicit:
        assert "database_url" in yaml.safe_load(config)["general_settings"], "a salt without a database"
    assert referenced | implicit == set(from_secrets) | (set(plain) - OPERATIONAL_ENV), "config and app disagree on the router's variables"
    for var in set(plain) - OPERATIONAL_ENV:
        assert var in referenced and plain[var].startswith("${azurerm_managed_redis."), f"{var} = {plain[var]!r}"
    assert not re.search(r"(?i)key|password|secret|token", " ".join(set(plain) - OPERATIONAL_ENV)), "a secret as a plain value"
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
    env = environments["prod"]
    router = env.router
    settings = config["router_settings"]
    assert settings["num_retries"] == router.num_retries
    assert settings["timeout"] == router.timeout_seconds
    assert settings["cooldown_time"] == router.cooldown_seconds
    # A timeout or a 5xx is not retried on the same member: its fallback answers.
    assert settings["retry_policy"]["TimeoutErrorRetries"] == router.timeout_retries
    assert settings["retry_policy"]["InternalServerErrorRetries"] == router.server_error_retries
    assert settings["retry_policy"]["RateLimitErrorRetries"] == 0, "LiteLLM sleeps to the next minute before retrying a 429"
    # Per error type: a router-wide allowed_fails of 3 (LiteLLM's default) is ignored.
    assert settings["allowed_fails_policy"]["TimeoutErrorAllowedFails"] == router.allowed_fails
    assert settings["allowed_fails_policy"]["ServiceUnavailableErrorAllowedFails"] == router.allowed_fails
    # A 500 is left to the council's hooks (LiteLLM also calls a dropped connection a 500).
    assert settings["allowed_fails_policy"]["InternalServerErrorAllowedFails"] > router.allowed_fails
    assert config["litellm_settings"]["callbacks"][0] == "council_hooks.council_hooks"
    # Fallbacks for every role that has them; an alias is rewritten to its role on arrival
    # (model_alias_map), so it needs none of its own. The group alias lists it in /v1/models.
    assert settings["fallbacks"] == [{f.role: list(f.to)} for f in router.fallbacks]
    assert config["litellm_settings"]["model_alias_map"] == {m.alias: m.role for m in env.members}
    assert settings["model_group_alias"] == {m.alias: m.role for m in env.members}
    # A member's own 4xx must reach the client: drop_params: true turns TGI's 422 into 200 "null".
    assert config["litellm_settings"]["drop_params"] is False
    assert settings["retry_policy"]["ServiceUnavailableErrorRetries"] == router.server_error_retries
    assert settings["retry_policy"]["DefaultRetries"] == router.num_retries
    for fast in ("ServiceUnavailableErrorAllowedFails", "BadGatewayErrorAllowedFails"):
        assert settings["allowed_fails_policy"][fast] == router.allowed_fails
    assert config["litellm_settings"]["disable_hf_tokenizer_download"] is True
    timeouts = {m["model_name"]: m["litellm_params"]["timeout"] for m in config["model_list"]}
    stream_timeouts = {m["model_name"]: m["litellm_params"]["stream_timeout"] for m in config["model_list"]}
    for member in env.members:
        assert timeouts[member.role] == stream_timeouts[member.role] == member.request_timeout_seconds
    # The council's hooks load first (litellm/council_hooks.py, mounted beside the config).
    assert config["litellm_settings"]["callbacks"][0] == "council_hooks.council_hooks"


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
    rendered = yaml.safe_load(ok.stdout)
    members = raw_environment("dev")["members"]
    assert [m["model_name"] for m in rendered["model_list"]] == [m["role"] for m in members]
    assert rendered["router_settings"]["model_group_alias"] == {m["alias"]: m["role"] for m in members}
    missing = subprocess.run([*council, "render-router-config", "staging"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().splitlines() == [f"error: {ROOT / 'environments' / 'staging.yaml'}: (file): no such file; pass an environment name or an existing path"]


def test_optional_member_rate_limits_reach_litellm():
    from council.config import parse_environment
    from council.router_config import render_router_config, router_members

    data = raw_environment("dev")
    limited, other = data["members"][0], data["members"][1]
    limited["rpm"], limited["tpm"] = 120, 90000
    config = yaml.safe_load(render_router_config(parse_environment(data, "dev.yaml"), router_members(parse_environment(data, "dev.yaml"))))
    limits = {m["model_name"]: (m["litellm_params"].get("rpm"), m["litellm_params"].get("tpm")) for m in config["model_list"]}
    assert limits[limited["role"]] == (120, 90000)
    assert limits[other["role"]] == (None, None)
    # Limits are enforced by LiteLLM's model-capacity limiter; the alias shares its role's group.
    assert config["litellm_settings"]["callbacks"] == ["council_hooks.council_hooks", "dynamic_rate_limiter_v3", "otel"]
    assert config["router_settings"]["model_group_alias"][limited["alias"]] == limited["role"]
    unlimited = yaml.safe_load(render_router_config(parse_environment(raw_environment("dev"), "dev.yaml"), router_members(parse_environment(raw_environment("dev"), "dev.yaml"))))
    if not any(m.get("rpm") or m.get("tpm") for m in raw_environment("dev")["members"]):
        assert unlimited["litellm_settings"]["callbacks"] == ["council_hooks.council_hooks", "otel"]  # hooks and telemetry only


def _with_timeouts(data: dict, timeouts: dict[str, int], **router) -> dict:
    for member in data["members"]:
        if member["role"] in timeouts:
            member["request_timeout_seconds"] = timeouts[member["role"]]
    data.setdefault("router", {}).update(router)
    return data


@pytest.mark.parametrize("fallback_timeout, refused", [(100, False), (101, True)])
def test_a_fallback_chain_that_could_outlast_the_ingress_is_refused(fallback_timeout, refused):
    """Container Apps ends a request at 240 s; the router keeps 10 s for itself: 230 s for
    the member's attempt plus each fallback's (130 + 100 fits, 130 + 101 does not)."""
    from council.checks import check_environment
    from council.config import parse_environment

    data = raw_environment("dev")
    index, first = next(enumerate(data["router"]["fallbacks"]))
    chain = [first["role"], *first["to"]]
    if len(chain) != 2:
        pytest.skip("this case needs a one-step fallback")
    _with_timeouts(data, {chain[0]: 130, chain[1]: fallback_timeout})
    problems = [p for p in check_environment(parse_environment(data, "dev.yaml"), "dev") if p.field.startswith("router.")]
    if not refused:
        assert problems == []
    else:
        (problem,) = [p for p in problems if p.field == f"router.fallbacks[{index}]"]
        assert f"{130 + fallback_timeout} s" in problem.message and "240 s" in problem.message


def test_retries_on_timeouts_count_against_the_budget():
    """Each retry of a hung member is another full timeout: 2 attempts x 120 s alone is too long."""
    from council.checks import check_environment
    from council.config import parse_environment

    data = raw_environment("dev")
    fallback_sources = {f["role"] for f in data["router"].get("fallbacks", [])}
    index, lonely = next((i, m) for i, m in enumerate(data["members"]) if m["role"] not in fallback_sources)
    _with_timeouts(data, {lonely["role"]: 120}, timeout_retries=1)
    problems = [p for p in check_environment(parse_environment(data, "dev.yaml"), "dev") if lonely["role"] in p.message]
    (problem,) = [p for p in problems if p.field == f"members[{index}] ({lonely['role']}).request_timeout_seconds"]
    assert "240 s" in problem.message and "2 x 120 s" in problem.message


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_each_router_replica_takes_what_its_cpu_carries_and_the_replicas_every_member_slot(stacks, environments, name):
    """The synthesized HTTP scale rule keeps a replica's LiteLLM under 80% of its vCPUs even if every
    request in flight streamed from the fastest member (bench/router_bench.py's CPU per request and per
    chunk; a stream gets at most its GPUs' memory bandwidth over its weight bytes in tokens a second),
    and max_replicas of them hold every request the members take at their max scale."""
    from council.catalog import CATALOG_DIR, load_catalog
    from council.policy import FASTEST_ANSWER_SECONDS, ROUTER_CPU_SECONDS_PER_CHUNK, ROUTER_CPU_SECONDS_PER_REQUEST

    skus = yaml.safe_load((CATALOG_DIR / "gpu_skus.yaml").read_text())
    env = environments[name]
    fastest = max(
        skus["skus"][m.sku]["gpus"] * skus["gpus"][skus["skus"][m.sku]["gpu"]]["memory_bandwidth_gb_s"] / m.model.facts(load_catalog()).weights_gb
        for m in env.members
    )
    per_request = ROUTER_CPU_SECONDS_PER_REQUEST / FASTEST_ANSWER_SECONDS + ROUTER_CPU_SECONDS_PER_CHUNK * fastest
    ((_, app),) = resources(stacks[name], "azurerm_container_app").items()
    template = app["template"]
    (container,) = template["container"]
    (rule,) = template["http_scale_rule"]
    concurrent = int(rule["concurrent_requests"])
    assert concurrent * per_request <= 0.8 * container["cpu"] < (concurrent + 1) * per_request
    slots = sum(m.instances.max * m.max_concurrent_requests_per_instance for m in env.members)
    assert template["max_replicas"] * concurrent >= slots


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_one_worker_per_whole_vcpu(stacks, environments, name):
    ((_, app),) = resources(stacks[name], "azurerm_container_app").items()
    (container,) = app["template"]["container"]
    args = container["args"]
    assert args[args.index("--num_workers") + 1] == str(max(1, int(environments[name].router.cpu)))


def test_spend_means_gpu_time():
    """Self-hosted models have no token price: spend is response time x the GPU's list price
    per second shared among the requests one instance serves at once."""
    from council.catalog import CATALOG_DIR

    skus = yaml.safe_load((CATALOG_DIR / "gpu_skus.yaml").read_text())["skus"]
    council = [sys.executable, "-m", "council.cli"]
    rendered = yaml.safe_load(subprocess.run([*council, "render-router-config", "dev"], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout)
    prices = {m["model_name"]: m["litellm_params"]["input_cost_per_second"] for m in rendered["model_list"]}
    for member in raw_environment("dev")["members"]:
        slots = member.get("max_concurrent_requests_per_instance", 8)  # the environment model's default
        assert prices[member["role"]] == pytest.approx(skus[member["sku"]]["hourly_usd"] / 3600 / slots, rel=1e-6)
    assert not any("cost_per_token" in str(m["litellm_params"]) for m in rendered["model_list"]), "a token price would override it"
