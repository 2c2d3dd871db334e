"""A minimal OTLP/HTTP trace receiver on 127.0.0.1 (POST /v1/traces, protobuf), standing in
for the Container Apps managed OpenTelemetry agent: it keeps every span it is sent."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse


@dataclass
class Span:
    name: str
    trace_id: str
    status: str
    start_ns: int
    end_ns: int
    attributes: dict
    raw: dict  # the whole span as received, to search for what must not be there

    @property
    def duration_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6


def _value(attribute: dict):
    return next(iter(attribute["value"].values()), None)


@dataclass
class OtlpReceiver:
    spans: list[Span] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    # False: count what arrives and answer as the agent does, without decoding (a benchmark's sink).
    decode: bool = True
    received: int = 0

    def start(self) -> "OtlpReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received += 1
                if not receiver.decode:
                    return self._answer()
                receiver.bodies.append(body)
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                for resource_spans in MessageToDict(request).get("resourceSpans", []):
                    for scope_spans in resource_spans.get("scopeSpans", []):
                        for span in scope_spans.get("spans", []):
                            receiver.spans.append(Span(
                                name=span["name"], trace_id=span.get("traceId", ""),
                                status=span.get("status", {}).get("code", "STATUS_CODE_UNSET"),
                                start_ns=int(span.get("startTimeUnixNano", 0)), end_ns=int(span.get("endTimeUnixNano", 0)),
                                attributes={a["key"]: _value(a) for a in span.get("attributes", [])}, raw=span,
                            ))
                self._answer()

            def _answer(self):
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
