"""The AI Council's LiteLLM hooks: what the router does for its clients that LiteLLM's
settings alone cannot (issue 20). Mounted beside the rendered config and named in its
`litellm_settings.callbacks` as `council_hooks.council_hooks`; LiteLLM loads a callback
module from the config file's own folder (litellm/proxy/types_utils/utils.py
`get_instance_fn`, 1.108.5).

Each behaviour is measured with the real 1.108.5 proxy, the official `openai` SDK and
langchain-openai against a TGI-faithful member (tests/router_clients.py):

- `max_completion_tokens` becomes `max_tokens`: TGI 3.3.2 reads either name (a serde alias,
  router/src/lib.rs ChatRequest, since #2845) but refuses a body with both ("duplicate
  field"); langchain-openai always sends the former.
- What LiteLLM does not count toward a member's cooldown is counted here, against the same
  allowance: a model failure behind Azure ML's 424, a connection error LiteLLM reports bare
  (it skips "APIConnectionError": router_utils/cooldown_handlers.py `_is_cooldown_required`),
  a stream that failed before its first chunk, and a 500 -- except a connection the member
  dropped under a request, which LiteLLM also calls a 500 and which is not counted.
- Errors the client sees carry the status that explains them and a `retry-after`:
  a key that is not the master key gets 401 (LiteLLM answers 400 "No connected db."
  when no database is configured: proxy/auth/user_api_key_auth.py); a role whose every
  member is cooling down gets 503 with the seconds left (LiteLLM: 429 without saying
  how long, since the ProxyException forces 429 on "No deployments available").
- No response names a member's internal URL (`x-litellm-model-api-base`:
  proxy/common_request_processing.py `get_custom_headers` always adds it; the one
  patch here, checked by the tests at every LiteLLM version the image pins).
- Every streamed chunk carries the response's id: TGI streams `"id": ""`.

No secret is read or logged here; the hooks see requests only to rewrite one field.
"""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

from fastapi import HTTPException
from litellm.integrations.custom_logger import CustomLogger
from litellm.proxy._types import ProxyErrorTypes, ProxyException
from litellm.proxy.common_request_processing import ProxyBaseLLMRequestProcessing

# Seconds a client should wait before retrying a member that said it is overloaded or
# unavailable (429 / 503) when the router has not cooled it down (a role without a
# fallback: its own answer is the best one, and it is asked again at once when it recovers).
UNAVAILABLE_RETRY_AFTER_SECONDS = 1
# Statuses that tell a client to come back later (RFC 9110 section 10.2.3: Retry-After with 503
# and 429).
RETRY_LATER_STATUSES = (429, 503)
_CONNECTION_ERRORS = ("APIConnectionError",)
# A connection closed under a request (aiohttp's ServerDisconnectedError, reported as httpx's
# ReadError; LiteLLM then says InternalServerError 500): what a client sees when the server's
# idle timeout closed a pooled connection just as it was reused. The member may be healthy, so
# it is not counted; the fallback still answers, and a member that is really down refuses the
# next connection, which is counted.
_DISCONNECTS = ("ServerDisconnectedError", "ReadError", "RemoteProtocolError")
# Azure ML answers 424 for any non-200 from the container and names the container's status and
# reason in these headers (learn.microsoft.com/azure/machine-learning/how-to-troubleshoot-online-
# endpoints, "HTTP status codes", read 2026-12-03).
MODEL_STATUS_HEADER = "ms-azureml-model-error-statuscode"
MODEL_REASON_HEADER = "ms-azureml-model-error-reason"
# TGI's error texts (router/src/infer/mod.rs InferError, 3.3.2) and the status each means. Inside
# an HTTP 200 stream TGI sends every error as `http_status_code: 422`, so the text decides.
TGI_ERRORS = (("Input validation error", 422), ("Template error", 422), ("Tool error", 422),
              ("Model is overloaded", 429), ("Request failed during generation", 424), ("Incomplete generation", 500))


def _without_member_url(original):
    def get_custom_headers(**kwargs):
        kwargs["api_base"] = None
        return original(**kwargs)

    get_custom_headers.council = True
    return staticmethod(get_custom_headers)


# LiteLLM adds x-litellm-model-api-base to every answer from `api_base` and has no setting
# to leave it out; without an api_base it omits the header (exclude_values).
if not getattr(ProxyBaseLLMRequestProcessing.get_custom_headers, "council", False):
    ProxyBaseLLMRequestProcessing.get_custom_headers = _without_member_url(ProxyBaseLLMRequestProcessing.get_custom_headers)


def _router():
    from litellm.proxy import proxy_server

    return proxy_server.llm_router


def _model_id(request_data: Any) -> str | None:
    info = (request_data or {}).get("model_info") or ((request_data or {}).get("metadata") or {}).get("model_info") or {}
    return info.get("id") if isinstance(info, dict) else None


class CouncilHooks(CustomLogger):
    async def async_pre_call_hook(self, user_api_key_dict, cache, data: dict, call_type):
        """OpenAI's newer name for the answer's length limit, in the name TGI reads; and no
        headers from the client to the members. LiteLLM 1.108.5 merges a request's own
        `extra_headers` over the model's (router.py _acompletion: the request's kwargs after the
        deployment's litellm_params), so a client could replace the `azureml-model-deployment`
        pin of `<role>-live`/`-staged` -- or pick a deployment of any role past its traffic split."""
        if isinstance(data, dict):
            data.pop("extra_headers", None)
            if data.get("max_completion_tokens") is not None:
                limit = data.pop("max_completion_tokens")
                data["max_tokens"] = limit if data.get("max_tokens") is None else min(limit, data["max_tokens"])
        return data

    async def async_post_call_failure_deployment_hook(self, request_data, exception, call_type, fallback_depth=None):
        """Cool down a member that cannot be reached, or whose model failed (Azure ML's 424 with the
        container's 5xx or TGI's 424), as LiteLLM does one whose front end answers 5xx. (LiteLLM
        counts a timeout of an attempt itself.)"""
        model_id = _model_id(request_data)
        if model_id is not None:
            _mark(exception, model_id)  # the deployment that failed, for the fallback events below
        if _failure_kind(exception) == FAST_FAILURES:
            await _count_failure(model_id, exception, FAST_FAILURES)

    async def log_success_fallback_event(self, original_model_group, kwargs, original_exception):
        await _count_stream_failure(original_model_group, original_exception)

    async def log_failure_fallback_event(self, original_model_group, kwargs, original_exception):
        await _count_stream_failure(original_model_group, original_exception)

    async def async_post_call_failure_hook(self, request_data, original_exception, user_api_key_dict, traceback_str=None):
        """The status and the retry-after a client can act on."""
        if isinstance(original_exception, ProxyException) and original_exception.type == ProxyErrorTypes.no_db_connection:
            # The key is neither the master key nor one a database could look up.
            return HTTPException(status_code=401, detail="Authentication Error: invalid API key")
        if type(original_exception).__name__ == "RouterRateLimitError":
            wait = await _seconds_until_a_member_is_back(original_exception)
            role = getattr(original_exception, "model", None) or (request_data or {}).get("model")
            return HTTPException(status_code=503, headers={"retry-after": str(wait)},
                                 detail=f"Every member that can answer for {role!r} failed and is cooling down; retry after {wait} s")
        failure = member_failure(original_exception)
        if failure is not None:
            status, reason = failure
            # The model's own 4xx is the client's answer; its failures are a bad gateway.
            code = status if 400 <= status < 500 and status != 424 else 502
            role = (request_data or {}).get("model")
            return HTTPException(status_code=code, detail=f"{role}: {reason}",
                                 headers={"retry-after": str(UNAVAILABLE_RETRY_AFTER_SECONDS)} if code in RETRY_LATER_STATUSES else None)
        if getattr(original_exception, "status_code", None) in RETRY_LATER_STATUSES:
            headers = dict(getattr(original_exception, "headers", None) or {})
            if not any(k.lower() == "retry-after" for k in headers):
                original_exception.headers = {**headers, "retry-after": str(UNAVAILABLE_RETRY_AFTER_SECONDS)}
        return None

    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict, response, request_data):
        """One id for every chunk of a stream, as OpenAI sends (TGI sends "")."""
        stream_id = None
        async for chunk in response:
            if getattr(chunk, "id", None):
                stream_id = stream_id or chunk.id
            elif hasattr(chunk, "id"):
                stream_id = stream_id or f"chatcmpl-{uuid.uuid4().hex}"
                chunk.id = stream_id
            yield chunk


def _chain(exception):
    seen, todo = set(), [exception]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [getattr(current, name, None) for name in ("original_exception", "__cause__", "__context__")]


def member_failure(exception) -> tuple[int, str] | None:
    """The member's own status and reason behind a LiteLLM error, or None when the failure was
    not the model's (a front-end status, a timeout, a connection error)."""
    for error in _chain(exception):
        response = getattr(error, "response", None)
        headers = {str(k).lower(): str(v) for k, v in dict(getattr(response, "headers", None) or getattr(error, "litellm_response_headers", None) or {}).items()}
        status = headers.get(MODEL_STATUS_HEADER, "")
        if status.isdigit():
            return int(status), _tgi_text(response) or headers.get(MODEL_REASON_HEADER, "") or f"the model answered {status}"
    text = " ".join(str(getattr(e, "message", e)) for e in _chain(exception))
    for marker, status in TGI_ERRORS:
        start = text.find(marker)
        if start >= 0:
            return status, text[start:].split("\n")[0].split(" model=")[0].strip()
    return None


def _tgi_text(response) -> str | None:
    if response is None:
        return None
    try:
        body = response.json()
    except Exception:  # noqa: BLE001  # not JSON (TGI's own deserializer errors are plain text)
        try:
            return (response.text or "").strip()[:1000] or None
        except Exception:  # noqa: BLE001
            return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) else (error or {}).get("message") if isinstance(error, dict) else None


# The allowed_fails_policy field whose count applies: LiteLLM's for timeouts, and the one the
# config gives the front end's 5xx for every other failure of the member itself.
TIMEOUTS, FAST_FAILURES = "TimeoutErrorAllowedFails", "ServiceUnavailableErrorAllowedFails"


def _allowed_failures(router, model_id: str, field: str) -> int | None:
    """Failures of a kind the member may have before its cooldown: the member's own
    allowed_fails_policy (a role without a fallback has one), else the router's."""
    deployment = router.get_model_info(id=model_id) or {}
    own = ((deployment.get("model_info") or {}).get("allowed_fails_policy") or {}).get(field)
    return own if own is not None else getattr(getattr(router, "allowed_fails_policy", None), field, None)


def _failure_kind(exception) -> str | None:
    """Which allowance a failure of the member counts against, or None for one that does not
    count: the model's own 4xx (its answer to this request) and 429 (overloaded, like the
    rate limits RouterPolicy never counts) and a dropped connection do not; its other
    failures, the front end's 500, an unreachable member and a timeout do."""
    failure = member_failure(exception)
    if failure is not None:
        return FAST_FAILURES if failure[0] >= 424 and failure[0] != 429 else None
    chain = list(_chain(exception))
    names = [type(e).__name__ for e in chain]
    if any("Timeout" in name for name in names):
        return TIMEOUTS
    if any(name in _DISCONNECTS for name in names):
        return None
    if any(name in _CONNECTION_ERRORS for name in names):
        return FAST_FAILURES
    # The front end's own 500 (the config leaves 500s to this hook: router_config._allowed_fails_policy).
    if any(getattr(e, "status_code", None) == 500 for e in chain):
        return FAST_FAILURES
    return None


async def _count_failure(model_id: str | None, exception, field: str, counter: str = "attempt") -> None:
    """Counted like LiteLLM counts the failures its policy names (router_utils/cooldown_handlers.py
    should_cooldown_based_on_allowed_fails_policy): in the router's cache, shared through Redis."""
    router = _router()
    allowed = None if router is None or model_id is None else _allowed_failures(router, model_id, field)
    if allowed is None:
        return
    fails = await router.cache.async_increment_cache(key=f"deployment:{model_id}:allowed_fails:council-{counter}:{field}", value=1,
                                                     ttl=router.cooldown_time)
    if (fails or 0) > allowed:
        router.cooldown_cache.add_deployment_to_cooldown(
            model_id=model_id, original_exception=exception, exception_status=503, cooldown_time=router.cooldown_time
        )


async def _count_stream_failure(model_group: str | None, exception) -> None:
    """A failure its fallback answered. LiteLLM counts none for a stream that failed before its
    first chunk (router.py stream_with_fallbacks: measured, a hung stream was never cooled down),
    so a hung member would make every stream wait its timeout. Counted here on a counter of its
    own, so that a failure LiteLLM or the attempt hook counted already is not counted twice
    against the same allowance."""
    field = _failure_kind(exception)
    router = _router()
    if field is None or router is None:
        return
    # The deployment that failed, when the attempt hook saw it: only that one is counted, so that
    # in a role split between two deployments (a rollout's share) the healthy one keeps serving.
    # A stream that failed before its first chunk reaches no attempt hook: every deployment of the
    # group is counted then (a role has one, except during a rollout's share).
    failed = next((getattr(e, _FAILED_DEPLOYMENT, None) for e in _chain(exception) if getattr(e, _FAILED_DEPLOYMENT, None)), None)
    ids = [failed] if failed else [m["model_info"]["id"] for m in router.model_list if m.get("model_name") == model_group]
    for model_id in ids:
        await _count_failure(model_id, exception, field, counter="answered-by-fallback")


_FAILED_DEPLOYMENT = "council_failed_deployment"


def _mark(exception, model_id: str) -> None:
    """Remember on each exception of the chain which deployment failed: LiteLLM wraps the failure
    anew before its fallback events (measured: a new APIError around the same httpx error)."""
    for error in _chain(exception):
        try:
            setattr(error, _FAILED_DEPLOYMENT, model_id)
        except AttributeError:  # an exception type with __slots__: the group-wide count applies
            pass


async def _seconds_until_a_member_is_back(error) -> int:
    router = _router()
    cooldown = max(1, math.ceil(getattr(error, "cooldown_time", 0) or getattr(router, "cooldown_time", 1) or 1))
    if router is None:
        return cooldown
    ids = [i for i in (getattr(error, "cooldown_list", None) or []) if isinstance(i, str)] or router.get_model_ids()
    try:
        active = await router.cooldown_cache.async_get_active_cooldowns(model_ids=ids, parent_otel_span=None)
    except Exception:  # noqa: BLE001  # the fallback is the full cooldown
        return cooldown
    now = time.time()
    remaining = [v["timestamp"] + v["cooldown_time"] - now for _, v in active if isinstance(v, dict) and "timestamp" in v]
    return max(1, math.ceil(min(remaining))) if remaining else cooldown


council_hooks = CouncilHooks()
