"""Quantized members in the synthesized stacks: what each deployment tells TGI, read from
cdk.tf.json and checked against the environment files and the catalog's facts.

- An AWQ checkpoint on a GPU below compute capability 8.0 (a T4) must be served with
  QUANTIZE=gptq: TGI 3.3.2's AWQ kernels are built for 8.0+ only (constructs/council/serving.py).
- A GPTQ checkpoint names its format in its own quantization_config: no QUANTIZE.
- `model.quantize` is passed as QUANTIZE; DTYPE is never set beside it.
"""

from __future__ import annotations

import pytest

from tf import members_of


def _expected_quantize(member, catalog) -> str | None:
    facts = member.model.facts(catalog)
    quantization = facts.quantization
    if quantization is None:
        return None
    if not quantization.prequantized:
        return quantization.method
    gpu = catalog.skus[member.sku]
    return "gptq" if quantization.method == "awq" and gpu.compute_capability < (8, 0) else None


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_each_container_member_tells_tgi_the_format_its_gpu_can_run(stacks, environments, name):
    from council.catalog import load_catalog

    catalog = load_catalog()
    deployments = members_of(stacks[name], "azapi_resource", "deployment")
    for member in environments[name].members:
        if member.model.source != "container":
            continue
        variables = deployments[member.role]["body"]["properties"]["environmentVariables"]
        assert variables.get("QUANTIZE") == _expected_quantize(member, catalog), member.role
        assert "DTYPE" not in variables or "QUANTIZE" not in variables


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_no_member_runs_4_bit_weights_where_its_16_bit_checkpoint_fits(environments, name):
    """Quantization costs answer quality: a plan uses it only where the 16-bit weights of the
    same model would not fit the member's GPU with its context."""
    from council.catalog import load_catalog
    from council.sizing import GPU_MEMORY_HEADROOM, gpu_need

    catalog = load_catalog()
    for member in environments[name].members:
        facts = member.model.facts(catalog)
        if facts is None or facts.quantization is None:
            continue
        full = catalog.models[facts.quantized_from] if facts.quantized_from else catalog.model_for_hf(member.model.hf_model_id)
        usable = catalog.skus[member.sku].total_gpu_memory_gb * GPU_MEMORY_HEADROOM
        assert gpu_need(full, member.model.served_tokens(facts)) > usable, f"{name}: {member.role} could run 16-bit weights"


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_the_readme_cost_table_is_what_describe_prints(environments, name):
    import re

    from conftest import ROOT
    from council.cost import describe

    row = re.search(rf"^\| {name} \| \$([\d,.]+) \| \$([\d,.]+) \|", (ROOT / "README.md").read_text(), re.MULTILINE)
    assert row, f"README's cost table has no row for {name}"
    totals = describe(environments[name], name)["totals"]
    assert [float(v.replace(",", "")) for v in row.groups()] == [totals["monthly_min_usd"], totals["monthly_max_usd"]]
