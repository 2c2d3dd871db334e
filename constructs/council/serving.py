"""Serving runtimes: the OpenAI-compatible servers a container-served member runs.

A runtime is everything the stack must know about one server image family: its
default image, the port and health route Azure ML probes, how its environment
variables set the model and context, where it fetches weights from (for the managed
network's outbound rules), and the variable a gated model's token goes in. Adding a
runtime is adding one `ServingRuntime` to `RUNTIMES`; nothing else branches on it.

Pure: no cdktf import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from council.catalog import EgressFacts, GpuSku, ModelFacts


@dataclass(frozen=True, kw_only=True)
class ServingRuntime:
    name: str
    image: str  # the default image, pinned
    port: int
    health_path: str
    # Azure ML's scoring route; "/" passes every path through, so POST /v1/chat/completions
    # reaches the server as the client sent it.
    scoring_path: str = "/"
    model_variable: str
    port_variable: str
    # Variables set from the served context length: name -> share of max_model_len.
    context_variables: Mapping[str, float]
    token_variable: str
    # The catalog/egress.yaml section listing the hosts weights are downloaded from.
    weights_from: str
    # Quantization: the variable naming the method, the methods that quantize a 16-bit
    # checkpoint at load (`model.quantize`), the pre-quantized formats (read from the
    # checkpoint) and, per format, the compute capability its kernels need in the image
    # with the format served instead below it.
    quantize_variable: str
    quantize_at_load: tuple[str, ...]
    prequantized_formats: tuple[str, ...]
    format_fallbacks: Mapping[str, tuple[tuple[int, int], str]]
    # Architectures (config.json model_type) the server runs in bfloat16 whatever the
    # checkpoint, unless a format forces another dtype; and the formats that force float16.
    bfloat16_model_types: frozenset[str]
    float16_formats: tuple[str, ...]
    bfloat16_min_capability: tuple[int, int]

    def environment(self, *, model_id: str, max_model_len: int, port: int, extra: Mapping[str, str] = {},
                    quantize: str | None = None) -> dict[str, str]:
        """The container's environment (without the token): what configures the server."""
        variables = {self.model_variable: model_id, self.port_variable: str(port)}
        variables.update({name: str(int(max_model_len * share)) for name, share in self.context_variables.items()})
        if quantize:
            variables[self.quantize_variable] = quantize
        variables.update(extra)
        return variables

    def quantize_setting(self, model: ModelFacts, sku: GpuSku | None) -> str | None:
        """The quantize method to name in the environment: the at-load method, or the format a
        pre-quantized checkpoint is served as where its own kernels are missing; None where
        the server reads the format from the checkpoint."""
        q = model.quantization
        if q is None:
            return None
        if not q.prequantized:
            return q.method
        fallback = self.format_fallbacks.get(q.method)
        if fallback is not None and sku is not None and sku.compute_capability < fallback[0]:
            return fallback[1]
        return None

    def runs_bfloat16(self, model: ModelFacts) -> bool:
        q = model.quantization
        return model.model_type in self.bfloat16_model_types and not (q is not None and q.method in self.float16_formats)

    def problems(self, model: ModelFacts, sku: GpuSku) -> list[str]:
        """What this server cannot do for `model` on `sku`'s GPU (what is wrong; how to fix)."""
        if self.runs_bfloat16(model) and sku.compute_capability < self.bfloat16_min_capability:
            return [(f"{self.name} runs {model.model_type} models in bfloat16, which the {sku.gpu} (compute capability "
                     f"{sku.compute_capability_text}) cannot run; choose a SKU with compute capability "
                     f"{'.'.join(map(str, self.bfloat16_min_capability))} or more (A10, A100, H100) or serve a "
                     f"{'/'.join(f.upper() for f in self.float16_formats)} checkpoint of it, which {self.name} runs in float16")]
        return []

    def weights_hosts(self, facts: EgressFacts) -> tuple[str, ...]:
        return tuple(getattr(facts, self.weights_from))


# Hugging Face Text Generation Inference: Azure ML deployments cannot pass container
# arguments, and TGI's launcher takes every setting from environment variables
# (text-generation-launcher --help: MODEL_ID, PORT, MAX_TOTAL_TOKENS, MAX_INPUT_TOKENS,
# QUANTIZE, HF_TOKEN; GET /health answers 200 once the model is loaded). MAX_INPUT_TOKENS
# leaves a quarter of the window for the answer.
#
# What TGI 3.3.2 runs on which GPU (read 2026-12-03 in huggingface/text-generation-inference
# at tag v3.3.2, 8e41da9; docs/source/installation_nvidia.md lists T4 among supported GPUs):
# - dtype: get_model (server/text_generation_server/models/__init__.py L463-473) forces float16
#   for GPTQ/AWQ checkpoints; otherwise each architecture picks its own, and Gemma (all
#   generations), DeepSeek V2/V3, DBRX and the Qwen2-VL/Mllama/Idefics3/PaliGemma families
#   default to bfloat16 (`default_dtype=torch.bfloat16`, L673-1680); Mistral, Llama and Phi-3
#   default to float16 (FlashCausalLM, models/flash_causal_lm.py L1206). Below compute
#   capability 8.0 TGI has no flash-attention 2 (layers/attention/cuda.py L189-201; flash-attn
#   1, which it falls back to, does bf16 only on Ampere) and Turing has no bfloat16 units.
#   `DTYPE` cannot be combined with `QUANTIZE` (launcher/src/main.rs L629).
# - AWQ: the image builds its AWQ kernels for TORCH_CUDA_ARCH_LIST 8.0;8.6;9.0+PTX only
#   (Dockerfile L76, L118-123), so on a T4 an AWQ checkpoint must be served with
#   QUANTIZE=gptq: TGI converts AWQ to GPTQ at load (layers/gptq/__init__.py L157-165, and the
#   error message at L61 says so), and GPTQ uses its Triton kernels there because exllama
#   needs 8.0 (L441-446). Marlin needs 8.0 too (layers/marlin/util.py L17-26): TGI picks it
#   only where it runs.
# - Attention: below 8.0 the launcher falls back to paged attention for head sizes flashinfer
#   lacks (launcher/src/main.rs resolve_attention L146-188: Phi-3's 96); flashinfer is built
#   for 7.5 (server/Makefile-flashinfer), so 64/128/256 heads run on a T4.
TGI = ServingRuntime(
    name="tgi",
    image="ghcr.io/huggingface/text-generation-inference:3.3.2",
    port=8000,
    health_path="/health",
    model_variable="MODEL_ID",
    port_variable="PORT",
    context_variables={"MAX_TOTAL_TOKENS": 1.0, "MAX_INPUT_TOKENS": 0.75},
    token_variable="HF_TOKEN",
    weights_from="huggingface",
    quantize_variable="QUANTIZE",
    quantize_at_load=("bitsandbytes", "bitsandbytes-nf4", "bitsandbytes-fp4"),
    prequantized_formats=("gptq", "awq"),
    format_fallbacks={"awq": ((8, 0), "gptq")},
    bfloat16_model_types=frozenset({"gemma", "gemma2", "gemma3", "gemma3_text", "deepseek_v2", "deepseek_v3", "dbrx",
                                    "qwen2_vl", "qwen2_5_vl", "mllama", "idefics3", "paligemma"}),
    float16_formats=("gptq", "awq"),
    bfloat16_min_capability=(8, 0),
)

RUNTIMES: dict[str, ServingRuntime] = {runtime.name: runtime for runtime in (TGI,)}
DEFAULT_RUNTIME = TGI.name
