"""Which hosts the workspace's managed network must allow, derived from the members.

Pure: no cdktf import. Facts (hosts per Azure ML registry, image registry and Hugging
Face) live in catalog/egress.yaml with their sources; the stack turns the result into
FQDN outbound rules, and the guardrails refuse a member whose source the catalog has no
egress facts for (its pulls would be blocked 30 minutes into a deploy).
"""

from __future__ import annotations

from dataclasses import dataclass

from council.catalog import Catalog
from council.config import Environment


@dataclass(frozen=True)
class UnknownSource:
    member_index: int
    field: str
    value: str
    table: str  # the catalog/egress.yaml section to add it to


def required_fqdns(env: Environment, catalog: Catalog) -> tuple[str, ...]:
    """Every FQDN some member's pulls need, sorted and without repeats."""
    hosts: set[str] = set()
    for deployment in env.deployments():  # a staged rollout pulls its own image and weights
        hosts.update(deployment.model.egress(catalog).hosts or ())
    return tuple(sorted(hosts))


def unknown_sources(env: Environment, catalog: Catalog) -> list[UnknownSource]:
    found = []
    for index, member in enumerate(env.members):
        for deployment in member.deployments():
            egress = deployment.model.egress(catalog)
            if egress.hosts is None:
                field = egress.field if deployment is member else f"rollout.{egress.field}"
                found.append(UnknownSource(index, field, egress.value, egress.table))
    return found
