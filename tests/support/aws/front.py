"""A small front for moto's server, for opsdeck's AWS tests (tests/support/aws/mod.rs starts it).

It starts moto (ThreadedMotoServer) on 127.0.0.1:<ephemeral> and serves, on another ephemeral
port of 127.0.0.1, everything the Rust SDK clients send, forwarding to moto except:

- CloudWatch in Smithy RPCv2 CBOR (aws-sdk-cloudwatch >= 1.100; moto only speaks Query/JSON,
  moto issue #9195): `POST /service/GraniteServiceVersion20100801/operation/<Op>` is translated to
  moto's awsJson1_0 protocol (`X-Amz-Target: GraniteServiceVersion20100801.<Op>`) and the answer
  back to CBOR (timestamps as tag 1, epoch seconds as a float).
- Cost Explorer GetCostForecast and GetAnomalies (not implemented by moto): served from data
  seeded through `POST /_front/seed` (operation = the operation's name).
- GetMetricData percentiles (`p95`, ...): moto computes none (its answer fails to serialise), so
  the front asks moto for the period's `Maximum` instead. With one data point per period (as the
  tests seed) that is the exact percentile.
- Composite alarms (moto has no PutCompositeAlarm): seeded through `POST /_front/seed` with
  operation `CompositeAlarms/<region>` and added to that region's DescribeAlarms answers.
- Control endpoints for tests (`/_front/...`): inject N failures for an operation, count requests
  per operation, rewrite an EKS cluster's endpoint, reset. AWS Query operations (STS) are named
  by their `Action` (`GetCallerIdentity`), and their injected errors are awsQuery XML.

Accounts: moto keeps one backend per account. An access key id whose last 12 characters are
digits selects that account (the front adds moto's `x-moto-account-id` header), so concurrent
tests with different keys never see each other's data. Counters, failures and seeded data are per
account too.

Prints `READY <front_port> <moto_port>` on stdout once both listen; exits when stdin closes
(the test process that started it went away).
"""

import datetime
import html
import http.client
import json
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cbor2
from moto.server import ThreadedMotoServer

CBOR_PATH = re.compile(r"^/service/(?P<service>[^/]+)/operation/(?P<op>[^/?]+)")
CREDENTIAL = re.compile(r"Credential=([^/]+)/")
PERCENTILE = re.compile(r"^p\d+(\.\d+)?$")
SCOPE_REGION = re.compile(r"Credential=[^/]+/[^/]+/([^/]+)/")

# CloudWatch fields that are timestamps (CBOR tag 1 on the wire, epoch seconds in JSON).
TIMESTAMP_KEYS = {
    "StateUpdatedTimestamp",
    "StateTransitionedTimestamp",
    "AlarmConfigurationUpdatedTimestamp",
    "StateReasonDataTimestamp",
    "Timestamps",
    "Timestamp",
    "StartTime",
    "EndTime",
    "StartDate",
    "EndDate",
    "LastModified",
}

# What each injected error looks like, per protocol family.
ERRORS = {
    "AccessDenied": (
        403,
        "AccessDeniedException",
        "User: arn:aws:sts::{account}:assumed-role/ops/me is not authorized to perform: {op}",
    ),
    "Throttling": (400, "ThrottlingException", "Rate exceeded"),
    "InternalError": (500, "InternalFailure", "The request processing has failed because of an unknown error"),
    "ServiceUnavailable": (503, "ServiceUnavailable", "Service is unavailable"),
    "ExpiredToken": (
        400,
        "ExpiredTokenException",
        "The security token included in the request is expired",
    ),
    # A key AWS does not know (deleted, mistyped), and a secret that does not match it.
    "InvalidClientTokenId": (
        403,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    ),
    "UnrecognizedClient": (
        400,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    ),
    "SignatureDoesNotMatch": (
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided.",
    ),
}

LOCK = threading.Lock()
STATE = {"counts": {}, "fail": {}, "seed": {}, "endpoints": {}, "agents": {}}
MOTO = {"port": 0}


def account_of(headers):
    m = CREDENTIAL.search(headers.get("Authorization", ""))
    if m and len(m.group(1)) >= 12 and m.group(1)[-12:].isdigit():
        return m.group(1)[-12:]
    return "123456789012"


def presigned_authorization(path):
    """A presigned request (the EKS token's STS URL) carries its credential in the query; moto
    picks the service from the Authorization header, so the front gives it one."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    credential = query.get("X-Amz-Credential")
    if not credential:
        return None
    return "AWS4-HMAC-SHA256 Credential=" + credential[0] + ", SignedHeaders=host, Signature=0"


def region_of(headers):
    m = SCOPE_REGION.search(headers.get("Authorization", ""))
    return m.group(1) if m else "us-east-1"


def query_action(path, headers, body):
    """The `Action` of an AWS Query request (STS): in the form body, or in the query string of
    a presigned GET."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    if "form-urlencoded" in headers.get("Content-Type", "") and body:
        query.update(urllib.parse.parse_qs(body.decode(errors="replace")))
    action = query.get("Action")
    return action[0] if action else None


def operation_of(method, path, headers, body=b""):
    m = CBOR_PATH.match(path)
    if m:
        return "cbor", m.group("op")
    target = headers.get("X-Amz-Target")
    if target:
        return "json", target.split(".")[-1]
    action = query_action(path, headers, body)
    if action:
        return "query", action
    p = path.split("?")[0].rstrip("/")
    parts = p.split("/")[1:]
    if parts and parts[0] == "clusters":
        names = {1: "ListClusters", 2: "DescribeCluster", 3: "ListNodegroups", 4: "DescribeNodegroup"}
        if method == "GET" and len(parts) in names:
            return "rest", names[len(parts)]
        return "rest", method + " " + p
    return "other", method + " " + p


def to_json_value(value):
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json_value(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        import base64

        return base64.b64encode(value).decode()
    return value


def epoch(value):
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return value


def to_cbor_value(value, key=None):
    if key in TIMESTAMP_KEYS and value is not None:
        if isinstance(value, list):
            return [cbor2.CBORTag(1, epoch(v)) for v in value]
        return cbor2.CBORTag(1, epoch(value))
    if isinstance(value, dict):
        return {k: to_cbor_value(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [to_cbor_value(v) for v in value]
    return value


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def handle_any(self, method):
        body = self.body()
        if self.path.startswith("/_front/"):
            return self.control(method, body)
        family, op = operation_of(method, self.path, self.headers, body)
        account = account_of(self.headers)
        with LOCK:
            counts = STATE["counts"].setdefault(account, {})
            counts[op] = counts.get(op, 0) + 1
            # The SDK's user agents: `x-amz-user-agent` carries the app name (`app/...`).
            agents = STATE["agents"].setdefault(account, {}).setdefault(op, [])
            agent = self.headers.get("x-amz-user-agent", "") + " | " + self.headers.get("User-Agent", "")
            if agent not in agents:
                agents.append(agent)
            fails = STATE["fail"].get(account, {}).get(op)
            error = None
            if fails and fails[1] > 0:
                fails[1] -= 1
                error = fails[0]
        if error == "Slow":
            # Latency: the answer comes, late (2 s).
            time.sleep(2)
            error = None
        if error == "Reset":
            # The connection is cut without an answer (RST: linger 0, then close).
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return None
        if error == "Malformed":
            # 200 OK with a body cut short.
            if family == "cbor":
                return self.reply(200, b"\xbf\x6bMetricAlarms\x9f\xbf", {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"})
            return self.reply(200, b'{"MetricAlarms": [{"Alarm', {"Content-Type": "application/x-amz-json-1.1"})
        if error:
            return self.fail(family, error, account, op)
        if family == "json" and op in ("GetCostForecast", "GetAnomalies"):
            data = STATE["seed"].get(account, {}).get(op, {})
            return self.reply(200, json.dumps(data).encode(), {"Content-Type": "application/x-amz-json-1.1"})
        if family == "cbor":
            return self.cbor(op, body, account)
        forwarded = dict(self.headers)
        if "Authorization" not in forwarded:
            presigned = presigned_authorization(self.path)
            if presigned:
                forwarded["Authorization"] = presigned
        status, headers, out = self.forward(method, self.path, body, forwarded, account)
        if family == "rest" and op == "DescribeCluster" and status == 200:
            out = self.rewrite_endpoint(out, account)
        headers = {k: v for k, v in headers if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date")}
        self.reply(status, out, headers)

    def rewrite_endpoint(self, out, account):
        doc = json.loads(out)
        name = doc.get("cluster", {}).get("name")
        with LOCK:
            override = STATE["endpoints"].get(account, {}).get(name)
        if override:
            doc["cluster"]["endpoint"] = override["endpoint"]
            doc["cluster"]["certificateAuthority"] = {"data": override.get("ca", "")}
        return json.dumps(doc).encode()

    def forward(self, method, path, body, headers, account):
        headers["x-moto-account-id"] = account
        headers.pop("Content-Length", None)
        conn = http.client.HTTPConnection("127.0.0.1", MOTO["port"], timeout=30)
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        out = resp.read()
        result = resp.status, resp.getheaders(), out
        conn.close()
        return result

    def cbor(self, op, body, account):
        params = to_json_value(cbor2.loads(body)) if body else {}
        if op == "GetMetricData":
            for query in params.get("MetricDataQueries", []):
                stat = query.get("MetricStat", {})
                if PERCENTILE.match(stat.get("Stat", "")):
                    stat["Stat"] = "Maximum"
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "GraniteServiceVersion20100801." + op,
            "Authorization": self.headers.get("Authorization", ""),
            "X-Amz-Date": self.headers.get("X-Amz-Date", ""),
        }
        status, _, out = self.forward("POST", "/", json.dumps(params).encode(), headers, account)
        try:
            doc = json.loads(out) if out.strip() else {}
        except ValueError:
            # moto failed inside (an HTML error page): say so as AWS would.
            status, doc = 500, {"__type": "InternalFailure", "message": out[:200].decode(errors="replace")}
        if status >= 300:
            code = str(doc.get("__type") or doc.get("code") or "InternalFailure").split("#")[-1]
            doc = {"__type": code, "message": doc.get("message") or doc.get("Message") or ""}
        else:
            if op == "DescribeAlarms":
                # moto has no composite alarms (no PutCompositeAlarm): add the seeded ones.
                key = "CompositeAlarms/" + region_of(self.headers)
                with LOCK:
                    seeded = STATE["seed"].get(account, {}).get(key, [])
                doc.setdefault("CompositeAlarms", []).extend(seeded)
            doc = to_cbor_value(doc)
        self.reply(status, cbor2.dumps(doc), {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"})

    def fail(self, family, error, account, op):
        status, code, message = ERRORS[error]
        message = message.format(account=account, op=op)
        if family == "cbor":
            body = cbor2.dumps({"__type": code, "message": message})
            return self.reply(status, body, {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"})
        if family == "query":
            # awsQuery errors are XML (STS): the code without the JSON protocols' suffix.
            code = code.removesuffix("Exception")
            kind = "Receiver" if status >= 500 else "Sender"
            body = (
                "<ErrorResponse><Error><Type>" + kind + "</Type><Code>" + code + "</Code><Message>"
                + html.escape(message) + "</Message></Error><RequestId>front</RequestId></ErrorResponse>"
            ).encode()
            return self.reply(status, body, {"Content-Type": "text/xml"})
        body = json.dumps({"__type": code, "message": message}).encode()
        self.reply(status, body, {"Content-Type": "application/json", "x-amzn-ErrorType": code})

    def control(self, method, body):
        doc = json.loads(body) if body else {}
        path = self.path.split("?")[0]
        query = dict(q.split("=", 1) for q in self.path.split("?", 1)[1].split("&")) if "?" in self.path else {}
        with LOCK:
            if path == "/_front/fail":
                STATE["fail"].setdefault(doc["account"], {})[doc["operation"]] = [doc["error"], int(doc.get("count", 1))]
            elif path == "/_front/seed":
                STATE["seed"].setdefault(doc["account"], {})[doc["operation"]] = doc["result"]
            elif path == "/_front/endpoint":
                STATE["endpoints"].setdefault(doc["account"], {})[doc["cluster"]] = doc
            elif path == "/_front/counts":
                out = json.dumps(STATE["counts"].get(query.get("account", ""), {})).encode()
                return self.reply(200, out, {"Content-Type": "application/json"})
            elif path == "/_front/agents":
                out = json.dumps(STATE["agents"].get(query.get("account", ""), {})).encode()
                return self.reply(200, out, {"Content-Type": "application/json"})
            elif path == "/_front/reset":
                account = doc.get("account")
                for key in ("counts", "fail", "agents"):
                    STATE[key].pop(account, None)
            else:
                return self.reply(404, b"unknown control endpoint")
        self.reply(200, b"{}", {"Content-Type": "application/json"})


def main():
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    MOTO["port"] = moto.get_host_and_port()[1]
    front = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    front.daemon_threads = True
    threading.Thread(target=front.serve_forever, daemon=True).start()
    print(f"READY {front.server_address[1]} {MOTO['port']}", flush=True)
    # Live as long as the test process: it holds our stdin open.
    sys.stdin.read()


if __name__ == "__main__":
    main()
