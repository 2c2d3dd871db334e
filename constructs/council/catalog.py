"""The catalog: GPU SKUs, models and regions as data files (catalog/*.yaml), read once."""

from __future__ import annotations

import math
from typing import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import yaml

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"
BYTES_PER_PARAM = {"fp32": 4, "bf16": 2, "fp16": 2, "int8": 1, "int4": 0.5}
# Bytes of the parameters a quantized checkpoint keeps in 16 bits: the token embeddings and
# the output head (GPTQ/AWQ quantize only the transformer blocks' linear layers; TGI's
# bitsandbytes path does the same: layers/bnb.py wraps only get_linear's weights).
DENSE_BYTES_PER_PARAM = 2


@dataclass(frozen=True)
class Quantization:
    """How a model's linear weights are stored on the GPU.

    `bits_per_weight` counts what each quantized weight costs in memory, side data included:
    - gptq / awq (a pre-quantized checkpoint): `bits` per weight plus, per group of
      `group_size` weights, one fp16 scale and one packed `bits`-bit zero point (the
      qweight/qzeros/scales tensors of both formats; TGI layers/gptq/__init__.py GPTQWeight).
    - bitsandbytes-nf4 / -fp4 (TGI quantizes the 16-bit checkpoint at load): 4 bits plus
      bitsandbytes' double-quantized absmax, one 8-bit value per 64-weight block and one fp32
      per 256 blocks (TGI 3.3.2 layers/bnb.py: Params4bit(compress_statistics=True), default
      blocksize 64).
    - bitsandbytes (LLM.int8): 8 bits plus one fp32 scale per output row (<0.01 bit; counted as 8).
    """

    method: str
    bits: int = 4
    group_size: int = 128
    prequantized: bool = True  # False: the server quantizes the 16-bit checkpoint at load

    @property
    def bits_per_weight(self) -> float:
        if self.method in ("gptq", "awq"):
            return self.bits + (16 + self.bits) / self.group_size
        if self.method in ("bitsandbytes-nf4", "bitsandbytes-fp4"):
            return 4 + 8 / 64 + 32 / (64 * 256)
        if self.method == "bitsandbytes":
            return 8.0
        raise ValueError(f"unknown quantization method {self.method!r}")

    @property
    def label(self) -> str:
        return f"{self.method.upper() if self.prequantized else self.method} {self.bits}-bit"


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
    # CUDA compute capability of the GPU (catalog/gpu_skus.yaml `gpus`, which always sets it;
    # the default serves hypothetical SKUs built in tests).
    compute_capability: tuple[int, int] = (8, 0)
    retired: str | None = None

    @property
    def compute_capability_text(self) -> str:
        return ".".join(map(str, self.compute_capability))

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
    # config.json facts the quantized footprint needs, and the architecture the server picks
    # kernels and dtype by.
    # (catalog/models.yaml always sets them; the defaults serve hypothetical models built in tests)
    model_type: str = "llama"
    vocab_size: int = 0
    hidden_size: int = 0
    tied_embeddings: bool = False
    quantization: Quantization | None = None
    quantized_from: str | None = None  # the catalog key of the 16-bit model this checkpoint quantizes

    @property
    def dense_params_b(self) -> float:
        """Billions of parameters in the token embeddings and output head (one matrix if tied)."""
        return self.vocab_size * self.hidden_size * (1 if self.tied_embeddings else 2) / 1e9

    @property
    def weights_gb(self) -> float:
        if self.quantization is None:
            return self.params_b * BYTES_PER_PARAM[self.dtype]
        quantized = self.params_b - self.dense_params_b
        return quantized * self.quantization.bits_per_weight / 8 + self.dense_params_b * DENSE_BYTES_PER_PARAM

    @property
    def weights_explained(self) -> str:
        """The weights' footprint with its arithmetic, for messages."""
        if self.quantization is None:
            return f"{self.weights_gb:.1f} GB {self.dtype} weights ({self.params_b:g} B params x {BYTES_PER_PARAM[self.dtype]:g} bytes)"
        q = self.quantization
        return (f"{self.weights_gb:.2f} GB {q.label} weights ({self.params_b - self.dense_params_b:.2f} B params x "
                f"{q.bits_per_weight:.3f} bits + {self.dense_params_b:.2f} B embedding params x 16 bits)")

    def quantized_at_load(self, method: str) -> "ModelFacts":
        """These facts once the server quantizes the 16-bit checkpoint with `method` at load."""
        return replace(self, quantization=Quantization(method=method, bits=8 if method == "bitsandbytes" else 4, prequantized=False))

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
    gpus = sku_data["gpus"]
    skus = {
        name: GpuSku(
            name=name,
            memory_bandwidth_gb_s=gpus[facts["gpu"]]["memory_bandwidth_gb_s"],
            compute_capability=tuple(int(part) for part in str(gpus[facts["gpu"]]["compute_capability"]).split(".")),
            **facts,
        )
        for name, facts in sku_data["skus"].items()
    }
    models = {}
    entries = model_data["models"]
    for key, facts in entries.items():
        if "quantized_from" in facts:
            continue
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
            model_type=facts["model_type"],
            vocab_size=facts["vocab_size"],
            hidden_size=facts["hidden_size"],
            tied_embeddings=bool(facts["tie_word_embeddings"]),
        )
    # A quantized checkpoint has its 16-bit model's shape; only where it comes from and how its
    # weights are stored differ (served from Hugging Face, never from the Azure ML catalog).
    for key, facts in entries.items():
        if "quantized_from" not in facts:
            continue
        hf = facts["huggingface"]
        models[key] = replace(
            models[facts["quantized_from"]],
            key=key,
            dtype="fp16",  # GPTQ/AWQ run in float16 (TGI models/__init__.py get_model)
            catalog_asset=None, catalog_status="absent", catalog_retired=None, allowed_skus=None,
            hf_id=hf["id"], hf_gated=bool(hf.get("gated")),
            quantization=Quantization(**facts["quantization"]),
            quantized_from=facts["quantized_from"],
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
