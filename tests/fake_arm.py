"""A local stand-in for the two Azure APIs `council smoke ENV` calls, over HTTPS on 127.0.0.1
(azure-core sends bearer tokens only over TLS): Azure Resource Manager's Container Apps
job start and execution status (Jobs_Start, Jobs_Execution in Microsoft.App's REST spec),
and Log Analytics' query-by-resource API. Every request must carry the bearer token the
fake `az` hands out; anything else is 404 with an ARM-style error body."""

from __future__ import annotations

import datetime
import ipaddress
import json
import re
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TOKEN = "fake-arm-token"


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "fake-arm.pem", directory / "fake-arm.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class FakeAzure:
    job_path: str  # /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.App/jobs/<name>
    environment_id: str
    final_status: str = "Succeeded"
    running_polls: int = 2
    log_lines: list[str] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    execution: str = "caj-smoke-abc123"

    def start(self, directory: Path) -> "FakeAzure":
        fake = self
        polls = {"n": 0}

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self, method: str) -> None:
                path = self.path.split("?", 1)[0]
                fake.requests.append((method, self.path))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._reply(401, {"error": {"code": "AuthenticationFailed", "message": "no or wrong bearer token"}})
                if method == "POST" and path == f"{fake.job_path}/start" and "api-version=" in self.path:
                    return self._reply(200, {"id": f"{fake.job_path}/executions/{fake.execution}", "name": fake.execution})
                if method == "GET" and path == f"{fake.job_path}/executions/{fake.execution}" and "api-version=" in self.path:
                    polls["n"] += 1
                    status = "Running" if polls["n"] <= fake.running_polls else fake.final_status
                    return self._reply(200, {"id": f"{fake.job_path}/executions/{fake.execution}", "name": fake.execution,
                                             "properties": {"status": status}})
                if method == "POST" and re.fullmatch(r"/v1" + re.escape(fake.environment_id) + r"/query", path):
                    query = json.loads(body)["query"]
                    rows = [[f"2026-11-27T00:00:{i:02d}Z", line] for i, line in enumerate(fake.log_lines)] \
                        if fake.execution in query and "ContainerAppConsoleLogs" in query else []
                    return self._reply(200, {"tables": [{"name": "PrimaryResult", "columns": [
                        {"name": "TimeGenerated", "type": "datetime"}, {"name": "Log", "type": "string"}], "rows": rows}]})
                return self._reply(404, {"error": {"code": "NotFound", "message": f"{method} {path}"}})

            def do_GET(self):  # noqa: N802
                self._route("GET")

            def do_POST(self):  # noqa: N802
                self._route("POST")

            def log_message(self, *args):
                pass

        self.cert, key = self_signed(directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def fake_az(directory: Path) -> Path:
    """An `az` on PATH that answers `az account get-access-token` as the Azure CLI does (the
    JSON azure-identity's AzureCliCredential parses), so DefaultAzureCredential signs in."""
    script = directory / "az"
    script.write_text(
        "#!/usr/bin/env python3\nimport json, sys, time\n"
        "if sys.argv[1:3] == ['account', 'get-access-token']:\n"
        f"    print(json.dumps({{'accessToken': '{TOKEN}', 'expiresOn': time.strftime('%Y-%m-%d %H:%M:%S.000000', time.localtime(time.time() + 3600)),"
        " 'expires_on': int(time.time()) + 3600, 'tokenType': 'Bearer', 'subscription': 'x', 'tenant': 'y'}))\n"
        "    sys.exit(0)\n"
        "sys.exit(2)\n"
    )
    script.chmod(0o755)
    return directory
