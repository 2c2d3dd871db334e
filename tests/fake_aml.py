"""A local stand-in for an Azure ML managed online endpoint whose deployment runs TGI 3.3.2.

Two layers, each faithful to its documented or source-read contract (facts read 2026-12-03):

The endpoint's front end (Azure ML, how-to-troubleshoot-online-endpoints, "HTTP status codes",
MicrosoftDocs/azure-ai-docs a2d90a50):
- only `POST /v1/chat/completions` is served here (404 otherwise), only with
  `Authorization: Bearer <that endpoint's key>` (401 otherwise);
- "If your model container returns a non-200 response, Azure returns a 424", with the
  container's status and reason in `ms-azureml-model-error-statuscode` and
  `ms-azureml-model-error-reason` (the doc does not say whether the body passes through;
  this fake passes it through, and the router must not depend on it);
- its own answers: 408 (request_timeout_ms exceeded), 429 (too many pending requests),
  500 (infrastructure), and 502/503/504 (documented for Kubernetes endpoints; an envoy front
  end answers them when its upstream is unhealthy), with no Retry-After (none documented);
- connection refused when told to (`refuse()`), as from an endpoint whose front end is gone;
- several deployments behind one endpoint (a rollout: `add_deployment`, each with its own
  behaviour). A request with the header `azureml-model-deployment: <name>` is answered by that
  deployment whatever the traffic split ("invoke the deployment directly without going through
  traffic rules", how-to-safely-rollout-online-endpoints, "Test the new deployment", ms.date
  2026-02-08, MicrosoftDocs/azure-ai-docs 96b17518, read 2026-12-03); without it a deployment is
  picked by the `traffic` weights, and the `mirror` share is copied to a shadow deployment whose
  answer is dropped (never for a request that names a deployment: same page, "Test the deployment
  with mirrored traffic"). No deployment with positive weight: 404 (how-to-troubleshoot-online-
  endpoints, "404 Not found: The endpoint doesn't have any valid deployment with positive
  weight"; the text is what clients report, e.g. microsoft/semantic-kernel#9085). A header naming
  no deployment of the endpoint: Azure ML documents no answer for it, and the azure-ai-ml SDK
  checks the name against the endpoint's deployments itself before it invokes ("Until this bug is
  resolved", operations/_online_endpoint_operations.py `invoke`, Azure/azure-sdk-for-python, read
  2026-12-03); this fake answers 404, and nothing in the council may depend on that answer.

The container (TGI 3.3.2, huggingface/text-generation-inference router/src: server.rs,
lib.rs, infer/mod.rs, read at v3.3.2 and db931fcf):
- errors `{"error": "<text>", "error_type": "<type>"}`: 422 validation ("Input validation
  error: `inputs` tokens + `max_new_tokens` must be <= ..."), 424 generation, 429 overloaded
  ("Model is overloaded"), 500 incomplete_generation; no Retry-After ever;
- `max_tokens`, or its serde alias `max_completion_tokens` (since 2024-12, #2845); both in one
  body is serde's "duplicate field" (axum: 422 plain text "Failed to deserialize ...");
- responses and stream chunks with `"id": ""`, `system_fingerprint`, `"usage": null` on
  every chunk, a usage chunk (`choices: []`) only with `stream_options.include_usage`, and
  `data: [DONE]` at the end, also after an error;
- with `stream: true`, validation and overload errors come *inside* an HTTP 200 stream as
  `data: {"error": {"message": ..., "http_status_code": 422}}` (every error says 422), then
  `data: [DONE]`.

Modes: ok | fail (the container answers 500 incomplete generation) | hang (nothing, not even
headers, for hang_seconds) | stream_hang (a streaming answer's headers, then nothing) |
tgi_error (the container answers `tgi_error`, a TgiError) | aml_status (the front end itself
answers `aml_status`) | disconnect (the connection is closed once the request is read, with no
answer: what a client sees when the server's idle timeout closed a pooled connection as it
was reused, or a front end dropped a request).
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TGI_VERSION = "3.3.2"
SYSTEM_FINGERPRINT = f"{TGI_VERSION}-sha-fake"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default of 5 resets connections under 50 concurrent clients


@dataclass(frozen=True)
class TgiError:
    status: int
    error_type: str
    message: str


# TGI's own errors (router/src/infer/mod.rs InferError: text, error_type and status).
TOO_LONG = TgiError(422, "validation", "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. "
                                       "Given: 5000 `inputs` tokens and 0 `max_new_tokens`")
OVERLOADED = TgiError(429, "overloaded", "Model is overloaded")
GENERATION_FAILED = TgiError(424, "generation", "Request failed during generation: CUDA error: an illegal memory access was encountered")
INCOMPLETE = TgiError(500, "incomplete_generation", "Incomplete generation")
# Errors TGI raises inside an HTTP 200 stream when `stream: true` (validation, queue permit).
IN_STREAM_ERROR_TYPES = ("validation", "overloaded")
# Status reasons the front end answers itself (Azure ML's table; 502-504 from its Kubernetes table).
AML_REASONS = {408: "Request timeout", 429: "Too many pending requests", 500: "Internal server error",
               502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


# The request header that names the deployment to answer (see the module docstring).
DEPLOYMENT_HEADER = "azureml-model-deployment"
NO_VALID_DEPLOYMENT = ("No valid deployments to route to. Please check that the endpoint has at least one deployment with "
                       "positive weight values or use a deployment specific header to route.")


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    authorization: str | None
    deployment: str | None  # the azureml-model-deployment header the request carried
    body: dict | None
    served_by: str | None = None  # the deployment that answered (or got the mirrored copy)
    mirrored: bool = False


@dataclass(kw_only=True)
class DeploymentBehaviour:
    """How one deployment behind an endpoint answers: the endpoint's first deployment
    (FakeDeployment) and any other one (`add_deployment`, a rollout)."""

    name: str
    answer: str
    mode: str = "ok"
    hang_seconds: float = 30.0
    # A healthy member's time to answer (prefill and generation) in mode "ok": the benchmark's
    # stand-in for a GPU that is busy generating.
    latency_seconds: float = 0.0
    tgi_error: TgiError = TOO_LONG
    aml_status: int = 503


@dataclass(kw_only=True)
class FakeDeployment(DeploymentBehaviour):
    key: str
    seen: list[SeenRequest] = field(default_factory=list)
    # The endpoint's other deployments (a rollout), and how it splits requests that name none:
    # deployment -> percent (None: all to this one, `name`), and a mirrored share.
    others: dict[str, DeploymentBehaviour] = field(default_factory=dict)
    traffic: dict[str, int] | None = None
    mirror: dict[str, int] = field(default_factory=dict)
    seed: int = 0
    server: ThreadingHTTPServer | None = None
    _port: int | None = None
    _connections: set = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _random: random.Random = field(default=None)  # seeded in __post_init__: a reproducible split

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/v1"

    def posts(self) -> int:
        return sum(1 for s in self.seen if s.method == "POST")

    def add_deployment(self, name: str, *, answer: str, **behaviour) -> DeploymentBehaviour:
        """Another deployment behind this endpoint (e.g. a rollout's staged one); it takes no
        traffic until `traffic` names it."""
        assert name != self.name and name not in self.others, f"deployment {name} exists"
        self.others[name] = DeploymentBehaviour(name=name, answer=answer, **behaviour)
        return self.others[name]

    def deployment(self, name: str):
        """The behaviour of deployment `name` (this object itself for its first deployment)."""
        return self if name == self.name else self.others[name]

    def served(self, deployment: str) -> list[SeenRequest]:
        """Chat requests deployment `deployment` answered (mirrored copies left out)."""
        return [s for s in self.seen if s.method == "POST" and s.served_by == deployment and not s.mirrored]

    def _route(self, named: str | None):
        """The deployment that answers: the one the header names (None if the endpoint has no
        such deployment), else one picked by the traffic weights (None if none has weight)."""
        if named is not None:
            return self.deployment(named) if named == self.name or named in self.others else None
        weights = {k: v for k, v in (self.traffic if self.traffic is not None else {self.name: 100}).items() if v > 0}
        if not weights:
            return None
        with self._lock:
            picked = self._random.choices(list(weights), weights=list(weights.values()))[0]
        return self.deployment(picked)

    def _mirrored_to(self) -> list[str]:
        with self._lock:
            return [name for name, percent in self.mirror.items() if self._random.random() * 100 < percent]

    def start(self) -> "FakeDeployment":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the endpoint's front end speaks

            def log_message(self, *args):  # keep test output clean
                pass

            def setup(self):
                super().setup()
                # http.server writes headers and body separately: without TCP_NODELAY the body waits
                # for the client's delayed ACK (40 ms a request, measured by bench/router_bench.py);
                # hyper, TGI's server, sends a small answer's head and body in one write.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                fake._connections.add(self.connection)

            def finish(self):
                fake._connections.discard(self.connection)
                super().finish()

            def handle_one_request(self):
                try:
                    super().handle_one_request()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def _send(self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-request-id", "00000000-0000-0000-0000-000000000000")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller gave up (timed out) before the answer came

            def _reply(self, status: int, payload: dict) -> None:
                self._send(status, json.dumps(payload).encode(), "application/json")

            def _container(self, status: int, payload: dict | str) -> None:
                """The container's answer as the front end passes it on: a non-200 becomes 424."""
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                content_type = "text/plain; charset=utf-8" if isinstance(payload, str) else "application/json"
                if status == 200:
                    return self._send(200, data, content_type)
                reason = payload if isinstance(payload, str) else payload.get("error", "")
                self._send(424, data, content_type, {"ms-azureml-model-error-statuscode": str(status),
                                                     "ms-azureml-model-error-reason": _header_safe(reason)})

            def _chunk(self, body: dict, delta: dict, finish: str | None, usage: dict | None = None, choices: bool = True) -> bytes:
                chunk = {"object": "chat.completion.chunk", "id": "", "created": int(time.time()),
                         "model": body.get("model") or "tgi", "system_fingerprint": SYSTEM_FINGERPRINT,
                         "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}] if choices else [],
                         "usage": usage}
                return f"data: {json.dumps(chunk)}\n\n".encode()

            def _write(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _stream(self, target, body: dict, words: list[str], finish: str, in_stream_error: TgiError | None = None) -> None:
                """TGI's server-sent events (chunked, as axum's Sse sends them)."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("X-Accel-Buffering", "no")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    self.wfile.flush()
                    if target.mode == "stream_hang":
                        time.sleep(target.hang_seconds)
                    if in_stream_error:
                        error = {"error": {"message": in_stream_error.message, "http_status_code": 422}}
                        self._write(f"data: {json.dumps(error)}\n\n".encode())
                    else:
                        for index, word in enumerate(words):
                            self._write(self._chunk(body, {"role": "assistant", "content": word if index == 0 else " " + word}, None))
                        self._write(self._chunk(body, {"role": "assistant", "content": ""}, finish))
                        if (body.get("stream_options") or {}).get("include_usage"):
                            self._write(self._chunk(body, {}, None, usage=_usage(words), choices=False))
                    self._write(b"data: [DONE]\n\n")
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
                # Otherwise the connection stays open for the next request, as TGI's (hyper's) does:
                # closing it without `Connection: close` made clients reuse a dead connection.

            def _record(self, body: dict | None, served_by: str | None = None, mirrored: bool = False) -> None:
                fake.seen.append(SeenRequest(
                    self.command, self.path, self.headers.get("Authorization"), self.headers.get(DEPLOYMENT_HEADER), body,
                    served_by, mirrored,
                ))

            def do_GET(self):
                self._record(None)
                self._reply(404, {"error": "not found"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = None
                if self.path.split("?")[0] != "/v1/chat/completions":
                    self._record(body)
                    return self._reply(404, {"error": f"no route {self.path}"})
                if self.headers.get("Authorization") != f"Bearer {fake.key}":
                    self._record(body)
                    return self._reply(401, {"error": "invalid or missing endpoint key"})
                named = self.headers.get(DEPLOYMENT_HEADER)
                target = fake._route(named)
                self._record(body, target.name if target is not None else None)
                if target is None:
                    text = f"Deployment {named} not found in this endpoint" if named is not None else NO_VALID_DEPLOYMENT
                    return self._send(404, text.encode(), "text/plain")
                if named is None:
                    for shadow in fake._mirrored_to():
                        self._record(body, shadow, mirrored=True)  # its answer goes nowhere
                self._answer(target, body)

            def _answer(self, target, body: dict | None) -> None:
                """How deployment `target` (FakeDeployment's own fields, or a DeploymentBehaviour) answers."""
                if target.mode == "disconnect":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if target.mode == "aml_status":
                    return self._send(target.aml_status, AML_REASONS.get(target.aml_status, "error").encode(), "text/plain")
                if target.mode == "hang":
                    time.sleep(target.hang_seconds)
                elif target.latency_seconds:
                    time.sleep(target.latency_seconds)
                body = body or {}
                if "max_tokens" in body and "max_completion_tokens" in body:
                    return self._container(422, "Failed to deserialize the JSON body into the target type: "
                                                "duplicate field `max_tokens` at line 1 column 1")
                limit = body.get("max_tokens", body.get("max_completion_tokens"))
                words = target.answer.split(" ")
                finish = "stop"
                if isinstance(limit, int) and limit < len(words):
                    words, finish = words[:limit], "length"
                error = INCOMPLETE if target.mode == "fail" else target.tgi_error if target.mode == "tgi_error" else None
                if body.get("stream"):
                    if error and error.error_type in IN_STREAM_ERROR_TYPES:
                        return self._stream(target, body, words, finish, in_stream_error=error)
                    if error:
                        return self._container(error.status, {"error": error.message, "error_type": error.error_type})
                    return self._stream(target, body, words, finish)
                if error:
                    return self._container(error.status, {"error": error.message, "error_type": error.error_type})
                self._container(200, {
                    "object": "chat.completion", "id": "", "created": int(time.time()), "model": body.get("model") or "tgi",
                    "system_fingerprint": SYSTEM_FINGERPRINT,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": " ".join(words)}, "logprobs": None,
                                 "finish_reason": finish}],
                    "usage": _usage(words),
                })

        self.server = _Server(("127.0.0.1", self._port or 0), Handler)
        self._port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def refuse(self) -> None:
        """Close the listening socket and every open connection: connections to the endpoint are
        refused until `restart()`."""
        self.stop()
        for connection in list(self._connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def restart(self) -> "FakeDeployment":
        """Listen again on the same port (the endpoint recovered)."""
        for _ in range(50):
            try:
                return self.start()
            except OSError:  # the port may linger briefly after close
                time.sleep(0.1)
        raise RuntimeError(f"port {self._port} did not come free")


def _usage(words: list[str]) -> dict:
    return {"prompt_tokens": 3, "completion_tokens": len(words), "total_tokens": 3 + len(words)}


def _header_safe(text: str) -> str:
    return "".join(c if 32 <= ord(c) < 127 else " " for c in text)[:256]

