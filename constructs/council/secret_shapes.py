"""What a literal secret looks like: shared by the security Aspect (synthesized attributes) and
the environment file's guard (a container member's `env`). Pure: no cdktf import.

Shapes are the credentials the council handles: OpenAI-style and LiteLLM keys ("sk-" then
letters, digits, - and _: LiteLLM makes its keys as "sk-" + secrets.token_urlsafe(16)),
Hugging Face tokens (hf_...), JWTs (Entra tokens), and storage connection strings.
"""

from __future__ import annotations

import re

SECRET_SHAPES = (
    # Not inside a word (so "disk-encryption-set-name" is no key), and random: at least one digit
    # or capital (a path such as /data/sk-cache-directory-long is no key; a token_urlsafe(16)
    # lacks both with probability (28/64)^22, about 1e-8).
    re.compile(r"(?<![A-Za-z0-9])sk-(?=[A-Za-z0-9_-]*[A-Z0-9])[A-Za-z0-9_-]{16,}"),
    re.compile(r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{20,}"),
    re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    re.compile(r"AccountKey=[A-Za-z0-9+/=]{20,}"),
)
# Attribute names that must never hold a literal, as a whole word at the end of the name:
# snake_case in any case (azurerm attributes, variable names), camelCase (ARM bodies sent
# through azapi, e.g. clientSecret, primaryKey).
SECRET_ATTRIBUTE = re.compile(
    r"(?i:(^|_)(password|client_secret|primary_key|secondary_key|api_key|access_key|token|key)$)"
    r"|[a-z0-9](Password|Secret|Token|Key)$"
)
# An environment variable name that says it carries a secret: a whole word of the name, so
# MAX_INPUT_TOKENS and MAX_BATCH_PREFILL_TOKENS (TGI settings) are not secrets, HF_TOKEN is.
SECRET_VARIABLE = re.compile(r"(^|_)(TOKEN|KEY|SECRET|PASSWORD|APIKEY|PASSWD|CREDENTIALS?)(_|$)")
# Terraform interpolations: references, not values.
INTERPOLATION = re.compile(r"\$\{[^}]*\}")


def literal_part(value: str) -> str:
    """`value` without its Terraform interpolations: what is written literally."""
    return INTERPOLATION.sub("", value)


def looks_like_secret(value: str) -> bool:
    """Whether the literal part of `value` has the shape of a credential."""
    literal = literal_part(value)
    return any(shape.search(literal) for shape in SECRET_SHAPES)
