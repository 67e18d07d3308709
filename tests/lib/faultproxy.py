#!/usr/bin/env python3
"""faultproxy: an HTTP/1.1 proxy that injects faults between an S3 client and
an S3 server, for tests. Python 3 standard library only.

  faultproxy.py --upstream http://127.0.0.1:PORT --rules FILE
                [--port 0] [--port-file FILE] [--log FILE]

Listens on 127.0.0.1 (any free port with --port 0), writes the port to
--port-file and stdout, and forwards each request to the upstream on a new
connection: request line, headers and body byte for byte (the client signed
the Host header); keep-alive towards the client. The proxy answers a client's
"Expect: 100-continue" itself and drops the upstream's 100 Continue.
SIGTERM and SIGINT end it.

The rules file holds a JSON list and is read again for every request. The
first rule that matches and has `times` left applies; with none, the request
is forwarded. Uses are counted in memory, from zero again whenever the file
is rewritten (new text, inode or mtime), not when it is merely read again.

  match:   method, path_prefix, query_contains (a substring of the raw query),
           header (a request header that must be present); also times, comment
  answer:  {"status": 503, "headers": {...}, "body": "<Error>...</Error>"}
           {"redirect": URL, "status": 301, ...}   the same, plus a Location:
                 URL, followed by the request target if URL has no path
  faults:  {"reset": true}      read the request, close with a TCP RST
           {"stall": SECONDS}   wait after the request head, then go on with
                                the rest of the rule, or end the connection
                                if "then" is "close" (FIN) or "reset" (RST)
  forward: {"forward": true} with any of
           "status": N          instead of the upstream's status
           "set_headers": {...}, "drop_headers": [...]
           "replace_body": [["old", "new"], ...], "regex": true
                                (the body is buffered; Content-Length fixed)
           "corrupt_byte_at": N flip the body byte at offset N
           "cut_body_after": N  send the headers, original length included,
                                and N bytes of the body, then close
           "append_body": TEXT  a longer body: TEXT after it, Content-Length
                                grown to match (a well-formed reply)
           "truncate_body": N   a shorter body: its first N bytes,
                                Content-Length N (a well-formed reply)
           "content_length": V  send "Content-Length: V" as written (say
                                "12abc", "-5", "9223372036854775808") with
                                the body as it came, then close

Misbehaving S3 servers, as rules (the tests of s3get use these):
  a 206 longer than its range     {"forward": true, "header": "Range", "append_body": "xyz"}
  a 206 shorter than its range    {"forward": true, "header": "Range", "truncate_body": 10}
  a wrong Content-Range           {"forward": true, "set_headers": {"Content-Range": "bytes 1-5/99"}}
  the right range, wrong bytes    {"forward": true, "corrupt_byte_at": N}
  no ETag                         {"method": "HEAD", "forward": true, "drop_headers": ["ETag"]}
  an absurd Content-Length        {"forward": true, "content_length": "99999999999999999999"}

The log (--log) has one line per request, "METHOD TARGET RULE STATUS": the
index of the rule applied or "-", and the status code sent, or "reset", or
"stall" (written as the stall begins). Signatures and credentials in the
query are written as REDACTED; headers are never logged.
"""

import argparse
import itertools
import json
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
from http.client import responses
from urllib.parse import unquote, urlsplit

MAX_HEAD = 64 * 1024
BUF = 64 * 1024
TIMEOUT = 300
SECRET_PARAMS = {"x-amz-signature", "x-amz-credential", "x-amz-security-token",
                 "signature", "awsaccesskeyid"}
RULE_KEYS = {"method", "path_prefix", "query_contains", "header", "times",
             "comment", "status", "headers", "body", "redirect", "reset",
             "stall", "then", "forward", "set_headers", "drop_headers",
             "replace_body", "regex", "corrupt_byte_at", "cut_body_after",
             "append_body", "truncate_body", "content_length"}
BODY_EDITS = ("replace_body", "corrupt_byte_at", "cut_body_after", "append_body",
              "truncate_body")
WHOLE_EDITS = ("replace_body", "append_body", "truncate_body")   # need the body buffered


class BadMessage(Exception):
    """A peer sent something that is not HTTP/1.x, or closed too early."""


class Head:
    """The start line and header fields of a message, and its raw bytes."""

    def __init__(self, raw):
        self.raw = raw
        lines = re.split(r"\r?\n", raw.decode("latin-1"))
        self.start, self.fields = lines[0], []
        for line in filter(None, lines[1:]):
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                raise BadMessage("bad header line: %r" % line)
            self.fields.append((name, value.strip()))

    def get(self, name):
        return next((v for n, v in self.fields if n.lower() == name.lower()), None)

    def tokens(self, name):
        return {t.strip().lower() for n, v in self.fields
                if n.lower() == name.lower() for t in v.split(",")}


def read_head(rf):
    """Reads a message head; None at a clean end of the connection."""
    raw = b""
    while True:
        line = rf.readline(MAX_HEAD + 1)
        if not line:
            if raw:
                raise BadMessage("connection closed inside a head")
            return None
        if raw or line not in (b"\r\n", b"\n"):    # skip blank lines before
            raw += line
        if len(raw) > MAX_HEAD:
            raise BadMessage("head longer than %d bytes" % MAX_HEAD)
        if raw and line in (b"\r\n", b"\n"):
            return Head(raw)


def framing(head, method=None, status=None):
    """How a body ends: ("none"|"length"|"chunked"|"close", length)."""
    if method == "HEAD" or (status is not None and (status < 200 or status in (204, 304))):
        return "none", 0
    if "chunked" in head.tokens("transfer-encoding"):
        return "chunked", 0
    length = head.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise BadMessage("bad Content-Length: %r" % length)
        return "length", int(length)
    return ("none", 0) if status is None else ("close", 0)


def iter_body(rf, kind, length, raw=True):
    """Yields a body as it arrives: as sent (raw), or without chunk framing."""
    if kind == "length":
        while length > 0:
            data = rf.read1(min(BUF, length))
            if not data:
                raise BadMessage("connection closed inside a body")
            length -= len(data)
            yield data
    elif kind == "close":
        for data in iter(lambda: rf.read1(BUF), b""):
            yield data
    elif kind == "chunked":
        while True:
            line = rf.readline(1024)
            if not line.endswith(b"\n"):
                raise BadMessage("bad chunk size line")
            size = int(line.split(b";")[0].strip(), 16)
            if raw:
                yield line
            if size == 0:
                break
            yield from iter_body(rf, "length", size)
            crlf = rf.readline(3)
            if crlf not in (b"\r\n", b"\n"):
                raise BadMessage("chunk not followed by CRLF")
            if raw:
                yield crlf
        while True:                             # trailer fields
            line = rf.readline(MAX_HEAD)
            if not line:
                raise BadMessage("connection closed inside a trailer")
            if raw:
                yield line
            if line in (b"\r\n", b"\n"):
                break


def edit_stream(chunks, corrupt_at=None, cut_after=None):
    """Flips the byte at offset corrupt_at; stops after cut_after bytes."""
    offset = 0
    for data in chunks:
        if cut_after is not None:
            data = data[:max(cut_after - offset, 0)]
        if corrupt_at is not None and offset <= corrupt_at < offset + len(data):
            i = corrupt_at - offset
            data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
        offset += len(data)
        if data:
            yield data
        if cut_after is not None and offset >= cut_after:
            return


def set_field(fields, name, value=None):
    """The fields without any called `name`, plus `name: value` if given."""
    kept = [(n, v) for n, v in fields if n.lower() != name.lower()]
    return kept + ([(name, str(value))] if value is not None else [])


def serialize(start, fields):
    return ("\r\n".join([start] + ["%s: %s" % f for f in fields]) + "\r\n\r\n").encode("latin-1")


def status_line(code, version="HTTP/1.1"):
    return "%s %d %s" % (version, code, responses.get(code, "Unknown"))


def redact(target):
    path, sep, query = target.partition("?")
    params = []
    for param in query.split("&") if sep else []:
        name, eq, _ = param.partition("=")
        params.append(name + "=REDACTED" if eq and unquote(name).lower() in SECRET_PARAMS else param)
    return path + sep + "&".join(params)


def rst(conn):
    """Makes close() send a TCP RST instead of a FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class Request:
    """One request from the client, and the connection it came on."""

    def __init__(self, proxy, conn, rf, head):
        self.proxy, self.conn, self.rf, self.head = proxy, conn, rf, head
        parts = head.start.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadMessage("bad request line: %r" % head.start)
        self.method, self.target, version = parts
        self.body = framing(head)
        tokens = head.tokens("connection")
        self.keep = "close" not in tokens and (version != "HTTP/1.0" or "keep-alive" in tokens)
        self.index, self.logged, self.continued = None, False, False

    def log(self, status):
        if not self.logged:
            self.logged = True
            self.proxy.log(self, status)

    def continue_if_expected(self):
        """Sends 100 Continue if the client waits for one before its body."""
        if self.body[0] != "none" and "100-continue" in self.head.tokens("expect") \
                and not self.continued:
            self.continued = True
            self.conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

    def drain(self):
        """Reads and discards the request body."""
        self.continue_if_expected()
        for _ in iter_body(self.rf, *self.body, raw=False):
            pass
        self.body = ("none", 0)

    def answer(self, code, fields, body, keep=True):
        """Answers directly, after reading the request body; True to keep on."""
        self.drain()
        keep = keep and self.keep
        fields = set_field(fields, "Content-Length", len(body))
        if not keep:
            fields = set_field(fields, "Connection", "close")
        self.log(code)
        self.conn.sendall(serialize(status_line(code), fields)
                          + (b"" if self.method == "HEAD" else body))
        return keep


class Proxy:
    def __init__(self, upstream, rules_path, log_path):
        url = urlsplit(upstream)
        if url.scheme != "http" or not url.hostname:
            raise SystemExit("faultproxy: --upstream must be http://HOST[:PORT]")
        self.upstream = (url.hostname, url.port or 80)
        self.rules_path, self.log_path = rules_path, log_path
        self.lock = threading.Lock()
        self.rules_key, self.used = None, {}

    def log(self, req, status):
        if self.log_path:
            index = "-" if req.index is None else req.index
            with self.lock, open(self.log_path, "a", encoding="latin-1") as f:
                f.write("%s %s %s %s\n" % (req.method, redact(req.target), index, status))

    def pick_rule(self, req):
        """The index and the rule that apply to a request; None, {} if none."""
        with open(self.rules_path, "rb") as f:
            st, text = os.fstat(f.fileno()), f.read()
        rules = json.loads(text.decode() or "[]")
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            raise ValueError("not a list of objects")
        for i, rule in enumerate(rules):
            if set(rule) - RULE_KEYS:
                raise ValueError("rule %d: unknown keys %s" % (i, sorted(set(rule) - RULE_KEYS)))
        path, _, query = req.target.partition("?")
        with self.lock:
            if (st.st_ino, st.st_mtime_ns, text) != self.rules_key:
                self.rules_key, self.used = (st.st_ino, st.st_mtime_ns, text), {}
            for i, rule in enumerate(rules):
                if (self.used.get(i, 0) < rule.get("times", float("inf"))
                        and rule.get("method", req.method).upper() == req.method.upper()
                        and path.startswith(rule.get("path_prefix", ""))
                        and rule.get("query_contains", "") in query
                        and ("header" not in rule or req.head.get(rule["header"]) is not None)):
                    self.used[i] = self.used.get(i, 0) + 1
                    return i, rule
        return None, {}

    def serve_client(self, conn):
        conn.settimeout(TIMEOUT)
        rf = conn.makefile("rb")
        try:
            head = read_head(rf)
            while head and self.serve(Request(self, conn, rf, head)):
                head = read_head(rf)
        except BadMessage as e:
            print("faultproxy: %s" % e, file=sys.stderr)
        except (OSError, ValueError):
            pass                # the client went away, or sent a bad chunk size
        finally:
            rf.close()
            conn.close()

    def serve(self, req):
        """Answers one request; True when the connection goes on."""
        try:
            req.index, rule = self.pick_rule(req)
        except (OSError, ValueError) as e:
            msg = "faultproxy: rules file %s: %s\n" % (self.rules_path, e)
            sys.stderr.write(msg)
            return req.answer(500, [], msg.encode())
        if "stall" in rule:
            req.log("stall")
            time.sleep(float(rule["stall"]))
            if rule.get("then") in ("close", "reset"):
                if rule["then"] == "reset":
                    rst(req.conn)
                return False
        if rule.get("reset"):
            req.drain()
            req.log("reset")
            rst(req.conn)
            return False
        if "redirect" in rule or ("status" in rule and not rule.get("forward")):
            body = rule.get("body", "").encode()
            fields = [("Content-Type", "application/xml")] if body.startswith(b"<") else []
            if "redirect" in rule:
                location = rule["redirect"]
                if urlsplit(location).path in ("", "/"):
                    location = location.rstrip("/") + req.target
                fields.append(("Location", location))
            for name, value in rule.get("headers", {}).items():
                fields = set_field(fields, name, value)
            return req.answer(int(rule.get("status", 301)), fields, body)
        try:
            up = socket.create_connection(self.upstream, timeout=TIMEOUT)
        except OSError as e:
            return req.answer(502, [], ("faultproxy: upstream: %s\n" % e).encode())
        urf = up.makefile("rb")
        try:
            return self.forward(req, rule, up, urf)
        finally:
            urf.close()
            up.close()

    def forward(self, req, rule, up, urf):
        req.continue_if_expected()
        upstream_open = True
        for data in itertools.chain([req.head.raw], iter_body(req.rf, *req.body)):
            if upstream_open:
                try:
                    up.sendall(data)
                except OSError:     # it may have answered early: read that
                    upstream_open = False
        req.body = ("none", 0)
        resp = read_head(urf)
        while resp and re.match(r"HTTP/1\.\d 1\d\d\b", resp.start):
            resp = read_head(urf)   # 100 Continue: the proxy sent its own
        m = re.match(r"(HTTP/1\.\d) (\d\d\d)\b", resp.start) if resp else None
        if not m:
            return req.answer(502, [], b"faultproxy: no HTTP answer from upstream\n", False)

        version, code = m.group(1), int(m.group(2))
        kind, length = framing(resp, req.method.upper(), code)
        tokens = resp.tokens("connection")
        keep = (req.keep and kind != "close" and "close" not in tokens
                and (version != "HTTP/1.0" or "keep-alive" in tokens))
        edits = [k for k in BODY_EDITS if k in rule] if kind != "none" else []
        body = iter_body(urf, kind, length)
        if not edits and not any(k in rule for k in ("status", "set_headers", "drop_headers",
                                                     "content_length")):
            req.log(code)
            req.conn.sendall(resp.raw)
        else:
            fields = resp.fields
            if any(k in edits for k in WHOLE_EDITS) or (edits and kind != "length"):
                whole = b"".join(iter_body(urf, kind, length, raw=False))
                for old, new in rule.get("replace_body", []):
                    old, new = old.encode(), new.encode()
                    whole = re.sub(old, new, whole) if rule.get("regex") else whole.replace(old, new)
                if "truncate_body" in rule:
                    whole = whole[:int(rule["truncate_body"])]
                whole += rule.get("append_body", "").encode("latin-1")
                body = [whole]
                fields = set_field(set_field(fields, "Transfer-Encoding"), "Content-Length", len(whole))
            if "content_length" in rule:
                fields = set_field(set_field(fields, "Content-Length", rule["content_length"]),
                                   "Connection", "close")
                keep = False
            if edits:
                body = edit_stream(body, rule.get("corrupt_byte_at"), rule.get("cut_body_after"))
            for name in rule.get("drop_headers", []):
                fields = set_field(fields, name)
            for name, value in rule.get("set_headers", {}).items():
                fields = set_field(fields, name, value)
            start = resp.start
            if "status" in rule:
                code = int(rule["status"])
                start = status_line(code, version)
            req.log(code)
            req.conn.sendall(serialize(start, fields))
        for data in body:
            req.conn.sendall(data)
        return keep and "cut_body_after" not in edits


def main():
    ap = argparse.ArgumentParser(description="HTTP fault-injecting proxy for tests")
    ap.add_argument("--upstream", required=True, help="http://HOST:PORT")
    ap.add_argument("--rules", required=True, help="JSON rules file")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    ap.add_argument("--port-file", help="write the port chosen here")
    ap.add_argument("--log", help="append one line per request here")
    args = ap.parse_args()
    proxy = Proxy(args.upstream, args.rules, args.log)

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(64)
    port = srv.getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.replace(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)
    try:
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=proxy.serve_client, args=(conn,), daemon=True).start()
    finally:
        srv.close()


if __name__ == "__main__":
    main()
