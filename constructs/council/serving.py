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

from council.catalog import EgressFacts


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

    def environment(self, *, model_id: str, max_model_len: int, port: int, extra: Mapping[str, str] = {}) -> dict[str, str]:
        """The container's environment (without the token): what configures the server."""
        variables = {self.model_variable: model_id, self.port_variable: str(port)}
        variables.update({name: str(int(max_model_len * share)) for name, share in self.context_variables.items()})
        variables.update(extra)
        return variables

    def weights_hosts(self, facts: EgressFacts) -> tuple[str, ...]:
        return tuple(getattr(facts, self.weights_from))


# Hugging Face Text Generation Inference: Azure ML deployments cannot pass container
# arguments, and TGI's launcher takes every setting from environment variables
# (text-generation-launcher --help: MODEL_ID, PORT, MAX_TOTAL_TOKENS, MAX_INPUT_TOKENS,
# HF_TOKEN; GET /health answers 200 once the model is loaded). MAX_INPUT_TOKENS leaves a
# quarter of the window for the answer.
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
)

RUNTIMES: dict[str, ServingRuntime] = {runtime.name: runtime for runtime in (TGI,)}
DEFAULT_RUNTIME = TGI.name
