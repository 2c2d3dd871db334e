"""The catalog: GPU SKUs, models and regions as data files (catalog/*.yaml), read once."""

from __future__ import annotations

import math
from typing import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"
BYTES_PER_PARAM = {"fp32": 4, "bf16": 2, "fp16": 2, "int8": 1, "int4": 0.5}


@dataclass(frozen=True)
class GpuSku:
    name: str
    gpu: str
    gpus: int
    gpu_memory_gb: float  # per GPU
    vcpus: int
    family: str
    upgrade_reserve: bool  # Azure ML keeps 20% extra quota for upgrades
    hourly_usd: float
    memory_bandwidth_gb_s: float  # per GPU (catalog/gpu_skus.yaml `gpus`)
    retired: str | None = None

    @property
    def total_gpu_memory_gb(self) -> float:
        return self.gpus * self.gpu_memory_gb

    def stream_tokens_per_second_bound(self, model: "ModelFacts") -> float:
        """The most tokens a second one stream of `model` can get from this SKU: each token reads
        every weight once, from all the SKU's GPUs' memory at once (tensor parallel)."""
        return self.gpus * self.memory_bandwidth_gb_s / model.weights_gb

    def quota_vcpus(self, instances: int) -> int:
        """vCPU quota one deployment of `instances` reserves: Azure ML's docs give
        `ceil(1.2 * instances) * cores` for SKUs with the upgrade reserve ("10 instances
        of a 4-core VM need 48 cores"); A100, H100 and ND SKUs skip the 20%
        (how-to-manage-quotas, reference-managed-online-endpoints-vm-sku-list; read 2026-11-27)."""
        reserved = math.ceil(round(1.2 * instances, 9)) if self.upgrade_reserve else instances
        return reserved * self.vcpus


@dataclass(frozen=True)
class ModelFacts:
    key: str
    params_b: float
    dtype: str
    context: int
    layers: int
    kv_heads: int
    head_dim: int
    catalog_asset: str | None  # "<registry>/<name>"
    catalog_status: str  # available | archived | absent
    catalog_retired: str | None
    allowed_skus: tuple[str, ...] | None  # None: the catalog does not restrict
    hf_id: str | None
    hf_gated: bool

    @property
    def weights_gb(self) -> float:
        return self.params_b * BYTES_PER_PARAM[self.dtype]

    def kv_cache_gb(self, tokens: int) -> float:
        """Keys and values for `tokens` tokens of one sequence, in the model's dtype."""
        per_token = 2 * self.layers * self.kv_heads * self.head_dim * BYTES_PER_PARAM[self.dtype]
        return per_token * tokens / 1e9


@dataclass(frozen=True)
class ContainerAppsPrices:
    vcpu_second_usd: float
    gib_second_usd: float
    as_of: str
    source: str


@dataclass(frozen=True)
class PlatformPrices:
    """Fixed hourly prices besides GPUs and the router (catalog/platform_prices.yaml)."""

    firewall_hourly_usd: dict[str, float]
    firewall_source: str
    private_endpoint_hourly_usd: float
    private_endpoint_source: str
    as_of: str


@dataclass(frozen=True)
class EgressFacts:
    """Hosts the managed network must allow, per model source (catalog/egress.yaml)."""

    registries: dict[str, tuple[str, ...]]  # Azure ML registry -> FQDNs
    image_registries: dict[str, tuple[str, ...]]  # image host -> FQDNs
    huggingface: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    skus: dict[str, GpuSku]
    models: dict[str, ModelFacts]
    regions: frozenset[str]
    # region -> its unrestricted paired region (catalog/regions.yaml `pairs`)
    region_pairs: Mapping[str, str]
    # regions with availability zones
    zonal_regions: frozenset[str]
    as_of: str
    price_region: str
    container_apps: ContainerAppsPrices
    egress: EgressFacts
    platform: PlatformPrices

    def model_for_asset(self, registry: str, name: str) -> ModelFacts | None:
        """The model of registry asset `<registry>/models/<name>`, if known."""
        asset = f"{registry}/{name}"
        return next((m for m in self.models.values() if m.catalog_asset == asset), None)

    def model_for_hf(self, hf_id: str) -> ModelFacts | None:
        return next((m for m in self.models.values() if m.hf_id == hf_id), None)


def _read(name: str) -> dict:
    return yaml.safe_load((CATALOG_DIR / name).read_text(encoding="utf-8"))


def _egress(data: dict) -> EgressFacts:
    return EgressFacts(
        registries={name: tuple(hosts) for name, hosts in data["registries"].items()},
        image_registries={name: tuple(hosts) for name, hosts in data["image_registries"].items()},
        huggingface=tuple(data["huggingface"]),
    )


def _platform(data: dict) -> PlatformPrices:
    firewall, endpoint = data["managed_firewall"], data["private_endpoint"]
    return PlatformPrices(
        firewall_hourly_usd=dict(firewall["hourly_usd"]),
        firewall_source=firewall["source"],
        private_endpoint_hourly_usd=endpoint["hourly_usd"],
        private_endpoint_source=endpoint["source"],
        as_of=str(data["as_of"]),
    )


NO_REPLICA = "none"


def registry_replica(catalog: "Catalog", location: str, chosen: str | None) -> str | None:
    """The region of the workspace registry's geo-replica: `chosen` (a region name, or "none"
    for no replica), else the location's paired region; None when there is to be none or the
    location has no pair (the environment check reports that case)."""
    if chosen == NO_REPLICA:
        return None
    return chosen if chosen is not None else catalog.region_pairs.get(location)


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    sku_data, model_data, region_data = _read("gpu_skus.yaml"), _read("models.yaml"), _read("regions.yaml")
    bandwidth = {gpu: facts["memory_bandwidth_gb_s"] for gpu, facts in sku_data["gpus"].items()}
    skus = {name: GpuSku(name=name, memory_bandwidth_gb_s=bandwidth[facts["gpu"]], **facts) for name, facts in sku_data["skus"].items()}
    models = {}
    for key, facts in model_data["models"].items():
        catalog = facts.get("catalog") or {"status": "absent"}
        hf = facts.get("huggingface") or {}
        models[key] = ModelFacts(
            key=key,
            params_b=facts["params_b"],
            dtype=facts["dtype"],
            context=facts["context"],
            layers=facts["layers"],
            kv_heads=facts["kv_heads"],
            head_dim=facts["head_dim"],
            catalog_asset=catalog.get("asset"),
            catalog_status=catalog["status"],
            catalog_retired=catalog.get("retired"),
            allowed_skus=tuple(catalog["allowed_skus"]) if "allowed_skus" in catalog else None,
            hf_id=hf.get("id"),
            hf_gated=bool(hf.get("gated")),
        )
    return Catalog(
        skus=skus,
        models=models,
        regions=frozenset(region_data["regions"]),
        region_pairs=dict(region_data["pairs"]),
        zonal_regions=frozenset(region_data["availability_zones"]),
        as_of=str(sku_data["as_of"]),
        price_region=sku_data["price_region"],
        egress=_egress(_read("egress.yaml")),
        platform=_platform(_read("platform_prices.yaml")),
        container_apps=ContainerAppsPrices(**{k: (str(v) if k == "as_of" else v) for k, v in _read("container_apps.yaml").items()}),
    )
