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
- connection refused when told to (`refuse()`), as from an endpoint whose front end is gone.

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


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    authorization: str | None
    deployment: str | None
    body: dict | None


@dataclass
class FakeDeployment:
    name: str
    key: str
    answer: str
    mode: str = "ok"
    hang_seconds: float = 30.0
    # A healthy member's time to answer (prefill and generation) in mode "ok": the benchmark's
    # stand-in for a GPU that is busy generating.
    latency_seconds: float = 0.0
    tgi_error: TgiError = TOO_LONG
    aml_status: int = 503
    seen: list[SeenRequest] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    _port: int | None = None
    _connections: set = field(default_factory=set)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/v1"

    def posts(self) -> int:
        return sum(1 for s in self.seen if s.method == "POST")

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

            def _stream(self, body: dict, words: list[str], finish: str, in_stream_error: TgiError | None = None) -> None:
                """TGI's server-sent events (chunked, as axum's Sse sends them)."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("X-Accel-Buffering", "no")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    self.wfile.flush()
                    if fake.mode == "stream_hang":
                        time.sleep(fake.hang_seconds)
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

            def _record(self, body: dict | None) -> None:
                fake.seen.append(SeenRequest(
                    self.command, self.path, self.headers.get("Authorization"), self.headers.get("azureml-model-deployment"), body
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
                self._record(body)
                if self.path.split("?")[0] != "/v1/chat/completions":
                    return self._reply(404, {"error": f"no route {self.path}"})
                if self.headers.get("Authorization") != f"Bearer {fake.key}":
                    return self._reply(401, {"error": "invalid or missing endpoint key"})
                if fake.mode == "disconnect":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fake.mode == "aml_status":
                    return self._send(fake.aml_status, AML_REASONS.get(fake.aml_status, "error").encode(), "text/plain")
                if fake.mode == "hang":
                    time.sleep(fake.hang_seconds)
                elif fake.latency_seconds:
                    time.sleep(fake.latency_seconds)
                body = body or {}
                if "max_tokens" in body and "max_completion_tokens" in body:
                    return self._container(422, "Failed to deserialize the JSON body into the target type: "
                                                "duplicate field `max_tokens` at line 1 column 1")
                limit = body.get("max_tokens", body.get("max_completion_tokens"))
                words = fake.answer.split(" ")
                finish = "stop"
                if isinstance(limit, int) and limit < len(words):
                    words, finish = words[:limit], "length"
                error = INCOMPLETE if fake.mode == "fail" else fake.tgi_error if fake.mode == "tgi_error" else None
                if body.get("stream"):
                    if error and error.error_type in IN_STREAM_ERROR_TYPES:
                        return self._stream(body, words, finish, in_stream_error=error)
                    if error:
                        return self._container(error.status, {"error": error.message, "error_type": error.error_type})
                    return self._stream(body, words, finish)
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

