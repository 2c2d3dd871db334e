"""Which LiteLLM image the router may run: pinned, not floating, not known-bad."""

from __future__ import annotations

import re

# One LiteLLM version for the router image and the tests (pyproject's test extra pins
# litellm[proxy] to the same version; tests/test_router_config.py checks they agree).
LITELLM_VERSION = "1.108.5"
# Releases since ~1.99 are tagged `v<version>` (the older `main-v<version>` tags stop around 1.83).
DEFAULT_ROUTER_IMAGE = f"ghcr.io/berriai/litellm:v{LITELLM_VERSION}"
# Known-malicious PyPI/image releases (BerriAI/litellm #24518).
KNOWN_BAD_LITELLM_VERSIONS = ("1.82.7", "1.82.8")
FLOATING_TAGS = ("latest", "main-latest", "main-stable", "stable", "main", "lts")


def check_router_image(image: str) -> str | None:
    """Why `image` may not be used as the router image, or None when it is fine."""
    if "@sha256:" in image:
        return None
    if ":" not in image.rsplit("/", 1)[-1]:
        return f"image {image!r} has no tag; pin a version such as {DEFAULT_ROUTER_IMAGE}"
    tag = image.rsplit(":", 1)[1]
    if tag in FLOATING_TAGS:
        return f"image tag {tag!r} floats; pin a version such as v{LITELLM_VERSION} or a digest"
    version = re.search(r"(\d+\.\d+\.\d+)", tag)
    if version and version.group(1) in KNOWN_BAD_LITELLM_VERSIONS:
        return f"LiteLLM {version.group(1)} is a known-malicious release; pin another version"
    return None
