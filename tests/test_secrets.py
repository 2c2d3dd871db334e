"""No key, token or password value anywhere in the synthesized JSON or the router config."""

from __future__ import annotations

import re

import pytest
import yaml

from tf import members_of, resources, vault_secrets

# Shapes of real credentials: LiteLLM/OpenAI keys, Hugging Face tokens, AML keys
# (32+ base64/hex chars), JWTs, connection strings with account keys.
SECRET_SHAPES = [
    re.compile(r"sk-[A-Za-z0-9]{16,}"),
    re.compile(r"hf_[A-Za-z0-9]{20,}"),
    re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    re.compile(r"AccountKey=[A-Za-z0-9+/=]{20,}"),
    re.compile(r"(?<![A-Za-z0-9_./-])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9])"),
]
SENSITIVE_KEYS = re.compile(r"(^|_)(api_?key|primary_?key|secondary_?key|token|password|secret|master_?key)$", re.I)


def _walk(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, node


@pytest.mark.parametrize("name", ["dev", "prod", "lz", "tfc", "open"])
def test_no_secret_shaped_value_in_cdk_tf_json(raw_stacks, name):
    for shape in SECRET_SHAPES:
        assert not shape.search(raw_stacks[name]), f"{name}: {shape.pattern} matches {shape.search(raw_stacks[name]).group(0)[:12]}..."


@pytest.mark.parametrize("name", ["dev", "prod", "lz", "tfc", "open"])
def test_every_secret_like_field_is_a_reference(stacks, name):
    """A field named like a credential holds a Terraform reference, never a literal."""
    for path, value in _walk(stacks[name].get("resource", {})):
        leaf = path.rsplit(".", 1)[-1]
        if ".sensitive_body_version." in path:  # keys are JSON paths, values are version labels
            continue
        if SENSITIVE_KEYS.search(leaf) and isinstance(value, str) and leaf not in ("key_vault_secret_id",):
            assert value.startswith("${") or "${" in value or "$${{azureml://connections/" in value, f"{path} = {value[:20]!r}"
    for secret_name, (_, secret) in vault_secrets(stacks[name]).items():
        value = secret["body"]["properties"]["value"]
        if secret_name == "router-hooks":  # the hooks module, carried as a secret to be mounted as a file
            from council.router_config import router_hooks_source

            assert value == router_hooks_source()
        elif secret_name != "router-config":
            assert "${" in value, f"secret {secret_name} holds a literal"


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_router_config_holds_only_environment_references(stacks, name):
    _, config_secret = vault_secrets(stacks[name])["router-config"]
    config = yaml.safe_load(config_secret["body"]["properties"]["value"])
    from conftest import raw_environment

    # One model group per role; each alias is a model_group_alias of its role.
    assert [m["model_name"] for m in config["model_list"]] == [m["role"] for m in raw_environment(name)["members"]]
    for entry in config["model_list"]:
        params = entry["litellm_params"]
        assert params["api_key"].startswith("os.environ/")
        assert params["api_base"].startswith("os.environ/")
        assert not params["model"].startswith("azure/"), "azure/ is Azure OpenAI only"
    assert config["general_settings"]["master_key"].startswith("os.environ/")
    assert "set_verbose" not in str(config)


def test_hugging_face_token_reaches_azure_only_as_a_write_only_variable(stacks):
    dev = stacks["dev"]
    # Ephemeral: kept out of state and saved plan files; Terraform then allows it only in
    # write-only arguments, so its one use must be the connection's sensitive_body.
    assert dev["variable"]["hf_token"]["sensitive"] is True and dev["variable"]["hf_token"]["ephemeral"] is True
    import json

    assert json.dumps(dev).count("var.hf_token") == 1
    (connection,) = [v for v in resources(dev, "azapi_resource").values() if "/connections@" in v["type"]]
    assert "credentials" not in str(connection["body"])
    assert connection["sensitive_body"]["properties"]["credentials"]["keys"]["HF_TOKEN"] == "${var.hf_token}"
    from conftest import raw_environment

    (gated,) = [m["role"] for m in raw_environment("dev")["members"] if m["model"].get("hf_token_required")][:1] or [None]
    assert gated, "dev has a gated member (hf_token_required); this test needs one"
    artisan = members_of(dev, "azapi_resource", "deployment")[gated]
    # `$${` is Terraform's escape: Azure ML receives ${{azureml://connections/...}}.
    assert artisan["body"]["properties"]["environmentVariables"]["HF_TOKEN"] == "$${{azureml://connections/hf-token/credentials/HF_TOKEN}}"
    endpoint = members_of(dev, "azapi_resource", "endpoint")[gated]
    assert endpoint["body"]["properties"]["properties"] == {"enforce_access_to_default_secret_stores": "enabled"}
    assert endpoint["identity"] == [{"type": "SystemAssigned"}]
    assert "depends_on" in artisan and any("hf-token-connection" in d for d in artisan["depends_on"])


def test_the_secret_scan_finds_a_planted_key(raw_stacks):
    """Guard the guard: an AML-style key or a LiteLLM key pasted into a stack is found."""
    import base64
    import os

    aml_key = base64.b64encode(os.urandom(33)).decode()
    for planted in (aml_key, "sk-" + "a1B2" * 6):
        text = raw_stacks["dev"].replace('"PORT": "8000"', f'"PORT": "{planted}"', 1)
        assert any(shape.search(text) for shape in SECRET_SHAPES)


def test_the_ephemeral_token_variable_is_valid_terraform(stacks, tmp_path):
    """Terraform itself accepts the synthesized variable block (needs a terraform binary; no
    providers or network: only the variables are checked)."""
    import json
    import shutil
    import subprocess

    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("no terraform binary on PATH")
    (tmp_path / "main.tf.json").write_text(json.dumps({"variable": stacks["dev"]["variable"]}))
    for command in (["init", "-input=false", "-no-color", "-backend=false"], ["validate", "-no-color"]):
        result = subprocess.run([terraform, *command], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
