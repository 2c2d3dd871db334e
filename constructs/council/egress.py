"""Which hosts the workspace's managed network must allow, derived from the members.

Pure: no cdktf import. Facts (hosts per Azure ML registry, image registry and Hugging
Face) live in catalog/egress.yaml with their sources; the stack turns the result into
FQDN outbound rules, and the guardrails refuse a member whose source the catalog has no
egress facts for (its pulls would be blocked 30 minutes into a deploy).
"""

from __future__ import annotations

from dataclasses import dataclass

from council.catalog import Catalog
from council.config import CatalogModel, Environment, Member


@dataclass(frozen=True)
class UnknownSource:
    member_index: int
    field: str
    value: str
    table: str  # the catalog/egress.yaml section to add it to


def image_host(image: str) -> str:
    """`ghcr.io/huggingface/text-generation-inference:3.3.2` -> `ghcr.io`."""
    return image.split("/", 1)[0]


def registry_of(asset_id: str) -> str:
    """`azureml://registries/<registry>/models/...` -> `<registry>`."""
    return asset_id.removeprefix("azureml://registries/").split("/", 1)[0]


def _member_hosts(member: Member, catalog: Catalog) -> tuple[tuple[str, ...] | None, str, str, str]:
    """(hosts or None if unknown, field, value, egress.yaml section)."""
    facts = catalog.egress
    if isinstance(member.model, CatalogModel):
        registry = registry_of(member.model.asset_id)
        return facts.registries.get(registry), "model.asset_id", registry, "registries"
    host = image_host(member.model.image)
    image_hosts = facts.image_registries.get(host)
    hosts = None if image_hosts is None else (*image_hosts, *facts.huggingface)
    return hosts, "model.image", host, "image_registries"


def required_fqdns(env: Environment, catalog: Catalog) -> tuple[str, ...]:
    """Every FQDN some member's pulls need, sorted and without repeats."""
    hosts: set[str] = set()
    for member in env.members:
        member_hosts, *_ = _member_hosts(member, catalog)
        hosts.update(member_hosts or ())
    return tuple(sorted(hosts))


def unknown_sources(env: Environment, catalog: Catalog) -> list[UnknownSource]:
    found = []
    for index, member in enumerate(env.members):
        hosts, field, value, table = _member_hosts(member, catalog)
        if hosts is None:
            found.append(UnknownSource(index, field, value, table))
    return found
