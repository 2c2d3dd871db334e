"""Sizing: how much GPU memory a member needs and how much vCPU quota the council
reserves. The guardrails (checks) and the cost view (cost) both read it; it reads only
the catalog and the environment. Pure: no cdktf import."""

from __future__ import annotations

from council.catalog import Catalog, ModelFacts, load_catalog
from council.config import Environment, Member

# Share of GPU memory a plan may use: the rest is headroom for activations,
# CUDA context and the serving framework's own buffers.
GPU_MEMORY_HEADROOM = 0.90
# Fixed overhead on top of weights and KV cache (CUDA context, activations), GB.
GPU_RUNTIME_OVERHEAD_GB = 1.5


def gpu_need(model: ModelFacts, tokens: int) -> float:
    """GB of GPU memory to serve `model` with a KV cache of `tokens` tokens."""
    return model.weights_gb + model.kv_cache_gb(tokens) + GPU_RUNTIME_OVERHEAD_GB


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
    for member in env.members:
        sku = catalog.skus.get(member.sku)
        if sku is not None:
            needed[sku.family] = needed.get(sku.family, 0) + sku.quota_vcpus(member.instances.max)
    return needed
