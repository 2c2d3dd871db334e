#!/usr/bin/env python3
"""Router benchmark: what the LiteLLM proxy adds on top of a member, on this machine.

Starts a fake member (tests/fake_aml.py) and the real LiteLLM proxy with the dev router
config (`council render-router-config dev`, every member pointed at the same fake), then
measures, straight to the fake and through the proxy:

  sequential      median and p99 latency of N single requests, and the proxy's overhead
  concurrent      median and p99 latency and requests/s with C requests in flight
  first chunk     median time to the first streamed chunk through the proxy

A tool you run, never a test (these machines are shared and noisy):

    python bench/router_bench.py --requests 300 --concurrency 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fake_aml import FakeDeployment  # noqa: E402
from litellm_proxy import start_router  # noqa: E402

BODY = {"messages": [{"role": "user", "content": "hello"}]}


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _sequential(client: httpx.Client, url: str, headers: dict, model: str, n: int) -> list[float]:
    timings = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.post(url, headers=headers, json={**BODY, "model": model})
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text[:200]
    return timings


async def _concurrent(url: str, headers: dict, model: str, n: int, concurrency: int) -> tuple[list[float], float]:
    timings: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits, trust_env=False) as client:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(n):
            queue.put_nowait(i)

        async def worker() -> None:
            while not queue.empty():
                queue.get_nowait()
                started = time.perf_counter()
                response = await client.post(url, headers=headers, json={**BODY, "model": model})
                timings.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text[:200]

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return timings, n / (time.perf_counter() - started)


def _first_chunk(client: httpx.Client, base: str, headers: dict, model: str, n: int) -> list[float]:
    timings = []
    for _ in range(n):
        started = time.perf_counter()
        with client.stream("POST", f"{base}/v1/chat/completions", headers=headers, json={**BODY, "model": model, "stream": True}) as response:
            for line in response.iter_lines():
                if line.startswith("data:"):
                    timings.append(time.perf_counter() - started)
                    break
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()

    from council.config import load_environment
    from council.router_config import render_router_config, router_members

    env = load_environment(ROOT / "environments" / "dev.yaml")
    # One process, no Redis: the per-replica figure (shared state adds a Redis round trip).
    env = env.model_copy(update={"router": env.router.model_copy(update={"shared_state": "none"})})
    roles = [m.role for m in env.members]
    fake = FakeDeployment(name="member", key="bench-key", answer="answer from member").start()
    with tempfile.TemporaryDirectory() as tmp:
        router = start_router(render_router_config(env, router_members(env)), roles, Path(tmp), fakes={role: fake for role in roles})
        try:
            model = roles[0]
            direct_url, direct_headers = f"{fake.base_url}/chat/completions", {"Authorization": f"Bearer {fake.key}"}
            proxy_url, proxy_headers = f"{router.base}/v1/chat/completions", {"Authorization": f"Bearer {router.master_key}"}
            with httpx.Client(timeout=120, trust_env=False) as client:
                _sequential(client, proxy_url, proxy_headers, model, 20)  # warm up
                direct = _sequential(client, direct_url, direct_headers, model, args.requests)
                proxied = _sequential(client, proxy_url, proxy_headers, model, args.requests)
                chunks = _first_chunk(client, router.base, proxy_headers, model, 50)
            direct_c, direct_rps = asyncio.run(_concurrent(direct_url, direct_headers, model, args.requests * 3, args.concurrency))
            proxied_c, proxied_rps = asyncio.run(_concurrent(proxy_url, proxy_headers, model, args.requests * 3, args.concurrency))
        finally:
            router.stop()
    ms = 1000
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; one proxy worker, no Redis")
    print(f"{'case':<32}{'median ms':>11}{'p99 ms':>9}{'req/s':>9}")
    print(f"{'sequential, direct':<32}{statistics.median(direct) * ms:>11.1f}{_p(direct, .99) * ms:>9.1f}{'':>9}")
    print(f"{'sequential, through the router':<32}{statistics.median(proxied) * ms:>11.1f}{_p(proxied, .99) * ms:>9.1f}{'':>9}")
    print(f"{'  overhead (median difference)':<32}{(statistics.median(proxied) - statistics.median(direct)) * ms:>11.1f}")
    print(f"{f'{args.concurrency} concurrent, direct':<32}{statistics.median(direct_c) * ms:>11.1f}{_p(direct_c, .99) * ms:>9.1f}{direct_rps:>9.0f}")
    print(f"{f'{args.concurrency} concurrent, router':<32}{statistics.median(proxied_c) * ms:>11.1f}{_p(proxied_c, .99) * ms:>9.1f}{proxied_rps:>9.0f}")
    print(f"{'first streamed chunk, router':<32}{statistics.median(chunks) * ms:>11.1f}{_p(chunks, .99) * ms:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
