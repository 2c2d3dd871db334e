"""Security invariants enforced on whatever tree a user composes from the constructs.

`SecurityAspect` visits every resource at synth and adds an *error* annotation
(which makes `app.synth()` fail) when a Key Vault is not purge-protected or is open
to the public, an online endpoint accepts anonymous or public traffic, a container
app's ingress is external without the environment allowing it, or any attribute
holds what looks like a literal secret instead of a reference.
"""

from __future__ import annotations

import re

import jsii
from cdktf import Annotations, IAspect, TerraformResource
from constructs import IConstruct

from council.secret_shapes import SECRET_ATTRIBUTE, literal_part, looks_like_secret

ONLINE_ENDPOINT_TYPE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints@"


def _attributes(node: TerraformResource) -> tuple[str, dict]:
    """(terraform type, synthesized attributes including overrides) of a resource."""
    known = getattr(node, "attributes", None)  # azapi wrappers keep theirs Python-side
    if isinstance(known, dict):
        return node.resource_type, known
    for rtype, by_name in (node.to_terraform().get("resource") or {}).items():
        for attributes in by_name.values():
            return rtype, attributes
    return "", {}


def _walk(value, path: str = ""):
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in ("//", "sensitive_body_version"):  # metadata; JSON paths -> version labels
                yield from _walk(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
    else:
        yield path, value


@jsii.implements(IAspect)
class SecurityAspect:
    def __init__(self, *, allow_external_ingress: bool = False) -> None:
        self.allow_external_ingress = allow_external_ingress

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, TerraformResource):
            return
        rtype, attrs = _attributes(node)
        for problem in self.problems(rtype, attrs):
            Annotations.of(node).add_error(problem)

    def problems(self, rtype: str, attrs: dict) -> list[str]:
        found = []
        if rtype == "azurerm_key_vault":
            if attrs.get("purge_protection_enabled") is not True:
                found.append("Key Vault without purge protection: set purge_protection_enabled (SecretBundle does by default)")
            if attrs.get("public_network_access_enabled") is not False:
                found.append("Key Vault open to the public network: set public_network_access_enabled to false")
            if (attrs.get("network_acls") or {}).get("default_action") != "Deny":
                found.append("Key Vault firewall must deny by default (network_acls.default_action = Deny)")
        if rtype == "azapi_resource" and str(attrs.get("type", "")).startswith(ONLINE_ENDPOINT_TYPE):
            props = (attrs.get("body") or {}).get("properties") or {}
            if props.get("authMode") not in ("Key", "AADToken"):
                found.append(f"online endpoint authMode {props.get('authMode')!r}: use Key or AADToken")
            if props.get("publicNetworkAccess") != "Disabled":
                found.append("online endpoint reachable from the internet: set publicNetworkAccess to Disabled")
        if rtype == "azurerm_container_app":
            ingress = attrs.get("ingress") or {}
            if ingress.get("external_enabled") and not self.allow_external_ingress:
                found.append("container app ingress is external but the environment does not allow it (router.external_ingress)")
            for secret in attrs.get("secret") or []:
                if "value" in secret:
                    found.append(f"container app secret {secret.get('name')!r} holds a literal value: use a Key Vault reference")
        for path, value in _walk(attrs):
            if not isinstance(value, str):
                continue
            # The attribute's own name: list positions do not rename it (password[0] is a password).
            leaf = re.split(r"[.\[]", re.sub(r"(\[\d+\])+$", "", path))[-1]
            if SECRET_ATTRIBUTE.search(leaf) and value and literal_part(value) == value:
                found.append(f"{path} holds a literal value: secrets must be references (Key Vault, variables, outputs)")
            elif looks_like_secret(value):
                found.append(f"{path} holds what looks like a literal secret: keep secrets out of the configuration")
        return found
