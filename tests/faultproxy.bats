#!/usr/bin/env bats
# faultproxy.py, the fault-injecting proxy that the S3 suites put between a
# client and the server: forwarding, each rule, the log and its redaction.
# The upstream is a small HTTP/1.1 file server with an echoing PUT; the store
# profiles are tested in front of the real S3 server (Ceph RGW 16), with curl
# signing the requests, so that they hold whatever bkpipe's client does.
#
# SC2030/SC2031: shellcheck takes each @test for a subshell, and so run's
# $output for lost. SC2153: FP_URL and the others come from lib/faultproxy.
# shellcheck disable=SC2030,SC2031,SC2153

load lib/common
load lib/s3
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
	s3_start
	s3_bucket bkpipe-faultproxy
	head -c $((5 * 1048576)) /dev/urandom >"$d/part5m"
	head -c $((6 * 1048576)) /dev/urandom >"$d/part6m"
	head -c 1000 /dev/urandom >"$d/part1k"
}

teardown_file() {
	fp_stop
	if [[ -n ${UP_PID:-} ]]; then
		kill "$UP_PID" 2>/dev/null || true
	fi
	s3_aws s3 rb --force "s3://bkpipe-faultproxy" >/dev/null 2>&1 || true
	s3_stop
}

# A test that puts a proxy of its own in front of the S3 server stops it.
teardown() {
	if [[ -n ${RGW_FP:-} ]]; then
		fp_stop
	fi
}

# rgw_proxy [PROFILE]: a proxy of this test's own in front of the S3 server.
rgw_proxy() {
	fp_start "$S3_ENDPOINT" "${1:-}"
	RGW_FP=1
}

# s3curl ARGS...: curl with SigV4 for the test user (an unsigned payload).
# curl 7.88 signs the query as it is given: give its parameters sorted.
s3curl() {
	curl -sS --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}

# mpu KEY FILE...: a multipart upload through the proxy, a part a file; sets
# MPU_URL, MPU_ID and MPU_XML (the CompleteMultipartUpload body), and leaves
# the answer to the Complete in $MPU_REPLY, its status in MPU_STATUS.
mpu() {
	local key=$1 f n=0 etag
	shift
	MPU_URL=$FP_URL/$S3_BUCKET/$key
	MPU_ID=$(s3curl -X POST -d '' "$MPU_URL?uploads=" | sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')
	[[ -n $MPU_ID ]] || { echo "mpu: no UploadId" >&2; return 1; }
	MPU_XML="<CompleteMultipartUpload>"
	for f; do
		n=$((n + 1))
		etag=$(s3curl -D - -o /dev/null -T "$f" "$MPU_URL?partNumber=$n&uploadId=$MPU_ID" |
			tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
		MPU_XML+="<Part><PartNumber>$n</PartNumber><ETag>$etag</ETag></Part>"
	done
	MPU_XML+="</CompleteMultipartUpload>"
	complete
}

# complete [CURL ARGS...]: CompleteMultipartUpload of the last mpu (again).
complete() {
	MPU_REPLY=$BATS_TEST_TMPDIR/complete
	MPU_STATUS=$(s3curl "$@" -X POST --data-binary "$MPU_XML" -o "$MPU_REPLY" -w '%{http_code}' \
		"$MPU_URL?uploadId=$MPU_ID")
}

# The log's lines without upload ids, whose text differs every run.
log_lines() {
	sed 's/uploadId=[^& ]*/uploadId=ID/' "$FP_LOG"
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

@test "profile ceph16: RGW as it is: %20 in listings, an empty Complete ETag, a bare one when repeated, If-None-Match ignored" {
	local d=$BATS_FILE_TMPDIR
	rgw_proxy ceph16
	printf 'old' | s3_aws s3 cp - "s3://$S3_BUCKET/c16/a b" --quiet
	run -0 s3curl "$FP_URL/$S3_BUCKET?encoding-type=url&list-type=2&prefix=c16%2F"
	assert_output --partial "<Key>c16%2Fa%20b</Key>"
	mpu c16/mp "$d/part5m" "$d/part1k"
	assert_equal "$MPU_STATUS" 200
	run -0 cat "$MPU_REPLY"
	assert_output --partial "<ETag></ETag>"
	complete
	run -0 cat "$MPU_REPLY"
	assert_output --regexp "<ETag>[0-9a-f]{32}-2</ETag>"
	# The condition is not kept: the key that existed is overwritten.
	mpu "c16/a%20b" "$d/part5m" "$d/part1k"
	complete -H "If-None-Match: *"
	assert_equal "$MPU_STATUS" 200
	run -0 s3_aws s3api head-object --bucket "$S3_BUCKET" --key "c16/a b" --query ContentLength
	assert_output $((5 * 1048576 + 1000))
	run -0 log_lines
	refute_output --regexp " ceph16:"
}

@test "profile aws: a listing with encoding-type=url gives a space as '+' and a '+' as %2B, '/' as it is" {
	local k
	for k in "a b" "a+b" "a%b" "d x/1" "é~*"; do
		printf '%s' "$k" | s3_aws s3 cp - "s3://$S3_BUCKET/enc/$k" --quiet
	done
	rgw_proxy aws
	run -0 s3curl "$FP_URL/$S3_BUCKET?delimiter=%2F&encoding-type=url&list-type=2&prefix=enc%2F&start-after=enc%2F%20"
	assert_equal "$(grep -o '<Key>[^<]*</Key>' <<<"$output")" "$(printf '<Key>%s</Key>\n' \
		'enc/a+b' 'enc/a%25b' 'enc/a%2Bb' 'enc/%C3%A9%7E*')"
	assert_output --partial "<CommonPrefixes><Prefix>enc/d+x/</Prefix></CommonPrefixes>"
	assert_output --partial "<Prefix>enc/</Prefix>"
	assert_output --partial "<Delimiter>/</Delimiter>"
	assert_output --partial "<StartAfter>enc/+</StartAfter>"
	# What RGW itself sends, for comparison: a space as %20, "/" in a key as %2F.
	fp_profile ceph16
	run -0 s3curl "$FP_URL/$S3_BUCKET?encoding-type=url&list-type=2&prefix=enc%2F"
	assert_output --partial "<Key>enc%2Fa%20b</Key>"
	fp_profile minio
	run -0 s3curl "$FP_URL/$S3_BUCKET?encoding-type=url&list-type=2&prefix=enc%2F"
	assert_output --partial "<Key>enc/a+b</Key><LastModified>"
	# Without encoding-type=url, the keys as they are.
	run -0 s3curl "$FP_URL/$S3_BUCKET?list-type=2&prefix=enc%2F"
	assert_output --partial "<Key>enc/a b</Key>"
	run -0 log_lines
	assert_line --index 0 --regexp "^GET .* aws:listing_encoding 200$"
	assert_line --index 1 --regexp "^GET .* - 200$"
	assert_line --index 2 --regexp "^GET .* minio:listing_encoding 200$"
	assert_line --index 3 --regexp "^GET .* - 200$"
}

@test "profile ceph18 and ceph19: CompleteMultipartUpload's ETag without quotes, the one HEAD gives; aws quotes it" {
	local d=$BATS_FILE_TMPDIR p etag
	rgw_proxy
	for p in ceph18 ceph19 aws; do
		fp_profile "$p"
		mpu "etag/$p" "$d/part5m" "$d/part1k"
		if [[ $p == aws ]]; then
			complete	# the first was error_200's
		fi
		assert_equal "$MPU_STATUS" 200
		etag=$(s3_aws s3api head-object --bucket "$S3_BUCKET" --key "etag/$p" --query ETag --output text)
		[[ $etag =~ ^\"[0-9a-f]{32}-2\"$ ]]
		run -0 cat "$MPU_REPLY"
		if [[ $p == aws ]]; then
			assert_output --partial "<ETag>$etag</ETag>"
		else
			assert_output --partial "<ETag>${etag//\"/}</ETag>"
		fi
		run -0 log_lines
		assert_line "POST /$S3_BUCKET/etag/$p?uploadId=ID $p:complete_etag 200"
	done
}

@test "profile b2: a HEAD or GET with x-amz-checksum-mode is a 400 (a HEAD's without a body); r2: 501 NotImplemented" {
	printf 'abc' | s3_aws s3 cp - "s3://$S3_BUCKET/ck" --quiet
	rgw_proxy b2
	run -0 s3curl -I -H "x-amz-checksum-mode: ENABLED" -w '%{size_download}\n' "$FP_URL/$S3_BUCKET/ck"
	assert_line --index 0 --partial "HTTP/1.1 400 Bad Request"
	assert_equal "${lines[-1]}" 0
	run -0 s3curl -H "x-amz-checksum-mode: ENABLED" "$FP_URL/$S3_BUCKET/ck"
	assert_output --partial "<Code>InvalidArgument</Code><Message>Unsupported header 'x-amz-checksum-mode' received for this API call.</Message>"
	run -0 s3curl -I -o /dev/null -w '%{http_code}' "$FP_URL/$S3_BUCKET/ck"
	assert_output 200
	fp_profile r2
	run -0 s3curl -I -o /dev/null -w '%{http_code}' -H "x-amz-checksum-mode: ENABLED" "$FP_URL/$S3_BUCKET/ck"
	assert_output 501
	run -0 s3curl -H "x-amz-checksum-mode: ENABLED" "$FP_URL/$S3_BUCKET/ck"
	assert_output --partial "<Code>NotImplemented</Code><Message>Header 'x-amz-checksum-mode' with value 'ENABLED' not implemented</Message>"
	run -0 s3curl "$FP_URL/$S3_BUCKET/ck"
	assert_output abc
	run -0 log_lines
	assert_output "$(printf '%s\n' "HEAD /$S3_BUCKET/ck b2:checksum_mode 400" "GET /$S3_BUCKET/ck b2:checksum_mode 400" \
		"HEAD /$S3_BUCKET/ck - 200" "HEAD /$S3_BUCKET/ck r2:checksum_mode 501" \
		"GET /$S3_BUCKET/ck r2:checksum_mode 501" "GET /$S3_BUCKET/ck - 200")"
}

@test "profile r2: parts of unequal size are refused at Complete with InvalidPart, unforwarded; equal ones and a shorter last complete" {
	local d=$BATS_FILE_TMPDIR
	rgw_proxy r2
	mpu r2/unequal "$d/part5m" "$d/part6m" "$d/part1k"
	assert_equal "$MPU_STATUS" 400
	run -0 cat "$MPU_REPLY"
	assert_output --partial "<Code>InvalidPart</Code><Message>All non-trailing parts must have the same length.</Message>"
	# A last part larger than the others is refused too.
	mpu r2/larger-last "$d/part5m" "$d/part6m"
	assert_equal "$MPU_STATUS" 400
	run ! s3_aws s3api head-object --bucket "$S3_BUCKET" --key r2/unequal
	mpu r2/equal "$d/part5m" "$d/part5m" "$d/part1k"
	assert_equal "$MPU_STATUS" 200
	run -0 s3_aws s3api head-object --bucket "$S3_BUCKET" --key r2/equal --query ContentLength
	assert_output $((10 * 1048576 + 1000))
	run -0 log_lines
	assert_line "POST /$S3_BUCKET/r2/unequal?uploadId=ID r2:equal_parts 400"
	assert_line "POST /$S3_BUCKET/r2/larger-last?uploadId=ID r2:equal_parts 400"
	assert_line "POST /$S3_BUCKET/r2/equal?uploadId=ID r2:complete_etag 200"
}

@test "profile r2: an UploadPart over the part ceiling is a 400 EntityTooLarge (the ceiling lowered for the test)" {
	local d=$BATS_FILE_TMPDIR
	rgw_proxy
	fp_profile r2 '"max_part_size": 6000000'
	mpu r2/ceiling "$d/part5m" "$d/part6m"
	run -0 log_lines
	assert_line "PUT /$S3_BUCKET/r2/ceiling?partNumber=1&uploadId=ID - 200"
	assert_line "PUT /$S3_BUCKET/r2/ceiling?partNumber=2&uploadId=ID r2:max_part_size 400"
	run -0 s3curl -T "$d/part6m" "$MPU_URL?partNumber=2&uploadId=$MPU_ID"
	assert_output --partial "<Code>EntityTooLarge</Code>"
	run -0 python3 "$TESTS_DIR/lib/faultproxy.py" --profiles
	assert_line --regexp $'^r2\tmax_part_size\t5363466240\t'
}

@test "profile aws: the first Complete of an upload is a 200 with an <Error> body, unforwarded; the retry completes it" {
	local d=$BATS_FILE_TMPDIR
	rgw_proxy aws
	mpu aws/e200 "$d/part5m" "$d/part1k"
	assert_equal "$MPU_STATUS" 200
	run -0 cat "$MPU_REPLY"
	assert_output --partial "<Error><Code>InternalError</Code>"
	run ! s3_aws s3api head-object --bucket "$S3_BUCKET" --key aws/e200
	complete
	assert_equal "$MPU_STATUS" 200
	run -0 cat "$MPU_REPLY"
	assert_output --regexp "<ETag>\"[0-9a-f]{32}-2\"</ETag>"
	run -0 s3_aws s3api head-object --bucket "$S3_BUCKET" --key aws/e200 --query ContentLength
	assert_output $((5 * 1048576 + 1000))
	run -0 log_lines
	assert_line --index 3 "POST /$S3_BUCKET/aws/e200?uploadId=ID aws:error_200 200"
	assert_line --index 4 "POST /$S3_BUCKET/aws/e200?uploadId=ID aws:complete_etag 200"
}

@test "profile aws: a PUT or POST without Content-Length is a 411 MissingContentLength; with one it goes through" {
	rgw_proxy aws
	run -0 s3curl -X POST -w '\n%{http_code}' "$FP_URL/$S3_BUCKET/aws/nolength?uploads="
	assert_output --partial "<Code>MissingContentLength</Code>"
	assert_equal "${lines[-1]}" 411
	run -0 s3curl -T - -o /dev/null -w '%{http_code}' "$FP_URL/$S3_BUCKET/aws/chunked" <<<"chunked"
	assert_output 411
	run -0 s3curl -X POST -d '' -o /dev/null -w '%{http_code}' "$FP_URL/$S3_BUCKET/aws/nolength?uploads="
	assert_output 200
	fp_profile ceph16
	run -0 s3curl -X POST -o /dev/null -w '%{http_code}' "$FP_URL/$S3_BUCKET/aws/nolength?uploads="
	assert_output 200
}

@test "a profile entry in the rules file wins over --profile and keeps the rules; an unknown profile is a 500 with a message" {
	printf 'abc' | s3_aws s3 cp - "s3://$S3_BUCKET/ck" --quiet
	rgw_proxy b2
	fp_rules "[{\"path_prefix\": \"/$S3_BUCKET/gone\", \"status\": 404}]"
	fp_profile r2
	run -0 s3curl -I -o /dev/null -w '%{http_code}\n' -H "x-amz-checksum-mode: ENABLED" "$FP_URL/$S3_BUCKET/ck" \
		-o /dev/null "$FP_URL/$S3_BUCKET/gone"
	assert_output "$(printf '501\n404')"
	# A rule that matches applies alone.
	fp_rules "[{\"profile\": \"b2\"}, {\"path_prefix\": \"/$S3_BUCKET/ck\", \"forward\": true}]"
	run -0 s3curl -I -o /dev/null -w '%{http_code}' -H "x-amz-checksum-mode: ENABLED" "$FP_URL/$S3_BUCKET/ck"
	assert_output 200
	fp_rules '[{"profile": "gcs"}]'
	run -0 s3curl -i "$FP_URL/$S3_BUCKET/ck"
	assert_line --partial "HTTP/1.1 500"
	assert_output --partial "no profile 'gcs'"
	fp_rules '[{"profile": "r2", "times": 1}]'
	run -0 s3curl "$FP_URL/$S3_BUCKET/ck"
	assert_output --partial "unknown keys ['times']"
}
