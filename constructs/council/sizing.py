"""Sizing: how much GPU memory a member needs, how much vCPU quota the council reserves
and how many requests a router replica takes. The guardrails (checks), the stack and the
cost view read it; it reads only the catalog and the environment. Pure: no cdktf import."""

from __future__ import annotations

import math
from dataclasses import dataclass

from council.catalog import Catalog, ModelFacts, load_catalog
from council.config import Environment, Member
from council.policy import FASTEST_ANSWER_SECONDS, ROUTER_CPU_SECONDS_PER_CHUNK, ROUTER_CPU_SECONDS_PER_REQUEST, ROUTER_CPU_TARGET

# Share of GPU memory a plan may use: the rest is headroom for activations,
# CUDA context and the serving framework's own buffers.
GPU_MEMORY_HEADROOM = 0.90
# Fixed overhead on top of weights and KV cache (CUDA context, activations), GB.
GPU_RUNTIME_OVERHEAD_GB = 1.5


def gpu_need(model: ModelFacts, tokens: int) -> float:
    """GB of GPU memory to serve `model` with a KV cache of `tokens` tokens."""
    return model.weights_gb + model.kv_cache_gb(tokens) + GPU_RUNTIME_OVERHEAD_GB


def max_tokens_fitting(model: ModelFacts, usable_gb: float) -> int:
    """The longest KV cache (tokens) `model` can have within `usable_gb` (negative: not even the weights fit)."""
    per_token = model.kv_cache_gb(1)
    return math.floor(round((usable_gb - model.weights_gb - GPU_RUNTIME_OVERHEAD_GB) / per_token, 6))


def gpu_need_gb(member: Member, catalog: Catalog | None = None) -> float | None:
    """GPU memory a member needs (weights + KV cache + runtime), or None if its model is unknown."""
    catalog = catalog or load_catalog()
    model = member.model.facts(catalog)
    if model is None:
        return None
    return gpu_need(model, member.model.served_tokens(model))


def quota_needed(env: Environment, catalog: Catalog | None = None) -> dict[str, int]:
    """vCPUs per VM family at every member's max scale: per deployment
    `ceil(1.2 x instances) x cores` where the upgrade reserve applies (GpuSku.quota_vcpus)."""
    catalog = catalog or load_catalog()
    needed: dict[str, int] = {}
    for deployment in env.deployments():  # a staged rollout runs beside the live one
        sku = catalog.skus.get(deployment.sku)
        if sku is not None:
            needed[sku.family] = needed.get(sku.family, 0) + sku.quota_vcpus(deployment.instances.max)
    return needed


@dataclass(frozen=True)
class RouterLoad:
    """What one request in flight can cost a router replica, at worst: a stream from the member
    whose tokens can come fastest, answered within FASTEST_ANSWER_SECONDS."""

    vcpu: float  # vCPU one request in flight keeps busy
    role: str | None  # the member whose streams bound it (None: no member's model is known)
    tokens_per_second: float  # that member's bound (SKU memory bandwidth / weight bytes)
    sku: str | None = None  # the SKU of the deployment with that bound (a staged rollout's, maybe)
    weights_gb: float = 0.0

    def explain(self) -> str:
        fixed = f"{ROUTER_CPU_SECONDS_PER_REQUEST * 1000:.1f} ms of CPU a request, answered in {FASTEST_ANSWER_SECONDS:g} s"
        if self.role is None:
            return fixed
        return (f"{fixed}, plus {ROUTER_CPU_SECONDS_PER_CHUNK * 1000:.2f} ms per streamed token at up to "
                f"{self.tokens_per_second:.0f} tokens/s from {self.role} ({self.sku}: GPU memory bandwidth over "
                f"{self.weights_gb:.1f} GB of weights)")


def router_load(env: Environment, catalog: Catalog | None = None) -> RouterLoad:
    """vCPU of LiteLLM one request in flight can need (measured costs: council.policy)."""
    catalog = catalog or load_catalog()
    rates = []
    for deployment in env.deployments():  # a staged rollout serves too
        sku, model = catalog.skus.get(deployment.sku), deployment.model.facts(catalog)
        if sku is not None and model is not None:  # an unknown SKU or model is refused by the checks
            rates.append((sku.stream_tokens_per_second_bound(model), deployment.role, deployment.sku, model.weights_gb))
    rate, role, sku_name, weights = max(rates, default=(0.0, None, None, 0.0))
    return RouterLoad(ROUTER_CPU_SECONDS_PER_REQUEST / FASTEST_ANSWER_SECONDS + ROUTER_CPU_SECONDS_PER_CHUNK * rate, role, rate,
                      sku_name, weights)


def router_concurrency_limit(env: Environment, catalog: Catalog | None = None) -> int:
    """Most requests in flight one replica takes at ROUTER_CPU_TARGET of `router.cpu` at worst."""
    return max(1, math.floor(round(env.router.cpu * ROUTER_CPU_TARGET / router_load(env, catalog).vcpu, 9)))


def router_concurrent_requests(env: Environment, catalog: Catalog | None = None) -> int:
    """The router's HTTP scale rule: the environment's `router.concurrent_requests`, else the limit."""
    return env.router.concurrent_requests or router_concurrency_limit(env, catalog)


def member_slots(env: Environment) -> int:
    """Requests the members take at once at their max scale; Azure ML answers the next one 429
    (max_concurrent_requests_per_instance), so no more are ever waiting on members."""
    return sum(d.instances.max * d.max_concurrent_requests_per_instance for d in env.deployments())


def router_replicas_needed(env: Environment, catalog: Catalog | None = None) -> int:
    """Replicas the HTTP scale rule adds when every member slot is busy."""
    return math.ceil(member_slots(env) / router_concurrent_requests(env, catalog))
