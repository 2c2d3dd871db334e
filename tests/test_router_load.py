"""The router under load while a member fails (issue 20): 50 concurrent streams through the
official async `openai` SDK and the real LiteLLM proxy with the rendered dev config and its
Redis, while one member hangs, then answers 503, then recovers (fake_aml.py, Azure ML in front
of TGI 3.3.2).

Reported (printed, and attached to the test's properties): error rate, time to first token, how
often the failing member was asked, and how long the recovered member waited for traffic.
Bounds, and why:
- no stream fails: the role's fallback is healthy, so every client must get one clean stream;
- while the member hangs, every first token arrives within the member's stream timeout plus
  10 s (the router's time to give up, cool the member down and ask the fallback);
- while it answers 503, it is asked only by the streams already under way when its first 503
  came back (at most the 50 of that wave): a second wave, inside the cooldown, asks it never;
- once it recovers, it gets traffic again within the cooldown plus 3 s (the cooldown is the
  router's only reason to keep away; 3 s covers the probing interval and a loaded machine).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time

import pytest

from litellm_proxy import LITELLM, REDIS_SERVER, start_council

pytestmark = [
    pytest.mark.skipif(LITELLM is None and not os.environ.get("CI"), reason="pip install -e '.[test]' for litellm[proxy]"),
    pytest.mark.skipif(REDIS_SERVER is None and not os.environ.get("CI"), reason="apt-get install redis-server (.ci/run does)"),
]
STREAMS = 50
TIMEOUT = 3
COOLDOWN = 10
FALLBACK_MARGIN = 10
RECOVERY_MARGIN = 3
MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.fixture(scope="module")
def council(tmp_path_factory):
    running = start_council("dev", tmp_path_factory.mktemp("load"), timeout=TIMEOUT, cooldown=COOLDOWN)
    yield running
    running.stop()


async def _wave(council, role: str, count: int) -> list[tuple[str | None, float | None]]:
    """`count` concurrent streams: (text or None on error, time to first token)."""
    async def one(client):
        started = time.monotonic()
        first, text = None, ""
        try:
            stream = await client.chat.completions.create(model=role, messages=MESSAGES, stream=True)
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    first = first if first is not None else time.monotonic() - started
                    text += chunk.choices[0].delta.content
        except Exception:  # noqa: BLE001  # counted as an error
            return None, first
        return text, first

    async with council.async_sdk() as client:
        return await asyncio.gather(*(one(client) for _ in range(count)))


def _summary(results, expected: str) -> dict:
    errors = sum(1 for text, _ in results if text != expected)
    ttft = sorted(t for _, t in results if t is not None)
    return {"error_rate": errors / len(results), "ttft_p50_s": round(statistics.median(ttft), 3) if ttft else None,
            "ttft_max_s": round(ttft[-1], 3) if ttft else None}


def test_fifty_streams_while_a_member_hangs_then_fails_then_recovers(council, record_property):
    member, expected = council.fake(council.role), council.answer(council.fallback)
    report = {}

    member.mode, member.hang_seconds = "stream_hang", TIMEOUT + FALLBACK_MARGIN + 20
    report["hang"] = _summary(asyncio.run(_wave(council, council.role, STREAMS)), expected)
    time.sleep(COOLDOWN + 0.5)

    member.mode, member.aml_status = "aml_status", 503
    before = member.posts()
    report["503"] = _summary(asyncio.run(_wave(council, council.role, STREAMS)), expected)
    first_wave = member.posts() - before
    report["503_second_wave"] = _summary(asyncio.run(_wave(council, council.role, STREAMS)), expected)
    report["503_member_calls"] = {"first_wave": first_wave, "second_wave": member.posts() - before - first_wave}

    member.mode = "ok"
    recovered_at, waited = time.monotonic(), None
    while time.monotonic() - recovered_at < COOLDOWN + 2 * RECOVERY_MARGIN:
        (text, _), = asyncio.run(_wave(council, council.role, 1))
        if text == council.answer(council.role):
            waited = time.monotonic() - recovered_at
            break
        time.sleep(0.25)
    report["recovered_member_traffic_after_s"] = round(waited, 2) if waited is not None else None
    print(f"\nrouter under load ({STREAMS} streams, member timeout {TIMEOUT} s, cooldown {COOLDOWN} s): {report}")
    record_property("router_load", report)

    assert report["hang"]["error_rate"] == 0 and report["hang"]["ttft_max_s"] < TIMEOUT + FALLBACK_MARGIN, report
    assert report["503"]["error_rate"] == 0 and report["503_second_wave"]["error_rate"] == 0, report
    assert first_wave <= STREAMS and report["503_member_calls"]["second_wave"] == 0, report
    assert waited is not None and waited <= COOLDOWN + RECOVERY_MARGIN, report
