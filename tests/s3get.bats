#!/usr/bin/env bats
# s3get against a real S3 server (Ceph RGW), through the fault proxy where
# the server has to misbehave.
# shellcheck disable=SC2030,SC2031 # each @test runs in a subshell of its own

load lib/common
load lib/s3
load lib/faultproxy

PART=1048576	# --part-size 1M in the tests, so that a few MiB make many parts

setup_file() {
	s3_start
	s3_bucket bkpipe-s3get
	local d=$BATS_FILE_TMPDIR n
	for n in 0 1 $((PART - 1)) $PART $((PART + 1)); do
		head -c "$n" /dev/urandom >"$d/obj-$n"
		s3_aws s3api put-object --bucket "$S3_BUCKET" --key "obj-$n" --body "$d/obj-$n" >/dev/null
	done
	head -c $((100 * 1048576 + 12345)) /dev/urandom >"$d/big"
	s3_aws s3 cp --quiet "$d/big" "s3://$S3_BUCKET/big"
	head -c $((3 * PART + 7)) /dev/urandom >"$d/single"
	s3_aws s3api put-object --bucket "$S3_BUCKET" --key "single" --body "$d/single" >/dev/null
	printf 'odd' >"$d/odd"
	s3_aws s3api put-object --bucket "$S3_BUCKET" --key $'odd/new\nline 100%' --body "$d/odd" >/dev/null
}

# A test that starts the fault proxy (or the TLS server) stops it: a test's
# variables do not reach teardown_file.
teardown() {
	fp_stop
	tls_stop
}

# tls_start: a loopback TLS server with a self-signed certificate for
# 127.0.0.1 (openssl s_server, any free port); sets TLS_URL, TLS_CERT, TLS_PID.
tls_start() {
	local d=$BATS_TEST_TMPDIR/tls i
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
	TLS_CERT=$d/cert.pem
	openssl s_server -accept 0 -cert "$d/cert.pem" -key "$d/key.pem" -www \
		</dev/null >"$d/out" 2>&1 3>&- &
	TLS_PID=$!
	for ((i = 0; i < 100; i++)); do
		grep -q '^ACCEPT' "$d/out" && break
		sleep 0.05
	done
	TLS_URL=https://127.0.0.1:$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$d/out")
	[[ $TLS_URL != https://127.0.0.1: ]]
}

tls_stop() {
	[[ -n ${TLS_PID:-} ]] || return 0
	kill -TERM "$TLS_PID" 2>/dev/null
	wait "$TLS_PID" 2>/dev/null
	unset TLS_PID
	return 0
}

# The requests of the last run that the proxy answered with rule 0, as
# "METHOD STATUS" lines counted.
rule0() {
	awk '$3 == "0" { print $1, $4 }' "$FP_LOG" | sort | uniq -c | awk '{ print $2, $3, $1 }'
}

teardown_file() {
	s3_stop
}

setup() {
	D=$BATS_FILE_TMPDIR
	OUT=$BATS_TEST_TMPDIR/out
}

@test "round trips of 0 B, 1 B and part size - 1, exactly, + 1: byte-identical" {
	local n
	for n in 0 1 $((PART - 1)) $PART $((PART + 1)); do
		s3get --part-size 1M "s3://$S3_BUCKET/obj-$n" >"$OUT"
		cmp "$OUT" "$D/obj-$n"
	done
}

@test "100 MiB with -j 1, 4 and 8: byte-identical, same sha256 as the AWS CLI's copy" {
	local j want
	want=$(s3_aws s3 cp --quiet "s3://$S3_BUCKET/big" - | sha256sum)
	assert_equal "$want" "$(sha256sum <"$D/big")"
	for j in 1 4 8; do
		run -0 --separate-stderr bash -c 's3get -j "$1" "$2" | sha256sum' _ "$j" "s3://$S3_BUCKET/big"
		assert_output "$want"
	done
}

@test "a single-part object is checked against its ETag's MD5, in parts too" {
	run -0 --separate-stderr bash -c 's3get -j 3 --part-size 1M "$1" | cmp - "$2"' _ "s3://$S3_BUCKET/single" "$D/single"
}

@test "URLs from standard input: s3ls lines and bare URLs, keys with a newline and %" {
	run -0 --separate-stderr bash -c 's3ls -r "$1" | s3get' _ "s3://$S3_BUCKET/odd/"
	assert_output "odd"
	run -0 --separate-stderr bash -c 'printf "%s\n\n" "$1" | s3get' _ "s3://$S3_BUCKET/odd/new%0Aline%20100%25"
	assert_output "odd"
}

@test "a line that is not a URL or a listing line: exit 2 naming the line" {
	run -2 --separate-stderr bash -c 'printf "s3://%s/obj-1\nnonsense\n" "$1" | s3get >/dev/null' _ "$S3_BUCKET"
	assert_equal "$stderr" "s3get: stdin line 2: expected an s3:// URL or a listing line"
}

@test "a missing key: exit 1, NoSuchKey with its hint, nothing written" {
	run -1 --separate-stderr s3get "s3://$S3_BUCKET/no-such-key"
	assert_output ""
	[[ $stderr == "s3get: s3://$S3_BUCKET/no-such-key: NoSuchKey"*"(hint: list what is there with s3ls)" ]]
}

@test "-o writes the file only once verified, and leaves nothing on failure" {
	run -0 --separate-stderr s3get -o "$OUT" "s3://$S3_BUCKET/obj-$PART"
	cmp "$OUT" "$D/obj-$PART"
	rm -f "$OUT"
	run -1 --separate-stderr s3get -o "$OUT" "s3://$S3_BUCKET/obj-1" "s3://$S3_BUCKET/no-such-key"
	[ ! -e "$OUT" ]
	run ls "$BATS_TEST_TMPDIR"
	refute_output --partial "s3get-"
}

@test "refuses to write object data to a terminal" {
	run -2 script -qec "s3get s3://$S3_BUCKET/obj-1" /dev/null
	assert_output --partial "refusing to write object data to a terminal"
}

@test "| head -c 1 ends quietly with status 0" {
	run -0 bash -c 's3get "$1" | head -c 1 >/dev/null; echo "status ${PIPESTATUS[0]}"' _ "s3://$S3_BUCKET/big"
	assert_output "status 0"
}

@test "--presign: the URL works with curl and with s3get, and hides nothing it should not" {
	run -0 --separate-stderr s3get --presign 1h "s3://$S3_BUCKET/obj-$PART"
	local url=$output
	[[ $url == "$S3_ENDPOINT/$S3_BUCKET/obj-$PART?X-Amz-Algorithm=AWS4-HMAC-SHA256&"*"X-Amz-Expires=3600&"*"X-Amz-Signature="* ]]
	curl -sf "$url" | cmp - "$D/obj-$PART"
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY s3get --no-sign-request "$url" | cmp - "$D/obj-$PART"
	run -2 --separate-stderr s3get --presign 8d "s3://$S3_BUCKET/obj-1"
}

@test "a store that refuses x-amz-checksum-mode (B2: 400, R2: 501) is asked again without it, once a run, and the object is still checked" {
	local code
	fp_start "$S3_ENDPOINT"
	for code in 400 501; do
		fp_clear_log
		fp_rules "[{\"method\": \"HEAD\", \"header\": \"x-amz-checksum-mode\", \"status\": $code}]"
		run -0 --separate-stderr bash -c 'printf "s3://%s/single\ns3://%s/obj-1\n" "$2" "$2" | s3get -v -j 1 --endpoint-url "$1" | cmp - <(cat "$3" "$4")' _ "$FP_URL" "$S3_BUCKET" "$D/single" "$D/obj-1"
		assert_stderr_has "the store refuses x-amz-checksum-mode: not asked for checksums again"
		# The first HEAD refused, the same asked again; the second object's HEAD without the header.
		run -0 grep '^HEAD ' "$FP_LOG"
		assert_equal "$output" "HEAD /bkpipe-s3get/single 0 $code
HEAD /bkpipe-s3get/single - 200
HEAD /bkpipe-s3get/obj-1 - 200"
		# Without the header the ETag's MD5 still covers the object: a changed byte is exit 1.
		fp_rules "[{\"method\": \"HEAD\", \"header\": \"x-amz-checksum-mode\", \"status\": $code},
			{\"method\": \"GET\", \"forward\": true, \"corrupt_byte_at\": 100}]"
		run -1 --separate-stderr bash -c 's3get -j 1 --endpoint-url "$1" "$2" >/dev/null' _ "$FP_URL" "s3://$S3_BUCKET/single"
		assert_stderr_has "md5 mismatch with the ETag"
	done
}

@test "a presigned URL: the ETag's MD5 is checked, a changed byte is exit 1" {
	fp_start "$S3_ENDPOINT"
	run -0 --separate-stderr s3get --endpoint-url "$FP_URL" --presign 1h "s3://$S3_BUCKET/single"
	local url=$output
	fp_rules '[{"method": "GET", "path_prefix": "/bkpipe-s3get/single", "forward": true, "corrupt_byte_at": 1000}]'
	run -1 --separate-stderr bash -c 's3get -j 1 --part-size 64M "$1" >/dev/null' _ "$url"
	[[ $stderr == *"md5 mismatch with the ETag"* ]]
	fp_rules '[]'
	run -0 --separate-stderr bash -c 's3get -j 1 --part-size 64M "$1" | cmp - "$2"' _ "$url" "$D/single"
}

@test "a presigned http:// URL needs no credentials; an s3:// URL after it still says none were found" {
	run -0 --separate-stderr s3get --presign 1h "s3://$S3_BUCKET/obj-1"
	local url=$output
	[[ $url == http://* ]]
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_SHARED_CREDENTIALS_FILE=/nonexistent/c \
		AWS_CONFIG_FILE=/nonexistent/f s3get "$url" | cmp - "$D/obj-1"
	run -2 --separate-stderr env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
		AWS_SHARED_CREDENTIALS_FILE=/nonexistent/c AWS_CONFIG_FILE=/nonexistent/f \
		bash -c 's3get "$1" "s3://$2/obj-1" >/dev/null' _ "$url" "$S3_BUCKET"
	assert_stderr_has "s3get: s3://$S3_BUCKET/obj-1: no credentials found"
	refute_stderr_has "presigned URL:"
}

@test "a presigned URL of an empty object gives nothing, exit 0" {
	s3_aws s3api put-object --bucket "$S3_BUCKET" --key empty-presigned >/dev/null
	run -0 --separate-stderr s3get --presign 1h "s3://$S3_BUCKET/empty-presigned"
	run -0 --separate-stderr bash -c 's3get "$1" | wc -c' _ "$output"
	assert_output 0
}

@test "a connection reset mid-body resumes from the last byte: identical output" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "path_prefix": "/bkpipe-s3get/single", "times": 2, "forward": true, "cut_body_after": 300000}]'
	run -0 --separate-stderr bash -c 's3get -v -j 1 --endpoint-url "$1" "$2" | cmp - "$3"' _ "$FP_URL" "s3://$S3_BUCKET/single" "$D/single"
	[[ $stderr == *"resuming at byte 300000"* ]]
	[[ $stderr == *"resuming at byte 600000"* ]]
}

@test "a stall past --read-timeout is cut and retried: identical output" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "header": "Range", "times": 1, "stall": 6}]'
	SECONDS=0
	run -0 --separate-stderr bash -c 's3get -j 2 --part-size 1M --read-timeout 2 --endpoint-url "$1" "$2" | cmp - "$3"' _ "$FP_URL" "s3://$S3_BUCKET/single" "$D/single"
	((SECONDS < 6))
	assert_equal "$(grep -c ' stall$' "$FP_LOG")" 1
}

@test "RequestTimeTooSkewed on the first HEAD: signed again with the server's clock, identical output" {
	local date
	date=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
	fp_start "$S3_ENDPOINT"
	fp_rules "[{\"method\": \"HEAD\", \"times\": 1, \"status\": 403, \"headers\": {\"Date\": \"$date\"}},
		{\"method\": \"GET\", \"header\": \"Range\", \"times\": 1, \"status\": 403, \"headers\": {\"Date\": \"$date\"},
		\"body\": \"<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message></Error>\"}]"
	run -0 --separate-stderr bash -c 's3get -v -j 1 --endpoint-url "$1" "$2" | cmp - "$3"' _ "$FP_URL" "s3://$S3_BUCKET/single" "$D/single"
	[[ $stderr == *"signing with its time"* ]]
	assert_equal "$(grep -c ' 403$' "$FP_LOG")" 2
}

@test "a full disk: exit 1 and the reason, with one stream and with parts" {
	run -1 --separate-stderr bash -c 's3get -j 1 "$1" >/dev/full' _ "s3://$S3_BUCKET/single"
	[[ $stderr == *"write error on the output: No space left on device"* ]]
	run -1 --separate-stderr bash -c 's3get -j 4 --part-size 1M "$1" >/dev/full' _ "s3://$S3_BUCKET/big"
	[[ $stderr == *"write error on the output: No space left on device"* ]]
}

@test "503 SlowDown on some parts: retried, identical output" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "header": "Range", "times": 3, "status": 503,
		"body": "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"}]'
	run -0 --separate-stderr bash -c 's3get -j 4 --part-size 1M --endpoint-url "$1" "$2" | cmp - "$3"' _ "$FP_URL" "s3://$S3_BUCKET/single" "$D/single"
	assert_equal "$(grep -c ' 503$' "$FP_LOG")" 3
}

@test "a part cut short, several times: resumed each time, identical output" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "header": "Range", "times": 4, "forward": true, "cut_body_after": 1000}]'
	run -0 --separate-stderr bash -c 's3get -j 2 --part-size 1M --endpoint-url "$1" "$2" | cmp - "$3"' _ "$FP_URL" "s3://$S3_BUCKET/single" "$D/single"
}

@test "a flipped byte in the served body: exit 1, md5 mismatch with the ETag" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "forward": true, "corrupt_byte_at": 12345}]'
	run -1 --separate-stderr bash -c 'set -o pipefail; s3get -j 1 --endpoint-url "$1" "$2" | wc -c' _ "$FP_URL" "s3://$S3_BUCKET/single"
	[[ $stderr == *"s3://$S3_BUCKET/single: md5 mismatch with the ETag"* ]]
}

@test "x-amz-checksum-crc32, -crc32c and -sha256 are checked when the object has them" {
	local sums crc32 crc32c sha256
	sums=$(python3 -c '
import base64, hashlib, sys, zlib
d = open(sys.argv[1], "rb").read()
c = 0xFFFFFFFF
for b in d:
    c ^= b
    for _ in range(8):
        c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
c ^= 0xFFFFFFFF
b64 = lambda x: base64.b64encode(x).decode()
print(b64(zlib.crc32(d).to_bytes(4, "big")), b64(c.to_bytes(4, "big")), b64(hashlib.sha256(d).digest()))
' "$D/obj-$((PART - 1))")
	read -r crc32 crc32c sha256 <<<"$sums"
	fp_start "$S3_ENDPOINT"
	fp_rules "[{\"method\": \"HEAD\", \"forward\": true, \"set_headers\": {\"x-amz-checksum-crc32\": \"$crc32\",
		\"x-amz-checksum-crc32c\": \"$crc32c\", \"x-amz-checksum-sha256\": \"$sha256\"}}]"
	run -0 --separate-stderr bash -c 's3get --endpoint-url "$1" "$2" | cmp - "$3"' _ "$FP_URL" "s3://$S3_BUCKET/obj-$((PART - 1))" "$D/obj-$((PART - 1))"
	local kind
	for kind in crc32 crc32c sha256; do
		fp_rules "[{\"method\": \"HEAD\", \"forward\": true, \"set_headers\": {\"x-amz-checksum-$kind\": \"$([[ $kind == sha256 ]] && echo 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU= || echo AAAAAA==)\"}}]"
		run -1 --separate-stderr bash -c 's3get --endpoint-url "$1" "$2" >/dev/null' _ "$FP_URL" "s3://$S3_BUCKET/obj-$((PART - 1))"
		[[ $stderr == *"$kind mismatch with x-amz-checksum-$kind"* ]]
	done
	# A checksum header that is not one is an error, not a pass.
	fp_rules '[{"method": "HEAD", "forward": true, "set_headers": {"x-amz-checksum-sha256": "not*base64*"}}]'
	run -1 --separate-stderr bash -c 's3get --endpoint-url "$1" "$2" >/dev/null' _ "$FP_URL" "s3://$S3_BUCKET/obj-$((PART - 1))"
	[[ $stderr == *"malformed x-amz-checksum-sha256"* ]]
	# A composite checksum (of parts, "...-3") is not a whole-object one: not checked.
	fp_rules '[{"method": "HEAD", "forward": true, "set_headers": {"x-amz-checksum-crc32": "AAAAAA==-3", "x-amz-checksum-type": "COMPOSITE"}}]'
	run -0 --separate-stderr bash -c 's3get --endpoint-url "$1" "$2" >/dev/null' _ "$FP_URL" "s3://$S3_BUCKET/obj-$((PART - 1))"
}

@test "an object replaced during the download: exit 1, never spliced" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "header": "Range", "times": 1, "stall": 4}]'
	s3get -j 2 --part-size 1M --endpoint-url "$FP_URL" "s3://$S3_BUCKET/single" >"$OUT" 2>"$BATS_TEST_TMPDIR/err" &
	local pid=$!
	sleep 0.5
	s3_aws s3api put-object --bucket "$S3_BUCKET" --key single --body "$D/obj-1" >/dev/null
	wait "$pid" && status=0 || status=$?
	s3_aws s3api put-object --bucket "$S3_BUCKET" --key single --body "$D/single" >/dev/null
	assert_equal "$status" 1
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output --partial "object changed during download"
	[ "$(stat -c %s "$OUT")" -lt "$(stat -c %s "$D/single")" ]
}

@test "the server ignoring Range is refused, not spliced" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "header": "Range", "forward": true, "drop_headers": ["Content-Range"], "status": 200}]'
	run -1 --separate-stderr bash -c 's3get -j 2 --part-size 1M --endpoint-url "$1" "$2" >/dev/null' _ "$FP_URL" "s3://$S3_BUCKET/single"
	[[ $stderr == *"the server ignored the Range header"* ]]
}

@test "a 206 with a longer body than its range is retried, then exit 1, and -o leaves nothing" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "header": "Range", "forward": true, "append_body": "EXTRA"}]'
	AWS_MAX_ATTEMPTS=3 run -1 --separate-stderr s3get -j 2 --part-size 1M -o "$OUT" --endpoint-url "$FP_URL" "s3://$S3_BUCKET/single"
	assert_stderr_has "a 206 reply of 1048581 bytes for a range of 1048576 (after 3 attempts)"
	[ ! -e "$OUT" ]
	run -0 ls "$BATS_TEST_TMPDIR"
	refute_output --partial ".s3get-"
	# Once only: the retry mends it.
	fp_rules '[{"method": "GET", "header": "Range", "times": 1, "forward": true, "append_body": "EXTRA"}]'
	fp_clear_log
	run -0 --separate-stderr bash -c 's3get -j 2 --part-size 1M --endpoint-url "$1" "$2" | cmp - "$3"' _ "$FP_URL" "s3://$S3_BUCKET/single" "$D/single"
	assert_equal "$(grep -c ' 0 206$' "$FP_LOG")" 1
}

@test "a 206 with a shorter body than its range (Content-Length to match) is retried, then exit 1" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "header": "Range", "forward": true, "truncate_body": 1000}]'
	AWS_MAX_ATTEMPTS=2 run -1 --separate-stderr bash -c 's3get -j 2 --part-size 1M --endpoint-url "$1" "$2" >/dev/null' _ "$FP_URL" "s3://$S3_BUCKET/single"
	assert_stderr_has "a 206 reply of 1000 bytes for a range of 1048576 (after 2 attempts)"
}

@test "a 206 whose Content-Range is not the range asked for (start, end or total) is retried, then exit 1" {
	local cr
	fp_start "$S3_ENDPOINT"
	for cr in "bytes 1-1048576/$((3 * PART + 7))" "bytes 0-1048574/$((3 * PART + 7))" \
		"bytes 0-1048575/$((3 * PART + 8))" "bytes 0-1048575/*" "bytes */$((3 * PART + 7))"; do
		fp_rules "[{\"method\": \"GET\", \"header\": \"Range\", \"forward\": true, \"set_headers\": {\"Content-Range\": \"$cr\"}}]"
		AWS_MAX_ATTEMPTS=2 run -1 --separate-stderr bash -c 's3get -j 2 --part-size 1M --endpoint-url "$1" "$2" >/dev/null' _ "$FP_URL" "s3://$S3_BUCKET/single"
		assert_stderr_has "(after 2 attempts)"
		assert_stderr_has "Content-Range"
	done
	# A resumed stream (-j 1, after a cut) is held to its range too.
	fp_rules '[{"method": "GET", "times": 1, "forward": true, "cut_body_after": 300000},
		{"method": "GET", "header": "Range", "forward": true, "set_headers": {"Content-Range": "bytes 0-3145734/3145735"}}]'
	AWS_MAX_ATTEMPTS=2 run -1 --separate-stderr bash -c 's3get -j 1 --endpoint-url "$1" "$2" >/dev/null' _ "$FP_URL" "s3://$S3_BUCKET/single"
	assert_stderr_has "a 206 reply with Content-Range bytes 0-3145734/3145735 for a request of bytes 300000-3145734"
}

@test "a 206 of the right range with wrong bytes: exit 1, md5 mismatch with the ETag" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "header": "Range", "times": 1, "forward": true, "corrupt_byte_at": 5000}]'
	run -1 --separate-stderr bash -c 's3get -j 2 --part-size 1M --endpoint-url "$1" "$2" >/dev/null' _ "$FP_URL" "s3://$S3_BUCKET/single"
	assert_stderr_has "s3://$S3_BUCKET/single: md5 mismatch with the ETag"
}

@test "an absurd Content-Length (20 digits, negative, not a number) is refused: exit 1, nothing written" {
	local v
	fp_start "$S3_ENDPOINT"
	for v in 99999999999999999999 9223372036854775808 -5 12abc; do
		fp_rules "[{\"method\": \"HEAD\", \"forward\": true, \"content_length\": \"$v\"}]"
		AWS_MAX_ATTEMPTS=2 run -1 --separate-stderr s3get -o "$OUT" --endpoint-url "$FP_URL" "s3://$S3_BUCKET/single"
		# curl refuses "-5" itself ("Invalid Content-Length"); s3get the rest.
		assert_stderr_has "HEAD $FP_URL/$S3_BUCKET/single: "
		assert_stderr_has "Content-Length"
		assert_stderr_has "(after 2 attempts)"
		[ ! -e "$OUT" ]
		fp_rules "[{\"method\": \"GET\", \"header\": \"Range\", \"forward\": true, \"content_length\": \"$v\"}]"
		AWS_MAX_ATTEMPTS=2 run -1 --separate-stderr bash -c 'set -o pipefail; s3get -j 2 --part-size 1M --endpoint-url "$1" "$2" | wc -c' _ "$FP_URL" "s3://$S3_BUCKET/single"
		assert_stderr_has "Content-Length"
		assert_stderr_has "(after 2 attempts)"
		assert_output 0
	done
	# Whole, without a Range: a reply longer than the HEAD said.
	fp_rules '[{"method": "GET", "forward": true, "append_body": "EXTRA"}]'
	AWS_MAX_ATTEMPTS=2 run -1 --separate-stderr bash -c 'set -o pipefail; s3get -j 1 --endpoint-url "$1" "$2" | wc -c' _ "$FP_URL" "s3://$S3_BUCKET/single"
	assert_stderr_has "a reply of 3145740 bytes for an object of 3145735 (its HEAD)"
	assert_output 0
}

@test "a part cut short on every try: exit 3 once the retries run out" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "header": "Range", "forward": true, "cut_body_after": 1000}]'
	AWS_MAX_ATTEMPTS=2 run -3 --separate-stderr bash -c 's3get -j 2 --part-size 1M --endpoint-url "$1" "$2" >/dev/null' _ "$FP_URL" "s3://$S3_BUCKET/single"
	assert_stderr_has "transfer closed"
}

@test "an object without an ETag is guarded by If-Unmodified-Since: identical, and a replacement is exit 1" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"forward": true, "drop_headers": ["ETag"]}]'
	run -0 --separate-stderr bash -c 's3get -j 2 --part-size 1M --endpoint-url "$1" "$2" | cmp - "$3"' _ "$FP_URL" "s3://$S3_BUCKET/single" "$D/single"
	run -0 --separate-stderr bash -c 's3get -j 1 --endpoint-url "$1" "$2" | cmp - "$3"' _ "$FP_URL" "s3://$S3_BUCKET/single" "$D/single"
	# Replaced while a part stalls: the next part's If-Unmodified-Since fails.
	s3_aws s3api put-object --bucket "$S3_BUCKET" --key noetag --body "$D/single" >/dev/null
	sleep 1.1	# Last-Modified counts seconds
	fp_rules '[{"method": "GET", "header": "Range", "times": 1, "stall": 4, "then": "close"},
		{"forward": true, "drop_headers": ["ETag"]}]'
	s3get -j 2 --part-size 1M --endpoint-url "$FP_URL" "s3://$S3_BUCKET/noetag" >"$OUT" 2>"$BATS_TEST_TMPDIR/err" &
	local pid=$!
	sleep 0.5
	s3_aws s3api put-object --bucket "$S3_BUCKET" --key noetag --body "$D/obj-$PART" >/dev/null
	wait "$pid" && status=0 || status=$?
	assert_equal "$status" 1
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output --partial "object changed during download (Unmodified-Since: "
}

@test "an object with neither an ETag nor a Last-Modified is refused: exit 1, nothing fetched" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"forward": true, "drop_headers": ["ETag", "Last-Modified"]}]'
	run -1 --separate-stderr s3get -o "$OUT" --endpoint-url "$FP_URL" "s3://$S3_BUCKET/single"
	assert_stderr_has "the server gave neither an ETag nor a valid Last-Modified"
	[ ! -e "$OUT" ]
	run -1 grep '^GET ' "$FP_LOG"
}

@test "-o: SIGTERM or SIGINT mid-download removes the temporary file, and the signal ends s3get" {
	local sig pid
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "stall": 30}]'
	for sig in TERM INT; do
		s3get -j 2 --part-size 1M -o "$OUT" --endpoint-url "$FP_URL" "s3://$S3_BUCKET/single" 2>/dev/null &
		pid=$!
		for ((i = 0; i < 100; i++)); do
			compgen -G "$OUT.s3get-*" >/dev/null && grep -q ' stall$' "$FP_LOG" && break
			sleep 0.05
		done
		compgen -G "$OUT.s3get-*" >/dev/null
		kill -"$sig" "$pid"
		wait "$pid" && status=0 || status=$?
		assert_equal "$status" $((128 + $(kill -l "$sig")))
		run compgen -G "$OUT*"
		assert_failure
		fp_clear_log
	done
}

@test "a TLS certificate failure exits 2 at once with the certificate's complaint, not retried" {
	local i
	tls_start
	AWS_MAX_ATTEMPTS=5 run -2 --separate-stderr s3get --endpoint-url "$TLS_URL" "s3://$S3_BUCKET/single"
	assert_stderr_has "SSL certificate problem: self-signed certificate"
	# One handshake: the server saw one client refuse its certificate.
	for ((i = 0; i < 40; i++)); do
		grep -q 'unknown ca' "$BATS_TEST_TMPDIR/tls/out" && break
		sleep 0.05
	done
	sleep 0.2
	assert_equal "$(grep -c 'unknown ca' "$BATS_TEST_TMPDIR/tls/out")" 1
	# A CA bundle that is not one.
	echo garbage >"$BATS_TEST_TMPDIR/bad.pem"
	AWS_CA_BUNDLE=$BATS_TEST_TMPDIR/bad.pem run -2 --separate-stderr s3get --endpoint-url "$TLS_URL" "s3://$S3_BUCKET/single"
	assert_stderr_has "bad.pem"
	# The right CA bundle gets past TLS, to a server that is not S3 (its
	# page for a GET is no listing): exit 1.
	AWS_CA_BUNDLE=$TLS_CERT AWS_MAX_ATTEMPTS=1 run -1 --separate-stderr s3ls --endpoint-url "$TLS_URL" "s3://$S3_BUCKET/"
	assert_stderr_has "not a ListBucketResult"
}

@test "a missing or unreadable AWS_CA_BUNDLE exits 2 naming it" {
	AWS_CA_BUNDLE=$BATS_TEST_TMPDIR/none.pem run -2 --separate-stderr s3get "s3://$S3_BUCKET/obj-1"
	assert_equal "$stderr" "s3get: CA bundle $BATS_TEST_TMPDIR/none.pem (AWS_CA_BUNDLE or ca_bundle): No such file or directory"
	AWS_CA_BUNDLE=$BATS_TEST_TMPDIR run -2 --separate-stderr s3get "s3://$S3_BUCKET/obj-1"
	assert_stderr_has "Is a directory"
}

@test "endpoint userinfo (http://user:password@host) never shows, with -v or in an error" {
	local ep=${S3_ENDPOINT/http:\/\//http://user:s3cr3tpw@}
	AWS_ENDPOINT_URL=$ep run -0 --separate-stderr bash -c 's3get -v "$1" | cmp - "$2"' _ "s3://$S3_BUCKET/single" "$D/single"
	assert_stderr_has "(userinfo hidden)@"
	[[ $stderr != *s3cr3tpw* ]]
	AWS_ENDPOINT_URL=$ep run -0 --separate-stderr s3get --presign 1h "s3://$S3_BUCKET/single"
	[[ $output != *s3cr3tpw* && $output != *user* ]]
	AWS_ENDPOINT_URL=http://user:s3cr3tpw@127.0.0.1:1 AWS_MAX_ATTEMPTS=1 run -3 --separate-stderr s3get -v "s3://$S3_BUCKET/single"
	[[ $stderr != *s3cr3tpw* ]]
	AWS_ENDPOINT_URL='http://user:s3cr3tpw@127.0.0.1:1 x' run -2 --separate-stderr s3get "s3://$S3_BUCKET/single"
	[[ $stderr != *s3cr3tpw* ]]
}

@test "a bucket name outside S3's rules is refused, on the command line, on stdin and for --presign: exit 2" {
	local b
	for b in 'x@127.0.0.1:1#' 'x@127.0.0.1:1' 'Upper' 'a_b' 'ab' 'a..b' '192.168.0.1' '-ab'; do
		AWS_ENDPOINT_URL=http://127.0.0.1:1 run -2 --separate-stderr s3get "s3://$b/k"
		assert_stderr_has "a bucket name"
		AWS_ENDPOINT_URL=http://127.0.0.1:1 run -2 --separate-stderr s3get --presign 1h "s3://$b/k"
		assert_stderr_has "a bucket name"
		AWS_ENDPOINT_URL=http://127.0.0.1:1 run -2 --separate-stderr bash -c 'printf "2026-01-26T03:00:15Z\t1\ts3://%s/k\n" "$1" | s3get' _ "$b"
		assert_stderr_has "a bucket name"
	done
}

@test "the path goes out as signed: s3://b/db/../../other/k fetches that key, and %00 is refused" {
	s3_aws s3api put-object --bucket "$S3_BUCKET" --key "db/../../other/k" --body "$D/obj-1" >/dev/null
	fp_start "$S3_ENDPOINT"
	run -0 --separate-stderr bash -c 's3get --endpoint-url "$1" "$2" | cmp - "$3"' _ "$FP_URL" "s3://$S3_BUCKET/db/../../other/k" "$D/obj-1"
	run -0 cut -d' ' -f1,2 "$FP_LOG"
	assert_output "HEAD /$S3_BUCKET/db/../../other/k
GET /$S3_BUCKET/db/../../other/k"
	run -2 --separate-stderr s3get "s3://$S3_BUCKET/obj-1%00x"
	assert_stderr_has "NUL"
	run -2 --separate-stderr bash -c 'printf "s3://%s/obj-1%%00x\n" "$1" | s3get' _ "$S3_BUCKET"
	assert_stderr_has "line 1"
}

@test "usage errors exit 2" {
	run -2 --separate-stderr s3get -j 0 "s3://$S3_BUCKET/obj-1"
	run -2 --separate-stderr s3get "s3://$S3_BUCKET"
	run -2 --separate-stderr s3get --part-size 0 "s3://$S3_BUCKET/obj-1"
	run -0 s3get --help
	assert_line --index 0 "Usage: s3get [options] [URL...]"
}
