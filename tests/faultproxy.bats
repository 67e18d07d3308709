#!/usr/bin/env bats
# faultproxy.py, the fault-injecting proxy that the S3 suites put between a
# client and the server: forwarding, each rule, the log and its redaction.
# The upstream is a small HTTP/1.1 file server with an echoing PUT.
#
# SC2030/SC2031: shellcheck takes each @test for a subshell, and so run's
# $output for lost. SC2153: FP_URL and the others come from lib/faultproxy.
# shellcheck disable=SC2030,SC2031,SC2153

load lib/common
load lib/faultproxy

setup_file() {
	local d=$BATS_FILE_TMPDIR i
	mkdir "$d/www"
	printf 'hello, world\n' >"$d/www/hello.txt"
	head -c 300000 /dev/urandom >"$d/www/blob"
	head -c $((2 * 1024 * 1024)) /dev/urandom >"$d/upload"
	cat >"$d/upstream.py" <<-'EOF'
		import functools, hashlib, http.server, sys

		class Handler(http.server.SimpleHTTPRequestHandler):
		    protocol_version = "HTTP/1.1"

		    def do_PUT(self):
		        body = b""
		        if "chunked" in self.headers.get("Transfer-Encoding", ""):
		            size = int(self.rfile.readline().split(b";")[0], 16)
		            while size:
		                body += self.rfile.read(size)
		                self.rfile.readline()
		                size = int(self.rfile.readline().split(b";")[0], 16)
		            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
		                pass
		        else:
		            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
		        reply = "host=%s len=%d sha256=%s\n" % (
		            self.headers["Host"], len(body), hashlib.sha256(body).hexdigest())
		        self.send_response(200)
		        self.send_header("Content-Length", str(len(reply)))
		        self.end_headers()
		        self.wfile.write(reply.encode())

		    def log_message(self, *args):
		        pass

		handler = functools.partial(Handler, directory=sys.argv[1])
		server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
		print(server.server_address[1], flush=True)
		server.serve_forever()
	EOF
	python3 "$d/upstream.py" "$d/www" >"$d/upstream.port" 2>"$d/upstream.err" 3>&- &
	UP_PID=$!
	for ((i = 0; i < 100; i++)); do
		[[ -s $d/upstream.port ]] && break
		sleep 0.05
	done
	UP_URL=http://127.0.0.1:$(<"$d/upstream.port")
	WWW=$d/www
	export UP_PID UP_URL WWW
	fp_start "$UP_URL"
}

teardown_file() {
	fp_stop
	if [[ -n ${UP_PID:-} ]]; then
		kill "$UP_PID" 2>/dev/null || true
	fi
}

setup() {
	fp_rules '[]'
	fp_clear_log
}

# Asserts that the log of the proxy holds exactly the lines given.
assert_log() {
	assert_equal "$(cat "$FP_LOG")" "$(printf '%s\n' "$@")"
}

@test "GET: forwarded byte for byte, on one kept-alive connection" {
	run curl -sS -v -o "$BATS_TEST_TMPDIR/blob" "$FP_URL/blob" \
		-o "$BATS_TEST_TMPDIR/hello" "$FP_URL/hello.txt"
	assert_success
	assert_output --partial "Re-using existing connection"
	cmp "$WWW/blob" "$BATS_TEST_TMPDIR/blob"
	cmp "$WWW/hello.txt" "$BATS_TEST_TMPDIR/hello"
	assert_log "GET /blob - 200" "GET /hello.txt - 200"
}

@test "PUT: Content-Length and chunked bodies, Expect: 100-continue, the Host header kept" {
	local sum
	sum=$(sha256sum <"$BATS_FILE_TMPDIR/upload" | cut -d' ' -f1)
	run curl -sS -v -H "Host: bucket.s3.example" -T "$BATS_FILE_TMPDIR/upload" "$FP_URL/k"
	assert_success
	assert_output --partial "Expect: 100-continue"
	assert_output --partial "HTTP/1.1 100 Continue"
	assert_output --partial "host=bucket.s3.example len=2097152 sha256=$sum"
	run curl -sS -H "Host: bucket.s3.example" -T - "$FP_URL/k" <"$BATS_FILE_TMPDIR/upload"
	assert_success
	assert_output "host=bucket.s3.example len=2097152 sha256=$sum"
	run curl -sS -T "$WWW/hello.txt" "$FP_URL/small"
	assert_output --regexp "^host=127\.0\.0\.1:[0-9]+ len=13 sha256="
	assert_log "PUT /k - 200" "PUT /k - 200" "PUT /small - 200"
}

@test "status: answered directly 'times' times, then forwarded" {
	fp_rules '[{"path_prefix": "/hello", "times": 2, "status": 503,
		"body": "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"}]'
	run curl -sS -i "$FP_URL/hello.txt"
	assert_line --partial "HTTP/1.1 503 Service Unavailable"
	assert_line --partial "Content-Type: application/xml"
	assert_line --partial "<Code>SlowDown</Code>"
	run curl -sS -w '%{http_code}\n' -o /dev/null "$FP_URL/hello.txt" \
		-o /dev/null "$FP_URL/blob" -o /dev/null "$FP_URL/hello.txt"
	assert_output "$(printf '503\n200\n200')"
	assert_log "GET /hello.txt 0 503" "GET /hello.txt 0 503" "GET /blob - 200" "GET /hello.txt - 200"
}

@test "rules match on method, query and header; rewriting the file restarts the counts" {
	local rules='[{"method": "HEAD", "status": 404}, {"query_contains": "uploads", "status": 500},
		{"header": "X-Fail", "status": 409, "times": 1}]'
	fp_rules "$rules"
	run curl -sS -o /dev/null -w '%{http_code}\n' -I "$FP_URL/hello.txt"
	assert_output 404
	run curl -sS -w '%{http_code}\n' -o /dev/null "$FP_URL/hello.txt?uploads"
	assert_output 500
	run curl -sS -w '%{http_code}\n' -H "x-fail: 1" -o /dev/null "$FP_URL/hello.txt" \
		-o /dev/null "$FP_URL/hello.txt"
	assert_output "$(printf '409\n200')"
	fp_rules "$rules"
	run curl -sS -o /dev/null -w '%{http_code}\n' -H "x-fail: 1" "$FP_URL/hello.txt"
	assert_output 409
}

@test "a rules file that is not valid gets a 500 and a message" {
	printf '[{"tims": 2}]\n' >"$FP_RULES"
	run curl -sS -i "$FP_URL/hello.txt"
	assert_line --partial "HTTP/1.1 500"
	assert_output --partial "unknown keys ['tims']"
	printf '[{"status": 50' >"$FP_RULES"
	run curl -sS -o /dev/null -w '%{http_code}' "$FP_URL/hello.txt"
	assert_output 500
}

@test "redirect: status, Location, headers and body" {
	fp_rules '[{"redirect": "http://127.0.0.1:9", "status": 301,
		"headers": {"x-amz-bucket-region": "eu-west-1"},
		"body": "<Error><Code>PermanentRedirect</Code></Error>"}]'
	run curl -sS -i "$FP_URL/b/k?x=1"
	assert_line --partial "HTTP/1.1 301 Moved Permanently"
	assert_line --partial "Location: http://127.0.0.1:9/b/k?x=1"
	assert_line --partial "x-amz-bucket-region: eu-west-1"
	assert_line --partial "<Error><Code>PermanentRedirect</Code></Error>"
}

@test "reset: the connection ends with a RST, unanswered" {
	fp_rules '[{"reset": true}]'
	run -56 curl -sS "$FP_URL/hello.txt"
	assert_output --partial "reset by peer"
	assert_log "GET /hello.txt 0 reset"
}

@test "cut_body_after: the full Content-Length, part of the body, then a close" {
	fp_rules '[{"forward": true, "cut_body_after": 1000}]'
	run -18 curl -sS -o "$BATS_TEST_TMPDIR/part" "$FP_URL/blob"
	assert_output --partial "299000 bytes remaining"
	cmp "$BATS_TEST_TMPDIR/part" <(head -c 1000 "$WWW/blob")
	assert_log "GET /blob 0 200"
}

@test "corrupt_byte_at: one byte differs, at that offset" {
	fp_rules '[{"forward": true, "corrupt_byte_at": 12345}]'
	run curl -sS -o "$BATS_TEST_TMPDIR/bad" "$FP_URL/blob"
	assert_success
	run cmp -l "$WWW/blob" "$BATS_TEST_TMPDIR/bad"
	assert_equal "${#lines[@]}" 1
	assert_equal "$(awk '{ print $1 }' <<<"$output")" 12346
}

@test "replace_body: literal and regex replacements, Content-Length fixed" {
	fp_rules '[{"forward": true, "replace_body": [["hello", "goodbye, cruel"]]}]'
	run curl -sS -i "$FP_URL/hello.txt"
	assert_success
	assert_line --partial "Content-Length: 22"
	assert_line "goodbye, cruel, world"
	fp_rules '[{"forward": true, "regex": true, "replace_body": [["w(or)ld", "W\\1LD"]]}]'
	run curl -sS "$FP_URL/hello.txt"
	assert_output "hello, WorLD"
}

@test "append_body: a longer body, Content-Length grown to match" {
	fp_rules '[{"forward": true, "append_body": "EXTRA"}]'
	run -0 --separate-stderr curl -sS -D "$BATS_TEST_TMPDIR/head" -o "$BATS_TEST_TMPDIR/long" "$FP_URL/blob"
	assert_equal "$(stat -c %s "$BATS_TEST_TMPDIR/long")" 300005
	grep -qx $'Content-Length: 300005\r' "$BATS_TEST_TMPDIR/head"
	cmp <(head -c 300000 "$BATS_TEST_TMPDIR/long") "$WWW/blob"
	assert_equal "$(tail -c 5 "$BATS_TEST_TMPDIR/long")" EXTRA
	assert_log "GET /blob 0 200"
}

@test "truncate_body: a shorter body, Content-Length fixed, a well-formed reply" {
	fp_rules '[{"forward": true, "truncate_body": 1000}]'
	run -0 --separate-stderr curl -sS -D "$BATS_TEST_TMPDIR/head" -o "$BATS_TEST_TMPDIR/short" "$FP_URL/blob"
	grep -qx $'Content-Length: 1000\r' "$BATS_TEST_TMPDIR/head"
	cmp "$BATS_TEST_TMPDIR/short" <(head -c 1000 "$WWW/blob")
}

@test "content_length: sent as written, the body unchanged, then the connection closes" {
	local v sock
	for v in 12abc -5 99999999999999999999; do
		fp_rules "[{\"forward\": true, \"content_length\": \"$v\"}]"
		# A descriptor of its own: bats writes its report on 3.
		exec {sock}<>"/dev/tcp/127.0.0.1/${FP_URL##*:}"
		printf 'GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n' >&"$sock"
		run cat <&"$sock"
		exec {sock}<&-
		assert_line $'Content-Length: '"$v"$'\r'
		assert_line "hello, world"
		assert_line $'Connection: close\r'
	done
}

@test "a wrong Content-Range on a ranged GET: set_headers on the rule with header Range" {
	fp_rules '[{"forward": true, "header": "Range", "set_headers": {"Content-Range": "bytes 1-5/99"}}]'
	# The test server ignores Range (a 200): the rule still matches the request.
	run -0 --separate-stderr curl -sS -D - -o /dev/null -r 0-4 "$FP_URL/blob"
	assert_line $'Content-Range: bytes 1-5/99\r'
	run -0 --separate-stderr curl -sS -D - -o /dev/null "$FP_URL/hello.txt"
	refute_output --partial "Content-Range"
}

@test "set_headers, drop_headers and a replaced status" {
	fp_rules '[{"forward": true, "status": 500, "drop_headers": ["last-modified"],
		"set_headers": {"x-amz-request-id": "tx1", "content-type": "application/xml"}}]'
	run curl -sS -i "$FP_URL/hello.txt"
	assert_line --partial "HTTP/1.1 500 Internal Server Error"
	assert_line --partial "x-amz-request-id: tx1"
	assert_line --partial "content-type: application/xml"
	refute_line --partial "Content-type: text/plain"
	refute_output --partial "Last-Modified"
	assert_line "hello, world"
	assert_log "GET /hello.txt 0 500"
}

@test "stall: the client times out; the next request goes through" {
	fp_rules '[{"stall": 3, "times": 1}, {"path_prefix": "/closed", "stall": 0.1, "then": "close"}]'
	run -28 curl -sS --max-time 1 "$FP_URL/hello.txt"
	run curl -sS --max-time 1 "$FP_URL/hello.txt"
	assert_output "hello, world"
	run -52 curl -sS "$FP_URL/closed"
	assert_log "GET /hello.txt 0 stall" "GET /hello.txt - 200" "GET /closed 1 stall"
}

@test "the log redacts signatures and credentials, and never holds headers" {
	run curl -sS -o /dev/null -H "Authorization: AWS4-HMAC-SHA256 Credential=AKIDHEADER/x, Signature=cafe" \
		"$FP_URL/hello.txt?partNumber=1&X-Amz-Credential=AKIDQUERY%2F20240101&X-Amz-Signature=beef&x-amz-security-token=SECRETTOKEN"
	assert_success
	assert_log "GET /hello.txt?partNumber=1&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&x-amz-security-token=REDACTED - 200"
	run grep -E 'AKID|cafe|beef|SECRET|Authorization' "$FP_LOG"
	assert_failure 1
}

@test "502 without an upstream; SIGTERM ends the proxy with status 0" {
	local dir=$BATS_TEST_TMPDIR pid i rc=0
	"${FP_PYTHON:-python3}" "$TESTS_DIR/lib/faultproxy.py" --upstream http://127.0.0.1:1 --rules "$FP_RULES" \
		--port-file "$dir/port" >"$dir/stdout" 3>&- &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		[[ -s $dir/port ]] && break
		sleep 0.05
	done
	run curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(<"$dir/port")/x"
	assert_output 502
	cmp "$dir/port" "$dir/stdout"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
}
