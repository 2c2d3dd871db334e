"""A local stand-in for an Azure ML managed online deployment serving an OpenAI-style API.

Faithful to the documented contract the router relies on: only
`POST /v1/chat/completions`, only with `Authorization: Bearer <that endpoint's key>`,
OpenAI-format JSON in and out. Anything else gets the status Azure ML returns
(404 for other paths, 401 for a missing or wrong key). Each fake can be told to
fail with 500 or to hang past the caller's timeout.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default of 5 resets connections under 50 concurrent clients


@dataclass
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
    mode: str = "ok"  # ok | fail | hang
    hang_seconds: float = 30.0
    seen: list[SeenRequest] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "FakeDeployment":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def handle_one_request(self):
                try:
                    super().handle_one_request()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def _reply(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller gave up (timed out) before the answer came

            def _stream(self, model: str) -> None:
                """OpenAI-style server-sent events, as TGI and the catalog's vLLM send them."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                words = fake.answer.split(" ")
                try:
                    for index, word in enumerate(words):
                        chunk = {
                            "id": f"chatcmpl-{fake.name}", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                            "choices": [{"index": 0, "delta": {"role": "assistant", "content": word if index == 0 else " " + word},
                                         "finish_reason": None}],
                        }
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                        self.wfile.flush()
                    done = {"id": f"chatcmpl-{fake.name}", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                    self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            def _record(self, body: dict | None) -> None:
                fake.seen.append(
                    SeenRequest(
                        self.command, self.path, self.headers.get("Authorization"), self.headers.get("azureml-model-deployment"), body
                    )
                )

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
                if fake.mode == "fail":
                    return self._reply(500, {"error": "upstream failure (injected)"})
                if fake.mode == "hang":
                    time.sleep(fake.hang_seconds)
                if (body or {}).get("stream"):
                    return self._stream((body or {}).get("model", fake.name))
                self._reply(
                    200,
                    {
                        "id": f"chatcmpl-{fake.name}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": (body or {}).get("model", fake.name),
                        "choices": [
                            {"index": 0, "message": {"role": "assistant", "content": fake.answer}, "finish_reason": "stop"}
                        ],
                        "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6},
                    },
                )

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
