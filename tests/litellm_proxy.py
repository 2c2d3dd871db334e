"""Run the real LiteLLM proxy (pip litellm[proxy]) on 127.0.0.1 against fake members.

One place that knows how to render a council's router config for local fakes, start
the proxy with the environment variables RouterApp would give it, wait until it is live
and stop it again. Used by every test that needs a running router.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from fake_aml import FakeDeployment

LITELLM = shutil.which("litellm", path=str(Path(sys.executable).parent)) or shutil.which("litellm")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningRouter:
    base: str
    client: httpx.Client
    fakes: dict[str, FakeDeployment]
    master_key: str
    config: Path
    log: Path
    process: subprocess.Popen
    extra: dict = field(default_factory=dict)

    def chat(self, model: str, *, key: str | None = "master", stream: bool = False, content: str = "hello") -> httpx.Response:
        headers = {} if key is None else {"Authorization": f"Bearer {self.master_key if key == 'master' else key}"}
        body = {"model": model, "messages": [{"role": "user", "content": content}]}
        if stream:
            body["stream"] = True
        return self.client.post("/v1/chat/completions", headers=headers, json=body)

    def posts(self, role: str) -> int:
        """Chat requests member `role` received (LiteLLM also probes GET /v1/models)."""
        return sum(1 for s in self.fakes[role].seen if s.method == "POST")

    def stop(self, *, fakes: bool = True) -> None:
        """Stop the proxy, and its fake members unless other routers share them."""
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if fakes:
            for fake in self.fakes.values():
                fake.stop()


def environment(name: str, *, timeout: int | None = None, **member_updates: dict):
    """environments/<name>.yaml as the router sees it, with every member's request timeout set
    to `timeout` (seconds, so a hang test costs seconds) and per-role field updates."""
    from council.config import load_environment

    env = load_environment(Path(__file__).resolve().parents[1] / "environments" / f"{name}.yaml")
    members = tuple(
        m.model_copy(update={**({"request_timeout_seconds": timeout} if timeout else {}), **member_updates.get(m.role, {})})
        for m in env.members
    )
    return env.model_copy(update={"members": members})


def dev_environment(*, timeout: int | None = None, **member_updates: dict):
    return environment("dev", timeout=timeout, **member_updates)


def with_router(env, **updates):
    """`env` with router settings changed (e.g. a short cooldown so a test waits seconds)."""
    return env.model_copy(update={"router": env.router.model_copy(update=updates)})


@dataclass
class RedisServer:
    """A real redis-server (Debian package) on 127.0.0.1: the router's shared state."""

    port: int
    password: str
    process: subprocess.Popen

    @property
    def env(self) -> dict[str, str]:
        """The variables RouterApp gives the router for its Redis."""
        return {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(self.port), "REDIS_PASSWORD": self.password}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


REDIS_SERVER = shutil.which("redis-server")


def start_redis(workdir: Path) -> RedisServer:
    import redis as redis_client

    assert REDIS_SERVER, "redis-server must be installed (.ci/run installs the Debian package)"
    workdir.mkdir(parents=True, exist_ok=True)
    port, password = free_port(), secrets.token_hex(16)
    process = subprocess.Popen(
        [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port), "--requirepass", password, "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=(workdir / "redis.log").open("w"), stderr=subprocess.STDOUT,
    )
    client = redis_client.Redis(host="127.0.0.1", port=port, password=password)
    deadline = time.monotonic() + 20
    try:
        while True:
            try:
                if client.ping():
                    return RedisServer(port, password, process)
            except redis_client.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    process.kill()
                    raise RuntimeError(f"redis-server did not start: {(workdir / 'redis.log').read_text()[-2000:]}")
                time.sleep(0.2)
    finally:
        client.close()


def render(env, *, redis_tls: bool = True) -> str:
    """The router config `council render-router-config` would write for `env`."""
    from council.router_config import render_router_config, router_members

    return render_router_config(env, router_members(env), redis_tls=redis_tls)


def answer_of(role: str) -> str:
    """What the fake member of `role` answers."""
    return f"answer from {role}"


def answered_by(response: httpx.Response) -> str:
    """Which fake member answered (see answer_of)."""
    assert response.status_code == 200, response.text[:500]
    return response.json()["choices"][0]["message"]["content"].removeprefix(answer_of(""))


def write_config(workdir: Path, config_text: str) -> Path:
    """The config and, beside it, the council's hooks, as RouterApp mounts them."""
    from council.router_config import router_hooks_source
    from council.router_contract import HOOKS_MOUNT_PATH

    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "router-config.yaml"  # LiteLLM reads a path not ending in .yaml as JSON
    config.write_text(config_text)
    (workdir / Path(HOOKS_MOUNT_PATH).name).write_text(router_hooks_source())
    return config


def start_router(config_text: str, roles: list[str], workdir: Path, *, extra_env: dict[str, str] | None = None,
                 fakes: dict[str, FakeDeployment] | None = None, args: tuple[str, ...] = ()) -> RunningRouter:
    """Write the config, start a fake member per role and the proxy (`args`: more `litellm`
    options, e.g. RouterApp's --num_workers); wait until it is live."""
    assert LITELLM, "litellm[proxy] must be installed (pip install -e '.[test]')"
    config = write_config(workdir, config_text)
    if fakes is None:
        fakes = {
            role: FakeDeployment(name=role, key=secrets.token_urlsafe(32), answer=answer_of(role)).start() for role in roles
        }
    master_key = "sk-" + secrets.token_hex(24)
    env = {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_MASTER_KEY": master_key,
        "LITELLM_LOG": "ERROR",
        "NO_PROXY": "127.0.0.1,localhost",
        **(extra_env or {}),
    }
    for role, fake in fakes.items():
        env[f"{role.upper()}_API_BASE"] = fake.base_url
        env[f"{role.upper()}_API_KEY"] = fake.key
    port = free_port()
    log = workdir / "litellm.log"
    process = subprocess.Popen(
        [LITELLM, "--config", str(config), "--host", "127.0.0.1", "--port", str(port), *args],
        env=env, cwd=workdir, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"litellm exited with {process.returncode}: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/health/liveliness", timeout=2, trust_env=False).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("litellm did not become live within 180 s")
        time.sleep(0.3)
    client = httpx.Client(base_url=base, timeout=120, trust_env=False)
    return RunningRouter(base=base, client=client, fakes=fakes, master_key=master_key, config=config, log=log, process=process)


@dataclass
class Council:
    """A running router with its Redis, the rendered config of one environment file, and the
    roles a test needs, picked by what they are."""

    name: str
    env: object
    router: RunningRouter
    redis: RedisServer
    role: str  # a role whose fallback is another, healthy member
    fallback: str
    lone: str  # a role without a fallback

    def fake(self, role: str) -> FakeDeployment:
        return self.router.fakes[role]

    def sdk(self, key: str | None = None):
        import openai

        return openai.OpenAI(base_url=f"{self.router.base}/v1", api_key=key or self.router.master_key, max_retries=0, timeout=60)

    def async_sdk(self):
        import openai

        return openai.AsyncOpenAI(base_url=f"{self.router.base}/v1", api_key=self.router.master_key, max_retries=0, timeout=60)

    @staticmethod
    def answer(role: str) -> str:
        return answer_of(role)

    def stop(self) -> None:
        self.router.stop()
        self.redis.stop()


def roles_of(env) -> tuple[str, str, str, object]:
    """(role with a fallback, its fallback, a role without one, env): when every role of the file
    has a fallback, the last one listed loses its fallbacks so the lone case is covered too."""
    fallbacks = {f.role: f.to[0] for f in env.router.fallbacks}
    lone = next((m.role for m in env.members if m.role not in fallbacks), None)
    if lone is None:
        lone = env.router.fallbacks[-1].role
        env = with_router(env, fallbacks=tuple(f for f in env.router.fallbacks if f.role != lone))
        fallbacks.pop(lone)
    role = next(r for r, to in fallbacks.items() if lone not in (r, to))
    return role, fallbacks[role], lone, env


def start_council(name: str, workdir: Path, *, timeout: int, cooldown: int) -> Council:
    """The router of environments/<name>.yaml as deployed (its config, hooks, Redis and log level)
    with short member timeouts and cooldown. Without its PostgreSQL: LiteLLM's database path needs
    Prisma engines that cannot be downloaded here."""
    env = with_router(environment(name, timeout=timeout), cooldown_seconds=cooldown, virtual_keys=False)
    assert env.router.shared_state == "azure-managed-redis", "the shipped routers share their state through Redis"
    role, fallback, lone, env = roles_of(env)
    redis = start_redis(workdir / "redis")
    try:
        router = start_router(render(env, redis_tls=False), [m.role for m in env.members], workdir / "router",
                              extra_env={**redis.env, "LITELLM_LOG": env.router.log_level})
    except Exception:
        redis.stop()
        raise
    return Council(name, env, router, redis, role, fallback, lone)
