"""Where a member's model comes from, and what that means everywhere else.

Two sources, one definition each, used both by the environment file (`model:`) and by
the `CouncilMemberEndpoint` construct (its `model` prop):
- `CatalogModel`: a model asset in an Azure ML registry, served by Azure ML itself.
- `ContainerModel`: a Hugging Face model served by an OpenAI-compatible server image
  (a `ServingRuntime`, TGI by default) that pulls the weights at start.

Whatever differs between the two (the name the router asks for, the catalog facts, the
context the server reserves, the hosts its pulls need, how it is labelled) is a method
here, so the stack, the router config, the guardrails, the cost view and the diagram
never branch on the source. Pure: no cdktf import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, Union

from pydantic import Field, field_validator, model_validator

from council.policy import Policy
from council.serving import DEFAULT_RUNTIME, RUNTIMES, ServingRuntime
from council.secret_shapes import SECRET_VARIABLE, looks_like_secret

if TYPE_CHECKING:
    from council.catalog import Catalog, ModelFacts

ASSET_ID_PATTERN = r"^azureml://registries/([A-Za-z0-9_-]+)/models/([A-Za-z0-9._-]+)/versions/([0-9]+)$"
IMAGE_PATTERN = r"^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$"


@dataclass(frozen=True)
class Egress:
    """The hosts a member's pulls need (None: the catalog has no facts for its source),
    and where to add them: the field that names the source, its value, the egress.yaml section."""

    hosts: tuple[str, ...] | None
    field: str
    value: str
    table: str


class CatalogModel(Policy):
    """A model served from an Azure ML registry (the model catalog)."""

    source: Literal["catalog"]
    asset_id: str = Field(pattern=ASSET_ID_PATTERN)
    needs_token: ClassVar[bool] = False  # registries need no Hugging Face token

    @property
    def registry(self) -> str:
        return re.match(ASSET_ID_PATTERN, self.asset_id).group(1)

    @property
    def asset_name(self) -> str:
        return re.match(ASSET_ID_PATTERN, self.asset_id).group(2)

    @property
    def asset_version(self) -> str:
        return re.match(ASSET_ID_PATTERN, self.asset_id).group(3)

    @property
    def ident(self) -> tuple[str, str]:
        """(field, value) that identifies the model in the file."""
        return "asset_id", self.asset_id

    @property
    def upstream_model(self) -> str:
        """The model name the router passes on (the endpoint serves one model)."""
        return self.asset_name

    @property
    def label(self) -> str:
        return f"catalog: {self.asset_name} v{self.asset_version}"

    kind: ClassVar[str] = "catalog"

    def facts(self, catalog: "Catalog") -> "ModelFacts | None":
        return catalog.model_for_asset(self.registry, self.asset_name)

    def served_tokens(self, facts: "ModelFacts") -> int:
        """Tokens of KV cache the server reserves: the catalog serves the full context."""
        return facts.context

    def egress(self, catalog: "Catalog") -> Egress:
        return Egress(catalog.egress.registries.get(self.registry), "model.asset_id", self.registry, "registries")

    # The catalog serves the full context: only a larger GPU helps.
    smaller_fit_hint: ClassVar[str] = ""

    def problems(self, facts: "ModelFacts", sku: str | None, catalog: "Catalog") -> list[tuple[str, str]]:
        """(field under the member, what is wrong; how to fix) for this source on `sku`
        (None: the SKU is already refused)."""
        if facts.catalog_status != "available":
            when = f" (inference retired {facts.catalog_retired})" if facts.catalog_retired else ""
            fix = f"serve {facts.hf_id} with `source: container`" if facts.hf_id else "choose another model"
            return [("model.asset_id", f"{facts.key} is {facts.catalog_status} in the Azure ML catalog{when}; {fix}")]
        if sku is not None and facts.allowed_skus is not None and sku not in facts.allowed_skus:
            allowed = [s for s in facts.allowed_skus if not (catalog.skus.get(s) and catalog.skus[s].retired)]
            return [("sku", f"the catalog does not allow {facts.catalog_asset} on {sku}; "
                            f"use one of {', '.join(allowed) or 'no current SKU'} or serve it with `source: container`")]
        return []


class ContainerModel(Policy):
    """A model the catalog lacks, served by an OpenAI-compatible container.

    The runtime (council.serving; TGI by default) pulls `hf_model_id` from Hugging Face at
    start and serves `POST /v1/chat/completions`. When the model is gated,
    `hf_token_required` makes the deployment read the token from a workspace connection
    through secret injection: the token never appears in the synthesized JSON.
    """

    source: Literal["container"]
    runtime: Literal[tuple(RUNTIMES)] = DEFAULT_RUNTIME  # type: ignore[valid-type]
    image: str = Field(default="", pattern=IMAGE_PATTERN)  # default: the runtime's pinned image
    hf_model_id: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    hf_token_required: bool = False
    max_model_len: int = Field(ge=512, le=1_048_576)
    # Quantize the 16-bit checkpoint at load (the runtime's methods, e.g. TGI's bitsandbytes-nf4).
    # A pre-quantized checkpoint (GPTQ, AWQ) needs nothing here: its format is in the catalog.
    quantize: Literal[tuple(sorted({m for r in RUNTIMES.values() for m in r.quantize_at_load}))] | None = None  # type: ignore[valid-type]
    port: int = Field(default=0, ge=1, le=65535)  # default: the runtime's port
    env: dict[str, str] = {}

    @model_validator(mode="before")
    @classmethod
    def _runtime_defaults(cls, data: object) -> object:
        if isinstance(data, dict):
            runtime = RUNTIMES.get(data.get("runtime", DEFAULT_RUNTIME))
            if runtime is not None:
                data = {"image": runtime.image, "port": runtime.port, **data}
        return data

    @field_validator("env")
    @classmethod
    def _no_secrets(cls, value: dict[str, str]) -> dict[str, str]:
        for key, item in value.items():
            if not re.match(r"^[A-Z_][A-Z0-9_]*$", key):
                raise ValueError(f"env key {key!r} is not an UPPER_SNAKE_CASE variable name")
            fix = "secrets never go in environment files (use hf_token_required for the Hugging Face token)"
            if SECRET_VARIABLE.search(key):
                raise ValueError(f"env key {key!r} looks like a secret; {fix}")
            if looks_like_secret(str(item)):
                raise ValueError(f"env {key}: the value looks like a credential (a key or token); {fix}")
        return value

    @property
    def server(self) -> ServingRuntime:
        return RUNTIMES[self.runtime]

    @property
    def needs_token(self) -> bool:
        return self.hf_token_required

    @property
    def ident(self) -> tuple[str, str]:
        return "hf_model_id", self.hf_model_id

    @property
    def upstream_model(self) -> str:
        return self.hf_model_id

    @property
    def label(self) -> str:
        return f"Hugging Face: {self.hf_model_id}"

    kind: ClassVar[str] = "container (Hugging Face)"

    @property
    def image_host(self) -> str:
        """`ghcr.io/huggingface/text-generation-inference:3.3.2` -> `ghcr.io`."""
        return self.image.split("/", 1)[0]

    def facts(self, catalog: "Catalog") -> "ModelFacts | None":
        """The catalog's facts for the checkpoint, as served: quantized at load if `quantize` says so."""
        facts = catalog.model_for_hf(self.hf_model_id)
        if facts is not None and self.quantize is not None and facts.quantization is None:
            return facts.quantized_at_load(self.quantize)
        return facts

    def served_tokens(self, facts: "ModelFacts") -> int:
        return self.max_model_len

    def egress(self, catalog: "Catalog") -> Egress:
        image_hosts = catalog.egress.image_registries.get(self.image_host)
        hosts = None if image_hosts is None else (*image_hosts, *self.server.weights_hosts(catalog.egress))
        return Egress(hosts, "model.image", self.image_host, "image_registries")

    smaller_fit_hint: ClassVar[str] = (", lower max_model_len, or serve it quantized (model.quantize: bitsandbytes-nf4, "
                                       "or a GPTQ/AWQ checkpoint from catalog/models.yaml)")

    def problems(self, facts: "ModelFacts", sku: str | None, catalog: "Catalog") -> list[tuple[str, str]]:
        found = []
        if self.max_model_len > facts.context:
            found.append(("model.max_model_len", f"{self.max_model_len} exceeds {facts.hf_id}'s context of {facts.context} tokens; "
                                                 f"set it to {facts.context} or less"))
        if facts.hf_gated and not self.hf_token_required:
            found.append(("model.hf_token_required", f"{facts.hf_id} is gated on Hugging Face and cannot be downloaded without "
                                                     "a token; set hf_token_required: true"))
        if self.quantize is not None and facts.quantized_from is not None:
            found.append(("model.quantize", f"{facts.hf_id} is already a {facts.quantization.label} checkpoint; remove quantize "
                                            f"(or quantize the 16-bit {facts.quantized_from} at load instead)"))
        if facts.quantization is not None:
            clashing = sorted({self.server.quantize_variable, "DTYPE"} & set(self.env))
            if clashing:
                found.append(("model.env", f"{', '.join(clashing)} cannot be set for a quantized model ({self.server.name} chooses "
                                           "the format and float16 itself, and refuses DTYPE with QUANTIZE); remove it"))
        gpu = catalog.skus.get(sku) if sku is not None else None
        if gpu is not None:
            found += [("sku", message) for message in self.server.problems(facts, gpu)]
        return found

    def environment(self, sku: str | None = None) -> dict[str, str]:
        """The server's environment variables on `sku`, without the token."""
        from council.catalog import load_catalog  # the catalog is project data, read once

        catalog = load_catalog()
        facts = self.facts(catalog)
        quantize = self.server.quantize_setting(facts, catalog.skus.get(sku or "")) if facts is not None else None
        return self.server.environment(model_id=self.hf_model_id, max_model_len=self.max_model_len, port=self.port,
                                       extra=self.env, quantize=quantize)


ModelSource = Annotated[Union[CatalogModel, ContainerModel], Field(discriminator="source")]
