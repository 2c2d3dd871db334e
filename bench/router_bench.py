#!/usr/bin/env python3
"""Router benchmark: what one router replica costs and carries, configured as deployed.

For each environment file it starts what a router replica runs (RouterApp's command and
variables): the rendered router config and the council's hooks, `--num_workers` for the
environment's `router.cpu`, the environment's log level, a real redis-server as the shared
state and LiteLLM's OpenTelemetry exporter sending to an OTLP/HTTP sink (the Container Apps
agent's stand-in) -- with one replica, then two sharing the Redis. The members are fakes
(tests/fake_aml.py) in a process of their own. Each case is measured straight to the member and
through the router in the same run, and reported as a ratio:

  sequential        median latency of single requests; the router's overhead
  saturated         50 in flight, members answering at once: requests/s, and the router's CPU
                    per request (CPU time of every router process / requests served)
  streamed          the same with streamed answers of --chunks chunks; time to first chunk
  waiting           50 in flight, members taking --member-seconds: requests/s against the
                    ideal (in flight / member time) and how busy the router's CPU was

plus a baseline replica as the earlier figure was taken (no Redis, no exporter, ERROR logs).
Not deployable here: virtual keys (LiteLLM's database path needs Prisma engines this machine
cannot download), so each environment runs with `virtual_keys: false`.

A tool you run, never a test (these machines are shared and noisy):

    pip install -e '.[bench]' && python bench/router_bench.py
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from litellm_proxy import RunningRouter, render, start_redis, start_router, with_router  # noqa: E402

INSTANT, THINKING = "instant", "thinking"  # the two fake members: answering at once, or after --member-seconds


def _members(conn, keys: dict[str, str], words: int, member_seconds: float) -> None:
    """Child process: the fake members and the OTLP sink, until the parent says stop."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fake_aml import FakeDeployment
    from otlp_receiver import OtlpReceiver

    answer = " ".join(["word"] * words)
    fakes = {
        INSTANT: FakeDeployment(name=INSTANT, key=keys[INSTANT], answer=answer).start(),
        THINKING: FakeDeployment(name=THINKING, key=keys[THINKING], answer=answer, latency_seconds=member_seconds).start(),
    }
    sink = OtlpReceiver(decode=False).start()
    conn.send(({name: fake.base_url for name, fake in fakes.items()}, sink.endpoint))
    while conn.recv() != "stop":
        conn.send(sink.received)
    for fake in fakes.values():
        fake.stop()
    sink.stop()


@dataclass(frozen=True)
class Target:
    """Where a request goes: the member itself or a router replica."""

    url: str
    headers: dict
    model: str


@dataclass
class Load:
    latencies: list[float]
    first_chunks: list[float]
    requests_per_second: float
    errors: int


async def _load(targets: list[Target], n: int, concurrency: int, extra: dict) -> Load:
    """n requests, `concurrency` in flight, spread over the targets in turn."""
    latencies: list[float] = []
    first_chunks: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits, trust_env=False) as client:
        remaining = iter(range(n))

        async def worker(index: int) -> None:
            nonlocal errors
            target = targets[index % len(targets)]
            body = {"model": target.model, "messages": [{"role": "user", "content": "hello"}], **extra}
            for _ in remaining:
                started = time.perf_counter()
                if body.get("stream"):
                    async with client.stream("POST", target.url, headers=target.headers, json=body) as response:
                        first = None
                        async for line in response.aiter_lines():
                            if first is None and line.startswith("data:"):
                                first = time.perf_counter() - started
                        if first is not None:
                            first_chunks.append(first)
                else:
                    response = await client.post(target.url, headers=target.headers, json=body)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        return Load(latencies, first_chunks, n / (time.perf_counter() - started), errors)


def _cpu_seconds(processes: list[psutil.Process]) -> float:
    """CPU time (user + system) of the router processes and all their workers."""
    total = 0.0
    for process in processes:
        for p in [process, *process.children(recursive=True)]:
            try:
                times = p.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
    return total


@dataclass
class Case:
    kind: str  # sequential | saturated | streamed | waiting
    name: str
    direct: Load
    routed: Load
    cpu_ms_per_request: float
    cpu_busy: float  # share of the replicas' workers' time spent on CPU


def _run(direct: Target, routed: list[Target], processes: list[psutil.Process], workers: int, *, kind: str, name: str, n: int,
         concurrency: int, extra: dict | None = None) -> Case:
    extra = extra or {}
    direct_load = asyncio.run(_load([direct], n, concurrency, extra))
    cpu_before, started = _cpu_seconds(processes), time.perf_counter()
    routed_load = asyncio.run(_load(routed, n, concurrency, extra))
    cpu, wall = _cpu_seconds(processes) - cpu_before, time.perf_counter() - started
    return Case(kind, name, direct_load, routed_load, cpu / n * 1000, cpu / (wall * workers * len(processes)))


def _case(cases: list[Case], kind: str) -> Case:
    return next(c for c in cases if c.kind == kind)


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000 if values else float("nan")


def _p99_ms(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))] * 1000 if ordered else float("nan")


def bench_setup(label: str, env, *, replicas: int, deployed: bool, members: dict[str, str], keys: dict[str, str],
                sink: str, args, workdir: Path) -> list[Case]:
    from council.policy import TELEMETRY_CALLBACK, router_workers
    from council.router_contract import telemetry_environment

    workers = router_workers(env.router.cpu)
    roles = [m.role for m in env.members]
    instant_role, thinking_role = roles[0], roles[-1]
    extra_env = {"LITELLM_LOG": env.router.log_level if deployed else "ERROR"}
    redis = None
    if deployed:
        redis = start_redis(workdir / "redis")
        extra_env |= redis.env | telemetry_environment(label) | {
            "OTEL_EXPORTER_OTLP_ENDPOINT": sink, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}
    else:
        env = with_router(env, shared_state="none")
    config = render(env, redis_tls=False)
    if not deployed:  # and no OpenTelemetry callback
        settings = yaml.safe_load(config)
        settings["litellm_settings"]["callbacks"].remove(TELEMETRY_CALLBACK)
        config = yaml.safe_dump(settings, sort_keys=False)
    for role in roles:
        member = THINKING if role == thinking_role else INSTANT
        extra_env[f"{role.upper()}_API_BASE"], extra_env[f"{role.upper()}_API_KEY"] = members[member], keys[member]
    routers: list[RunningRouter] = []
    try:
        for replica in range(replicas):
            routers.append(start_router(config, roles, workdir / f"replica-{replica}", extra_env=extra_env, fakes={},
                                        args=("--num_workers", str(workers))))
        processes = [psutil.Process(r.process.pid) for r in routers]
        through = lambda model: [Target(f"{r.base}/v1/chat/completions", {"Authorization": f"Bearer {r.master_key}"}, model)
                                 for r in routers]
        straight = lambda member: Target(f"{members[member]}/chat/completions", {"Authorization": f"Bearer {keys[member]}"}, member)
        short = {"max_tokens": 16}
        asyncio.run(_load(through(instant_role), 40, 4, short))  # warm up every replica
        cases = [
            _run(straight(INSTANT), through(instant_role), processes, workers, kind="sequential", name="sequential", n=args.sequential,
                 concurrency=1, extra=short),
            _run(straight(INSTANT), through(instant_role), processes, workers, kind="saturated", name=f"saturated, {args.concurrency} in flight",
                 n=args.requests, concurrency=args.concurrency, extra=short),
            _run(straight(INSTANT), through(instant_role), processes, workers, kind="streamed",
                 name=f"streamed {args.chunks} chunks, {args.concurrency} in flight", n=max(50, args.requests // 4),
                 concurrency=args.concurrency, extra={"stream": True, "max_tokens": args.chunks}),
            _run(straight(THINKING), through(thinking_role), processes, workers, kind="waiting",
                 name=f"waiting {args.member_seconds:g} s, {args.concurrency} in flight", n=args.requests,
                 concurrency=args.concurrency, extra=short),
        ]
        errors = sum(c.routed.errors + c.direct.errors for c in cases)
        if errors:
            raise SystemExit(f"{label}: {errors} requests failed; see {workdir}/replica-*/litellm.log")
        return cases
    finally:
        for router in routers:
            router.stop(fakes=False)
        if redis:
            redis.stop()


def report(label: str, cases: list[Case], concurrency: int, member_seconds: float) -> None:
    print(f"\n### {label}\n")
    print("| case | member median ms | router median ms | router p99 ms | member req/s | router req/s | router / member | "
          "router CPU ms per request | router CPU busy |")
    print("|---|---|---|---|---|---|---|---|---|")
    for c in cases:
        if c.kind == "sequential":
            ratio = f"+{_median_ms(c.routed.latencies) - _median_ms(c.direct.latencies):.1f} ms"
        else:
            ratio = f"{c.routed.requests_per_second / c.direct.requests_per_second:.2f}"
        print(f"| {c.name} | {_median_ms(c.direct.latencies):.1f} | {_median_ms(c.routed.latencies):.1f} | "
              f"{_p99_ms(c.routed.latencies):.1f} | {c.direct.requests_per_second:.0f} | {c.routed.requests_per_second:.0f} | "
              f"{ratio} | {c.cpu_ms_per_request:.1f} | {c.cpu_busy:.0%} |")
        if c.routed.first_chunks:
            print(f"| first chunk of {c.name} | {_median_ms(c.direct.first_chunks):.1f} | {_median_ms(c.routed.first_chunks):.1f} | "
                  f"{_p99_ms(c.routed.first_chunks):.1f} | | | | | |")
    waiting = _case(cases, "waiting")
    print(f"\nwaiting: ideal {concurrency / member_seconds:.0f} req/s ({concurrency} in flight / {member_seconds:g} s); "
          f"router {waiting.routed.requests_per_second:.0f} req/s with its CPU {waiting.cpu_busy:.0%} busy")


def figures(deployed: list[list[Case]], chunks: int) -> None:
    """The sizing figures, worst of the deployed setups, beside the ones council.policy uses."""
    from council.policy import ROUTER_CPU_SECONDS_PER_CHUNK, ROUTER_CPU_SECONDS_PER_REQUEST

    per_request = max(_case(cases, "saturated").cpu_ms_per_request for cases in deployed)
    per_chunk = max((_case(cases, "streamed").cpu_ms_per_request - _case(cases, "saturated").cpu_ms_per_request) / chunks
                    for cases in deployed)
    print(f"\nworst of the deployed setups: {per_request:.1f} ms of router CPU per request (saturated), "
          f"{per_chunk:.3f} ms per streamed chunk ((streamed - saturated) / {chunks})")
    print(f"council.policy uses {ROUTER_CPU_SECONDS_PER_REQUEST * 1000:.1f} ms and {ROUTER_CPU_SECONDS_PER_CHUNK * 1000:.3f} ms"
          + ("" if per_request <= ROUTER_CPU_SECONDS_PER_REQUEST * 1000 * 1.1 and per_chunk <= ROUTER_CPU_SECONDS_PER_CHUNK * 1000 * 1.1
             else ": below what this run measured, update council.policy and the README"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--environments", nargs="+", default=["dev", "prod"], help="environment files to take the router from")
    parser.add_argument("--replicas", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--requests", type=int, default=600, help="requests per concurrent case")
    parser.add_argument("--sequential", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--chunks", type=int, default=100, help="chunks per streamed answer")
    parser.add_argument("--member-seconds", type=float, default=0.2, help="the waiting member's time to answer")
    parser.add_argument("--no-baseline", action="store_true", help="skip the no-Redis, no-exporter, ERROR-log replica")
    args = parser.parse_args()

    from council.config import load_environment

    keys = {INSTANT: secrets.token_urlsafe(32), THINKING: secrets.token_urlsafe(32)}
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=_members, args=(child, keys, max(args.chunks, 16), args.member_seconds), daemon=True)
    server.start()
    members, sink = parent.recv()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            setups = []
            if not args.no_baseline:
                setups.append(("baseline: dev router, no Redis, no exporter, ERROR logs, 1 replica", args.environments[0], 1, False))
            setups += [(f"{name} as deployed, {n} replica{'s' * (n > 1)}", name, n, True)
                       for name in args.environments for n in args.replicas]
            deployed_cases: list[list[Case]] = []
            for index, (label, name, replicas, deployed) in enumerate(setups):
                env = load_environment(ROOT / "environments" / f"{name}.yaml")
                # A member's rate limit would throttle the benchmark: raised out of reach, so the
                # limiter still runs where the environment has one.
                env = env.model_copy(update={"members": tuple(
                    m.model_copy(update={k: 10**9 for k in ("rpm", "tpm") if getattr(m, k)}) for m in env.members)})
                env = with_router(env, virtual_keys=False)
                parent.send("count")
                exported_before = parent.recv()
                cases = bench_setup(name, env, replicas=replicas, deployed=deployed, members=members, keys=keys, sink=sink,
                                    args=args, workdir=Path(tmp) / str(index))
                parent.send("count")
                exported = parent.recv() - exported_before
                if deployed and not exported:
                    raise SystemExit(f"{label}: the router exported no spans; the benchmark did not run as deployed")
                from council.policy import router_workers

                if deployed:
                    deployed_cases.append(cases)
                report(f"{label} (router.cpu {env.router.cpu:g}, {router_workers(env.router.cpu)} worker per replica, "
                       f"log level {env.router.log_level if deployed else 'ERROR'}, {exported} OTLP exports)",
                       cases, args.concurrency, args.member_seconds)
            if deployed_cases:
                figures(deployed_cases, args.chunks)
    finally:
        parent.send("stop")
        server.join(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
