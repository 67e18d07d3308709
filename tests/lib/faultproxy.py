#!/usr/bin/env python3
"""faultproxy: an HTTP/1.1 proxy that injects faults between an S3 client and
an S3 server, for tests. Python 3 standard library only.

  faultproxy.py --upstream http://127.0.0.1:PORT --rules FILE
                [--profile NAME] [--port 0] [--port-file FILE] [--log FILE]
  faultproxy.py --profiles      lists the store profiles, their quirks and sources

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

Store profiles: the upstream is Ceph RGW 16.2 (radosgw); a profile rewrites
its answers the way another store answers (PROFILES below holds each quirk
with its source). A profile is chosen with --profile NAME, or by an entry
{"profile": NAME} in the rules file, which wins over --profile while it is
there (so a test switches profiles without a restart); the entry may carry
"max_part_size": BYTES to lower r2's part ceiling for a test. The profile
applies to the requests that no rule matched; a rule that matches applies
alone. The profiles and their quirks (--profiles prints them with sources):
  aws     listing_encoding, error_200, length_required, complete_etag (quoted)
  minio   listing_encoding, error_200, complete_etag (quoted)
  r2      checksum_mode (501), equal_parts, max_part_size, complete_etag (quoted)
  b2      checksum_mode (400), complete_etag (quoted)
  ceph18, ceph19   complete_etag (bare)
  ceph16  none: RGW 16.2 as it is
  listing_encoding  ListObjectsV2 with encoding-type=url: Key, Prefix (also
                    in CommonPrefixes), Delimiter and StartAfter encoded as a
                    form: a space is "+", a "+" is %2B, "/" stays
  error_200         the first CompleteMultipartUpload of each uploadId is
                    answered 200 OK with an <Error> body, not forwarded
  length_required   a PUT or POST without Content-Length: 411 MissingContentLength
  checksum_mode     a HEAD or GET carrying x-amz-checksum-mode: 400 or 501
  equal_parts       Complete refused (400 InvalidPart, not forwarded) unless
                    the parts but the last, by the Content-Length of their
                    UploadPart, are of one size and the last no larger
  max_part_size     an UploadPart larger than this: 400 EntityTooLarge
  complete_etag     CompleteMultipartUpload's <ETag>, which RGW 16.2.15
                    leaves empty (or bare, to a repeated Complete), filled in
                    from the parts named: quoted like AWS's, or bare like
                    Ceph 18.2.1-18.2.7's and 19.2.0-19.2.2's
Where a profile changed an answer, the log's RULE is PROFILE:QUIRK (say
"r2:equal_parts"). Uploads are remembered by uploadId for the proxy's life.

The log (--log) has one line per request, "METHOD TARGET RULE STATUS": the
index of the rule applied or "-", and the status code sent, or "reset", or
"stall" (written as the stall begins). Signatures and credentials in the
query are written as REDACTED; headers are never logged.
"""

import argparse
import html
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
import xml.etree.ElementTree as ElementTree
from hashlib import md5
from http.client import responses
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote, unquote_to_bytes, urlsplit

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
              "truncate_body", "rewrite")
WHOLE_EDITS = ("replace_body", "append_body", "truncate_body", "rewrite")   # need the body buffered


class Quirk(NamedTuple):
    """How a store differs from RGW 16 in one behaviour, and who says so."""
    value: object
    source: str


# R2's largest upload, a part's included: 5 MiB less than 5 GiB.
R2_MAX_PART = 5 * 2**30 - 5 * 2**20
# The byte set that a form encoding leaves as it is (MinIO's; see listing_encoding).
FORM_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./*")

# Each store's quirks, each with its source. "notes" are what the proxy does
# not imitate (it cannot, or RGW 16 already behaves so), kept for the record.
PROFILES = {
    "ceph16": {
        "notes": Quirk(None,
            "Ceph RGW 16.2.15 as it runs here, seen in its raw replies: the ETag in "
            "CompleteMultipartUploadResult is empty, and bare (no quotes) when a "
            "completed upload is completed again; If-None-Match: * is ignored on "
            "CompleteMultipartUpload (an existing key is overwritten) but refused with "
            "412 on PutObject; a POST without Content-Length is accepted. With "
            "encoding-type=url, ListObjectsV2 percent-encodes Key (a space %20, '+' %2B, "
            "'%' %25, '/' %2F, non-ASCII bytes %XX; '~', '*', '$' as they are), "
            "percent-encodes CommonPrefixes' Prefix the same way but keeps '/', and "
            "sends Prefix, Delimiter and StartAfter unencoded."),
    },
    "aws": {
        "listing_encoding": Quirk("form",
            "AWS ListObjectsV2 API reference (docs.aws.amazon.com/AmazonS3/latest/API/"
            "API_ListObjectsV2.html): with encoding-type=url, Delimiter, Prefix, Key and "
            "StartAfter are encoded; how is not said. botocore decodes them with "
            "urllib's unquote_plus (boto/botocore botocore/handlers.py "
            "decode_list_object_v2, compat.unquote_str), so '+' means a space and a "
            "'+' must come as %2B; S3 users report '+' for a space (bcgov/gwells#1801). "
            "Evidence conflicts: apache/ozone#10586 says ceph/s3-tests' "
            "test_bucket_list_encoding_basic, which AWS passes, expects %20 in a "
            "common prefix. Assumed: '+' (the case a %XX-only decoder gets wrong), "
            "with MinIO's byte set; unquote_plus reads either."),
        "error_200": Quirk(True,
            "AWS CompleteMultipartUpload API reference (docs.aws.amazon.com/AmazonS3/"
            "latest/API/API_CompleteMultipartUpload.html): the request can fail after "
            "the 200 OK was sent, with the error in the body; the SDKs retry it."),
        "length_required": Quirk(True,
            "AWS S3 error codes (docs.aws.amazon.com/AmazonS3/latest/API/"
            "ErrorResponses.html): MissingContentLength, 411 Length Required, "
            "'You must provide the Content-Length HTTP header.'"),
        "complete_etag": Quirk("quoted",
            "AWS CompleteMultipartUpload API reference, its example response: "
            "<ETag>\"...-N\"</ETag>; minio/minio#9517 quotes a reply of AWS's."),
        "notes": Quirk(None,
            "If-None-Match: * is honoured on PutObject and CompleteMultipartUpload "
            "since August 2024 (docs.aws.amazon.com/AmazonS3/latest/userguide/"
            "conditional-writes.html): 412 PreconditionFailed, 409 "
            "ConditionalRequestConflict on a race. Not imitated: RGW 16 ignores it on "
            "Complete, so the profile does too."),
    },
    "minio": {
        "listing_encoding": Quirk("form",
            "minio/minio cmd/api-utils.go, s3URLEncode: Go's url.QueryEscape with '/' "
            "and '*' kept and '~' encoded, so a space is '+'."),
        "error_200": Quirk(True,
            "minio/minio PR #1897 (2016): CompleteMultipartUpload answers 200 at once "
            "and sends whitespace until it is done, so a failure comes as an <Error> "
            "in a 200. Whether MinIO still does so today: not verified, assumed."),
        "complete_etag": Quirk("quoted",
            "minio/minio#9517, fixed by PR #9525 (2020): the ETag of "
            "CompleteMultipartUploadResult quoted as AWS does (bare before)."),
        "notes": Quirk(None,
            "If-None-Match: * is honoured on PutObject (minio/minio#20346, 2024); on "
            "CompleteMultipartUpload: not documented in what we found."),
    },
    "r2": {
        "checksum_mode": Quirk(501,
            "R2 answers a header it does not implement with 501 NotImplemented, "
            "\"Header 'NAME' with value 'VALUE' not implemented\" "
            "(cloudflare/cloudflare-docs#4508, #19236); R2's S3 API compatibility page "
            "(developers.cloudflare.com/r2/api/s3/api/) lists the checksum features it "
            "lacks. That a HEAD with x-amz-checksum-mode got this answer until at least "
            "2025 is issue 14's report, not R2's documentation: assumed, and assumed "
            "for a GET too."),
        "equal_parts": Quirk(True,
            "developers.cloudflare.com/r2/objects/multipart-objects: 'All parts except "
            "the last one must be the same size. The last part has no minimum size, but "
            "must be the same or smaller than the other parts.' The answer, 400 "
            "InvalidPart 'All non-trailing parts must have the same length.', is from "
            "users' reports (tus/tusd#1137, CapSoftware/Cap#2275), not R2's docs."),
        "max_part_size": Quirk(R2_MAX_PART,
            "developers.cloudflare.com/r2/platform/limits: the maximum upload size, "
            "which applies to a part of a multipart upload, is 5 MiB less than 5 GiB "
            "(4.995 GiB). The error for a larger part is not documented: S3's 400 "
            "EntityTooLarge assumed."),
        "complete_etag": Quirk("quoted",
            "developers.cloudflare.com/r2/objects/multipart-objects: multipart ETags "
            "are computed as S3's since 2023-06-21. Their quoting in the Complete reply "
            "is not documented: assumed quoted, as AWS's."),
        "notes": Quirk(None,
            "If-None-Match on CompleteMultipartUpload: not documented in what we found."),
    },
    "b2": {
        "checksum_mode": Quirk(400,
            "www.backblaze.com/docs/cloud-storage-s3-compatible-api, 'Unsupported "
            "features': the x-amz-checksum-* headers. B2 answers 400 InvalidArgument "
            "\"Unsupported header 'x-amz-checksum-mode' received for this API call.\" "
            "(vatesfr/xen-orchestra#8358, diced/zipline#746); a reply to a HEAD has no "
            "body. Assumed for HEAD and GET alike."),
        "complete_etag": Quirk("quoted",
            "Not documented: assumed quoted, as AWS's."),
        "notes": Quirk(None,
            "If-None-Match on CompleteMultipartUpload: not documented in what we found."),
    },
    "ceph18": {
        "complete_etag": Quirk("bare",
            "Issue 14's report: Ceph 18.2.1-18.2.7 and 19.2.0-19.2.2 answer "
            "CompleteMultipartUpload with an ETag without quotes. No tracker entry for "
            "the quoting was found in the corpora; the nearest is the change that began "
            "to fill that ETag in (ceph/ceph PR #50627, tracker 58879; its reef "
            "backport PR #51447 was merged in October 2023, in time for 18.2.1). The "
            "version range is not verified."),
        "notes": Quirk(None,
            "If-None-Match on CompleteMultipartUpload in 18.2: not verified."),
    },
}
PROFILES["ceph19"] = {
    "complete_etag": PROFILES["ceph18"]["complete_etag"],
    "notes": Quirk(None, "If-None-Match on CompleteMultipartUpload in 19.2: not verified."),
}
PROFILE_KEYS = {"profile", "max_part_size", "comment"}


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


def form_encode(data):
    """Bytes as a form encodes them: a space "+", FORM_SAFE as is, else %XX."""
    return "".join(chr(b) if b in FORM_SAFE else "+" if b == 0x20 else "%%%02X" % b
                   for b in data)


def xml_text(text):
    """The characters an XML element's text stands for."""
    return html.unescape(text)


LISTING_FIELD = re.compile(r"<CommonPrefixes>(.*?)</CommonPrefixes>"
                           r"|<(Key|Prefix|Delimiter|StartAfter)>(.*?)</\2>", re.S)


def reencode_listing(body):
    """A ListObjectsV2 reply of RGW 16 (encoding-type=url) as a form encodes it.

    RGW percent-encodes Key and CommonPrefixes' Prefix (a literal "+" as %2B,
    so plain percent-decoding undoes it) and sends the rest as they are."""
    def encoded(text):
        return form_encode(unquote_to_bytes(xml_text(text)))

    def field(m):
        if m.group(1) is not None:
            return "<CommonPrefixes>%s</CommonPrefixes>" % re.sub(
                r"<Prefix>(.*?)</Prefix>",
                lambda p: "<Prefix>%s</Prefix>" % encoded(p.group(1)), m.group(1), flags=re.S)
        name, text = m.group(2), m.group(3)
        value = encoded(text) if name == "Key" else form_encode(xml_text(text).encode())
        return "<%s>%s</%s>" % (name, value, name)
    return LISTING_FIELD.sub(field, body.decode("utf-8")).encode("utf-8")


def local_name(tag):
    return tag.rpartition("}")[2]


def complete_parts(body):
    """The (PartNumber, ETag) pairs of a CompleteMultipartUpload request."""
    parts = []
    for part in ElementTree.fromstring(body).iter():
        if local_name(part.tag) == "Part":
            fields = {local_name(f.tag): (f.text or "").strip() for f in part}
            parts.append((int(fields.get("PartNumber", "0")), fields.get("ETag", "")))
    return parts


def multipart_etag(parts):
    """The ETag S3 gives the object of these parts: the MD5 of their MD5s, -N."""
    digests = b""
    for _, etag in sorted(parts):
        etag = etag.strip('"')
        if not re.fullmatch(r"[0-9a-fA-F]{32}", etag):
            return None
        digests += bytes.fromhex(etag)
    return "%s-%d" % (md5(digests).hexdigest(), len(parts)) if parts else None


def error_xml(code, message):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
            '<RequestId>faultproxy</RequestId></Error>' % (code, message)).encode()


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
        self.raw_body = None

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

    def read_body(self, limit=64 << 20):
        """Reads the request body whole, to look at before it is forwarded."""
        self.continue_if_expected()
        kind, data = self.body[0], b""
        for chunk in iter_body(self.rf, *self.body, raw=False):
            data += chunk
            if len(data) > limit:
                raise BadMessage("a request body over %d bytes to look at" % limit)
        self.body = ("none", 0)
        # Forwarded with the framing it came with: its length, or chunks.
        self.raw_body = data
        if kind == "chunked":
            self.raw_body = (b"%x\r\n%s\r\n" % (len(data), data) if data else b"") + b"0\r\n\r\n"
        return data

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


class StoreProfile:
    """What a store profile makes of one request that no rule matched: a rule
    to apply to it, built here ({} to forward it as it is)."""

    def __init__(self, proxy, req, name, quirks):
        self.proxy, self.req, self.name, self.quirks = proxy, req, name, quirks
        self.method = req.method.upper()
        self.params = dict(parse_qsl(req.target.partition("?")[2], keep_blank_values=True))

    def changed(self, quirk):
        self.req.index = "%s:%s" % (self.name, quirk)

    def refuse(self, quirk, status, code, message):
        self.changed(quirk)
        return {"status": status, "body": error_xml(code, html.escape(message, quote=False))}

    def rule(self):
        q, head, params = self.quirks, self.req.head, self.params
        if ("length_required" in q and self.method in ("PUT", "POST")
                and head.get("content-length") is None):
            return self.refuse("length_required", 411, "MissingContentLength",
                               "You must provide the Content-Length HTTP header.")
        mode = head.get("x-amz-checksum-mode")
        if "checksum_mode" in q and self.method in ("HEAD", "GET") and mode is not None:
            if q["checksum_mode"].value == 400:
                return self.refuse("checksum_mode", 400, "InvalidArgument", "Unsupported header "
                                   "'x-amz-checksum-mode' received for this API call.")
            return self.refuse("checksum_mode", 501, "NotImplemented",
                               "Header 'x-amz-checksum-mode' with value '%s' not implemented"
                               % mode)
        upload = params.get("uploadId")
        if self.method == "PUT" and upload is not None and params.get("partNumber", "").isdigit():
            return self.upload_part(upload, int(params["partNumber"]))
        if self.method == "POST" and upload is not None:
            return self.complete(upload)
        if ("listing_encoding" in q and self.method == "GET" and params.get("list-type") == "2"
                and params.get("encoding-type") == "url"):
            return {"forward": True, "rewrite": self.listing}
        return {}

    def upload_part(self, upload, number):
        q, head = self.quirks, self.req.head
        size = head.get("x-amz-decoded-content-length") or head.get("content-length") or ""
        size = int(size) if size.isdigit() else None
        if "max_part_size" in q and size is not None and size > q["max_part_size"].value:
            return self.refuse("max_part_size", 400, "EntityTooLarge",
                               "Your proposed upload exceeds the maximum allowed size")
        if "equal_parts" not in q:
            return {}

        def record(code):
            if 200 <= code < 300:
                with self.proxy.lock:
                    self.proxy.part_sizes.setdefault(upload, {})[number] = size
        return {"forward": True, "on_status": record}

    def complete(self, upload):
        q, proxy = self.quirks, self.proxy
        if not any(k in q for k in ("error_200", "equal_parts", "complete_etag")):
            return {}
        try:
            parts = complete_parts(self.req.read_body())
        except (ElementTree.ParseError, ValueError):
            parts = []          # RGW says what is wrong with it
        if "error_200" in q:
            with proxy.lock:
                first = upload not in proxy.errored
                proxy.errored.add(upload)
            if first:
                self.changed("error_200")
                return {"status": 200, "body": error_xml(
                    "InternalError", "We encountered an internal error. Please try again.")}
        if "equal_parts" in q and parts:
            with proxy.lock:
                known = dict(proxy.part_sizes.get(upload, {}))
            sizes = [known.get(n) for n, _ in sorted(parts)]
            if None not in sizes and (len(set(sizes[:-1])) > 1 or sizes[-1] > sizes[0]):
                return self.refuse("equal_parts", 400, "InvalidPart",
                                   "All non-trailing parts must have the same length.")
        if "complete_etag" in q:
            etag = multipart_etag(parts)
            return {"forward": True,
                    "rewrite": lambda code, whole: self.complete_etag(code, whole, etag)}
        return {"forward": True}

    def complete_etag(self, code, whole, etag):
        """The ETag of a CompleteMultipartUploadResult, filled in and quoted
        as the store does; RGW's own if it gave one."""
        m = re.search(rb"<ETag>(.*?)</ETag>", whole, re.S)
        if code != 200 or b"<CompleteMultipartUploadResult" not in whole or not m:
            return whole
        value = html.unescape(m.group(1).decode("utf-8", "replace")).strip('"') or etag
        if not value:
            return whole
        text = (value if self.quirks["complete_etag"].value == "bare" else '"%s"' % value).encode()
        if text != m.group(1):
            self.changed("complete_etag")
        return whole[:m.start(1)] + text + whole[m.end(1):]

    def listing(self, code, whole):
        if code != 200:
            return whole
        try:
            new = reencode_listing(whole)
        except UnicodeDecodeError:
            return whole
        if new != whole:
            self.changed("listing_encoding")
        return new


class Proxy:
    def __init__(self, upstream, rules_path, log_path, profile=None):
        url = urlsplit(upstream)
        if url.scheme != "http" or not url.hostname:
            raise SystemExit("faultproxy: --upstream must be http://HOST[:PORT]")
        self.upstream = (url.hostname, url.port or 80)
        self.rules_path, self.log_path, self.profile = rules_path, log_path, profile
        self.lock = threading.Lock()
        self.rules_key, self.used = None, {}
        self.part_sizes = {}            # uploadId: {part number: bytes}
        self.errored = set()            # uploadIds whose Complete got error_200

    def log(self, req, status):
        if self.log_path:
            index = "-" if req.index is None else req.index
            with self.lock, open(self.log_path, "a", encoding="latin-1") as f:
                f.write("%s %s %s %s\n" % (req.method, redact(req.target), index, status))

    def pick_rule(self, req):
        """The index and the rule that apply to a request (None, {} if none),
        and the store profile in force: its name and quirks, or None, {}."""
        with open(self.rules_path, "rb") as f:
            st, text = os.fstat(f.fileno()), f.read()
        rules = json.loads(text.decode() or "[]")
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            raise ValueError("not a list of objects")
        profile, quirks = self.profile, {}
        for i, rule in enumerate(rules):
            keys = PROFILE_KEYS if "profile" in rule else RULE_KEYS
            if set(rule) - keys:
                raise ValueError("rule %d: unknown keys %s" % (i, sorted(set(rule) - keys)))
            if "profile" in rule:
                profile = rule["profile"]
                if profile not in PROFILES:
                    raise ValueError("rule %d: no profile %r (%s)" % (i, profile, ", ".join(PROFILES)))
                if "max_part_size" in rule:
                    quirks["max_part_size"] = Quirk(int(rule["max_part_size"]), "the rules file")
        if profile is not None:
            quirks = {**{k: q for k, q in PROFILES[profile].items() if k != "notes"}, **quirks}
        path, _, query = req.target.partition("?")
        with self.lock:
            if (st.st_ino, st.st_mtime_ns, text) != self.rules_key:
                self.rules_key, self.used = (st.st_ino, st.st_mtime_ns, text), {}
            for i, rule in enumerate(rules):
                if ("profile" not in rule
                        and self.used.get(i, 0) < rule.get("times", float("inf"))
                        and rule.get("method", req.method).upper() == req.method.upper()
                        and path.startswith(rule.get("path_prefix", ""))
                        and rule.get("query_contains", "") in query
                        and ("header" not in rule or req.head.get(rule["header"]) is not None)):
                    self.used[i] = self.used.get(i, 0) + 1
                    return i, rule, profile, quirks
        return None, {}, profile, quirks

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
            req.index, rule, profile, quirks = self.pick_rule(req)
        except (OSError, ValueError) as e:
            msg = "faultproxy: rules file %s: %s\n" % (self.rules_path, e)
            sys.stderr.write(msg)
            return req.answer(500, [], msg.encode())
        if req.index is None and quirks:
            rule = StoreProfile(self, req, profile, quirks).rule()
            if "status" in rule and not rule.get("forward"):
                return req.answer(rule["status"], [("Content-Type", "application/xml")],
                                  rule.get("body", b""))
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
        body = [req.raw_body] if req.raw_body is not None else iter_body(req.rf, *req.body)
        for data in itertools.chain([req.head.raw], body):
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
        if "on_status" in rule:
            rule["on_status"](code)
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
                if "rewrite" in rule:
                    whole = rule["rewrite"](code, whole)
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
    ap.add_argument("--upstream", help="http://HOST:PORT")
    ap.add_argument("--rules", help="JSON rules file")
    ap.add_argument("--profile", choices=sorted(PROFILES), help="answer as this store does")
    ap.add_argument("--profiles", action="store_true", help="list the profiles and exit")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    ap.add_argument("--port-file", help="write the port chosen here")
    ap.add_argument("--log", help="append one line per request here")
    args = ap.parse_args()
    if args.profiles:
        for name, quirks in PROFILES.items():
            for quirk, (value, source) in quirks.items():
                print("%s\t%s\t%s\t%s" % (name, quirk, "-" if value is None else value, source))
        return
    if not args.upstream or not args.rules:
        ap.error("--upstream and --rules are required")
    proxy = Proxy(args.upstream, args.rules, args.log, args.profile)

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
