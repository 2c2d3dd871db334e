"""The environment model (council.config): what an environment file may say, and how a
mistake in it is reported -- one line per problem, `<file>: <field>: <what is wrong>`.

Where it matters, members are picked from dev.yaml by what they are (a container member,
a gated one), never by role name; expected lines are written out from the documented
rules (config.py's docstrings and the file's comments), not computed by the code.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from council.config import Environment, SchemaError, _field_path, load_environment, parse_environment
from council.errors import CouncilError
from unit.unit_data import is_container, member_at, with_member

SOURCE = "environments/dev.yaml"
ROOT_ENVIRONMENTS = Path(__file__).resolve().parents[2] / "environments"

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-lz/providers/Microsoft.Network"
SUBNET = SUB + "/virtualNetworks/vnet-hub/subnets/{}"
ZONE = SUB + "/privateDnsZones/{}"


def _existing_network(**zones) -> dict:
    """A landing zone's network with the five zones the model requires (ML API, notebooks, Key Vault,
    the storage's blob and file), plus `zones`."""
    return {
        "mode": "existing",
        "apps_subnet_id": SUBNET.format("snet-apps"),
        "private_endpoints_subnet_id": SUBNET.format("snet-pe"),
        "private_dns_zone_ids": {
            "api_azureml_ms": ZONE.format("privatelink.api.azureml.ms"),
            "notebooks_azure_net": ZONE.format("privatelink.notebooks.azure.net"),
            "vaultcore_azure_net": ZONE.format("privatelink.vaultcore.azure.net"),
            "blob_core_windows_net": ZONE.format("privatelink.blob.core.windows.net"),
            "file_core_windows_net": ZONE.format("privatelink.file.core.windows.net"),
            **zones,
        },
    }


REDIS_ZONE = ZONE.format("privatelink.redis.azure.net")
POSTGRES_ZONE = ZONE.format("privatelink.postgres.database.azure.com")


def parse(data: object) -> Environment:
    return parse_environment(data, SOURCE)


def refused(data: dict) -> list[str]:
    """The problems reported for `data`, each without the `<file>: ` prefix every line must carry."""
    with pytest.raises(SchemaError) as caught:
        parse(data)
    lines = caught.value.line().splitlines()
    assert lines and all(line.startswith(f"{SOURCE}: ") for line in lines), lines
    return [line[len(SOURCE) + 2:] for line in lines]


def refused_once(data: dict) -> str:
    (line,) = refused(data)
    return line


def _index(data: dict, predicate) -> int:
    return next(i for i, m in enumerate(data["members"]) if predicate(m))


def _catalog(m: dict) -> bool:
    return m["model"]["source"] == "catalog"


# --------------------------------------------------------------------------- the shipped files
@pytest.mark.parametrize("name", ["dev", "prod"])
def test_shipped_environments_parse_to_what_the_file_says(name, fresh):
    data = fresh(name)
    env = parse(data)
    assert [m.role for m in env.members] == [m["role"] for m in data["members"]]
    assert [m.alias for m in env.members] == [m["alias"] for m in data["members"]]
    assert [(m.instances.min, m.instances.default, m.instances.max) for m in env.members] == [
        (m["instances"]["min"], m["instances"]["default"], m["instances"]["max"]) for m in data["members"]
    ]
    assert env.network.address_space == data["network"]["address_space"]
    assert env.network.apps_subnet == data["network"]["apps_subnet"]
    assert env.network.private_endpoints_subnet == data["network"]["private_endpoints_subnet"]
    assert [(f.role, list(f.to)) for f in env.router.fallbacks] == [(f["role"], f["to"]) for f in data["router"]["fallbacks"]]
    assert env.budget.amount_usd == data["budget"]["amount_usd"]
    assert list(env.budget.actual_thresholds_percent) == data["budget"]["actual_thresholds_percent"]
    assert list(env.budget.forecast_thresholds_percent) == data["budget"]["forecast_thresholds_percent"]


def test_the_model_is_frozen(fresh):
    env = parse(fresh("dev"))
    with pytest.raises(ValidationError, match="frozen"):
        env.location = "westus"  # type: ignore[misc]


def test_defaults_are_the_secure_and_quiet_choice(fresh):
    """Without a router, keys or workspace section, nothing is opened up or logged."""
    data = fresh("dev")
    for section in ("router", "keys", "workspace", "backend"):
        data.pop(section, None)
    for setting in ("request_timeout_seconds", "max_concurrent_requests_per_instance", "rpm", "tpm"):
        data["members"][0].pop(setting, None)
    env = parse(data)
    assert env.router.log_prompts is False  # prompts stay out of logs, traces and spend rows
    assert env.router.external_ingress is False
    assert env.router.log_level == "ERROR"  # production default: quiet
    assert env.router.shared_state == "azure-managed-redis"  # counters shared by every replica
    assert env.router.virtual_keys is False
    assert env.router.fallbacks == ()
    assert env.router.image.startswith("ghcr.io/berriai/litellm:v")  # pinned, not floating
    assert env.backend.type == "local"
    assert env.keys.member_key == "primary" and env.keys.master_key_version == 1
    assert env.workspace.firewall_sku == "Standard" and env.workspace.registry_replica is None
    assert env.name_suffix is None and env.subscription_id is None
    member = env.members[0]
    assert member.request_timeout_seconds == 90 and member.max_concurrent_requests_per_instance == 8
    assert member.rpm is None and member.tpm is None


def test_a_terraform_cloud_backend_without_organization_leaves_it_to_the_environment(fresh):
    """prod.yaml: without `organization`, Terraform takes TF_CLOUD_ORGANIZATION."""
    data = fresh("prod")
    env = parse(data)
    assert env.backend.type == "cloud"
    assert env.backend.organization is None
    assert env.backend.workspace == data["backend"]["workspace"]
    assert env.backend.hostname == "app.terraform.io"


# --------------------------------------------------------------------------- members
def test_a_member_cannot_scale_to_zero(fresh):
    data = fresh("dev")
    data["members"][1]["instances"] = {"min": 0, "default": 1, "max": 2}
    assert refused_once(data) == (
        f"{member_at(data, 1)}.instances.min: min is 0: managed online deployments cannot scale to zero "
        "(at least one instance always runs); set min to 1 or more (got 0)"
    )
    data["members"][1]["instances"]["min"] = 1
    assert parse(data).members[1].instances.min == 1


@pytest.mark.parametrize(
    "instances, problem",
    [
        ({"min": 2, "default": 2, "max": 2}, None),
        ({"min": 3, "default": 3, "max": 2}, ": need min <= default <= max, got min=3 default=3 max=2"),  # min > max
        ({"min": 1, "default": 3, "max": 2}, ": need min <= default <= max, got min=1 default=3 max=2"),
        ({"min": 2, "default": 1, "max": 3}, ": need min <= default <= max, got min=2 default=1 max=3"),
        ({"min": 1, "default": 1, "max": 100}, None),
        ({"min": 1, "default": 1, "max": 101}, ".max: Input should be less than or equal to 100 (got 101)"),
    ],
)
def test_instances_keep_min_default_max_in_order(instances, problem, fresh):
    data = fresh("dev")
    data["members"][0]["instances"] = instances
    if problem is None:
        assert parse(data).members[0].instances.max == instances["max"]
    else:
        assert refused_once(data) == f"{member_at(data, 0)}.instances{problem}"


@pytest.mark.parametrize(
    "field, bad, good",
    [
        # Azure ML's limit on a deployment's request timeout: 1-180 s.
        ("request_timeout_seconds", 0, 1),
        ("request_timeout_seconds", 181, 180),
        ("max_concurrent_requests_per_instance", 0, 1),
        ("max_concurrent_requests_per_instance", 1001, 1000),
        ("rpm", 0, 1),
        ("tpm", 0, 1),
        ("role", "p", "pa"),  # 2-12 characters, lowercase, a letter first
        ("role", "abcdefghijklm", "abcdefghijkl"),
        ("role", "Pacer", "pacer2"),
        ("role", "2pacer", "pacer"),
        ("role", "pa-cer", "pacer"),
        ("alias", "a", "ab"),
        ("alias", "Alias-x", "alias-x"),
        ("display_name", "", "x"),
        ("display_name", "x" * 81, "x" * 80),
        ("description", "", "x"),
        ("description", "x" * 501, "x" * 500),
        ("sku", "NC24ads_A100_v4", "Standard_NC24ads_A100_v4"),
        ("sku_reason", "", "because"),
    ],
)
def test_member_fields_at_their_edges(field, bad, good, fresh):
    data = fresh("dev")
    data["router"]["fallbacks"] = []  # they name the roles
    data["members"][0][field] = good
    assert getattr(parse(data).members[0], field) == good
    data["members"][0][field] = bad
    line = refused_once(data)
    # The member is named by the role the file gives it, even a refused one.
    assert line.startswith(f"{member_at(data, 0)}.{field}: ") and repr(bad) in line, line


def test_roles_and_aliases_are_unique_across_members(fresh):
    data = fresh("dev")
    data["members"][2]["role"] = data["members"][0]["role"]
    assert refused_once(data) == (
        f"members[2]: name {data['members'][0]['role']!r} is already used by members[0]; roles and aliases must be unique"
    )


def test_an_alias_may_not_repeat_another_members_alias(fresh):
    data = fresh("dev")
    last = len(data["members"]) - 1
    data["members"][last]["alias"] = data["members"][1]["alias"]
    assert refused_once(data) == (
        f"members[{last}]: name {data['members'][1]['alias']!r} is already used by members[1]; roles and aliases must be unique"
    )


def test_a_role_may_not_be_another_members_alias(fresh):
    data = fresh("dev")
    data["members"][1]["alias"] = data["members"][3]["role"]
    assert refused_once(data) == (
        f"members[3]: name {data['members'][3]['role']!r} is already used by members[1]; roles and aliases must be unique"
    )


def test_distinct_roles_and_aliases_are_accepted_for_a_sixth_member(fresh):
    data = fresh("dev")
    extra = dict(data["members"][0], role="sixth", alias="sixth-model")
    data["members"].append(extra)
    assert [m.role for m in parse(data).members][-1] == "sixth"


def test_members_may_not_be_empty(fresh):
    data = fresh("dev")
    data["members"] = []
    assert refused_once(data) == "members: Tuple should have at least 1 item after validation, not 0"


def test_the_token_is_needed_only_when_a_member_is_gated(fresh):
    data = fresh("dev")
    gated = [m for m in data["members"] if m["model"].get("hf_token_required")]
    assert gated, "dev.yaml has a gated member (its comment: TF_VAR_hf_token)"
    assert parse(data).needs_hf_token is True
    for member in gated:
        member["model"]["hf_token_required"] = False
    assert parse(data).needs_hf_token is False


# --------------------------------------------------------------------------- secrets
@pytest.mark.parametrize(
    "name",
    ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "CLIENT_SECRET", "KEY"],
)
def test_a_secret_named_variable_in_a_member_env_is_refused(name, fresh):
    data = fresh("dev")
    index = _index(data, is_container)
    data["members"][index]["model"]["env"] = {"LOG_LEVEL": "info", name: "hf_" + "a" * 30}
    assert refused_once(data) == (
        f"{member_at(data, index)}.model.env: env key {name!r} looks like a secret; secrets never go in environment "
        "files (use hf_token_required for the Hugging Face token)"
    )


@pytest.mark.parametrize("name", ["hf_token", "Hf_Token", "1TOKEN", "MY-VAR"])
def test_a_member_env_name_must_be_upper_snake_case(name, fresh):
    data = fresh("dev")
    index = _index(data, is_container)
    data["members"][index]["model"]["env"] = {name: "x"}
    assert refused_once(data) == f"{member_at(data, index)}.model.env: env key {name!r} is not an UPPER_SNAKE_CASE variable name"


@pytest.mark.parametrize("name, value", [
    ("HF_HUB_AUTH", "hf_" + "a" * 30),  # a Hugging Face token under a harmless name
    ("EXTRA_ARGS", "--api-key sk-proj-" + "A1b2" * 10),  # an OpenAI-style key inside arguments
    ("CONN", "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=" + "Ab0+" * 16 + "=="),
])
def test_a_secret_value_in_a_member_env_is_refused_whatever_its_name(name, value, fresh):
    data = fresh("dev")
    index = _index(data, is_container)
    data["members"][index]["model"]["env"] = {name: value}
    line = refused_once(data)
    assert line.startswith(f"{member_at(data, index)}.model.env: env {name}: the value looks like a credential") and value not in line


def test_plain_server_settings_pass_the_secret_guard(fresh):
    data = fresh("dev")
    index = _index(data, is_container)
    # TGI's own limits say TOKENS, and are not secrets (text-generation-launcher --help).
    settings = {"LOG_LEVEL": "info", "CUDA_GRAPHS": "0", "_PRIVATE": "1", "MAX_INPUT_TOKENS": "3072",
                "MAX_BATCH_PREFILL_TOKENS": "4096", "TOKENIZER_CONFIG_PATH": "/t", "DISK_PATH": "/data/sk-cache-directory-long"}
    data["members"][index]["model"]["env"] = settings
    assert dict(parse(data).members[index].model.env) == settings


# --------------------------------------------------------------------------- network
def test_a_subnet_with_host_bits_is_refused(fresh):
    data = fresh("dev")
    data["network"]["apps_subnet"] = "10.40.0.1/27"
    assert refused_once(data) == (
        "network.apps_subnet: '10.40.0.1/27' is not an IPv4 CIDR with its host bits zero "
        "(10.40.0.1/27 has host bits set) (got '10.40.0.1/27')"
    )


@pytest.mark.parametrize("field", ["address_space", "apps_subnet", "private_endpoints_subnet"])
def test_every_cidr_must_be_ipv4(field, fresh):
    data = fresh("dev")
    data["network"][field] = "fd00::/64"
    assert refused_once(data) == (
        f"network.{field}: 'fd00::/64' is not an IPv4 CIDR with its host bits zero "
        "(Expected 4 octets in 'fd00::') (got 'fd00::/64')"
    )


def test_a_subnet_outside_the_address_space_is_refused_by_name(fresh):
    data = fresh("dev")
    data["network"]["private_endpoints_subnet"] = "10.99.0.0/24"
    assert refused_once(data) == f"network: private_endpoints_subnet 10.99.0.0/24 is not inside address_space {data['network']['address_space']}"
    data = fresh("dev")
    data["network"]["apps_subnet"] = "10.99.0.0/27"
    assert refused_once(data) == f"network: apps_subnet 10.99.0.0/27 is not inside address_space {data['network']['address_space']}"


def test_overlapping_subnets_are_refused(fresh):
    data = fresh("dev")
    data["network"]["private_endpoints_subnet"] = data["network"]["apps_subnet"]
    subnet = data["network"]["apps_subnet"]
    assert refused_once(data) == f"network: apps_subnet {subnet} overlaps private_endpoints_subnet {subnet}"


def test_an_existing_network_with_every_zone_is_accepted(fresh):
    data = fresh("dev")
    data["network"] = _existing_network(redis_azure_net=REDIS_ZONE)
    env = parse(data)
    assert env.network.mode == "existing"
    assert env.network.apps_subnet_id == SUBNET.format("snet-apps")
    assert env.network.private_dns_zone_ids.api_azureml_ms == ZONE.format("privatelink.api.azureml.ms")
    assert env.network.private_dns_zone_ids.redis_azure_net == REDIS_ZONE
    assert env.network.private_dns_zone_ids.postgres_database_azure_com is None


def test_an_existing_network_zone_must_be_a_zone_resource_id(fresh):
    data = fresh("dev")
    wrong = SUBNET.format("not-a-zone")
    data["network"] = _existing_network(redis_azure_net=REDIS_ZONE, blob_core_windows_net=wrong)
    assert refused_once(data) == (
        f"network.private_dns_zone_ids: blob_core_windows_net {wrong!r} is not a private DNS zone resource id"
    )


def test_an_existing_network_subnet_must_be_a_subnet_resource_id(fresh):
    data = fresh("dev")
    data["network"] = _existing_network(redis_azure_net=REDIS_ZONE)
    data["network"]["apps_subnet_id"] = ZONE.format("privatelink.api.azureml.ms")
    assert refused_once(data).startswith("network.apps_subnet_id: '/subscriptions/")


def test_shared_state_on_an_existing_network_needs_the_redis_zone(fresh):
    data = fresh("dev")
    data["network"] = _existing_network()
    assert data["router"].get("shared_state", "azure-managed-redis") == "azure-managed-redis"
    assert refused_once(data) == (
        "network.private_dns_zone_ids.redis_azure_net: missing; the router's shared state (Azure Managed Redis) "
        "is reached through the landing zone's privatelink.redis.azure.net zone: give its id, or set "
        "router.shared_state: none (only with router.max_replicas: 1)"
    )


def test_without_shared_state_an_existing_network_needs_no_redis_zone(fresh):
    data = fresh("dev")
    data["network"] = _existing_network()
    data["router"].update(shared_state="none", max_replicas=1)
    assert parse(data).router.shared_state == "none"


def test_a_created_network_needs_no_zone_ids(fresh):
    data = fresh("prod")
    assert data["network"]["mode"] == "create" and data["router"]["virtual_keys"] is True
    assert parse(data).router.virtual_keys is True


def test_virtual_keys_on_an_existing_network_need_the_postgres_zone(fresh):
    data = fresh("dev")
    data["network"] = _existing_network(redis_azure_net=REDIS_ZONE)
    data["router"]["virtual_keys"] = True
    assert refused_once(data) == (
        "network.private_dns_zone_ids.postgres_database_azure_com: missing; the router's key database is reached "
        "through the landing zone's privatelink.postgres.database.azure.com zone: give its id, or set "
        "router.virtual_keys: false"
    )
    data["network"]["private_dns_zone_ids"]["postgres_database_azure_com"] = POSTGRES_ZONE
    assert parse(data).network.private_dns_zone_ids.postgres_database_azure_com == POSTGRES_ZONE
    data["router"]["virtual_keys"] = False
    del data["network"]["private_dns_zone_ids"]["postgres_database_azure_com"]
    assert parse(data).router.virtual_keys is False


def test_a_network_mode_must_be_create_or_existing(fresh):
    data = fresh("dev")
    data["network"]["mode"] = "peered"
    assert refused_once(data) == (
        "network: Input tag 'peered' found using 'mode' does not match any of the expected tags: 'create', 'existing'"
    )


# --------------------------------------------------------------------------- router
def test_fallbacks_must_name_member_roles(fresh):
    data = fresh("dev")
    roles = ", ".join(sorted(m["role"] for m in data["members"]))
    position = len(data["router"]["fallbacks"])
    data["router"]["fallbacks"].append({"role": "nosuch", "to": [data["members"][0]["role"]]})
    assert refused_once(data) == f"router.fallbacks[{position}]: 'nosuch' is not a council member role (members: {roles})"


def test_a_fallback_target_must_be_a_member_role(fresh):
    data = fresh("dev")
    roles = ", ".join(sorted(m["role"] for m in data["members"]))
    data["router"]["fallbacks"][0]["to"] = [data["members"][0]["role"], "ghost"]
    assert refused_once(data) == f"router.fallbacks[0]: 'ghost' is not a council member role (members: {roles})"


def test_a_fallback_needs_at_least_one_target(fresh):
    data = fresh("dev")
    data["router"]["fallbacks"][0]["to"] = []
    assert refused_once(data) == (
        f"router.fallbacks[0] ({data['router']['fallbacks'][0]['role']}).to: Tuple should have at least 1 item after validation, not 0"
    )


def test_router_replicas_may_idle_at_zero_but_not_exceed_max(fresh):
    data = fresh("dev")
    data["router"].update(min_replicas=0, max_replicas=1)
    assert parse(data).router.min_replicas == 0
    data["router"].update(min_replicas=2, max_replicas=2)
    assert parse(data).router.max_replicas == 2
    data["router"].update(min_replicas=3, max_replicas=2)
    assert refused_once(data) == (
        "router: min_replicas (3) must be 0 or more and at most max_replicas (2), which must be 1 or more"
    )


@pytest.mark.parametrize(
    "field, bad, good",
    [
        ("min_replicas", -1, 0),
        ("max_replicas", 0, 1),
        ("max_replicas", 301, 300),
        ("num_retries", -1, 0),
        ("num_retries", 11, 10),
        ("timeout_retries", 6, 5),
        ("server_error_retries", 6, 5),
        ("timeout_seconds", 0, 1),
        ("timeout_seconds", 231, 230),  # Container Apps' 240 s ingress limit less the router's 10 s
        ("allowed_fails", -1, 0),
        ("cooldown_seconds", 0, 1),
        ("concurrent_requests", 0, 1),
        ("cpu", 0, 0.5),
        ("memory", "2G", "4Gi"),
        ("database_sku", "Standard_B1ms", "GP_Standard_D2s_v3"),
        ("log_level", "TRACE", "WARNING"),
        ("shared_state", "local", "none"),
        ("environment_type", "dedicated", "consumption-only"),
    ],
)
def test_router_fields_at_their_edges(field, bad, good, fresh):
    data = fresh("dev")
    data["router"][field] = good
    assert getattr(parse(data).router, field) == good
    data["router"][field] = bad
    line = refused_once(data)
    assert line.startswith(f"router.{field}: ") and repr(bad) in line, line


@pytest.mark.parametrize(
    "image, problem",
    [
        ("ghcr.io/berriai/litellm:latest", "image tag 'latest' floats; pin a version such as v1.108.5 or a digest"),
        ("ghcr.io/berriai/litellm", "image 'ghcr.io/berriai/litellm' has no tag; pin a version such as ghcr.io/berriai/litellm:v1.108.5"),
        ("ghcr.io/berriai/litellm:main-v1.82.7", "LiteLLM 1.82.7 is a known-malicious release; pin another version"),
    ],
)
def test_an_unpinned_or_known_bad_router_image_is_refused(image, problem, fresh):
    data = fresh("dev")
    data["router"]["image"] = image
    assert refused_once(data) == f"router.image: {problem} (got {image!r})"


def test_a_digest_pinned_router_image_is_accepted(fresh):
    data = fresh("dev")
    image = "ghcr.io/berriai/litellm@sha256:" + "0" * 64
    data["router"]["image"] = image
    assert parse(data).router.image == image


# --------------------------------------------------------------------------- budget
def test_a_budget_starts_on_the_first_of_a_month(fresh):
    data = fresh("dev")
    data["budget"]["start_date"] = date(2026, 12, 2)
    assert refused_once(data) == (
        "budget.start_date: 2026-12-02 is not the first day of a month; Azure budgets start on the 1st "
        "(e.g. 2026-12-01) (got datetime.date(2026, 12, 2))"
    )
    data["budget"]["start_date"] = date(2026, 12, 1)
    assert parse(data).budget.start_date == date(2026, 12, 1)


@pytest.mark.parametrize(
    "actual, forecast, count",
    [([], [], 0), ([50, 80, 100, 120], [100, 110], 6)],
)
def test_a_budget_takes_one_to_five_notifications(actual, forecast, count, fresh):
    data = fresh("dev")
    data["budget"].update(actual_thresholds_percent=actual, forecast_thresholds_percent=forecast)
    assert refused_once(data) == f"budget: {count} notification thresholds; Azure budgets take 1 to 5"


@pytest.mark.parametrize("actual, forecast", [([], [100]), ([100], []), ([50, 80, 100, 120], [100])])
def test_one_to_five_notifications_are_accepted(actual, forecast, fresh):
    data = fresh("dev")
    data["budget"].update(actual_thresholds_percent=actual, forecast_thresholds_percent=forecast)
    budget = parse(data).budget
    assert list(budget.actual_thresholds_percent) == actual and list(budget.forecast_thresholds_percent) == forecast


@pytest.mark.parametrize("value", [0, -5, 1001])
@pytest.mark.parametrize("kind", ["actual_thresholds_percent", "forecast_thresholds_percent"])
def test_a_threshold_outside_1_to_1000_percent_is_refused(kind, value, fresh):
    data = fresh("dev")
    data["budget"][kind] = [value]
    assert refused_once(data) == f"budget: threshold {value}% is outside 1-1000"


@pytest.mark.parametrize("value", [1, 1000])
def test_thresholds_at_1_and_1000_percent_are_accepted(value, fresh):
    data = fresh("dev")
    data["budget"].update(actual_thresholds_percent=[value], forecast_thresholds_percent=[value])
    assert parse(data).budget.forecast_thresholds_percent == (value,)


def test_a_budget_amount_must_be_positive(fresh):
    data = fresh("dev")
    data["budget"]["amount_usd"] = 0
    assert refused_once(data) == "budget.amount_usd: Input should be greater than 0 (got 0)"
    data["budget"]["amount_usd"] = 0.01
    assert parse(data).budget.amount_usd == 0.01


# --------------------------------------------------------------------------- top level
@pytest.mark.parametrize(
    "field, bad, good",
    [
        ("name_prefix", "c", "co"),
        ("name_prefix", "council12", "council1"),
        ("name_prefix", "Council", "council"),
        ("name_suffix", "a", "ab"),
        ("name_suffix", "abcdefg", "abcdef"),
        ("location", "East US 2", "westeurope"),
        ("subscription_id", "not-a-guid", "00000000-0000-0000-0000-00000000000a"),
    ],
)
def test_top_level_fields_at_their_edges(field, bad, good, fresh):
    data = fresh("dev")
    data[field] = good
    assert getattr(parse(data), field) == good
    data[field] = bad
    assert refused_once(data).startswith(f"{field}: {bad!r} does not have the expected form ^")


@pytest.mark.parametrize(
    "section, value, field",
    [
        ("keys", {"member_key": "tertiary"}, "keys.member_key"),
        ("keys", {"master_key_version": 0}, "keys.master_key_version"),
        ("workspace", {"firewall_sku": "Premium"}, "workspace.firewall_sku"),
        ("backend", {"type": "cloud", "workspace": "x" * 91}, "backend.workspace"),
        ("backend", {"type": "cloud", "workspace": "ok", "organization": "my org"}, "backend.organization"),
    ],
)
def test_section_values_outside_their_choices_are_refused(section, value, field, fresh):
    data = fresh("dev")
    data[section] = value
    assert refused_once(data).startswith(f"{field}: ")


def test_contacts_must_be_email_addresses(fresh):
    data = fresh("dev")
    data["contacts"] = ["oncall@example.com", "not-an-address"]
    assert refused_once(data) == r"contacts[1]: 'not-an-address' does not have the expected form ^[^@\s]+@[^@\s]+\.[^@\s]+$"
    data["contacts"] = []
    assert refused_once(data) == "contacts: Tuple should have at least 1 item after validation, not 0"


def test_a_list_whose_only_items_are_wrong_reports_the_items_not_its_length(fresh):
    """pydantic also calls `contacts: [nope]` too short; the user's mistake is the address."""
    data = fresh("dev")
    data["contacts"] = ["nope"]
    address = r"contacts[0]: 'nope' does not have the expected form ^[^@\s]+@[^@\s]+\.[^@\s]+$"
    assert refused(data) == [address]
    data["budget"]["amount_usd"] = 0  # a later problem is still reported
    assert refused(data) == [address, "budget.amount_usd: Input should be greater than 0 (got 0)"]


def test_an_empty_list_is_reported_alongside_other_problems(fresh):
    data = fresh("dev")
    data["contacts"] = []
    data["budget"]["amount_usd"] = 0
    assert refused(data) == [
        "contacts: Tuple should have at least 1 item after validation, not 0",
        "budget.amount_usd: Input should be greater than 0 (got 0)",
    ]


# --------------------------------------------------------------------------- one clear line per mistake
def test_an_unknown_key_is_named_and_refused(fresh):
    data = fresh("dev")
    data["regoin"] = "eastus"
    assert refused_once(data) == "regoin: unknown key; remove it or check its spelling"


def test_an_unknown_key_in_a_member_is_named_under_its_role(fresh):
    data = fresh("dev")
    data["members"][1]["gpu"] = "A100"
    assert refused_once(data) == f"{member_at(data, 1)}.gpu: unknown key; remove it or check its spelling"


def test_a_misspelt_required_key_is_one_problem_with_a_suggestion(fresh):
    data = fresh("dev")
    data["members"][0]["instance"] = data["members"][0].pop("instances")
    assert refused(data) == [f"{member_at(data, 0)}.instance: unknown key; did you mean 'instances' (required, and missing)?"]


def test_an_unrelated_unknown_key_is_not_taken_for_the_missing_one(fresh):
    data = fresh("dev")
    data["members"][0]["zzz"] = data["members"][0].pop("instances")
    assert refused(data) == [
        f"{member_at(data, 0)}.instances: required field is missing; add it",
        f"{member_at(data, 0)}.zzz: unknown key; remove it or check its spelling",
    ]


def test_a_misspelling_pairs_only_with_a_missing_key_at_its_own_level(fresh):
    data = fresh("dev")
    data["instances"] = data["members"][0].pop("instances")
    assert refused(data) == [
        f"{member_at(data, 0)}.instances: required field is missing; add it",
        "instances: unknown key; remove it or check its spelling",
    ]


def test_a_missing_required_field_is_named(fresh):
    data = fresh("dev")
    del data["location"]
    assert refused_once(data) == "location: required field is missing; add it"


def test_a_wrong_type_names_the_field_and_the_value(fresh):
    data = fresh("dev")
    data["members"][1]["instances"]["max"] = "many"
    assert refused_once(data) == (
        f"{member_at(data, 1)}.instances.max: Input should be a valid integer, unable to parse string as an integer (got 'many')"
    )


def test_a_wrong_mapping_value_does_not_echo_the_mapping(fresh):
    data = fresh("dev")
    data["members"] = {"pacer": {}}
    assert refused_once(data) == "members: Input should be a valid tuple"


def test_a_member_whose_role_is_not_a_string_is_named_by_index_only(fresh):
    data = fresh("dev")
    data["members"][1]["role"] = 123
    assert refused_once(data) == "members[1].role: Input should be a valid string (got 123)"


def test_source_and_backend_tags_are_not_shown_as_fields(fresh):
    """`catalog`, `container`, `local`, `cloud`, `create`, `existing` are pydantic's union branches."""
    data = fresh("dev")
    index = _index(data, is_container)
    data["members"][index]["model"]["hf_model_id"] = "nope"
    assert refused_once(data) == (
        f"{member_at(data, index)}.model.hf_model_id: 'nope' does not have the expected form ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"
    )
    data = fresh("dev")
    index = with_member(data, _catalog)  # dev serves none from the catalog: one is borrowed from another file
    data["members"][index]["model"]["asset_id"] = "nope"
    assert refused_once(data).startswith(f"{member_at(data, index)}.model.asset_id: 'nope' does not have the expected form ^azureml://")
    data = fresh("dev")
    data["backend"] = {"type": "cloud", "workspace": "a b"}
    assert refused_once(data) == "backend.workspace: 'a b' does not have the expected form ^[A-Za-z0-9_-]{1,90}$"
    data = fresh("dev")
    data["backend"] = {"type": "local", "path": "x"}
    assert refused_once(data) == "backend.path: unknown key; remove it or check its spelling"
    data = fresh("dev")
    data["network"] = _existing_network(redis_azure_net=REDIS_ZONE, extra="x")
    assert refused_once(data) == "network.private_dns_zone_ids.extra: unknown key; remove it or check its spelling"


def test_every_problem_in_a_file_is_reported_once_in_order(fresh):
    data = fresh("dev")
    data["location"] = "East US"
    data["members"][0]["sku"] = "NC24"
    data["members"][1]["instances"]["min"] = 0
    data["regoin"] = "x"
    assert refused(data) == [
        "location: 'East US' does not have the expected form ^[a-z][a-z0-9]+$",
        f"{member_at(data, 0)}.sku: 'NC24' does not have the expected form ^Standard_[A-Za-z0-9_]+$",
        f"{member_at(data, 1)}.instances.min: min is 0: managed online deployments cannot scale to zero "
        "(at least one instance always runs); set min to 1 or more (got 0)",
        "regoin: unknown key; remove it or check its spelling",
    ]


def test_a_schema_error_keeps_the_data_for_the_other_checks(fresh):
    data = fresh("dev")
    data["regoin"] = "x"
    with pytest.raises(SchemaError) as caught:
        parse(data)
    error = caught.value
    assert isinstance(error, CouncilError)
    assert error.data is data
    assert error.source is None and error.field is None
    assert error.problem == str(error) == error.line() == f"{SOURCE}: regoin: unknown key; remove it or check its spelling"


def test_a_problem_without_a_location_is_at_the_top_level():
    assert _field_path((), {"members": []}) == "(top level)"
    # An index at or past the end of the data is still named, without a role.
    assert _field_path(("members", 1, "role"), {"members": [{"role": "pacer"}]}) == "members[1].role"
    assert _field_path(("members", 3, "role"), {"members": [{"role": "pacer"}]}) == "members[3].role"


@pytest.mark.parametrize(
    "data, field, problem",
    [
        (None, "(file)", "the file is empty; start from environments/dev.yaml"),
        (["just", "a list"], "(top level)", "expected a mapping of settings, got list"),
        ("text", "(top level)", "expected a mapping of settings, got str"),
    ],
)
def test_data_that_is_not_a_mapping_is_one_line(data, field, problem):
    with pytest.raises(CouncilError) as caught:
        parse(data)
    assert not isinstance(caught.value, SchemaError)
    assert (caught.value.source, caught.value.field, caught.value.problem) == (SOURCE, field, problem)


# --------------------------------------------------------------------------- loading a file
def test_load_environment_reads_and_validates_a_file(tmp_path, fresh):
    path = tmp_path / "dev.yaml"
    path.write_text("# comment\n" + (ROOT_ENVIRONMENTS / "dev.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    env = load_environment(path)
    assert [m.role for m in env.members] == [m["role"] for m in fresh("dev")["members"]]


def test_load_environment_names_the_file_in_a_schema_problem(tmp_path):
    path = tmp_path / "staging.yaml"
    path.write_text((ROOT_ENVIRONMENTS / "dev.yaml").read_text(encoding="utf-8") + "regoin: x\n", encoding="utf-8")
    with pytest.raises(SchemaError) as caught:
        load_environment(path)
    assert caught.value.line() == f"{path}: regoin: unknown key; remove it or check its spelling"


def test_a_missing_file_is_one_line(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(CouncilError) as caught:
        load_environment(path)
    assert caught.value.line() == f"{path}: (file): no such file; pass an environment name or an existing path"


def test_an_unreadable_path_is_one_line(tmp_path):
    with pytest.raises(CouncilError) as caught:
        load_environment(tmp_path)  # a directory
    assert caught.value.line() == f"{tmp_path}: (file): cannot be read: Is a directory"


def test_broken_yaml_names_the_line_and_column(tmp_path):
    path = tmp_path / "dev.yaml"
    path.write_text("location: eastus2\nmembers: [a\n", encoding="utf-8")
    with pytest.raises(CouncilError) as caught:
        load_environment(path)
    error = caught.value
    assert (error.source, error.field) == (str(path), "line 3, column 1")
    assert error.problem == "broken YAML: expected ',' or ']', but got '<stream end>'; fix the syntax there"


def test_broken_yaml_without_a_position_names_the_file(tmp_path):
    path = tmp_path / "dev.yaml"
    path.write_text("location: \x07\n", encoding="utf-8")  # a control character: refused by the YAML reader
    with pytest.raises(CouncilError) as caught:
        load_environment(path)
    error = caught.value
    assert (error.source, error.field) == (str(path), "(file)")
    assert error.problem.startswith("broken YAML: unacceptable character #x0007: special characters are not allowed")
    assert error.problem.endswith("; fix the syntax there") and "\n" not in error.problem


def test_an_empty_file_is_one_line(tmp_path):
    path = tmp_path / "dev.yaml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(CouncilError) as caught:
        load_environment(path)
    assert caught.value.line() == f"{path}: (file): the file is empty; start from environments/dev.yaml"


def test_a_file_that_is_not_utf8_is_one_line_not_a_traceback(tmp_path):
    path = tmp_path / "dev.yaml"
    path.write_bytes(b"location: eastus2\nname_prefix: caf\xe9\n")  # 18 + 16 bytes before the \xe9: byte 34
    with pytest.raises(CouncilError) as caught:
        load_environment(path)
    assert caught.value.line() == f"{path}: (file): not UTF-8 text (byte 34); save the file as UTF-8"
