"""The LiteLLM router config rendered from an environment file (council.router_config).

What a user relies on, read from the rendered YAML: every member of the file is a model
group whose endpoint and key come from the container's environment (never a literal),
its alias leads to it, fallbacks, timeouts and retries are the file's, the master key
comes from the environment, and prompts stay out of logs unless router.log_prompts.

Members and fallbacks come from the environment file (a sixth member must not break
anything); expected values are worked out here from the file and the documented rules.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import council
from council.config import parse_environment
from council.router_config import RouterMember, render_router_config, router_members

# Documented in council/policy.py: Container Apps ends a request after 240 s and the router
# keeps 10 s for itself; errors the policy does not name cool a member down "effectively never".
ROUTER_TIME_BUDGET = 240 - 10
NEVER = 1000
HOOKS = "council_hooks.council_hooks"  # the council's LiteLLM hooks, always loaded first
SKUS = yaml.safe_load((Path(council.__file__).parent / "catalog" / "gpu_skus.yaml").read_text())["skus"]


def parse(data: dict):
    return parse_environment(data, "environments/test.yaml")


def upstream(member: dict) -> str:
    """The model name the member's endpoint serves: a catalog asset's name, or the Hugging Face id."""
    model = member["model"]
    if model["source"] == "catalog":
        # azureml://registries/<registry>/models/<name>/versions/<version>
        return model["asset_id"].split("/")[-3]
    return model["hf_model_id"]


def members_of(data: dict, env) -> list[RouterMember]:
    """The router's members, built here from the file as the stack does (without prices)."""
    by_role = {m["role"]: m for m in data["members"]}
    return [
        RouterMember(role=m.role, alias=m.alias, description=m.description, upstream_model=upstream(by_role[m.role]),
                     timeout=m.request_timeout_seconds, rpm=m.rpm, tpm=m.tpm)
        for m in env.members
    ]


def render(data: dict, **options) -> dict:
    env = parse(data)
    return yaml.safe_load(render_router_config(env, members_of(data, env), **options))


def render_text(data: dict, **options) -> str:
    env = parse(data)
    return render_router_config(env, members_of(data, env), **options)


def with_sixth_member(data: dict) -> dict:
    sixth = dict(data["members"][0], role="sixth", alias="sixth-model", description="A sixth voice.")
    data["members"].append(sixth)
    return data


@pytest.fixture(params=["dev", "prod", "dev+sixth"])
def data(request, fresh) -> dict:
    """Each shipped file, and dev with a sixth member."""
    if request.param == "dev+sixth":
        return with_sixth_member(fresh("dev"))
    return fresh(request.param)


# --------------------------------------------------------------------------- members
def test_every_member_is_a_model_group_in_file_order(data):
    config = render(data)
    assert [group["model_name"] for group in config["model_list"]] == [m["role"] for m in data["members"]]


def test_each_member_reads_its_endpoint_and_key_from_the_environment(data):
    config = render(data)
    for member, group in zip(data["members"], config["model_list"]):
        params = group["litellm_params"]
        role = member["role"].upper()
        assert params["api_base"] == f"os.environ/{role}_API_BASE"
        assert params["api_key"] == f"os.environ/{role}_API_KEY"
        assert params["model"] == f"openai/{upstream(member)}"  # the endpoint speaks the OpenAI API


def test_each_member_waits_its_own_request_timeout(data):
    data["members"][-1]["request_timeout_seconds"] = 45
    config = render(data)
    for member, group in zip(data["members"], config["model_list"]):
        assert group["litellm_params"]["timeout"] == member.get("request_timeout_seconds", 90)  # 90: the model's default


def test_each_group_is_labelled_with_its_role_alias_and_description(data):
    config = render(data)
    with_fallback = {f["role"] for f in data["router"].get("fallbacks", [])}
    for member, group in zip(data["members"], config["model_list"]):
        info = dict(group["model_info"])
        lone_policy = info.pop("allowed_fails_policy", None)
        assert info == {
            "id": member["role"],
            "description": member["description"],
            "council_role": member["role"],
            "council_alias": member["alias"],
        }
        # A role without a fallback is cooled down after timeouts only (nothing else could answer).
        if member["role"] in with_fallback:
            assert lone_policy is None
        else:
            assert lone_policy["TimeoutErrorAllowedFails"] == config["router_settings"]["allowed_fails_policy"]["TimeoutErrorAllowedFails"]
            assert {v for k, v in lone_policy.items() if k != "TimeoutErrorAllowedFails"} == {NEVER}


def test_an_alias_leads_to_its_role(data):
    config = render(data)
    expected = {m["alias"]: m["role"] for m in data["members"]}
    assert config["router_settings"]["model_group_alias"] == expected
    assert config["litellm_settings"]["model_alias_map"] == expected


def test_a_description_with_yaml_syntax_cannot_break_or_inject_the_config(fresh):
    data = fresh("dev")
    tricky = 'Says "hi": {a: b} # not a comment\nmaster_key: sk-injected'
    data["members"][1]["description"] = tricky
    config = render(data)
    assert config["model_list"][1]["model_info"]["description"] == tricky
    assert config["general_settings"]["master_key"] == "os.environ/LITELLM_MASTER_KEY"
    assert set(config) == {"model_list", "router_settings", "litellm_settings", "general_settings"}


# --------------------------------------------------------------------------- limits and spend
def test_member_rate_limits_reach_only_that_member_and_turn_on_the_limiter(fresh):
    data = fresh("dev")
    data["members"][0]["rpm"] = 120
    data["members"][-1]["tpm"] = 90000
    config = render(data)
    limits = [(g["litellm_params"].get("rpm"), g["litellm_params"].get("tpm")) for g in config["model_list"]]
    expected = [(None, None)] * len(data["members"])
    expected[0], expected[-1] = (120, None), (None, 90000)
    assert limits == expected
    # policy.py: rpm/tpm are enforced by LiteLLM's model-capacity limiter; telemetry always.
    assert config["litellm_settings"]["callbacks"] == [HOOKS, "dynamic_rate_limiter_v3", "otel"]


@pytest.mark.parametrize("limit", ["rpm", "tpm"])
def test_either_limit_alone_turns_on_the_limiter(limit, fresh):
    data = fresh("dev")
    data["members"][1][limit] = 60
    assert render(data)["litellm_settings"]["callbacks"] == [HOOKS, "dynamic_rate_limiter_v3", "otel"]


def test_without_limits_only_telemetry_is_on(fresh):
    data = fresh("dev")
    for member in data["members"]:
        member.pop("rpm", None)
        member.pop("tpm", None)
    config = render(data)
    assert config["litellm_settings"]["callbacks"] == [HOOKS, "otel"]
    assert not any({"rpm", "tpm"} & set(g["litellm_params"]) for g in config["model_list"])


def test_members_without_a_price_carry_no_cost(fresh):
    config = render(fresh("dev"))
    assert not any("input_cost_per_second" in g["litellm_params"] for g in config["model_list"])


def test_a_member_price_is_charged_per_second_of_response(fresh):
    data = fresh("dev")
    env = parse(data)
    members = [RouterMember(role=m.role, alias=m.alias, description=m.description, upstream_model="m", timeout=60,
                            cost_per_second=0.000125 * (i + 1)) for i, m in enumerate(env.members)]
    config = yaml.safe_load(render_router_config(env, members))
    assert [g["litellm_params"]["input_cost_per_second"] for g in config["model_list"]] == [
        0.000125 * (i + 1) for i in range(len(members))
    ]


# --------------------------------------------------------------------------- router_members: the stack's view
def test_router_members_follow_the_file(data):
    env = parse(data)
    members = router_members(env)
    assert [(m.role, m.alias, m.description, m.upstream_model, m.timeout, m.rpm, m.tpm) for m in members] == [
        (m["role"], m["alias"], m["description"], upstream(m), m.get("request_timeout_seconds", 90), m.get("rpm"), m.get("tpm"))
        for m in data["members"]
    ]


def test_router_members_carry_rate_limits_and_timeouts(fresh):
    data = fresh("dev")
    data["members"][0].update(rpm=30, tpm=40000, request_timeout_seconds=33)
    (first, *_) = router_members(parse(data))
    assert (first.rpm, first.tpm, first.timeout) == (30, 40000, 33)


def test_spend_is_the_gpu_list_price_per_second_shared_by_concurrent_requests(fresh):
    """Self-hosted models have no token price: response time x (hourly price / 3600 / requests at once)."""
    data = fresh("dev")
    data["members"][0]["max_concurrent_requests_per_instance"] = 5
    members = router_members(parse(data))
    for member, routed in zip(data["members"], members):
        slots = member.get("max_concurrent_requests_per_instance", 8)
        expected = SKUS[member["sku"]]["hourly_usd"] / 3600 / slots
        assert routed.cost_per_second == pytest.approx(expected, rel=1e-7)
        # Kept to 8 significant digits: a readable price in the rendered config.
        assert len(re.sub(r"^0\.0*|\.|e-\d+$", "", repr(routed.cost_per_second))) <= 8


def test_a_sku_without_a_list_price_has_no_spend_rate(fresh):
    data = fresh("dev")
    data["members"][0]["sku"] = "Standard_NC999_unknown"
    members = router_members(parse(data))
    assert members[0].cost_per_second is None
    assert members[1].cost_per_second is not None
    config = yaml.safe_load(render_router_config(parse(data), members))
    assert "input_cost_per_second" not in config["model_list"][0]["litellm_params"]
    assert "input_cost_per_second" in config["model_list"][1]["litellm_params"]


def test_role_environment_variables_are_the_role_in_capitals():
    member = RouterMember(role="maven2", alias="m", description="d", upstream_model="u", timeout=1)
    assert (member.api_base_env, member.api_key_env) == ("MAVEN2_API_BASE", "MAVEN2_API_KEY")


# --------------------------------------------------------------------------- routing policy
def test_fallbacks_are_the_files_in_order(data):
    config = render(data)
    assert config["router_settings"]["fallbacks"] == [{f["role"]: f["to"]} for f in data["router"]["fallbacks"]]


def test_a_fallback_chain_keeps_its_order(fresh):
    data = fresh("dev")
    roles = [m["role"] for m in data["members"]]
    data["router"]["fallbacks"] = [{"role": roles[0], "to": roles[1:]}]
    assert render(data)["router_settings"]["fallbacks"] == [{roles[0]: roles[1:]}]


def test_without_fallbacks_the_list_is_empty(fresh):
    data = fresh("dev")
    del data["router"]["fallbacks"]
    assert render(data)["router_settings"]["fallbacks"] == []


def test_retries_timeouts_and_cooldown_are_the_files(fresh):
    data = fresh("dev")
    # Distinct values, so a setting rendered from the wrong field shows.
    data["router"].update(num_retries=3, timeout_retries=1, server_error_retries=2, allowed_fails=4, cooldown_seconds=75, timeout_seconds=100)
    settings = render(data)["router_settings"]
    assert settings["num_retries"] == 3
    assert settings["timeout"] == 100
    assert settings["cooldown_time"] == 75
    # A 429 or a client mistake is never retried on the same member.
    assert settings["retry_policy"] == {
        "TimeoutErrorRetries": 1,
        "InternalServerErrorRetries": 2,
        "ServiceUnavailableErrorRetries": 2,
        "RateLimitErrorRetries": 0,
        "AuthenticationErrorRetries": 0,
        "BadRequestErrorRetries": 0,
        "ContentPolicyViolationErrorRetries": 0,
        "NotFoundErrorRetries": 0,
        "DefaultRetries": 3,  # what no field names: connection errors, 502, a member's 4xx
    }
    # Per error type, so that single-deployment groups cool down too; rate limits never count,
    # and LiteLLM never counts a 500: the council's hooks do, except a dropped connection.
    assert settings["allowed_fails"] == NEVER
    assert settings["allowed_fails_policy"] == {
        "TimeoutErrorAllowedFails": 4,
        "InternalServerErrorAllowedFails": NEVER,
        "ServiceUnavailableErrorAllowedFails": 4,
        "BadGatewayErrorAllowedFails": 4,
        "AuthenticationErrorAllowedFails": 4,
        "RateLimitErrorAllowedFails": NEVER,
    }
    assert settings["routing_strategy"] == "simple-shuffle"  # one deployment per group: nothing to balance


def test_the_shipped_policy_is_rendered_as_written(data):
    settings = render(data)["router_settings"]
    router = data["router"]
    assert settings["num_retries"] == router["num_retries"]
    assert settings["retry_policy"]["TimeoutErrorRetries"] == router["timeout_retries"]
    assert settings["retry_policy"]["InternalServerErrorRetries"] == router["server_error_retries"]
    assert settings["allowed_fails_policy"]["TimeoutErrorAllowedFails"] == router["allowed_fails"]
    assert settings["cooldown_time"] == router["cooldown_seconds"]


def test_no_path_through_the_router_outlasts_the_ingress(data):
    assert render(data)["litellm_settings"]["request_timeout"] == ROUTER_TIME_BUDGET


# --------------------------------------------------------------------------- secrets
def _referenced(text: str) -> set[str]:
    return set(re.findall(r"os\.environ/([A-Za-z0-9_]+)", text))


def test_every_secret_is_read_from_the_environment_by_name(data):
    text = render_text(data)
    expected = {f"{m['role'].upper()}_API_{part}" for m in data["members"] for part in ("BASE", "KEY")}
    expected |= {"LITELLM_MASTER_KEY", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD"}
    if data["router"].get("virtual_keys"):
        expected.add("DATABASE_URL")
    assert _referenced(text) == expected
    config = yaml.safe_load(text)
    assert config["general_settings"]["master_key"] == "os.environ/LITELLM_MASTER_KEY"


def test_no_secret_value_reaches_the_config(monkeypatch, fresh):
    data = fresh("prod")
    text = render_text(data)
    sentinels = {}
    for index, name in enumerate(sorted(_referenced(text))):
        sentinels[name] = f"sk-sentinel{index:04d}abcdefghijklmnop"
        monkeypatch.setenv(name, sentinels[name])
    rendered = render_text(data)
    assert rendered == text  # the environment is read by LiteLLM at start, not at render
    assert not any(value in rendered for value in sentinels.values())
    assert not re.search(r"sk-[A-Za-z0-9]{16,}|hf_[A-Za-z0-9]{20,}|eyJ[A-Za-z0-9_-]{10,}\.|AccountKey=", rendered)


def test_virtual_keys_read_the_database_from_the_environment(fresh):
    data = fresh("dev")
    assert "database_url" not in render(data)["general_settings"]
    data["router"]["virtual_keys"] = True
    assert render(data)["general_settings"]["database_url"] == "os.environ/DATABASE_URL"


def test_shared_state_reads_redis_from_the_environment_over_tls(fresh):
    config = render(fresh("dev"))["router_settings"]
    assert (config["redis_host"], config["redis_port"], config["redis_password"]) == (
        "os.environ/REDIS_HOST", "os.environ/REDIS_PORT", "os.environ/REDIS_PASSWORD"
    )
    assert config["cache_kwargs"] == {"ssl": True}  # Azure Managed Redis accepts TLS only


def test_a_local_redis_may_go_without_tls(fresh):
    assert render(fresh("dev"), redis_tls=False)["router_settings"]["cache_kwargs"] == {"ssl": False}
    assert render(fresh("dev"), redis_tls=True)["router_settings"]["cache_kwargs"] == {"ssl": True}


def test_without_shared_state_there_is_no_redis(fresh):
    data = fresh("dev")
    data["router"].update(shared_state="none", max_replicas=1)
    settings = render(data)["router_settings"]
    assert not {"redis_host", "redis_port", "redis_password", "cache_kwargs"} & set(settings)
    assert not {"REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD"} & _referenced(render_text(data))


# --------------------------------------------------------------------------- prompts
def test_prompts_stay_out_of_logs_and_spend_by_default(data):
    data["router"].pop("log_prompts", None)
    config = render(data)
    assert config["litellm_settings"]["turn_off_message_logging"] is True
    assert config["general_settings"]["store_prompts_in_spend_logs"] is False


def test_log_prompts_records_them_with_consent(fresh):
    data = fresh("dev")
    data["router"]["log_prompts"] = True
    config = render(data)
    assert config["litellm_settings"]["turn_off_message_logging"] is False
    assert config["general_settings"]["store_prompts_in_spend_logs"] is True


# --------------------------------------------------------------------------- the file itself
def test_the_rendered_file_ends_with_a_newline(fresh):
    assert render_text(fresh("dev")).endswith("\n")


# --------------------------------------------------------------------------- rollouts: a model per deployment
# Azure ML answers a request carrying `azureml-model-deployment: <name>` from that deployment,
# whatever the traffic split (how-to-safely-rollout-online-endpoints, "Test the new deployment").
DEPLOYMENT_HEADER = "azureml-model-deployment"


def deployment_name(role: str, sku: str, slot: str) -> str:
    """README "Roll out a change": `<role>-<sku>` (the SKU lowercased, without `Standard_` and
    punctuation), and `-g` at the end in the green slot."""
    return f"{role}-{re.sub(r'[^a-z0-9]', '', sku.lower().removeprefix('standard_'))}" + ("-g" if slot == "green" else "")


def stage(data: dict, index: int, **rollout) -> dict:
    """A rollout on member `index`: a longer timeout and fewer requests per instance, on its SKU."""
    member = data["members"][index]
    member["rollout"] = {"request_timeout_seconds": member.get("request_timeout_seconds", 90) + 7,
                         "max_concurrent_requests_per_instance": 2, **rollout}
    return data


def rendered(data: dict) -> str:
    env = parse(data)
    return render_router_config(env, router_members(env))


@pytest.mark.parametrize("split", [{"traffic_percent": 0}, {"mirror_percent": 10}, {"traffic_percent": 100}])
def test_a_rollout_without_a_live_share_only_adds_its_members_two_pinned_models(data, split):
    """Staged at 0%, mirrored or promoted, the endpoint's traffic rules choose: the role's own
    model, every other member and every setting stay as they were, plus the pinned models."""
    import copy

    without = rendered(copy.deepcopy(data))
    with_rollout = rendered(stage(data, 0, **split))
    head, tail = without.split("\n\nrouter_settings:", 1)
    assert with_rollout.startswith(head + "\n") and with_rollout.endswith("\n\nrouter_settings:" + tail)
    config = yaml.safe_load(with_rollout)
    role = data["members"][0]["role"]
    assert [g["model_name"] for g in config["model_list"]] == [m["role"] for m in data["members"]] + [f"{role}-live", f"{role}-staged"]


def test_each_pinned_model_reaches_one_deployment_of_its_members_endpoint(data):
    member = data["members"][-1]
    role, sku = member["role"], member["sku"]
    config = yaml.safe_load(rendered(stage(data, len(data["members"]) - 1, mirror_percent=10)))
    groups = {g["model_name"]: g for g in config["model_list"]}
    live, staged = groups[f"{role}-live"], groups[f"{role}-staged"]
    for group, slot in ((live, "blue"), (staged, "green")):
        params = group["litellm_params"]
        assert params["extra_headers"] == {DEPLOYMENT_HEADER: deployment_name(role, sku, slot)}
        # The member's own endpoint and key: both deployments sit behind it.
        assert (params["api_base"], params["api_key"]) == (f"os.environ/{role.upper()}_API_BASE", f"os.environ/{role.upper()}_API_KEY")
        assert params["model"] == f"openai/{upstream(member)}"
        info = group["model_info"]
        assert (info["id"], info["council_role"], info["council_slot"]) == (group["model_name"], role, slot)
        assert info["council_deployment"] == params["extra_headers"][DEPLOYMENT_HEADER]
        # Never cooled down: a check reaches the deployment every time.
        assert set(info["allowed_fails_policy"].values()) == {NEVER}
        assert "council_alias" not in info
    # Each runs its own deployment's settings: the live one the member's, the staged one the rollout's.
    timeout = member.get("request_timeout_seconds", 90)
    assert (live["litellm_params"]["timeout"], live["litellm_params"]["stream_timeout"]) == (timeout, timeout)
    assert (staged["litellm_params"]["timeout"], staged["litellm_params"]["stream_timeout"]) == (timeout + 7, timeout + 7)
    hourly = SKUS[sku]["hourly_usd"]
    assert live["litellm_params"]["input_cost_per_second"] == pytest.approx(hourly / 3600 / member.get("max_concurrent_requests_per_instance", 8), rel=1e-7)
    assert staged["litellm_params"]["input_cost_per_second"] == pytest.approx(hourly / 3600 / 2, rel=1e-7)
    # Out of every fallback and alias: only a request that names one reaches it.
    settings = config["router_settings"]
    named = {name for f in settings["fallbacks"] for key, to in f.items() for name in (key, *to)}
    assert not {f"{role}-live", f"{role}-staged"} & (named | set(settings["model_group_alias"]) | set(settings["model_group_alias"].values())
                                                    | set(config["litellm_settings"]["model_alias_map"]))


def test_a_member_already_in_the_green_slot_stages_into_blue(fresh):
    data = fresh("dev")
    member = data["members"][0]
    member["slot"] = "green"
    config = yaml.safe_load(rendered(stage(data, 0)))
    headers = {g["model_name"]: g["litellm_params"]["extra_headers"][DEPLOYMENT_HEADER]
               for g in config["model_list"] if "extra_headers" in g["litellm_params"]}
    assert headers == {f"{member['role']}-live": deployment_name(member["role"], member["sku"], "green"),
                       f"{member['role']}-staged": deployment_name(member["role"], member["sku"], "blue")}


def test_without_a_rollout_no_model_names_a_deployment(data):
    assert not any("extra_headers" in g["litellm_params"] for g in render(data)["model_list"])
    assert not any("extra_headers" in g["litellm_params"] for g in yaml.safe_load(rendered(data))["model_list"])


def test_an_alias_that_is_a_pinned_model_name_is_refused_in_one_line(fresh):
    from council.errors import CouncilError

    data = stage(fresh("dev"), 0)
    data["members"][1]["alias"] = f"{data['members'][0]['role']}-staged"
    with pytest.raises(CouncilError) as caught:
        rendered(data)
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"members[1] ({data['members'][1]['role']}).alias: '{data['members'][0]['role']}-staged' is the router's model")


@pytest.mark.parametrize("share", [1, 10, 99])
def test_a_live_share_is_split_by_the_router_between_the_two_pinned_deployments(data, share):
    """While a rollout takes 1-99% of the role, the role's model group holds both deployments,
    each pinned by the header, weighted by its share and with an id of its own (LiteLLM cools a
    deployment down by its id), so a failing one is skipped alone."""
    member = data["members"][0]
    role, sku = member["role"], member["sku"]
    config = yaml.safe_load(rendered(stage(data, 0, traffic_percent=share)))
    group = [g for g in config["model_list"] if g["model_name"] == role]
    assert [(g["litellm_params"]["extra_headers"][DEPLOYMENT_HEADER], g["litellm_params"]["weight"]) for g in group] == [
        (deployment_name(role, sku, "blue"), 100 - share), (deployment_name(role, sku, "green"), share)]
    ids = [g["model_info"]["id"] for g in group]
    assert ids[0] == role and len(set(ids)) == 2 and not set(ids) & {g["model_name"] for g in config["model_list"]} - {role}
    others = [g for g in config["model_list"] if g["model_name"] not in (role, f"{role}-live", f"{role}-staged")]
    assert [g["model_name"] for g in others] == [m["role"] for m in data["members"][1:]]


def test_a_roles_rate_limits_are_shared_by_weight_while_the_router_splits_it(data):
    """LiteLLM counts rpm/tpm per deployment: each share gets its part of the role's limit
    (rounded up), so the role's total stays what the file says, not twice it."""
    member = data["members"][0]
    member.update(rpm=100, tpm=9999)
    config = yaml.safe_load(rendered(stage(data, 0, traffic_percent=10)))
    group = [g["litellm_params"] for g in config["model_list"] if g["model_name"] == member["role"]]
    assert [(p["rpm"], p["tpm"]) for p in group] == [(90, 9000), (10, 1000)]
