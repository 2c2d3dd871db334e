"""Physical names: Azure's naming rules at their edges, and how the suffix ends every global name.

The rules below are written out from Azure's published naming rules, not from the code:
learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules (resource
groups, storage accounts, Key Vaults, container registries, Azure ML workspaces, PostgreSQL
flexible servers, Container Apps and their environments, virtual networks and private
endpoints) and, for online endpoints and deployments, Azure ML's managed online endpoint
limits (learn.microsoft.com/azure/machine-learning/how-to-manage-quotas: "begin with a
letter, 3-32 characters, letters, numbers and hyphens").

The default suffix is what Terraform computes from the subscription:
`substr(sha1(lower(<subscription id>)), 0, 6)` (README "Guardrails", Names).
"""

from __future__ import annotations

import hashlib

import pytest

from unit.unit_data import raw

TOKEN = "${local.name_suffix}"  # a value Terraform computes at plan


def _names(stack: str = "dev", prefix: str = "council", suffix: str = "abcdef", token: str | None = None):
    from council.naming import Names

    return Names(prefix=prefix, stack=stack, suffix=suffix, suffix_token=token)


def _refused(call):
    """The CouncilError `call` raises."""
    from council.errors import CouncilError

    with pytest.raises(CouncilError) as caught:
        call()
    return caught.value


# --------------------------------------------------------------------------- the rules themselves
def _n(length: int, first: str = "a", rest: str = "b", last: str = "") -> str:
    """A name of exactly `length` characters: `first`, then `rest` repeated, then `last`."""
    middle = length - len(first) - len(last)
    return first + (rest * length)[:middle] + last


CASES = {
    # Storage account: 3-24 characters, lowercase letters and numbers only.
    "storage_account": (
        ["abc", _n(24, rest="1"), "123"],
        [_n(2), _n(25), "Abcd", "ab-cd", "ab_cd"],
    ),
    # Key Vault: 3-24, alphanumerics and hyphens, start with a letter, end with a letter or
    # digit, no consecutive hyphens.
    "key_vault": (
        ["kv1", _n(24, first="k", last="1"), "kv-1", "KV-x-1"],
        [_n(2), _n(25), "1kv", "-kv", "kv-", "kv--1", "kv_1", "kv.1"],
    ),
    # Container registry: 5-50 alphanumerics.
    "container_registry": (
        ["crabc", _n(50), "CrAb1"],
        [_n(4), _n(51), "cr-abc", "cr_abc"],
    ),
    # Azure ML workspace: 3-33, alphanumerics, hyphens and underscores, letter or digit first.
    "ml_workspace": (
        ["mlw", _n(33), "1-w_x", "M_l-W"],
        [_n(2), _n(34), "-mlw", "_mlw", "ml.w"],
    ),
    # Online endpoint and deployment: 3-32, letter first, letters, digits and hyphens.
    "online_endpoint": (
        ["abc", _n(32), "a-1", "Abc"],
        [_n(2), _n(33), "1abc", "-abc", "a_bc", "a.bc"],
    ),
    "online_deployment": (
        ["abc", _n(32), "pacer-nc24adsa100v4"],
        [_n(2), _n(33), "1abc", "a_bc"],
    ),
    # Resource group: 1-90, letters, digits, underscores, hyphens, periods and parentheses,
    # not ending in a period.
    "resource_group": (
        ["rg", _n(90), "rg-(x)_y.z", "rg.x1"],
        ["", _n(91), "rg.", "rg/x", "rg x"],
    ),
    # PostgreSQL flexible server: 3-63, lowercase letters, numbers and hyphens, not starting
    # or ending with a hyphen.
    "postgres_server": (
        ["psq", _n(63), "p-1", "1ps"],
        [_n(2), _n(64), "-ps", "ps-", "Psq", "p_s"],
    ),
    # Container app: 2-32, lowercase letters, numbers and hyphens, letter first, alphanumeric last.
    "container_app": (
        ["ca", _n(32), "c-1"],
        [_n(1), _n(33), "1ca", "-ca", "ca-", "Ca", "c_a"],
    ),
    # Container Apps environment: 2-60, letters, numbers and hyphens, letter first,
    # alphanumeric last (the council's names are lowercase).
    "container_app_environment": (
        ["ce", _n(60), "cae-x-1"],
        [_n(1), _n(61), "-cae", "cae-", "1cae", "c_e"],
    ),
    # Azure Managed Redis: up to 60, alphanumerics and hyphens, alphanumeric at both ends,
    # no consecutive hyphens (the council's names start with "redis-").
    "managed_redis": (
        ["r1", _n(60), "redis-x-1"],
        [_n(61), "redis-", "-redis", "re--dis", "re_dis"],
    ),
    # Virtual network / private endpoint / identity names: 2-64, alphanumerics, underscores,
    # periods and hyphens, alphanumeric first, alphanumeric or underscore last.
    "generic": (
        ["vn", _n(64), "v.n-e_t", "vnet_"],
        [_n(1), _n(65), "-vnet", "_vnet", "vnet-", "vnet.", "vn/et"],
    ),
}


@pytest.mark.parametrize("kind, name", [(k, n) for k, (ok, _) in CASES.items() for n in ok])
def test_a_name_that_keeps_azures_rule_is_accepted(kind, name):
    from council.naming import check

    assert check(kind, name) == name


@pytest.mark.parametrize("kind, name", [(k, n) for k, (_, bad) in CASES.items() for n in bad])
def test_a_name_that_breaks_azures_rule_is_refused_with_the_rule_and_the_fix(kind, name):
    from council.naming import check

    error = _refused(lambda: check(kind, name, field="name_prefix"))
    assert error.field == "name_prefix"
    assert error.line().startswith(f"name_prefix: computed {kind.replace('_', ' ')} name {name!r} breaks Azure's rule (")
    assert error.line().endswith("); shorten name_prefix, name_suffix or the member role")


def test_refusal_message_says_which_resource_and_states_its_rule():
    from council.naming import check

    error = _refused(lambda: check("storage_account", "st-council"))
    assert error.field == "name"  # the default when the caller names no field
    assert error.line() == ("name: computed storage account name 'st-council' breaks Azure's rule "
                            "(3-24 lowercase letters and digits); shorten name_prefix, name_suffix or the member role")


def test_a_value_terraform_computes_at_plan_is_not_checked():
    from council.naming import check, is_token

    name = "st${local.name_suffix}-TOO-LONG-and-UPPER-case-and-far-beyond-24"
    assert is_token(name) and not is_token("stcouncildev")
    assert check("storage_account", name) == name


# --------------------------------------------------------------------------- names at their limits
# Each physical name's documented form (prefix, stack, suffix) and Azure's limit for it.
# The stack is stretched until the name has exactly `limit` characters: accepted; one more
# character is refused with the field the caller should look at.
LIMITS = [
    ("resource_group", lambda n: n.resource_group(), "rg-council-{s}-abcdef", 90, "name"),
    ("ml_workspace", lambda n: n.ml_workspace(), "mlw-council-{s}-abcdef", 33, "name"),
    ("postgres_server", lambda n: n.postgres_server(), "psql-council-{s}-abcdef", 63, "name_prefix"),
    ("managed_redis", lambda n: n.managed_redis(), "redis-council-{s}-abcdef", 60, "name_prefix"),
    ("container_app_environment", lambda n: n.container_app_environment(), "cae-council-{s}-abcdef", 60, "name"),
    ("vnet", lambda n: n.vnet(), "vnet-council-{s}-abcdef", 64, "name"),
    ("log_analytics", lambda n: n.log_analytics(), "log-council-{s}-abcdef", 64, "name"),
    ("app_insights", lambda n: n.app_insights(), "appi-council-{s}-abcdef", 64, "name"),
    ("identity", lambda n: n.identity("router"), "id-router-council-{s}-abcdef", 64, "name"),
    ("private_endpoint", lambda n: n.private_endpoint("kvc"), "pe-kvc-council-{s}-abcdef", 64, "name"),
    ("monitoring", lambda n: n.monitoring(), "council-{s}-abcdef", 64, "name"),
]


@pytest.mark.parametrize("kind, method, form, limit, field", LIMITS, ids=[row[0] for row in LIMITS])
def test_a_name_exactly_at_azures_limit_is_accepted_and_one_more_character_is_refused(kind, method, form, limit, field):
    stack = "s" * (limit - len(form.format(s="")))
    expected = form.format(s=stack)
    assert len(expected) == limit
    assert method(_names(stack)) == expected
    error = _refused(lambda: method(_names(stack + "s")))
    assert error.field == field
    assert repr(form.format(s=stack + "s")) in error.line() and "shorten name_prefix" in error.line()


def test_online_endpoint_name_of_32_characters_is_accepted_and_33_refused_naming_the_member():
    names = _names()
    # council-<role>-dev-abcdef: 19 characters besides the role.
    assert names.online_endpoint("r" * 13) == f"council-{'r' * 13}-dev-abcdef"
    error = _refused(lambda: names.online_endpoint("r" * 14))
    assert error.field == f"members.{'r' * 14}"
    assert f"'council-{'r' * 14}-dev-abcdef'" in error.line() and "3-32" in error.line()


def test_online_endpoint_with_a_digit_first_is_refused():
    # A prefix starting with a digit makes the endpoint's DNS label start with one.
    error = _refused(lambda: _names(prefix="9council").online_endpoint("pacer"))
    assert error.field == "members.pacer"


def test_online_deployment_is_role_and_sku_without_the_standard_prefix():
    names = _names()
    assert names.online_deployment("pacer", "Standard_NC24ads_A100_v4") == "pacer-nc24adsa100v4"
    assert names.online_deployment("maven", "Standard_NV36ads_A10_v5") == "maven-nv36adsa10v5"
    # A new SKU is a new deployment: the name changes with it.
    assert names.online_deployment("maven", "Standard_NC24ads_A100_v4") != names.online_deployment("maven", "Standard_NV36ads_A10_v5")


def test_online_deployment_is_cut_to_32_characters_without_a_trailing_hyphen():
    names = _names()
    role = "r" * 12
    assert names.online_deployment(role, "Standard_" + "ab" * 15) == f"{role}-{'ab' * 15}"[:32]
    # role + "-" is exactly 32 characters: the cut leaves a hyphen, which is dropped.
    assert names.online_deployment("d" * 31, "Standard_NC24ads_A100_v4") == "d" * 31


def test_online_deployment_refusal_names_the_member():
    error = _refused(lambda: _names().online_deployment("9lives", "Standard_NC24ads_A100_v4"))
    assert error.field == "members.9lives"
    assert "'9lives-nc24adsa100v4'" in error.line()


def test_container_app_and_smoke_job_are_cut_to_32_characters_without_a_trailing_hyphen():
    # ca-council-router-<stack>: 18 characters besides the stack.
    assert _names("d" * 14).container_app() == "ca-council-router-" + "d" * 14
    assert _names("d" * 20).container_app() == "ca-council-router-" + "d" * 14
    assert _names("d" * 13 + "-eu").container_app() == "ca-council-router-" + "d" * 13
    # caj-council-smoke-<stack>: 18 characters besides the stack too.
    assert _names("d" * 14).smoke_job() == "caj-council-smoke-" + "d" * 14
    assert _names("d" * 20).smoke_job() == "caj-council-smoke-" + "d" * 14
    assert _names("d" * 13 + "-eu").smoke_job() == "caj-council-smoke-" + "d" * 13


def test_container_app_names_carry_no_suffix():
    names = _names(token=TOKEN, suffix="xxxxxx")
    assert (names.container_app(), names.smoke_job()) == ("ca-council-router-dev", "caj-council-smoke-dev")


@pytest.mark.parametrize("stack", ["Dev", "devX", "dev_eu"])
def test_container_app_names_from_a_stack_azure_refuses_are_refused(stack):
    # environments/<stack>.yaml: Container Apps take lowercase letters, digits and hyphens only.
    for make in (lambda n: n.container_app(), lambda n: n.smoke_job()):
        error = _refused(lambda: make(_names(stack)))
        assert error.field == "name" and f"-{stack}'" in error.line() and "lowercase" in error.line()


def test_subnet_names_are_fixed_per_purpose():
    names = _names(token=TOKEN, suffix="xxxxxx")
    assert names.subnet("apps") == "snet-apps"
    assert names.subnet("private-endpoints") == "snet-private-endpoints"
    assert _refused(lambda: names.subnet("apps-")).field == "name"


# --------------------------------------------------------------------------- global names keep the suffix
def test_key_vault_storage_and_registry_names_are_compact_and_end_in_the_suffix():
    names = _names(suffix="k7q2")
    assert names.key_vault("c") == "kvc-councildevk7q2"
    assert names.key_vault("w") == "kvw-councildevk7q2"
    assert names.storage_account() == "stcouncildevk7q2"
    assert names.container_registry() == "crcouncildevk7q2"


def test_shortened_global_names_fill_the_limit_and_keep_the_whole_suffix():
    names = _names("development-eu", suffix="abcdef")  # prefix + stack, compacted: councildevelopmenteu
    # Key Vault, 24: "kvc-" + the first 14 of it + the 6 suffix characters.
    assert names.key_vault("c") == "kvc-councildevelop" + "abcdef"
    # Storage account, 24: "st" + the first 16 + the suffix.
    assert names.storage_account() == "stcouncildevelopme" + "abcdef"
    # Container registry, 50: nothing to cut here.
    assert names.container_registry() == "crcouncildevelopmenteu" + "abcdef"
    long = _names("s" * 60)
    assert long.container_registry() == "crcouncil" + "s" * 35 + "abcdef"
    assert len(long.container_registry()) == 50
    assert len(long.key_vault("c")) == 24 and len(long.storage_account()) == 24


def test_global_names_drop_what_azure_refuses_from_prefix_stack_and_suffix():
    names = _names("Dev_EU-2", suffix="AB-12")
    assert names.storage_account() == "stcouncildeveu2ab12"
    assert names.container_registry() == "crcouncildeveu2ab12"
    assert names.key_vault("c") == "kvc-councildeveu2ab12"


def test_key_vault_that_cannot_be_named_is_refused_on_the_key_vault_field():
    error = _refused(lambda: _names().key_vault("c-"))  # "kvc--...": consecutive hyphens
    assert error.field == "key_vault"
    assert "'kvc--councildevabcdef'" in error.line()


def test_storage_and_registry_refusals_name_their_own_field():
    # Names shorter than Azure's minimum: an empty prefix, stack and suffix.
    assert _refused(lambda: _names("", prefix="", suffix="").storage_account()).field == "storage_account"
    assert _refused(lambda: _names("", prefix="", suffix="").container_registry()).field == "container_registry"


# --------------------------------------------------------------------------- where the suffix comes from
SUBSCRIPTION = "0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9"


def _sha_suffix(subscription: str) -> str:
    # Terraform: substr(sha1(lower(subscription_id)), 0, 6)
    return hashlib.sha1(subscription.lower().encode()).hexdigest()[:6]


def test_subscription_suffix_is_six_hex_digits_of_the_sha1_of_the_lowercased_id():
    from council.naming import subscription_suffix

    expected = _sha_suffix(SUBSCRIPTION)
    assert subscription_suffix(SUBSCRIPTION) == expected
    assert subscription_suffix(SUBSCRIPTION.lower()) == expected
    assert len(expected) == 6


def _env(**changes):
    from council.config import parse_environment

    data = raw("dev")
    data.update(changes)
    return parse_environment(data, "dev.yaml")


def test_the_same_file_in_two_subscriptions_gets_different_global_names():
    from council.naming import names_for

    other = "11111111-2222-3333-4444-555555555555"
    first, second = names_for(_env(subscription_id=SUBSCRIPTION), "dev"), names_for(_env(subscription_id=other), "dev")
    prefix = raw("dev")["name_prefix"]
    assert first.storage_account() == f"st{prefix}dev{_sha_suffix(SUBSCRIPTION)}"
    assert second.storage_account() == f"st{prefix}dev{_sha_suffix(other)}"
    assert first.key_vault("c") == f"kvc-{prefix}dev{_sha_suffix(SUBSCRIPTION)}"
    assert first.online_endpoint("pacer") == f"{prefix}-pacer-dev-{_sha_suffix(SUBSCRIPTION)}"
    assert first.online_endpoint("pacer") != second.online_endpoint("pacer")


def test_an_explicit_name_suffix_wins_over_the_subscription():
    from council.naming import names_for

    names = names_for(_env(subscription_id=SUBSCRIPTION, name_suffix="k7q2", name_prefix="team"), "prod", suffix_token=TOKEN)
    assert names.resource_group() == "rg-team-prod-k7q2"
    assert names.key_vault("c") == "kvc-teamprodk7q2"
    assert names.postgres_server() == "psql-team-prod-k7q2"


def test_without_suffix_or_subscription_names_end_in_terraforms_expression():
    from council.naming import names_for

    names = names_for(_env(), "dev", suffix_token=TOKEN)
    prefix = raw("dev")["name_prefix"]
    assert names.resource_group() == f"rg-{prefix}-dev-{TOKEN}"
    assert names.storage_account() == f"st{prefix}dev{TOKEN}"
    assert names.key_vault("w") == f"kvw-{prefix}dev{TOKEN}"
    assert names.online_endpoint("pacer") == f"{prefix}-pacer-dev-{TOKEN}"
    assert names.managed_redis() == f"redis-{prefix}-dev-{TOKEN}"
    # Names without the suffix are unchanged.
    assert names.container_app() == f"ca-{prefix}-router-dev"
    assert names.online_deployment("pacer", "Standard_NC24ads_A100_v4") == "pacer-nc24adsa100v4"


def test_without_a_terraform_expression_the_placeholder_suffix_is_shown():
    """Validation and `council describe` work before any subscription is known."""
    from council.naming import names_for

    names = names_for(_env(), "dev")
    prefix = raw("dev")["name_prefix"]
    assert names.resource_group() == f"rg-{prefix}-dev-xxxxxx"
    assert names.storage_account() == f"st{prefix}dev" + "xxxxxx"


def test_the_placeholder_is_checked_as_six_characters_so_limits_stay_exact():
    from council.naming import Names

    def names(stack):
        return Names.of(prefix="council", stack=stack, name_suffix=None, subscription_id=None, suffix_token=TOKEN)

    # mlw-council-<stack>-<6 characters>: 19 besides the stack; Azure ML allows 33.
    assert names("s" * 14).ml_workspace() == f"mlw-council-{'s' * 14}-{TOKEN}"
    error = _refused(lambda: names("s" * 15).ml_workspace())
    assert f"'mlw-council-{'s' * 15}-xxxxxx'" in error.line()
    # The storage account is shortened as for a real six-character suffix.
    assert names("s" * 30).storage_account() == "stcouncil" + "s" * 9 + TOKEN  # 9 + 9 + 6 = 24


def test_names_of_picks_suffix_then_subscription_then_placeholder():
    from council.naming import Names

    common = dict(prefix="council", stack="dev", suffix_token=TOKEN)
    assert Names.of(name_suffix="k7q2", subscription_id=SUBSCRIPTION, **common) == Names(prefix="council", stack="dev", suffix="k7q2")
    assert Names.of(name_suffix=None, subscription_id=SUBSCRIPTION, **common) == Names(prefix="council", stack="dev", suffix=_sha_suffix(SUBSCRIPTION))
    assert Names.of(name_suffix="", subscription_id=None, **common) == Names(prefix="council", stack="dev", suffix="xxxxxx", suffix_token=TOKEN)


def test_container_app_names_refuse_a_double_hyphen():
    # Container Apps: names "cannot have '--'" (the portal's and ARM's validation message).
    assert _refused(lambda: _names("dev--eu").container_app()).field == "name"


def test_a_one_character_resource_group_is_a_valid_name():
    from council.naming import check

    # Resource groups: 1-90 characters (resource-name-rules, Microsoft.Resources).
    assert check("resource_group", "r") == "r"
