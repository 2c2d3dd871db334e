"""Serving a member quantized on a small GPU (issue 23 item 1): the fit check counts 4-bit
weights as they sit in GPU memory, and refuses what TGI 3.3.2 cannot run on the GPU, each
on both sides of its boundary.

Facts used below (worked out here, not by calling the code's helpers):
- GPTQ and AWQ checkpoints store each quantized weight in 4 bits plus, per group of 128
  weights, one fp16 scale and one packed 4-bit zero point: 4 + (16 + 4) / 128 = 4.15625 bits.
  The token embeddings and the output head stay 16-bit (2 bytes a parameter).
- TGI's bitsandbytes-nf4 stores 4 bits plus its double-quantized absmax: 8 bits per
  64-weight block and 32 bits per 256 blocks: 4 + 8/64 + 32/16384 = 4.126953125 bits.
- config.json facts (catalog/models.yaml): Mistral-7B-v0.2 vocab 32000 x hidden 4096, untied;
  Phi-3-mini vocab 32064 x hidden 3072, untied, 32 layers x 32 KV heads x head size 96;
  CodeGemma-7b vocab 256000 x hidden 3072, tied.
- GPU fit (README "Guardrails"): weights + KV cache (2 x layers x KV heads x head size x
  2 bytes per token) + 1.5 GB runtime, within 90% of GPU memory; a T4 has 16 GB (14.4 usable)
  and compute capability 7.5, an A10 24 GB and 8.6 (NVIDIA's CUDA GPUs table).
- TGI 3.3.2 runs Gemma in bfloat16 unless the checkpoint is GPTQ/AWQ (then float16); Turing
  (7.5) has no bfloat16. Its AWQ kernels are built for 8.0+ only, so on a T4 an AWQ checkpoint
  is served with QUANTIZE=gptq (converted at load). Sources: constructs/council/serving.py.
"""

from __future__ import annotations

import dataclasses

import pytest

from council.catalog import load_catalog
from council.checks import check_environment
from council.config import parse_environment
from council.errors import CouncilError
from council.model_source import ContainerModel
from unit.unit_data import member_at, with_member

T4 = "Standard_NC4as_T4_v3"
A10 = "Standard_NV36ads_A10_v5"
GPTQ_BITS = 4 + (16 + 4) / 128
NF4_BITS = 4 + 8 / 64 + 32 / 16384


def _only(data: dict, predicate) -> dict:
    """The file with just the member `predicate` picks (borrowed from another file if need be)."""
    index = with_member(data, predicate)
    data["members"] = [data["members"][index]]
    data["router"]["fallbacks"] = []
    return data


def _problems(data: dict, catalog=None):
    return check_environment(parse_environment(data, "dev.yaml"), "dev", catalog)


def _hf(model_id: str):
    return lambda m: m["model"].get("hf_model_id") == model_id


def _quantized_checkpoint(method: str):
    catalog = load_catalog()

    def pick(member: dict) -> bool:
        facts = catalog.model_for_hf(member["model"].get("hf_model_id", ""))
        return facts is not None and facts.quantization is not None and facts.quantization.method == method
    return pick


# --------------------------------------------------------------------------- footprint
def test_a_gptq_checkpoint_counts_4_bit_blocks_and_16_bit_embeddings():
    # Mistral-7B GPTQ: 2 x 32000 x 4096 = 262,144,000 embedding and head parameters in 16 bits;
    # the other 7.24e9 - 262,144,000 = 6,977,856,000 at 4.15625 bits.
    facts = load_catalog().model_for_hf("TheBloke/Mistral-7B-Instruct-v0.2-GPTQ")
    expected = 6_977_856_000 * GPTQ_BITS / 8 / 1e9 + 262_144_000 * 2 / 1e9
    assert facts.weights_gb == pytest.approx(expected, rel=1e-12)
    assert facts.weights_gb == pytest.approx(4.1495, abs=1e-4)  # the 16-bit checkpoint: 14.48 GB
    assert facts.kv_cache_gb(1) == pytest.approx(2 * 32 * 8 * 128 * 2 / 1e9)  # activations and cache stay 16-bit


def test_a_tied_embedding_is_counted_once():
    # CodeGemma AWQ: one 256000 x 3072 matrix (786,432,000 parameters) serves both ends.
    facts = load_catalog().model_for_hf("TechxGenus/codegemma-7b-it-AWQ")
    expected = (8.54e9 - 786_432_000) * GPTQ_BITS / 8 / 1e9 + 786_432_000 * 2 / 1e9
    assert facts.weights_gb == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------------------- boundaries
# Phi-3-mini quantized at load with bitsandbytes-nf4 on a T4:
# embeddings 2 x 32064 x 3072 = 197,001,216 params x 2 bytes; the rest (3.82e9 - 197,001,216)
# x 4.126953125 bits / 8 = 2.2629957 GB of weights; KV 2 x 32 x 32 x 96 x 2 = 393,216 B/token.
# (14.4 - 1.5 - 2.2629957) / 0.000393216 = 27,051.2: 27,051 tokens fit, 27,052 do not.
PHI3_NF4_WEIGHTS = (3.82e9 - 197_001_216) * NF4_BITS / 8 / 1e9 + 197_001_216 * 2 / 1e9


@pytest.mark.parametrize("tokens, fits", [(27051, True), (27052, False)])
def test_phi3_quantized_at_load_fits_a_t4_up_to_27051_tokens(dev, tokens, fits):
    assert PHI3_NF4_WEIGHTS + tokens * 393_216 / 1e9 + 1.5 <= 14.4 if fits else PHI3_NF4_WEIGHTS + tokens * 393_216 / 1e9 + 1.5 > 14.4
    data = _only(dev, _hf("microsoft/Phi-3-mini-128k-instruct"))
    data["members"][0].update(sku=T4)
    data["members"][0]["model"].update(quantize="bitsandbytes-nf4", max_model_len=tokens)
    problems = _problems(data)
    if fits:
        assert problems == []
        return
    (problem,) = problems
    assert problem.field == f"{member_at(data, 0)}.sku"
    assert problem.message == (
        "phi-3-mini-128k-instruct needs ~14.4 GB of GPU memory (2.26 GB bitsandbytes-nf4 4-bit weights (3.62 B params "
        "x 4.127 bits + 0.20 B embedding params x 16 bits) + 10.6 GB KV cache for 27052 tokens + 1.5 GB runtime) but "
        "Standard_NC4as_T4_v3 offers 14.4 GB usable (1x T4 16 GB at 90%); 27051 tokens would fit; choose a larger GPU, "
        "lower max_model_len, or serve it quantized (model.quantize: bitsandbytes-nf4, or a GPTQ/AWQ checkpoint from "
        "catalog/models.yaml)"
    )


@pytest.mark.parametrize("memory_gb, fits", [(8.67, True), (7.67, False)])
def test_a_gptq_member_fits_a_gpu_with_room_for_it_and_not_one_gb_less(dev, memory_gb, fits):
    # Mistral-7B GPTQ at 16384 tokens: 4.14950225 + 16384 x 131072 B (2.147483648 GB) + 1.5
    # = 7.7969859 GB. 90% of 8.67 GB is 7.803 (fits); of 7.67 GB, 6.903 (short by 0.89 GB).
    data = _only(dev, _hf("TheBloke/Mistral-7B-Instruct-v0.2-GPTQ"))
    data["members"][0].update(sku=T4)
    data["members"][0]["model"]["max_model_len"] = 16384
    base = load_catalog()
    catalog = dataclasses.replace(base, skus={**base.skus, T4: dataclasses.replace(base.skus[T4], gpu_memory_gb=memory_gb)})
    problems = _problems(data, catalog)
    if fits:
        assert problems == []
        return
    (problem,) = problems
    assert problem.message.startswith(
        "mistral-7b-instruct-v0.2-gptq needs ~7.8 GB of GPU memory (4.15 GB GPTQ 4-bit weights (6.98 B params x 4.156 bits "
        "+ 0.26 B embedding params x 16 bits) + 2.1 GB KV cache for 16384 tokens + 1.5 GB runtime) but Standard_NC4as_T4_v3 "
        "offers 6.9 GB usable")


def test_the_16_bit_checkpoint_of_a_member_does_not_fit_where_its_4_bit_one_does(dev):
    # Mistral-7B in 16 bits at 16384 tokens: 14.48 + 2.147 + 1.5 = 18.1 GB > 14.4 on a T4.
    data = _only(dev, _hf("TheBloke/Mistral-7B-Instruct-v0.2-GPTQ"))
    data["members"][0].update(sku=T4)
    data["members"][0]["model"].update(hf_model_id="mistralai/Mistral-7B-Instruct-v0.2", hf_token_required=True, max_model_len=16384)
    (problem,) = _problems(data)
    assert "needs ~18.1 GB" in problem.message and "serve it quantized" in problem.message
    data["members"][0]["model"]["quantize"] = "bitsandbytes-nf4"  # the same checkpoint, quantized at load
    assert _problems(data) == []


# --------------------------------------------------------------------------- what TGI runs on a T4
@pytest.mark.parametrize("sku, refused", [(T4, True), (A10, False)])
def test_gemma_quantized_at_load_stays_bfloat16_so_a_t4_cannot_run_it(dev, sku, refused):
    # bitsandbytes keeps the model's own dtype (bf16 for Gemma in TGI): 5.57 GB of weights would
    # fit a T4 (5.57 + 1.88 + 1.5 = 8.95 GB), but its GPU has no bfloat16.
    data = _only(dev, _hf("google/codegemma-7b-it"))
    data["members"][0].update(sku=sku)
    data["members"][0]["model"].update(quantize="bitsandbytes-nf4", max_model_len=4096)
    problems = _problems(data)
    if not refused:
        assert problems == []
        return
    (problem,) = problems
    assert problem.field == f"{member_at(data, 0)}.sku"
    assert problem.message.startswith("tgi runs gemma models in bfloat16, which the T4 (compute capability 7.5) cannot run; "
                                      "choose a SKU with compute capability 8.0 or more")
    assert "serve a GPTQ/AWQ checkpoint" in problem.message


@pytest.mark.parametrize("sku, quantize", [(T4, "gptq"), (A10, None)])
def test_an_awq_checkpoint_is_served_as_gptq_where_awq_kernels_are_missing(dev, sku, quantize):
    data = _only(dev, _quantized_checkpoint("awq"))
    data["members"][0]["sku"] = sku
    assert _problems(data) == []  # Gemma as AWQ runs in float16: a T4 takes it
    member = parse_environment(data, "dev.yaml").members[0]
    assert member.model.environment(sku).get("QUANTIZE") == quantize


@pytest.mark.parametrize("sku", [T4, A10])
def test_a_gptq_checkpoint_needs_no_quantize_setting(dev, sku):
    # TGI reads the format from the checkpoint's quantization_config.
    data = _only(dev, _quantized_checkpoint("gptq"))
    data["members"][0]["sku"] = sku
    member = parse_environment(data, "dev.yaml").members[0]
    assert "QUANTIZE" not in member.model.environment(sku)


def test_quantize_at_load_is_passed_to_the_server(dev):
    data = _only(dev, _hf("microsoft/Phi-3-mini-128k-instruct"))
    data["members"][0]["model"]["quantize"] = "bitsandbytes-nf4"
    member = parse_environment(data, "dev.yaml").members[0]
    assert member.model.environment(data["members"][0]["sku"])["QUANTIZE"] == "bitsandbytes-nf4"


def test_quantizing_a_quantized_checkpoint_again_is_refused(dev):
    data = _only(dev, _quantized_checkpoint("gptq"))
    data["members"][0]["model"]["quantize"] = "bitsandbytes-nf4"
    (problem,) = _problems(data)
    assert problem.field == f"{member_at(data, 0)}.model.quantize"
    assert "already a GPTQ 4-bit checkpoint; remove quantize" in problem.message


@pytest.mark.parametrize("variable", ["QUANTIZE", "DTYPE"])
def test_a_quantized_member_cannot_set_the_servers_dtype_or_format_itself(dev, variable):
    data = _only(dev, _quantized_checkpoint("awq"))
    data["members"][0]["model"]["env"] = {variable: "float16"}
    (problem,) = _problems(data)
    assert problem.field == f"{member_at(data, 0)}.model.env"
    assert problem.message.startswith(f"{variable} cannot be set for a quantized model")


def test_an_unknown_quantize_method_is_refused_with_the_choices(dev):
    data = _only(dev, _hf("microsoft/Phi-3-mini-128k-instruct"))
    data["members"][0]["model"]["quantize"] = "awq"  # a checkpoint format, not something TGI does at load
    with pytest.raises(CouncilError) as caught:
        parse_environment(data, "dev.yaml")
    assert "model.quantize" in str(caught.value) and "bitsandbytes-nf4" in str(caught.value)


# --------------------------------------------------------------------------- the router's view
def test_quantized_weights_raise_the_per_stream_token_bound_the_router_is_sized_for(dev):
    from council.sizing import router_load

    # Same GPU (A10, 600 GB/s), same model: a token reads every weight once, so 4-bit weights
    # let a stream go 13.48 / 3.89 times faster (CodeLlama-7B: 6.74e9 x 2 bytes vs its GPTQ).
    data = _only(dev, _quantized_checkpoint("gptq"))
    data["members"][0].update(sku=A10)
    data["members"][0]["model"].update(hf_model_id="TheBloke/CodeLlama-7B-Instruct-GPTQ", max_model_len=8192)
    quantized = router_load(parse_environment(data, "dev.yaml"))
    data["members"][0]["model"]["hf_model_id"] = "codellama/CodeLlama-7b-Instruct-hf"
    full = router_load(parse_environment(data, "dev.yaml"))
    codellama_gptq = (6.74e9 - 2 * 32016 * 4096) * GPTQ_BITS / 8 / 1e9 + 2 * 32016 * 4096 * 2 / 1e9
    assert full.tokens_per_second == pytest.approx(600 / 13.48)
    assert quantized.tokens_per_second == pytest.approx(600 / codellama_gptq)
    assert quantized.vcpu > full.vcpu  # each request in flight costs the router more


def test_a_container_model_prop_accepts_quantize_like_the_file():
    model = ContainerModel(source="container", hf_model_id="microsoft/Phi-3-mini-128k-instruct", max_model_len=4096,
                           quantize="bitsandbytes-nf4")
    assert model.facts(load_catalog()).quantization.method == "bitsandbytes-nf4"
