"""The security Aspect's rules (SecurityAspect.problems), one at a time: each setting
missing altogether, set to the bad value and set to the good one; and the literal-secret
scan at the edges of its name pattern and of each secret shape.

The rules as documented in council/aspects.py: a Key Vault is purge-protected, closed to
the public network and denies by default; an online endpoint needs Key or AADToken auth
and no public network access; a container app's ingress is external only when the
environment allows it and its secrets are Key Vault references; no attribute holds a
literal where a secret belongs, nor anything shaped like a credential.
"""

from __future__ import annotations

import pytest
from cdktf import TerraformResource

import council.aspects
from council.aspects import SecurityAspect, _attributes

# --------------------------------------------------------------------------- messages (what a user reads)
KV_PURGE = "Key Vault without purge protection: set purge_protection_enabled (SecretBundle does by default)"
KV_PUBLIC = "Key Vault open to the public network: set public_network_access_enabled to false"
KV_FIREWALL = "Key Vault firewall must deny by default (network_acls.default_action = Deny)"
EP_PUBLIC = "online endpoint reachable from the internet: set publicNetworkAccess to Disabled"
INGRESS = "container app ingress is external but the environment does not allow it (router.external_ingress)"


def ep_auth(mode) -> str:
    return f"online endpoint authMode {mode!r}: use Key or AADToken"


def app_secret(name) -> str:
    return f"container app secret {name!r} holds a literal value: use a Key Vault reference"


def literal(path: str) -> str:
    return f"{path} holds a literal value: secrets must be references (Key Vault, variables, outputs)"


def shaped(path: str) -> str:
    return f"{path} holds what looks like a literal secret: keep secrets out of the configuration"


def problems(rtype: str, attrs: dict, **options) -> list[str]:
    return SecurityAspect(**options).problems(rtype, attrs)


# --------------------------------------------------------------------------- Key Vault
KV = "azurerm_key_vault"


def good_vault() -> dict:
    return {
        "name": "kv-council",
        "tenant_id": "00000000-0000-0000-0000-000000000000",
        "purge_protection_enabled": True,
        "public_network_access_enabled": False,
        "network_acls": {"default_action": "Deny", "bypass": "AzureServices"},
    }


def test_a_compliant_key_vault_has_no_problem():
    assert problems(KV, good_vault()) == []


def test_a_key_vault_with_nothing_set_breaks_every_rule():
    assert problems(KV, {}) == [KV_PURGE, KV_PUBLIC, KV_FIREWALL]


@pytest.mark.parametrize("value", ["missing", False, None, "true", 1])
def test_purge_protection_must_be_exactly_true(value):
    attrs = good_vault()
    if value == "missing":
        del attrs["purge_protection_enabled"]
    else:
        attrs["purge_protection_enabled"] = value
    assert problems(KV, attrs) == [KV_PURGE]


@pytest.mark.parametrize("value", ["missing", True, None, "false", 0])
def test_public_network_access_must_be_exactly_false(value):
    attrs = good_vault()
    if value == "missing":
        del attrs["public_network_access_enabled"]
    else:
        attrs["public_network_access_enabled"] = value
    assert problems(KV, attrs) == [KV_PUBLIC]


@pytest.mark.parametrize("acls", ["missing", None, {}, {"default_action": "Allow"}, {"default_action": "deny"}])
def test_the_key_vault_firewall_must_deny_by_default(acls):
    attrs = good_vault()
    if acls == "missing":
        del attrs["network_acls"]
    else:
        attrs["network_acls"] = acls
    assert problems(KV, attrs) == [KV_FIREWALL]


def test_key_vault_rules_apply_only_to_key_vaults():
    assert problems("azurerm_storage_account", {}) == []
    assert problems("azurerm_key_vault_secret", {"name": "x"}) == []


# --------------------------------------------------------------------------- online endpoints
ENDPOINT_TYPE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints@2024-10-01"


def endpoint(properties: dict | None = None, **attrs) -> dict:
    body = {"properties": {"authMode": "Key", "publicNetworkAccess": "Disabled", **(properties or {})}}
    return {"type": ENDPOINT_TYPE, "name": "council-pacer", "body": body, **attrs}


@pytest.mark.parametrize("mode", ["Key", "AADToken"])
def test_an_endpoint_with_key_or_token_auth_and_no_public_access_has_no_problem(mode):
    assert problems("azapi_resource", endpoint({"authMode": mode})) == []


@pytest.mark.parametrize("mode", ["AMLToken", "key", "", None])
def test_an_endpoint_auth_mode_other_than_key_or_aad_token_is_refused(mode):
    assert problems("azapi_resource", endpoint({"authMode": mode})) == [ep_auth(mode)]


def test_an_endpoint_without_auth_mode_is_refused():
    attrs = endpoint()
    del attrs["body"]["properties"]["authMode"]
    assert problems("azapi_resource", attrs) == [ep_auth(None)]


@pytest.mark.parametrize("access", ["missing", "Enabled", "disabled", None])
def test_an_endpoint_must_disable_public_network_access(access):
    attrs = endpoint()
    if access == "missing":
        del attrs["body"]["properties"]["publicNetworkAccess"]
    else:
        attrs["body"]["properties"]["publicNetworkAccess"] = access
    assert problems("azapi_resource", attrs) == [EP_PUBLIC]


@pytest.mark.parametrize("body", ["missing", None, {}, {"properties": None}])
def test_an_endpoint_without_properties_breaks_both_rules(body):
    attrs = endpoint()
    if body == "missing":
        del attrs["body"]
    else:
        attrs["body"] = body
    assert problems("azapi_resource", attrs) == [ep_auth(None), EP_PUBLIC]


@pytest.mark.parametrize(
    "rtype, resource_type",
    [
        ("azapi_resource", "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments@2024-10-01"),
        ("azapi_resource", "Microsoft.MachineLearningServices/workspaces@2024-10-01"),
        ("azapi_resource", None),
        ("azapi_update_resource", ENDPOINT_TYPE),
    ],
)
def test_endpoint_rules_apply_only_to_online_endpoints(rtype, resource_type):
    attrs = endpoint({"authMode": "AMLToken", "publicNetworkAccess": "Enabled"})
    if resource_type is None:
        del attrs["type"]
    else:
        attrs["type"] = resource_type
    assert problems(rtype, attrs) == []


# --------------------------------------------------------------------------- container apps
APP = "azurerm_container_app"
VAULT_SECRET = {"name": "master-key", "key_vault_secret_id": "${azurerm_key_vault_secret.master.versionless_id}", "identity": "System"}


@pytest.mark.parametrize("ingress", ["missing", None, {}, {"external_enabled": False, "target_port": 4000}])
def test_internal_or_absent_ingress_has_no_problem(ingress):
    attrs = {"name": "router", "secret": [VAULT_SECRET]}
    if ingress != "missing":
        attrs["ingress"] = ingress
    assert problems(APP, attrs) == []


def test_external_ingress_is_refused_unless_the_environment_allows_it():
    attrs = {"ingress": {"external_enabled": True, "target_port": 4000}}
    assert problems(APP, attrs) == [INGRESS]
    assert problems(APP, attrs, allow_external_ingress=False) == [INGRESS]
    assert problems(APP, attrs, allow_external_ingress=True) == []


def test_allowing_external_ingress_does_not_make_internal_ingress_a_problem():
    assert problems(APP, {"ingress": {"external_enabled": False}}, allow_external_ingress=True) == []


@pytest.mark.parametrize("secrets", ["missing", None, [], [VAULT_SECRET]])
def test_key_vault_backed_or_no_secrets_have_no_problem(secrets):
    attrs = {"name": "router"}
    if secrets != "missing":
        attrs["secret"] = secrets
    assert problems(APP, attrs) == []


def test_each_literal_container_app_secret_is_named():
    attrs = {"secret": [{"name": "redis-password", "value": "hunter2"}, VAULT_SECRET, {"name": "salt", "value": ""}]}
    assert problems(APP, attrs) == [app_secret("redis-password"), app_secret("salt")]


def test_a_container_app_secret_value_is_refused_even_when_it_is_a_reference():
    """A container app secret's `value` is stored in the app itself: only a Key Vault id keeps it out."""
    attrs = {"secret": [{"name": "k", "value": "${random_password.k.result}"}]}
    assert problems(APP, attrs) == [app_secret("k")]


def test_container_app_rules_apply_only_to_container_apps():
    attrs = {"ingress": {"external_enabled": True}, "secret": [{"name": "k", "value": "plain"}]}
    assert problems("azurerm_container_app_environment", attrs) == []


# --------------------------------------------------------------------------- literal secrets, by attribute name
@pytest.mark.parametrize(
    "name",
    [
        "password", "client_secret", "primary_key", "secondary_key", "api_key", "access_key", "token",
        # with a prefix before an underscore
        "admin_password", "refresh_token", "storage_primary_key", "azure_client_secret", "sas_token",
        # any case
        "PASSWORD", "Admin_Password", "API_KEY", "Token",
        # a bare key, or a name ending in _key (HTTP-style x-api_key included)
        "key", "x-api_key", "shared_key",
        # camelCase, as ARM bodies sent through azapi spell them
        "clientSecret", "primaryKey", "secondaryKey", "apiKey", "accessKey", "adminPassword", "sasToken", "accountKey",
    ],
)
def test_a_secret_named_attribute_holding_a_literal_is_refused(name):
    assert problems("azurerm_anything", {name: "hunter2"}) == [literal(name)]


@pytest.mark.parametrize(
    "name",
    [
        "token_ready", "tokens", "max_tokens", "tokenizer", "mytoken",  # "token" not at the end, or no separator
        "password_hint", "adminpassword", "passwords", "apikey",
        "secret", "name", "primary_key_id", "keyType", "keys", "Keyboard", "monkey",
    ],
)
def test_an_attribute_merely_resembling_a_secret_name_is_not_refused(name):
    assert problems("azurerm_anything", {name: "hunter2"}) == []


def test_a_secret_named_attribute_is_found_at_any_depth_with_its_path():
    attrs = {
        "body": {"properties": {"credentials": {"keys": {"api_key": "plain-text-key"}}}},
        "site_config": [{"name": "a"}, {"admin_password": "hunter2"}],
        "matrix": [[{"token": "t0k3n"}]],
    }
    assert problems("azapi_resource", attrs) == [
        literal("body.properties.credentials.keys.api_key"),
        literal("site_config[1].admin_password"),
        literal("matrix[0][0].token"),
    ]


@pytest.mark.parametrize(
    "value",
    ["${random_password.admin.result}", "${var.api_key}", "prefix-${azurerm_key_vault_secret.k.value}", ""],
)
def test_references_and_empty_values_in_secret_named_attributes_pass(value):
    assert problems("azurerm_anything", {"password": value, "nested": {"client_secret": value}}) == []


@pytest.mark.parametrize("value", [None, True, 12345, 1.5])
def test_non_string_values_in_secret_named_attributes_pass(value):
    assert problems("azurerm_anything", {"token": value}) == []


def test_a_secret_named_attribute_with_a_secret_shape_is_reported_once():
    assert problems("azurerm_anything", {"api_key": "sk-" + "A" * 32}) == [literal("api_key")]


# --------------------------------------------------------------------------- literal secrets, by shape
SHAPES = [
    # (the shortest value of each shape, the same value one character short)
    ("sk-" + "a1B2" * 4, "sk-" + ("a1B2" * 4)[:15]),  # sk- and 16 letters/digits
    ("hf_" + "Ab3" * 6 + "xy", "hf_" + ("Ab3" * 6 + "xy")[:19]),  # hf_ and 20
    ("eyJ" + "hbGciOiJI_" + "." + "eyJzdWIi-0", "eyJ" + "hbGciOiJI" + "." + "eyJzdWIi-0"),  # JWT: eyJ, 10, dot, 10
    ("eyJ" + "hbGciOiJI_" + "." + "eyJzdWIi-0", "eyJ" + "hbGciOiJI_" + "." + "eyJzdWIi-"),
    ("AccountKey=" + "ab+/" * 4 + "cd==", "AccountKey=" + ("ab+/" * 4 + "cd==")[:19]),  # AccountKey= and 20 base64
]


@pytest.mark.parametrize("secret, short", SHAPES, ids=["sk", "hf", "jwt-head", "jwt-payload", "account-key"])
def test_a_value_shaped_like_a_credential_is_refused_at_its_minimum_length(secret, short):
    assert len(short) == len(secret) - 1
    assert problems("azurerm_anything", {"note": secret}) == [shaped("note")]
    assert problems("azurerm_anything", {"note": short}) == []


@pytest.mark.parametrize(
    "value",
    [
        "Authorization: Bearer sk-" + "Z" * 40,
        "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=" + "Q" * 86 + "==;EndpointSuffix=core.windows.net",
        "token is hf_" + "x" * 34 + " (do not share)",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.signature",
    ],
)
def test_a_credential_inside_a_longer_value_is_found(value):
    attrs = {"app_settings": {"CONNECTION": value}, "list": ["ok", value]}
    assert problems("azurerm_anything", attrs) == [shaped("app_settings.CONNECTION"), shaped("list[1]")]


@pytest.mark.parametrize("value", ["sk-short", "ask-" + "a" * 3, "hf_model_id", "eyJ.short", "AccountKey=", "task-runner"])
def test_values_that_only_start_like_a_credential_pass(value):
    assert problems("azurerm_anything", {"note": value}) == []


def test_a_credential_shape_inside_a_reference_is_not_a_literal():
    assert problems("azurerm_anything", {"note": "${lookup(var.keys, \"sk-" + "a" * 20 + "\")}"}) == []


# --------------------------------------------------------------------------- metadata keys are not scanned
def test_cdktf_metadata_is_not_scanned():
    attrs = {"//": {"metadata": {"path": "stack/vault", "token": "hunter2", "note": "sk-" + "a" * 20}}}
    assert problems("azurerm_anything", attrs) == []


def test_sensitive_body_version_labels_are_not_secrets():
    """Its keys are JSON paths to the secret (`properties.credentials.keys.api_key`), its values version labels."""
    labels = {"properties.credentials.keys.api_key": "1", "properties.credentials.keys.token": "2"}
    assert problems("azapi_resource", {"sensitive_body_version": labels}) == []
    # The same mapping under any other name is scanned: only these two keys are skipped.
    assert problems("azapi_resource", {"labels": labels}) == [
        literal("labels.properties.credentials.keys.api_key"),
        literal("labels.properties.credentials.keys.token"),
    ]


def test_the_secret_scan_applies_to_every_resource_type_alongside_its_rules():
    attrs = {**good_vault(), "tags": {"owner": "team", "api_key": "hunter2"}}
    assert problems(KV, attrs) == [literal("tags.api_key")]
    attrs = {"ingress": {"external_enabled": True}, "template": {"container": [{"env": [{"name": "K", "value": "hf_" + "a" * 24}]}]}}
    assert problems(APP, attrs) == [INGRESS, shaped("template.container[0].env[0].value")]


# --------------------------------------------------------------------------- at synth: what visit() reads and reports
# No App, no synth: stand-ins of the two kinds of resource the Aspect meets (created without
# the jsii constructor), and a recorder in place of cdktf's Annotations.
class _PythonSideResource(TerraformResource):
    """Like council.azapi's wrappers: attributes kept Python-side."""

    def __init__(self, resource_type: str, attributes: dict) -> None:  # never called: see _make
        raise AssertionError


class _SynthesizedResource(TerraformResource):
    """Like a provider resource: attributes only in its synthesized JSON."""

    def __init__(self) -> None:  # never called: see _make
        raise AssertionError

    def to_terraform(self):
        return self.json


def _make(cls, **fields):
    node = object.__new__(cls)
    for name, value in fields.items():
        setattr(node, name, value)
    return node


class _Annotations:
    def __init__(self) -> None:
        self.errors: list[tuple[object, str]] = []

    def of(self, node):
        recorder = self

        class _Of:
            def add_error(self, message):
                recorder.errors.append((node, message))

            def add_warning(self, message):  # a violation must be an error (it fails synth)
                raise AssertionError(f"warning instead of an error: {message}")

        return _Of()


@pytest.fixture
def annotations(monkeypatch) -> _Annotations:
    recorder = _Annotations()
    monkeypatch.setattr(council.aspects, "Annotations", recorder)
    return recorder


def test_python_side_attributes_are_read_as_they_are():
    node = _make(_PythonSideResource, resource_type="azapi_resource", attributes={"type": ENDPOINT_TYPE, "body": {}})
    assert _attributes(node) == ("azapi_resource", {"type": ENDPOINT_TYPE, "body": {}})


def test_a_synthesized_resource_is_read_from_its_json():
    node = _make(_SynthesizedResource, json={"resource": {KV: {"vault": {"name": "kv", "purge_protection_enabled": True}}}})
    assert _attributes(node) == (KV, {"name": "kv", "purge_protection_enabled": True})


@pytest.mark.parametrize("json", [{}, {"resource": None}, {"resource": {}}, {"data": {KV: {"vault": {}}}}])
def test_a_resource_without_a_resource_block_has_nothing_to_check(json):
    assert _attributes(_make(_SynthesizedResource, json=json)) == ("", {})


def test_visit_reports_each_problem_as_an_error_on_the_resource(annotations):
    node = _make(_SynthesizedResource, json={"resource": {KV: {"vault": {"name": "kv"}}}})
    SecurityAspect().visit(node)
    assert annotations.errors == [(node, KV_PURGE), (node, KV_PUBLIC), (node, KV_FIREWALL)]


def test_visit_passes_the_environment_setting_on(annotations):
    attrs = {"ingress": {"external_enabled": True}}
    node = _make(_PythonSideResource, resource_type=APP, attributes=attrs)
    SecurityAspect(allow_external_ingress=True).visit(node)
    assert annotations.errors == []
    SecurityAspect().visit(node)
    assert annotations.errors == [(node, INGRESS)]


def test_visit_leaves_a_compliant_resource_alone(annotations):
    SecurityAspect().visit(_make(_PythonSideResource, resource_type=KV, attributes=good_vault()))
    assert annotations.errors == []


def test_visit_skips_what_is_not_a_resource(annotations):
    class Construct:  # a stack, a provider, a plain construct: nothing to check
        resource_type = KV
        attributes: dict = {}

    SecurityAspect().visit(Construct())
    assert annotations.errors == []


@pytest.mark.parametrize("value", [
    "sk-proj-" + "Ab1_" * 12,  # OpenAI project keys
    "sk-" + "aZ-9_" * 5,  # LiteLLM's keys: "sk-" + secrets.token_urlsafe(16), with - and _
    "key is sk-ant-api03-" + "Xy9_" * 10,
])
def test_keys_with_dashes_and_underscores_are_literal_secrets(value):
    assert problems("azurerm_anything", {"note": value}) == [shaped("note")]


def test_a_word_ending_in_sk_is_not_a_key():
    assert problems("azurerm_anything", {"name": "disk-encryption-set-for-the-council", "task": "task-runner-pool-primary"}) == []


def test_a_reference_does_not_hide_a_literal_secret_beside_it():
    value = "DefaultEndpointsProtocol=https;AccountName=${azurerm_storage_account.s.name};AccountKey=" + "Ab0+" * 22 + "=="
    assert problems("azurerm_anything", {"connection": value}) == [shaped("connection")]


def test_a_list_of_literals_under_a_secret_name_is_refused():
    assert problems("azurerm_anything", {"password": ["hunter2"]}) == [literal("password[0]")]
