"""The platform metrics alerts, autoscale rules and the workbook may name (catalog/metrics.yaml).

A metric name or dimension that Azure does not publish for a namespace is refused at
synth with the namespace's valid names, so alerts keep Azure's own validation on and a
typo never deploys an alert that cannot fire. Pure: no cdktf import.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import yaml

from council.catalog import CATALOG_DIR


@dataclass(frozen=True)
class Namespace:
    name: str
    metrics: dict[str, frozenset[str]]  # metric -> its dimensions
    source: str


@lru_cache(maxsize=1)
def metric_catalog() -> dict[str, Namespace]:
    data = yaml.safe_load((CATALOG_DIR / "metrics.yaml").read_text(encoding="utf-8"))
    return {
        name: Namespace(name, {metric: frozenset(dims) for metric, dims in ns["metrics"].items()}, ns["source"])
        for name, ns in data["namespaces"].items()
    }


def metric_problem(namespace: str, metric: str, dimensions: tuple[str, ...] = ()) -> str | None:
    """What is wrong with naming `metric` (split by `dimensions`) in `namespace`, or None."""
    known = metric_catalog().get(namespace)
    if known is None:
        return f"namespace {namespace!r} is not in catalog/metrics.yaml ({', '.join(sorted(metric_catalog()))})"
    if metric not in known.metrics:
        return f"{metric!r} is not a {namespace} metric; use one of {', '.join(sorted(known.metrics))} ({known.source})"
    unknown = sorted(set(dimensions) - known.metrics[metric])
    if unknown:
        valid = ", ".join(sorted(known.metrics[metric])) or "none"
        return f"{metric} has no dimension {', '.join(unknown)}; its dimensions: {valid} ({known.source})"
    return None
