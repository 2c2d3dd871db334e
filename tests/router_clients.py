"""The router as its clients see it: the official `openai` SDK (sync, async, streaming) and
langchain-openai, through the real LiteLLM proxy running the rendered dev and prod configs
with their Redis, against members that answer like Azure ML in front of TGI 3.3.2
(fake_aml.py: 424 for the container's errors, errors inside a 200 stream, `"id": ""`).

The cases live here and run from test_router_clients_dev.py and test_router_clients_prod.py.
Roles are picked from each environment file by what they are (a role with a healthy fallback,
a role without one); members' timeouts and the cooldown are shortened so a hang or a cooldown
costs seconds. Prod's config is rendered without its PostgreSQL (LiteLLM's database path needs
Prisma engines that cannot be had here), and Redis speaks plain TCP here: the two differences.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from contextlib import contextmanager

import httpx
import openai
import pytest

from fake_aml import OVERLOADED, TOO_LONG
from litellm_proxy import LITELLM, REDIS_SERVER, Council, start_council

pytestmark = [
    pytest.mark.skipif(LITELLM is None and not os.environ.get("CI"), reason="pip install -e '.[test]' for litellm[proxy]"),
    pytest.mark.skipif(REDIS_SERVER is None and not os.environ.get("CI"), reason="apt-get install redis-server (.ci/run does)"),
]
TIMEOUT = 3  # every member's timeout (stream_timeout too), seconds
COOLDOWN = 2  # seconds a failed member is skipped
# What the router may add on top of a member's timeout before the fallback's first chunk
# arrives (the bound: stream timeout + 10 s).
FALLBACK_MARGIN = 10
MESSAGES = [{"role": "user", "content": "hello"}]


def council_for(name: str):
    """The `council` fixture of a test module that runs these cases against environments/<name>.yaml
    (one module per file, so that the two councils run on two workers at once)."""

    @pytest.fixture(scope="module")
    def council(tmp_path_factory):
        running = start_council(name, tmp_path_factory.mktemp(f"clients-{name}"), timeout=TIMEOUT, cooldown=COOLDOWN)
        yield running
        running.stop()

    return council


@contextmanager
def failing(council: Council, role: str, mode: str, **settings):
    """Member `role` fails in `mode` inside the block; afterwards it serves again and no member
    is cooling down, so the next test starts from a healthy council."""
    fake = council.fake(role)
    fake.mode = mode
    for name, value in settings.items():
        setattr(fake, name, value)
    try:
        yield fake
    finally:
        fake.mode = "ok"
        if fake.server is None:
            fake.restart()
        time.sleep(COOLDOWN + 0.5)


def _stream_text(stream) -> tuple[str, list[str]]:
    text, ids = "", []
    for chunk in stream:
        ids.append(chunk.id)
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
    return text, ids


# ----------------------------------------------------------------------------- streams that hang


@pytest.mark.parametrize("mode", ["stream_hang", "hang"])
def test_a_hung_streaming_member_falls_back_within_its_stream_timeout(council, mode):
    """stream_hang: TGI sent its 200 and then nothing (a stuck queue); hang: not even headers."""
    with failing(council, council.role, mode, hang_seconds=TIMEOUT + FALLBACK_MARGIN + 20):
        started = time.monotonic()
        text, ids = _stream_text(council.sdk().chat.completions.create(model=council.role, messages=MESSAGES, stream=True))
        elapsed = time.monotonic() - started
        assert text == council.answer(council.fallback)
        assert elapsed < TIMEOUT + FALLBACK_MARGIN, f"fallback answered after {elapsed:.1f} s"
        # Cooled down: the next stream goes straight to the fallback, without waiting again.
        started = time.monotonic()
        text, _ = _stream_text(council.sdk().chat.completions.create(model=council.role, messages=MESSAGES, stream=True))
        assert text == council.answer(council.fallback) and time.monotonic() - started < TIMEOUT


def test_a_stream_that_fails_before_its_first_token_falls_back_as_one_clean_stream(council):
    """TGI answers an overloaded queue inside an HTTP 200 stream (an error event, then [DONE])."""
    with failing(council, council.role, "tgi_error", tgi_error=OVERLOADED) as member:
        response = httpx.post(f"{council.router.base}/v1/chat/completions", timeout=60,
                              headers={"Authorization": f"Bearer {council.router.master_key}"},
                              json={"model": council.role, "messages": MESSAGES, "stream": True})
        # Overloaded is the member's 429: not a failure that cools it down (RouterPolicy).
        member.mode = "ok"
        reply = council.sdk().chat.completions.create(model=council.role, messages=MESSAGES)
        assert reply.choices[0].message.content == council.answer(council.role)
    assert response.status_code == 200
    events = [line.removeprefix("data: ") for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]" and events.count("[DONE]") == 1
    assert "error" not in response.text
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == council.answer(council.fallback)
    assert len({c["id"] for c in chunks}) == 1 and chunks[0]["id"]


# ----------------------------------------------------------------------------- member 4xx


@pytest.mark.parametrize("stream", [False, True])
def test_a_prompt_too_long_for_the_member_is_422_with_its_reason(council, stream):
    """TGI's 422 comes as Azure ML's 424 (non-streaming) or inside a 200 stream; the client
    gets 422 and TGI's own words, from the sync SDK, the async SDK and langchain-openai."""
    with failing(council, council.lone, "tgi_error", tgi_error=TOO_LONG):
        with pytest.raises(openai.UnprocessableEntityError) as caught:
            result = council.sdk().chat.completions.create(model=council.lone, messages=MESSAGES, stream=stream)
            if stream:
                list(result)
        assert caught.value.status_code == 422 and TOO_LONG.message in str(caught.value)

        async def call():
            async with council.async_sdk() as client:
                result = await client.chat.completions.create(model=council.lone, messages=MESSAGES, stream=stream)
                if stream:
                    async for _ in result:
                        pass

        with pytest.raises(openai.UnprocessableEntityError) as caught:
            asyncio.run(call())
        assert TOO_LONG.message in str(caught.value)
        from langchain_openai import ChatOpenAI

        chat = ChatOpenAI(model=council.lone, base_url=f"{council.router.base}/v1", api_key=council.router.master_key, max_retries=0,
                          streaming=stream)
        with pytest.raises(openai.UnprocessableEntityError) as caught:
            chat.invoke("hello")
        assert TOO_LONG.message in str(caught.value)


def test_a_role_with_a_fallback_is_answered_by_it_when_its_member_refuses_the_prompt(council):
    with failing(council, council.role, "tgi_error", tgi_error=TOO_LONG):
        reply = council.sdk().chat.completions.create(model=council.role, messages=MESSAGES)
    assert reply.choices[0].message.content == council.answer(council.fallback)


# ----------------------------------------------------------------------------- front end 5xx, unreachable


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_front_end_5xx_falls_back_and_the_member_is_asked_once_per_cooldown(council, status):
    with failing(council, council.role, "aml_status", aml_status=status) as member:
        before = member.posts()
        for _ in range(3):
            reply = council.sdk().chat.completions.create(model=council.role, messages=MESSAGES)
            assert reply.choices[0].message.content == council.answer(council.fallback)
        assert member.posts() - before == 1, f"{member.posts() - before} calls to a member answering {status}"
        member.mode = "ok"
        time.sleep(COOLDOWN + 0.5)
        reply = council.sdk().chat.completions.create(model=council.role, messages=MESSAGES)
        assert reply.choices[0].message.content == council.answer(council.role), "recovered member not asked again"


def test_a_dropped_connection_falls_back_without_cooling_the_member_down(council):
    """A connection closed under a request (a pooled connection the member's idle timeout closed
    as it was reused) says nothing about the member: the fallback answers this request and the
    member the next one. Before, LiteLLM counted it as a 500 and skipped a healthy member for
    the whole cooldown."""
    with failing(council, council.role, "disconnect") as member:
        reply = council.sdk().chat.completions.create(model=council.role, messages=MESSAGES)
        assert reply.choices[0].message.content == council.answer(council.fallback)
        member.mode = "ok"
        reply = council.sdk().chat.completions.create(model=council.role, messages=MESSAGES)
        assert reply.choices[0].message.content == council.answer(council.role), "a dropped connection cooled the member down"


def test_an_unreachable_member_falls_back_and_is_not_asked_again_within_its_cooldown(council):
    member = council.fake(council.role)
    with failing(council, council.role, "ok"):
        member.refuse()
        reply = council.sdk().chat.completions.create(model=council.role, messages=MESSAGES)
        assert reply.choices[0].message.content == council.answer(council.fallback)
        member.restart()  # back at once: only the cooldown keeps the router away
        before = member.posts()
        reply = council.sdk().chat.completions.create(model=council.role, messages=MESSAGES)
        assert reply.choices[0].message.content == council.answer(council.fallback)
        assert member.posts() == before, "the router asked a member it could not reach a moment ago"
        time.sleep(COOLDOWN + 0.5)
        reply = council.sdk().chat.completions.create(model=council.role, messages=MESSAGES)
        assert reply.choices[0].message.content == council.answer(council.role)


def test_a_role_without_a_fallback_says_when_to_retry_and_is_asked_again_once_it_recovers(council):
    """Its 503 reaches the client with a retry-after; it is not cooled down for fast failures,
    so the first request after it recovers is answered by it (LiteLLM: 429 for the cooldown)."""
    with failing(council, council.lone, "aml_status", aml_status=503) as member:
        with pytest.raises(openai.InternalServerError) as caught:
            council.sdk().chat.completions.create(model=council.lone, messages=MESSAGES)
        assert caught.value.status_code == 503 and int(caught.value.response.headers["retry-after"]) >= 1
        member.mode = "ok"
        reply = council.sdk().chat.completions.create(model=council.lone, messages=MESSAGES)
        assert reply.choices[0].message.content == council.answer(council.lone)


def test_a_cooling_role_is_503_with_the_seconds_left(council):
    """A role without a fallback whose member timed out is cooled down (every caller would wait a
    full timeout otherwise): meanwhile 503 and how long, not LiteLLM's bare 429."""
    with failing(council, council.lone, "hang", hang_seconds=TIMEOUT + 5):
        with pytest.raises(openai.APIStatusError):
            council.sdk().chat.completions.create(model=council.lone, messages=MESSAGES)
        with pytest.raises(openai.InternalServerError) as caught:
            council.sdk().chat.completions.create(model=council.lone, messages=MESSAGES)
        assert caught.value.status_code == 503
        assert 1 <= int(caught.value.response.headers["retry-after"]) <= COOLDOWN


def test_an_overloaded_member_is_429_with_retry_after(council):
    with failing(council, council.lone, "tgi_error", tgi_error=OVERLOADED):
        with pytest.raises(openai.RateLimitError) as caught:
            council.sdk().chat.completions.create(model=council.lone, messages=MESSAGES)
        assert "Model is overloaded" in str(caught.value) and int(caught.value.response.headers["retry-after"]) >= 1


# ----------------------------------------------------------------------------- keys, limits, headers


def test_a_wrong_key_is_401(council):
    counts = {role: fake.posts() for role, fake in council.router.fakes.items()}
    for wrong in ("sk-" + "0" * 48, council.fake(council.role).key):
        with pytest.raises(openai.AuthenticationError) as caught:
            council.sdk(key=wrong).chat.completions.create(model=council.role, messages=MESSAGES)
        assert caught.value.status_code == 401
    assert {role: fake.posts() for role, fake in council.router.fakes.items()} == counts


def test_max_completion_tokens_limits_the_answer(council):
    """langchain-openai sends max_completion_tokens; the member gets one length limit (TGI reads
    either name but refuses a body with both: serde's duplicate field)."""
    from langchain_openai import ChatOpenAI

    member = council.fake(council.role)
    chat = ChatOpenAI(model=council.role, base_url=f"{council.router.base}/v1", api_key=council.router.master_key, max_retries=0,
                      max_tokens=2)
    reply = chat.invoke("hello")
    assert reply.content == " ".join(council.answer(council.role).split()[:2])
    assert reply.response_metadata["finish_reason"] == "length"
    assert member.seen[-1].body.get("max_tokens") == 2 and "max_completion_tokens" not in member.seen[-1].body
    both = council.sdk().chat.completions.create(model=council.role, messages=MESSAGES, max_tokens=3, max_completion_tokens=1)
    assert both.choices[0].message.content == council.answer(council.role).split()[0]


def test_no_answer_names_a_member_url_and_every_chunk_has_the_stream_id(council):
    raw = council.sdk().chat.completions.with_raw_response.create(model=council.role, messages=MESSAGES)
    assert "x-litellm-model-api-base" not in raw.headers
    assert not any(council.fake(council.role).base_url.split("/v1")[0] in value for value in raw.headers.values())
    with council.sdk().chat.completions.with_streaming_response.create(model=council.role, messages=MESSAGES, stream=True) as streamed:
        assert "x-litellm-model-api-base" not in streamed.headers
        ids = [chunk.id for chunk in streamed.parse()]
    assert ids and ids[0] and set(ids) == {ids[0]}


def test_async_streams_in_parallel_while_a_member_fails(council):
    async def one(client):
        stream = await client.chat.completions.create(model=council.role, messages=MESSAGES, stream=True)
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    async def many():
        async with council.async_sdk() as client:
            return await asyncio.gather(*(one(client) for _ in range(20)))

    with failing(council, council.role, "fail"):
        answers = asyncio.run(many())
    assert answers == [council.answer(council.fallback)] * 20
